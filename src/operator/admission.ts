// The protection rule (docs/architecture.md#protection) as one pure function. It decides only from the
// AdmissionRequest (oldObject / object / userInfo / subResource): no API call in the admission
// path, so it cannot fail closed on a read error (the earlier webhook did) and answers in microseconds.
import { isDeepStrictEqual } from 'node:util';

import { MANAGED_BY_LABEL, MANAGED_BY_NAMESPACE_LABEL, PROTECTED_LABEL } from './labels.js';

export interface AdmissionUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The part of an `admission.k8s.io/v1` AdmissionRequest the rule reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo: AdmissionUserInfo;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionConfig {
  /**
   * Usernames that act for the operator (its ServiceAccount, e.g.
   * `system:serviceaccount:multinic-system:multinic-operator`, plus the identity the running
   * process authenticated as when it runs out of cluster).
   */
  operatorUsernames: readonly string[];
  /** Groups whose members may change protected objects (break glass). @default [] */
  breakGlassGroups?: readonly string[];
  /**
   * Labels of the parent object of a subresource request. A `scale` request carries
   * `autoscaling/v1` Scale objects without labels; the API server matched the webhook's
   * objectSelector on the parent, so the caller supplies them (from its cache, not an API call).
   */
  parentLabels?: Readonly<Record<string, string>>;
}

export interface AdmissionDecision {
  allowed: boolean;
  /** Why; for a denial, the text the user sees (names the MultiNicOperator to edit). */
  message: string;
  /** Machine-readable reason, also the `reason` label of the protection metric. */
  reason: DecisionReason;
  /** The MultiNicOperator that manages the object, when the object is protected. */
  owner?: { namespace?: string; name: string };
}

export const DecisionReason = {
  NotProtected: 'NotProtected',
  NotMutating: 'NotMutating',
  Operator: 'Operator',
  BreakGlass: 'BreakGlass',
  ControlPlane: 'ControlPlane',
  Denied: 'Denied',
  LabelChangeDenied: 'LabelChangeDenied',
} as const;
export type DecisionReason = (typeof DecisionReason)[keyof typeof DecisionReason];

const SA_PREFIX = 'system:serviceaccount:kube-system:';

/**
 * Control-plane actors that must act on protected objects for the cluster to work. `any` may
 * do any UPDATE/DELETE (labels included); `workload` may write the status and scale
 * subresources, and main-resource UPDATEs that leave spec and labels untouched (the deployment
 * controller writes its revision annotation that way).
 */
const CONTROL_PLANE_USERS: Readonly<Record<string, 'any' | 'workload'>> = {
  // Without --use-service-account-credentials every KCM controller is this one user.
  'system:kube-controller-manager': 'any',
  [`${SA_PREFIX}generic-garbage-collector`]: 'any',
  [`${SA_PREFIX}namespace-controller`]: 'any',
  [`${SA_PREFIX}deployment-controller`]: 'workload',
  [`${SA_PREFIX}replicaset-controller`]: 'workload',
  [`${SA_PREFIX}statefulset-controller`]: 'workload',
  [`${SA_PREFIX}daemon-set-controller`]: 'workload',
  [`${SA_PREFIX}job-controller`]: 'workload',
  [`${SA_PREFIX}cronjob-controller`]: 'workload',
  [`${SA_PREFIX}horizontal-pod-autoscaler`]: 'workload',
  [`${SA_PREFIX}disruption-controller`]: 'workload',
  [`${SA_PREFIX}persistent-volume-binder`]: 'workload',
  [`${SA_PREFIX}service-controller`]: 'workload',
  [`${SA_PREFIX}endpoint-controller`]: 'workload',
  [`${SA_PREFIX}endpointslice-controller`]: 'workload',
};
const WORKLOAD_SUBRESOURCES = new Set(['status', 'scale']);
/** Kubelets write pod/node status and nothing else we protect. */
const NODES_GROUP = 'system:nodes';

interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
}

function metaOf(value: unknown): ObjectMeta | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const metadata = (value as { metadata?: unknown }).metadata;
  return metadata !== null && typeof metadata === 'object' ? (metadata as ObjectMeta) : undefined;
}

function labelsOf(value: unknown): Record<string, string> {
  return metaOf(value)?.labels ?? {};
}

function hasLabels(value: unknown): boolean {
  return Object.keys(labelsOf(value)).length > 0;
}

function specOf(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? (value as { spec?: unknown }).spec : undefined;
}

/** Values of the two protection labels; `undefined` where absent. */
function protectionLabels(value: unknown): [string | undefined, string | undefined] {
  const labels = labelsOf(value);
  return [labels[PROTECTED_LABEL], labels[MANAGED_BY_LABEL]];
}

function describe(request: AdmissionRequest): string {
  const kind = request.kind.kind;
  const name = request.name ?? metaOf(request.oldObject)?.name ?? metaOf(request.object)?.name ?? '';
  const where = request.namespace !== undefined && request.namespace !== '' ? `${request.namespace}/` : '';
  const sub =
    request.subResource !== undefined && request.subResource !== '' ? ` (${request.subResource})` : '';
  return `${kind} ${where}${name}${sub}`;
}

function verb(request: AdmissionRequest): string {
  if (request.operation === 'DELETE') return 'delete';
  if (request.operation === 'CREATE') return 'create';
  return request.subResource === 'scale' ? 'scale' : 'update';
}

function denial(
  request: AdmissionRequest,
  reason: DecisionReason,
  owner: { namespace?: string; name: string } | undefined,
  what: string,
): AdmissionDecision {
  const user = request.userInfo.username ?? '(unknown user)';
  const target = owner?.name ?? '(unknown)';
  const ns = owner?.namespace ?? request.namespace;
  const nsText = ns !== undefined && ns !== '' ? ` in namespace ${ns}` : '';
  const nsFlag = ns !== undefined && ns !== '' ? ` -n ${ns}` : '';
  const message =
    `${describe(request)} is managed by MultiNicOperator '${target}'${nsText}: ${user} may not ${what}. ` +
    `Change it through the MultiNicOperator instead (kubectl edit multinicoperator ${target}${nsFlag}).`;
  return { allowed: false, message, reason, ...(owner !== undefined ? { owner } : {}) };
}

/**
 * Decides one admission request against the protection rule:
 * - objects without `multinic.example.com/protected=true` (before or after) are not ours: allow;
 * - the operator and break-glass groups may do anything;
 * - garbage collector, namespace controller (and the KCM's own user) may update/delete;
 * - workload controllers may write status/scale and spec-preserving updates, kubelets status;
 * - everyone else is denied, and nobody else may add, remove or change the protection labels.
 */
export function decide(request: AdmissionRequest, config: AdmissionConfig): AdmissionDecision {
  if (request.operation === 'CONNECT') {
    return { allowed: true, message: 'not a mutation', reason: DecisionReason.NotMutating };
  }
  const sub = request.subResource ?? '';
  const parent =
    sub !== '' && !hasLabels(request.oldObject) && !hasLabels(request.object)
      ? config.parentLabels
      : undefined;
  const [oldProtected, oldOwner] =
    parent !== undefined
      ? [parent[PROTECTED_LABEL], parent[MANAGED_BY_LABEL]]
      : protectionLabels(request.oldObject);
  const [newProtected, newOwner] =
    parent !== undefined
      ? [parent[PROTECTED_LABEL], parent[MANAGED_BY_LABEL]]
      : protectionLabels(request.object);
  const wasProtected = oldProtected === 'true';
  const isProtected = newProtected === 'true';
  if (!wasProtected && !isProtected) {
    return { allowed: true, message: 'object is not protected', reason: DecisionReason.NotProtected };
  }
  const ownerName = (wasProtected ? oldOwner : newOwner) ?? newOwner ?? oldOwner;
  const ownerNamespace =
    request.namespace !== undefined && request.namespace !== ''
      ? request.namespace
      : (parent ?? labelsOf(wasProtected ? request.oldObject : request.object))[MANAGED_BY_NAMESPACE_LABEL];
  const owner =
    ownerName !== undefined
      ? { name: ownerName, ...(ownerNamespace !== undefined ? { namespace: ownerNamespace } : {}) }
      : undefined;
  const ownerPart = owner !== undefined ? { owner } : {};

  const username = request.userInfo.username ?? '';
  const groups = request.userInfo.groups ?? [];
  if (config.operatorUsernames.includes(username)) {
    return {
      allowed: true,
      message: 'requested by the operator',
      reason: DecisionReason.Operator,
      ...ownerPart,
    };
  }
  if ((config.breakGlassGroups ?? []).some((group) => groups.includes(group))) {
    return { allowed: true, message: 'break-glass group', reason: DecisionReason.BreakGlass, ...ownerPart };
  }

  const labelsChanged =
    request.operation === 'UPDATE' && (oldProtected !== newProtected || oldOwner !== newOwner);
  const role = CONTROL_PLANE_USERS[username];
  if (role === 'any' && !labelsChanged) {
    return {
      allowed: true,
      message: 'Kubernetes control plane',
      reason: DecisionReason.ControlPlane,
      ...ownerPart,
    };
  }
  const onlyStatusOrScale = request.operation === 'UPDATE' && WORKLOAD_SUBRESOURCES.has(sub);
  if (role === 'workload' && !labelsChanged) {
    const specPreserving =
      request.operation === 'UPDATE' &&
      sub === '' &&
      isDeepStrictEqual(specOf(request.oldObject), specOf(request.object)) &&
      isDeepStrictEqual(labelsOf(request.oldObject), labelsOf(request.object));
    if (onlyStatusOrScale || specPreserving) {
      return {
        allowed: true,
        message: 'Kubernetes workload controller',
        reason: DecisionReason.ControlPlane,
        ...ownerPart,
      };
    }
  }
  if (groups.includes(NODES_GROUP) && request.operation === 'UPDATE' && sub === 'status') {
    return {
      allowed: true,
      message: 'kubelet status update',
      reason: DecisionReason.ControlPlane,
      ...ownerPart,
    };
  }

  if (labelsChanged || (request.operation === 'CREATE' && isProtected)) {
    return denial(request, DecisionReason.LabelChangeDenied, owner, `${verb(request)} the protection labels`);
  }
  return denial(request, DecisionReason.Denied, owner, verb(request));
}

/** `system:serviceaccount:<namespace>:<name>`, the username a ServiceAccount token carries. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
