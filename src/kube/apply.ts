// Object I/O on plain objects: server-side apply, get/create/patch/delete, label inventory
// across kinds, and the drift helpers that decide whether an apply is needed.
//
// API:
//   applyObject(http, obj, { fieldManager, force? = true, dryRun? }): Promise<T>   SSA (application/apply-patch+yaml)
//   getObject(http, ref): Promise<T | undefined>                                   undefined on 404
//   createObject(http, obj, { fieldManager? }): Promise<T>
//   mergePatchObject(http, ref, patch, { subresource?, fieldManager? }): Promise<T>
//   deleteObject(http, ref, { propagationPolicy? = 'Background', uid?, gracePeriodSeconds? }): Promise<boolean>
//        false when already gone; `uid` adds a precondition
//   listObjects(http, kindRef, { namespace?, labelSelector?, fieldSelector? }): Promise<T[]>   paged, kind filled in
//   listByLabel(http, kinds, labelSelector, { namespace? }): Promise<KubeObject[]>   across kinds; kinds the
//        server does not serve are skipped
//   isSubset(desired, observed): boolean        every field we set has that value (server defaults ignored;
//        arrays must match element-wise and in length; quantities compared numerically: '1000m' == '1')
//   foreignFieldOwners(observed, ourManager, { ignore? }): ForeignOwner[]   managers other than ours that own
//        fields outside metadata.managedFields/status/resourceVersion-ish bookkeeping, with flattened paths
//   fieldPaths(fieldsV1): string[]   'spec.template.spec.containers[name=app].env[name=X]'
import type { KubeHttp } from './http.js';
import { isKubeStatus } from './http.js';
import type { KindRef, KubeObject, ManagedFieldsEntry, ObjectRef } from './types.js';
import { refOf } from './types.js';

export interface ApplyOptions {
  fieldManager: string;
  /** Take ownership of fields another manager holds. @default true */
  force?: boolean;
  dryRun?: boolean;
}

export async function applyObject<T extends KubeObject>(
  http: KubeHttp,
  obj: T,
  options: ApplyOptions,
): Promise<T> {
  const path = await http.objectPath(refOf(obj));
  return http.request<T>('PATCH', path, {
    body: obj,
    contentType: 'application/apply-patch+yaml',
    query: {
      fieldManager: options.fieldManager,
      force: options.force ?? true,
      dryRun: options.dryRun ? 'All' : undefined,
    },
  });
}

export async function getObject<T extends KubeObject>(
  http: KubeHttp,
  ref: ObjectRef,
): Promise<T | undefined> {
  try {
    const obj = await http.request<T>('GET', await http.objectPath(ref));
    obj.apiVersion ??= ref.apiVersion;
    obj.kind ??= ref.kind;
    return obj;
  } catch (err) {
    if (isKubeStatus(err, 404)) return undefined;
    throw err;
  }
}

export async function createObject<T extends KubeObject>(
  http: KubeHttp,
  obj: T,
  options: { fieldManager?: string } = {},
): Promise<T> {
  if (!obj.apiVersion || !obj.kind) throw new Error('createObject: object needs apiVersion and kind');
  const path = await http.collectionPath(
    { apiVersion: obj.apiVersion, kind: obj.kind },
    obj.metadata.namespace,
  );
  return http.request<T>('POST', path, { body: obj, query: { fieldManager: options.fieldManager } });
}

export async function mergePatchObject<T extends KubeObject>(
  http: KubeHttp,
  ref: ObjectRef,
  patch: unknown,
  options: { subresource?: string; fieldManager?: string } = {},
): Promise<T> {
  const path = await http.objectPath(ref, options.subresource);
  return http.request<T>('PATCH', path, {
    body: patch,
    contentType: 'application/merge-patch+json',
    query: { fieldManager: options.fieldManager },
  });
}

export interface DeleteOptions {
  /** @default 'Background' */
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Only delete the object with this uid (a precondition). */
  uid?: string;
  gracePeriodSeconds?: number;
}

export async function deleteObject(
  http: KubeHttp,
  ref: ObjectRef,
  options: DeleteOptions = {},
): Promise<boolean> {
  try {
    await http.request('DELETE', await http.objectPath(ref), {
      body: {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: options.propagationPolicy ?? 'Background',
        ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
        ...(options.gracePeriodSeconds !== undefined
          ? { gracePeriodSeconds: options.gracePeriodSeconds }
          : {}),
      },
    });
    return true;
  } catch (err) {
    if (isKubeStatus(err, 404)) return false;
    throw err;
  }
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export async function listObjects<T extends KubeObject>(
  http: KubeHttp,
  kind: KindRef,
  options: ListOptions = {},
): Promise<T[]> {
  const path = await http.collectionPath(kind, options.namespace);
  const out: T[] = [];
  let continueToken: string | undefined;
  do {
    const page = await http.request<{ items?: T[]; metadata?: { continue?: string } }>('GET', path, {
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: 500,
        continue: continueToken,
      },
    });
    for (const item of page.items ?? []) {
      item.apiVersion ??= kind.apiVersion;
      item.kind ??= kind.kind;
      out.push(item);
    }
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return out;
}

export async function listByLabel(
  http: KubeHttp,
  kinds: readonly KindRef[],
  labelSelector: string,
  options: { namespace?: string } = {},
): Promise<KubeObject[]> {
  const lists = await Promise.all(
    kinds.map(async (kind) => {
      try {
        await http.resource(kind);
      } catch {
        return [];
      }
      return listObjects(http, kind, {
        labelSelector,
        ...(options.namespace ? { namespace: options.namespace } : {}),
      });
    }),
  );
  return lists.flat();
}

const QUANTITY = /^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

function quantityValue(value: string): number | undefined {
  const match = QUANTITY.exec(value);
  if (!match || match[1] === undefined) return undefined;
  const number = Number(match[1]);
  if (Number.isNaN(number)) return undefined;
  return number * (match[2] ? (SUFFIX[match[2]] ?? 1) : 1);
}

function scalarEqual(desired: unknown, observed: unknown): boolean {
  if (desired === observed) return true;
  if (typeof desired === 'string' && (typeof observed === 'string' || typeof observed === 'number')) {
    const a = quantityValue(desired);
    const b = typeof observed === 'number' ? observed : quantityValue(observed);
    return a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-12;
  }
  if (typeof desired === 'number' && typeof observed === 'string') return scalarEqual(observed, desired);
  return false;
}

/** True when every value set in `desired` is present and equal in `observed` (extra observed fields are ignored). */
export function isSubset(desired: unknown, observed: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null) return observed === null || observed === undefined;
  if (Array.isArray(desired)) {
    if (!Array.isArray(observed) || observed.length !== desired.length) return false;
    return desired.every((item, index) => isSubset(item, observed[index]));
  }
  if (typeof desired === 'object') {
    if (typeof observed !== 'object' || observed === null || Array.isArray(observed)) return false;
    const target = observed as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([key, value]) =>
      isSubset(value, target[key]),
    );
  }
  return scalarEqual(desired, observed);
}

export interface ForeignOwner {
  manager: string;
  operation: string;
  subresource?: string;
  paths: string[];
}

/** Flattens a managedFields `fieldsV1` tree into readable leaf paths. */
export function fieldPaths(fieldsV1: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(fieldsV1)) {
    if (key === '.') continue;
    let path: string;
    if (key.startsWith('f:')) {
      path = prefix ? `${prefix}.${key.slice(2)}` : key.slice(2);
    } else if (key.startsWith('k:')) {
      const keyObject = JSON.parse(key.slice(2)) as Record<string, unknown>;
      const selector = Object.entries(keyObject)
        .map(([name, value]) => `${name}=${String(value)}`)
        .join(',');
      path = `${prefix}[${selector}]`;
    } else if (key.startsWith('v:')) {
      path = `${prefix}[=${key.slice(2)}]`;
    } else {
      path = `${prefix}[${key}]`;
    }
    const grandchildren =
      child && typeof child === 'object' ? Object.keys(child).filter((name) => name !== '.') : [];
    if (grandchildren.length === 0) out.push(path);
    else out.push(...fieldPaths(child as Record<string, unknown>, path));
  }
  return out;
}

export interface ForeignOwnerOptions {
  /** Managers to ignore (e.g. Kubernetes' own controllers). @default [] */
  ignoreManagers?: readonly string[];
  /** Path prefixes to ignore. @default ['status', 'metadata.annotations.deployment.kubernetes.io/revision'] */
  ignorePaths?: readonly string[];
}

/** Field managers other than `ourManager` that own fields of `observed` (status and subresources excluded). */
export function foreignFieldOwners(
  observed: KubeObject,
  ourManager: string,
  options: ForeignOwnerOptions = {},
): ForeignOwner[] {
  const ignoreManagers = new Set(options.ignoreManagers ?? []);
  const ignorePaths = options.ignorePaths ?? [
    'status',
    'metadata.annotations.deployment.kubernetes.io/revision',
  ];
  const entries: ManagedFieldsEntry[] = observed.metadata.managedFields ?? [];
  const out: ForeignOwner[] = [];
  for (const entry of entries) {
    const manager = entry.manager ?? '';
    if (manager === ourManager || ignoreManagers.has(manager) || entry.subresource) continue;
    const paths = fieldPaths(entry.fieldsV1 ?? {}).filter(
      (path) =>
        !ignorePaths.some(
          (prefix) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`),
        ),
    );
    if (paths.length === 0) continue;
    out.push({ manager, operation: entry.operation ?? '', paths });
  }
  return out;
}
