// @peculiar/x509 pulls in tsyringe, which refuses to load without the `Reflect.getMetadata`
// family (normally from the `reflect-metadata` package, which is not a dependency here). This is
// the small subset tsyringe calls (defineMetadata, getOwnMetadata, getMetadata); it must be
// imported before @peculiar/x509.
type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

interface ReflectMetadata {
  defineMetadata(key: unknown, value: unknown, target: object, property?: string | symbol): void;
  getOwnMetadata(key: unknown, target: object, property?: string | symbol): unknown;
  getMetadata(key: unknown, target: object, property?: string | symbol): unknown;
}

const reflect = Reflect as unknown as Partial<ReflectMetadata>;
if (typeof reflect.getMetadata !== 'function') {
  const own = (
    key: unknown,
    target: object,
    property?: string | symbol,
  ): { found: boolean; value: unknown } => {
    const byKey = store.get(target)?.get(property);
    return byKey?.has(key) === true
      ? { found: true, value: byKey.get(key) }
      : { found: false, value: undefined };
  };
  reflect.defineMetadata = (key, value, target, property) => {
    let byProperty = store.get(target);
    if (byProperty === undefined) store.set(target, (byProperty = new Map()));
    let byKey = byProperty.get(property);
    if (byKey === undefined) byProperty.set(property, (byKey = new Map()));
    byKey.set(key, value);
  };
  reflect.getOwnMetadata = (key, target, property) => own(key, target, property).value;
  reflect.getMetadata = (key, target, property) => {
    for (let at: object | null = target; at !== null; at = Object.getPrototypeOf(at) as object | null) {
      const hit = own(key, at, property);
      if (hit.found) return hit.value;
    }
    return undefined;
  };
}
