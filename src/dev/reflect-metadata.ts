// The three `Reflect` metadata functions tsyringe (a dependency of @peculiar/x509) insists on
// at load time. The `reflect-metadata` package is not a dependency of this project, and
// x509 only needs this much of it. Import this module before '@peculiar/x509'.
type MetadataTarget = object;

const store = new WeakMap<MetadataTarget, Map<unknown, unknown>>();

interface ReflectMetadata {
  defineMetadata(key: unknown, value: unknown, target: MetadataTarget): void;
  getOwnMetadata(key: unknown, target: MetadataTarget): unknown;
  getMetadata(key: unknown, target: MetadataTarget): unknown;
}

const reflect = Reflect as typeof Reflect & Partial<ReflectMetadata>;

if (typeof reflect.getMetadata !== 'function') {
  const polyfill: ReflectMetadata = {
    defineMetadata(key, value, target) {
      const own = store.get(target) ?? new Map<unknown, unknown>();
      own.set(key, value);
      store.set(target, own);
    },
    getOwnMetadata(key, target) {
      return store.get(target)?.get(key);
    },
    getMetadata(key, target) {
      for (
        let at: MetadataTarget | null = target;
        at !== null;
        at = Object.getPrototypeOf(at) as object | null
      ) {
        const own = store.get(at);
        if (own?.has(key) === true) return own.get(key);
      }
      return undefined;
    },
  };
  Object.assign(Reflect, polyfill);
}

export {};
