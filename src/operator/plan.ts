// Observe -> plan -> execute, the pure middle: given what the MultiNicOperator wants (rendered
// objects, already decorated by `decorate`) and what the label inventory found, say which objects
// to apply, which to strip of foreign additions, and which to delete. No I/O here; table-tested.
import { isSubset } from '../kube/apply.js';
import type { KubeObject, ObjectRef } from '../kube/types.js';
import { FIELD_MANAGER, MANAGED_BY_LABEL, MANAGED_BY_NAMESPACE_LABEL } from './labels.js';

/** The MultiNicOperator an object belongs to. */
export interface Owner {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export type Action =
  | { type: 'apply'; object: KubeObject; reason: 'missing' | 'drift' }
  | {
      type: 'strip';
      /** Apply `object` after removing `paths` (foreign additions) from the observed copy. */
      object: KubeObject;
      observed: KubeObject;
      foreign: ForeignOwner[];
    }
  | { type: 'delete'; ref: ObjectRef; uid: string | undefined; reason: 'not-desired' }
  /** Drop our owner reference from a data object (kept, no longer garbage-collected with the CR). */
  | {
      type: 'release';
      ref: ObjectRef;
      ownerReferences: NonNullable<KubeObject['metadata']['ownerReferences']>;
    };

export interface Plan {
  actions: Action[];
  /** Desired objects found as wanted (no write needed). */
  unchanged: number;
}

/**
 * Managers whose fields on our objects are expected: Kubernetes' own controllers write status,
 * revision annotations, finalizers and the like; they are never treated as drift.
 */
export const SYSTEM_MANAGERS: readonly string[] = [
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-apiserver',
  'kwok',
];

/** Paths another manager may legitimately own on an object we manage. */
const FOREIGN_PATHS_IGNORED: readonly string[] = [
  'status',
  'metadata.finalizers',
  'metadata.ownerReferences',
  'metadata.annotations.deployment.kubernetes.io/revision',
];

export function refOfObject(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    name: obj.metadata.name ?? '',
    ...(obj.metadata.namespace !== undefined && obj.metadata.namespace !== ''
      ? { namespace: obj.metadata.namespace }
      : {}),
  };
}

/** Identity of an object across versions of its group (apps/v1 Deployment == apps/v1beta2 Deployment). */
export function identity(obj: {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string };
}): string {
  const group = (obj.apiVersion ?? '').includes('/') ? (obj.apiVersion ?? '').split('/')[0] : '';
  return `${group}|${obj.kind ?? ''}|${obj.metadata.namespace ?? ''}|${obj.metadata.name ?? ''}`;
}

/** The label selector that finds everything one CR manages. */
export function inventorySelector(owner: Pick<Owner, 'name'>): string {
  return `${MANAGED_BY_LABEL}=${owner.name}`;
}

/**
 * Kinds that hold data which outlives the MultiNicOperator, like a StatefulSet's PVCs outlive the
 * StatefulSet: database credentials (the data PVC is useless without them) and backup storage.
 * They never get an owner reference (deleting the CR keeps them, a re-created CR reuses them)
 * and are never pruned; delete them by hand when the data is no longer wanted.
 */
export const DATA_KINDS: ReadonlySet<string> = new Set(['Secret', 'PersistentVolumeClaim']);

function isData(obj: { apiVersion?: string; kind?: string }): boolean {
  return (obj.apiVersion === 'v1' || obj.apiVersion === undefined) && DATA_KINDS.has(obj.kind ?? '');
}

/**
 * Adds what makes an object ours: the managed-by label (the inventory), the owner's namespace label on objects
 * outside its namespace, and a controller owner reference for objects in the CR's namespace
 * (garbage collection removes them with the CR; the finalizer handles the rest) except on data
 * kinds (`DATA_KINDS`).
 */
export function decorate(obj: KubeObject, owner: Owner): KubeObject {
  const inOwnerNamespace = obj.metadata.namespace === owner.namespace && !isData(obj);
  // The protected label is the render's decision (absent with protection off); the managed-by
  // label is the inventory and is always set.
  const labels: Record<string, string> = { ...(obj.metadata.labels ?? {}), [MANAGED_BY_LABEL]: owner.name };
  if (!inOwnerNamespace) labels[MANAGED_BY_NAMESPACE_LABEL] = owner.namespace;
  const metadata = { ...obj.metadata, labels };
  if (inOwnerNamespace) {
    const others = (obj.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== owner.uid);
    metadata.ownerReferences = [
      ...others,
      {
        apiVersion: owner.apiVersion,
        kind: owner.kind,
        name: owner.name,
        uid: owner.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  return { ...obj, metadata };
}

/**
 * Desired objects outside the owner's namespace that another MultiNicOperator of the same name
 * (in another namespace) already manages: the shared agent namespace holds one ServiceAccount,
 * Role and RoleBinding per name, so two such CRs would rewrite each other's objects forever.
 * The owner that finds its objects taken must not apply (the first one keeps them).
 */
export function takenByOther(
  desired: readonly KubeObject[],
  observed: readonly KubeObject[],
  owner: Owner,
): Array<{ object: KubeObject; ownerNamespace: string }> {
  const wanted = new Set(
    desired.filter((obj) => obj.metadata.namespace !== owner.namespace).map((obj) => identity(obj)),
  );
  const out: Array<{ object: KubeObject; ownerNamespace: string }> = [];
  for (const have of observed) {
    if (!wanted.has(identity(have)) || have.metadata.deletionTimestamp !== undefined) continue;
    const labels = have.metadata.labels ?? {};
    const ns = labels[MANAGED_BY_NAMESPACE_LABEL];
    if (labels[MANAGED_BY_LABEL] === owner.name && ns !== undefined && ns !== owner.namespace)
      out.push({ object: have, ownerNamespace: ns });
  }
  return out;
}

/** True when `observed` belongs to `owner` (an owner reference, or the namespace label outside its namespace). */
export function ownedBy(observed: KubeObject, owner: Owner): boolean {
  const labels = observed.metadata.labels ?? {};
  if (labels[MANAGED_BY_LABEL] !== owner.name) return false;
  if (observed.metadata.namespace === owner.namespace) {
    return (observed.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.uid);
  }
  return labels[MANAGED_BY_NAMESPACE_LABEL] === owner.namespace;
}

/** A manager other than ours and the system's that owns fields we do not set. */
export interface ForeignOwner {
  manager: string;
  operation: string;
  /** Removable units: a whole list element or map the manager created, else a leaf. */
  paths: string[];
}

function keyStep(key: string): string {
  if (key.startsWith('f:')) return `.${key.slice(2)}`;
  if (key.startsWith('k:')) {
    const keyObject = JSON.parse(key.slice(2)) as Record<string, unknown>;
    return `[${Object.entries(keyObject)
      .map(([name, value]) => `${name}=${String(value)}`)
      .join(',')}]`;
  }
  if (key.startsWith('v:')) return `[=${key.slice(2)}]`;
  return `[${key}]`;
}

/**
 * Paths of a managedFields tree, stopping at nodes the manager owns as a whole (marked `.`):
 * a hand-added env var is one unit `...env[name=X]`, not its `name` and `value` leaves.
 */
export function ownedRoots(fieldsV1: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(fieldsV1)) {
    if (key === '.') continue;
    const step = keyStep(key);
    const path = prefix === '' && step.startsWith('.') ? step.slice(1) : `${prefix}${step}`;
    const children = child !== null && typeof child === 'object' ? Object.keys(child) : [];
    if (children.includes('.') || children.length === 0) out.push(path);
    else out.push(...ownedRoots(child as Record<string, unknown>, path));
  }
  return out;
}

/** Foreign (non-system) managers of fields in `observed` that `desired` does not set. */
export function foreignAdditions(
  desired: KubeObject,
  observed: KubeObject,
  fieldManager = FIELD_MANAGER,
): ForeignOwner[] {
  const out: ForeignOwner[] = [];
  for (const entry of observed.metadata.managedFields ?? []) {
    const manager = entry.manager ?? '';
    if (manager === fieldManager || SYSTEM_MANAGERS.includes(manager)) continue;
    if (entry.subresource !== undefined && entry.subresource !== '') continue;
    const paths = ownedRoots(entry.fieldsV1 ?? {}).filter(
      (path) =>
        !FOREIGN_PATHS_IGNORED.some(
          (prefix) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`),
        ) && !setsPath(desired, path),
    );
    if (paths.length > 0) out.push({ manager, operation: entry.operation ?? '', paths });
  }
  return out;
}

/** True when `obj` sets the leaf `path` (as written by `fieldPaths`) to any value. */
export function setsPath(obj: unknown, path: string): boolean {
  let at: unknown = obj;
  for (const step of parsePath(path)) {
    if (at === null || typeof at !== 'object') return false;
    if (step.type === 'field') {
      at = (at as Record<string, unknown>)[step.name];
    } else if (step.type === 'key') {
      if (!Array.isArray(at)) return false;
      at = at.find((item) => matchesKey(item, step.key));
    } else {
      if (!Array.isArray(at)) return false;
      at = at.find((item) => JSON.stringify(item) === step.value);
    }
    if (at === undefined) return false;
  }
  return true;
}

type PathStep =
  | { type: 'field'; name: string }
  | { type: 'key'; key: Record<string, string> }
  | { type: 'value'; value: string };

/** Parses `spec.containers[name=app].env[name=X]` / `metadata.labels.a.b/c` into steps. */
export function parsePath(path: string): PathStep[] {
  const steps: PathStep[] = [];
  let i = 0;
  let field = '';
  const flush = (): void => {
    if (field !== '') steps.push({ type: 'field', name: field });
    field = '';
  };
  // Label and annotation keys contain dots: everything after `labels.`/`annotations.` is one key.
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      flush();
      const last = steps[steps.length - 1];
      if (
        last?.type === 'field' &&
        (last.name === 'labels' || last.name === 'annotations') &&
        steps.length === 2
      ) {
        const rest = path.slice(i + 1);
        steps.push({ type: 'field', name: rest });
        return steps;
      }
      i += 1;
    } else if (ch === '[') {
      flush();
      const end = path.indexOf(']', i);
      const inner = path.slice(i + 1, end < 0 ? path.length : end);
      if (inner.startsWith('=')) steps.push({ type: 'value', value: inner.slice(1) });
      else {
        const key: Record<string, string> = {};
        for (const pair of inner.split(',')) {
          const eq = pair.indexOf('=');
          key[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        steps.push({ type: 'key', key });
      }
      i = end < 0 ? path.length : end + 1;
    } else {
      field += ch;
      i += 1;
    }
  }
  flush();
  return steps;
}

function matchesKey(item: unknown, key: Record<string, string>): boolean {
  if (item === null || typeof item !== 'object') return false;
  return Object.entries(key).every(
    ([name, value]) => String((item as Record<string, unknown>)[name]) === value,
  );
}

/** A copy of `observed` without the leaves at `paths` (foreign additions), ready for a PUT. */
export function withoutPaths(observed: KubeObject, paths: readonly string[]): KubeObject {
  const copy = structuredClone(observed);
  for (const path of paths) removePath(copy, parsePath(path));
  delete copy.metadata.managedFields;
  return copy;
}

function removePath(root: unknown, steps: PathStep[]): void {
  let at: unknown = root;
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index] as PathStep;
    const last = index === steps.length - 1;
    if (at === null || typeof at !== 'object') return;
    if (step.type === 'field') {
      const record = at as Record<string, unknown>;
      if (last) {
        delete record[step.name];
        return;
      }
      at = record[step.name];
    } else {
      if (!Array.isArray(at)) return;
      const position =
        step.type === 'key'
          ? at.findIndex((item) => matchesKey(item, step.key))
          : at.findIndex((item) => JSON.stringify(item) === step.value);
      if (position < 0) return;
      if (last) {
        at.splice(position, 1);
        return;
      }
      at = at[position];
    }
  }
}

/**
 * `value` without empty maps, empty lists and nulls (recursively): the API server omits them
 * (`omitempty`), so `namespaceSelector: {matchLabels: {}}` comes back as `namespaceSelector: {}`
 * and must still count as equal.
 */
export function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => compact(item));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const inner = compact(item);
    if (inner === null || inner === undefined) continue;
    if (Array.isArray(inner) && inner.length === 0) continue;
    if (typeof inner === 'object' && !Array.isArray(inner) && Object.keys(inner).length === 0) continue;
    out[key] = inner;
  }
  return out;
}

/**
 * What to do so that the cluster holds exactly `desired` for `owner`:
 * - desired and missing -> apply (missing); present but a desired value differs -> apply (drift);
 * - present, equal, but another (non-system) manager added fields we do not set -> strip;
 * - present in the inventory, owned by `owner`, not desired -> delete (data kinds: release, never delete).
 * Objects that match are left alone, so a no-op resync issues no writes.
 */
export function plan(desired: readonly KubeObject[], observed: readonly KubeObject[], owner: Owner): Plan {
  const observedById = new Map(observed.map((obj) => [identity(obj), obj]));
  const desiredIds = new Set<string>();
  const actions: Action[] = [];
  let unchanged = 0;
  for (const want of desired) {
    const id = identity(want);
    desiredIds.add(id);
    const have = observedById.get(id);
    if (have === undefined) {
      actions.push({ type: 'apply', object: want, reason: 'missing' });
      continue;
    }
    if (have.metadata.deletionTimestamp !== undefined) {
      // Being deleted (e.g. foreground deletion by hand): re-create once it is gone.
      actions.push({ type: 'apply', object: want, reason: 'missing' });
      continue;
    }
    // Foreign additions first: a hand-added env var also makes `isSubset` fail (longer list), and
    // an apply alone would never remove it.
    const foreign = foreignAdditions(want, have);
    if (foreign.length > 0) {
      actions.push({ type: 'strip', object: want, observed: have, foreign });
      continue;
    }
    const { metadata: wantMeta, ...wantBody } = compact(want) as KubeObject;
    const { metadata: haveMeta, ...haveBody } = have;
    const metaWanted = {
      labels: wantMeta.labels,
      annotations: wantMeta.annotations,
      ownerReferences: wantMeta.ownerReferences,
    };
    // A data object owned by an earlier version of the operator: the apply drops the reference.
    const ownedData = isData(want) && (haveMeta.ownerReferences ?? []).some((ref) => ref.uid === owner.uid);
    if (!isSubset(wantBody, haveBody) || !isSubset(metaWanted, haveMeta) || ownedData) {
      actions.push({ type: 'apply', object: want, reason: 'drift' });
      continue;
    }
    unchanged += 1;
  }
  for (const have of observed) {
    if (desiredIds.has(identity(have)) || !ownedBy(have, owner)) continue;
    if (have.metadata.deletionTimestamp !== undefined) continue;
    if (isData(have)) {
      const ownerReferences = (have.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== owner.uid);
      if (ownerReferences.length !== (have.metadata.ownerReferences ?? []).length)
        actions.push({ type: 'release', ref: refOfObject(have), ownerReferences });
      continue;
    }
    actions.push({ type: 'delete', ref: refOfObject(have), uid: have.metadata.uid, reason: 'not-desired' });
  }
  return { actions, unchanged };
}
