/**
 * Runs a role in a test with the identity the product gives it, never as admin:
 *
 *   const clients = await clientsAsSystemRole('controller', { namespace, agentNamespace? })
 *
 * renders the MultiNicSystem exactly as the operator would for a MultiNicOperator in `namespace`,
 * applies (as admin) only the ServiceAccount of `role` and the Roles/ClusterRoles bound to it,
 * and returns clients holding a token of that ServiceAccount. Cluster-scoped objects (shared by
 * parallel test files) get the namespace as suffix, which changes names only, never rules.
 */
import { KubeHttp } from '../../src/kube/http.js';
import { applyObject } from '../../src/kube/apply.js';
import type { KubeObject } from '../../src/kube/types.js';
import { MULTINIC_OPERATOR } from '../../src/api/groups.js';
import { parseMultiNicOperator } from '../../src/api/multinic-operator.js';
import { renderSystem } from '../../src/operator/render.js';
import { adminClients, clientsAsServiceAccount, type Clients } from './kube.js';

export type SystemRole = 'controller' | 'agent-controller' | 'agent';

const SERVICE_ACCOUNT: Record<SystemRole, string> = {
  controller: 'multinic-controller',
  'agent-controller': 'multinic-agent-controller',
  agent: 'multinic-agent',
};

export interface SystemRoleOptions {
  /** Namespace of the MultiNicOperator (the controller's and agent-controller's home). */
  namespace: string;
  /** @default 'multinic-agent' */
  agentNamespace?: string;
  /** @default 'multinic' */
  instance?: string;
}

interface Binding extends KubeObject {
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  roleRef: { kind: string; name: string };
}

/** The RBAC objects the system renders for `role`: its ServiceAccount, bindings and their roles. */
export function systemRoleRbac(role: SystemRole, options: SystemRoleOptions): KubeObject[] {
  const agentNamespace = options.agentNamespace ?? 'multinic-agent';
  const cr = parseMultiNicOperator({
    apiVersion: MULTINIC_OPERATOR.apiVersion,
    kind: MULTINIC_OPERATOR.kind,
    metadata: { name: options.instance ?? 'multinic', namespace: options.namespace, uid: 'test' },
    spec: {},
  });
  const manifests = renderSystem(cr, { agentNamespace }).manifests as unknown as KubeObject[];
  const account = SERVICE_ACCOUNT[role];
  const accountNamespace = role === 'agent' ? agentNamespace : options.namespace;
  const bindings = manifests.filter(
    (m): m is Binding =>
      (m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding') &&
      ((m as Binding).subjects ?? []).some(
        (s) => s.kind === 'ServiceAccount' && s.name === account && s.namespace === accountNamespace,
      ),
  );
  const roles = manifests.filter((m) =>
    bindings.some(
      (b) =>
        b.roleRef.kind === m.kind &&
        b.roleRef.name === m.metadata.name &&
        (m.kind === 'ClusterRole' || m.metadata.namespace === b.metadata.namespace),
    ),
  );
  const serviceAccount = manifests.filter(
    (m) =>
      m.kind === 'ServiceAccount' && m.metadata.name === account && m.metadata.namespace === accountNamespace,
  );
  if (serviceAccount.length !== 1)
    throw new Error(`the system renders no ServiceAccount ${accountNamespace}/${account}`);
  return [...serviceAccount, ...roles, ...bindings];
}

export async function clientsAsSystemRole(role: SystemRole, options: SystemRoleOptions): Promise<Clients> {
  const admin = new KubeHttp(adminClients().kc);
  const suffix = (name: string): string => `${name}-${options.namespace}`.slice(0, 253);
  for (const manifest of systemRoleRbac(role, options)) {
    const obj = structuredClone(manifest) as Binding;
    obj.metadata.labels = { ...obj.metadata.labels, 'multinic.test/namespace': options.namespace };
    if (obj.metadata.namespace === undefined) obj.metadata.name = suffix(obj.metadata.name ?? '');
    if (obj.kind === 'ClusterRoleBinding') obj.roleRef.name = suffix(obj.roleRef.name);
    await applyObject(admin, obj, { fieldManager: 'multinic-test-rbac' });
  }
  const accountNamespace =
    role === 'agent' ? (options.agentNamespace ?? 'multinic-agent') : options.namespace;
  return clientsAsServiceAccount(accountNamespace, SERVICE_ACCOUNT[role], { expirationSeconds: 3600 });
}
