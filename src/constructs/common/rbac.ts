// RBAC helpers: a ServiceAccount plus Roles/ClusterRoles bound to it, built from plain rules.
import {
  KubeClusterRole,
  KubeClusterRoleBinding,
  KubeRole,
  KubeRoleBinding,
  KubeServiceAccount,
  type PolicyRule,
} from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';

export interface ObjectMetaInput {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export function metadata(meta: ObjectMetaInput): {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
} {
  return {
    name: meta.name,
    ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
    labels: { ...meta.labels },
    ...(Object.keys(meta.annotations).length === 0 ? {} : { annotations: { ...meta.annotations } }),
  };
}

export function serviceAccount(
  scope: Construct,
  id: string,
  meta: ObjectMetaInput,
  automount = true,
): KubeServiceAccount {
  return new KubeServiceAccount(scope, id, {
    metadata: metadata(meta),
    automountServiceAccountToken: automount,
  });
}

/** A namespaced Role with `rules`, bound to the ServiceAccount `subject`. */
export function boundRole(
  scope: Construct,
  id: string,
  meta: ObjectMetaInput & { namespace: string },
  rules: PolicyRule[],
  subject: { name: string; namespace: string },
): KubeRole {
  const role = new KubeRole(scope, id, { metadata: metadata(meta), rules });
  new KubeRoleBinding(scope, `${id}-binding`, {
    metadata: metadata(meta),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: meta.name },
    subjects: [{ kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace }],
  });
  return role;
}

/** A ClusterRole with `rules`, bound cluster-wide to the ServiceAccount `subject`. */
export function boundClusterRole(
  scope: Construct,
  id: string,
  meta: ObjectMetaInput,
  rules: PolicyRule[],
  subject: { name: string; namespace: string },
): KubeClusterRole {
  const role = new KubeClusterRole(scope, id, { metadata: metadata(meta), rules });
  new KubeClusterRoleBinding(scope, `${id}-binding`, {
    metadata: metadata(meta),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: meta.name },
    subjects: [{ kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace }],
  });
  return role;
}

export const LEADER_ELECTION_RULES: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

export const EVENT_RULES: PolicyRule[] = [
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];
