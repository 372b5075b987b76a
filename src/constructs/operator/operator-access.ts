// What the operator may touch, derived from what it renders — the single source of both its RBAC
// (the install's Roles and ClusterRole) and the informers it starts, so the two cannot drift.
//
// The operator applies the MultiNicSystem and must hold every permission it grants: Kubernetes
// forbids granting more than you hold (`escalate`/`bind` would allow anything, so we take
// neither). We render a MultiNicSystem with every feature on into two probe namespaces (the
// MultiNicOperator's and the agents') and collect, per scope:
//   - the manage verbs on each kind rendered there,
//   - the union of the rules of the Roles/ClusterRoles rendered there,
// then add what the operator calls itself. Namespaced kinds are granted by Roles in the watched
// namespace and the agent namespace only; cluster-scoped ones (ClusterRoles/Bindings for node
// reads, admission policies) by a ClusterRole. Secrets are read by name, never listed.
import type { PolicyRule } from 'cdk8s-plus-28/lib/imports/k8s.js';

import { MULTINIC_OPERATOR, OPERATOR_GROUP } from '../../api/groups.js';
import { manifestsOf } from '../common/manifests.js';
import { EVENT_RULES, LEADER_ELECTION_RULES } from '../common/rbac.js';
import { MultiNicSystem } from '../system/multinic-system.js';

/** A kind the MultiNicSystem may render: its API coordinates and whether it lives in a namespace. */
export interface ManagedKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly group: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

const kind = (apiVersion: string, kindName: string, resource: string, namespaced = true): ManagedKind => ({
  apiVersion,
  kind: kindName,
  group: apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '',
  resource,
  namespaced,
});

/** Every kind MultiNicSystem can render (a test fails when it renders one missing here). */
export const SYSTEM_KINDS: readonly ManagedKind[] = [
  kind('v1', 'ConfigMap', 'configmaps'),
  kind('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  kind('v1', 'Secret', 'secrets'),
  kind('v1', 'Service', 'services'),
  kind('v1', 'ServiceAccount', 'serviceaccounts'),
  kind('apps/v1', 'Deployment', 'deployments'),
  kind('apps/v1', 'StatefulSet', 'statefulsets'),
  kind('apps/v1', 'DaemonSet', 'daemonsets'),
  kind('batch/v1', 'CronJob', 'cronjobs'),
  kind('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  kind('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'),
  kind('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  kind('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
  kind('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  kind('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  kind('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies', false),
  kind(
    'admissionregistration.k8s.io/v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
    false,
  ),
];

/** The backup CronJob's runs: read for `databaseStatus.lastBackup`. */
export const BACKUP_JOB_KIND: ManagedKind = kind('batch/v1', 'Job', 'jobs');

/** `watchNamespace` value for MultiNicOperators in every namespace. */
export const ALL_NAMESPACES = '*';

/** Where a kind is watched: the MultiNicOperators' namespace, the agent namespace, cluster-wide. */
export type AccessScope = 'watched' | 'agent' | 'cluster';

export interface WatchedKind extends ManagedKind {
  /** Namespaces it is rendered into (namespaced kinds), empty for cluster-scoped ones. */
  readonly scopes: readonly AccessScope[];
}

export interface OperatorAccess {
  /** Rules in the namespace whose MultiNicOperators are reconciled (where each system is rendered). */
  readonly watched: PolicyRule[];
  /** Rules in the operator's own namespace (Lease, Events, webhook TLS Secret). */
  readonly own: PolicyRule[];
  /** Rules in the agent namespace. */
  readonly agent: PolicyRule[];
  /** Cluster-wide rules (plus `webhookConfigurationRules` when the install has the webhook). */
  readonly cluster: PolicyRule[];
  /** Kinds the operator keeps informers on (managed inventory; never Secrets). */
  readonly informers: readonly WatchedKind[];
}

const MANAGE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
/** Secrets are never listed or watched: a namespace's Secrets are not ours to read in bulk. */
const SECRET_VERBS = ['get', 'create', 'update', 'patch', 'delete'];
const PROBE_NAMESPACE = 'probe-watched';
const PROBE_AGENT_NAMESPACE = 'probe-agent';

export const WEBHOOK_CONFIGURATION_NAME = 'multinic-protection';

/** The caBundle of the protection webhook configuration `name`, patched at runtime (found by listing). */
export function webhookConfigurationRules(name: string = WEBHOOK_CONFIGURATION_NAME): PolicyRule[] {
  return [
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      verbs: ['list', 'watch'],
    },
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      resourceNames: [name],
      verbs: ['get', 'patch', 'update'],
    },
  ];
}

class RuleSet {
  private readonly verbs = new Map<string, Set<string>>();

  add(group: string, resource: string, verbs: readonly string[]): void {
    const key = `${group}\u0000${resource}`;
    const set = this.verbs.get(key) ?? new Set<string>();
    verbs.forEach((verb) => set.add(verb));
    this.verbs.set(key, set);
  }

  addRules(rules: readonly PolicyRule[]): void {
    for (const rule of rules)
      for (const group of rule.apiGroups ?? [''])
        for (const res of rule.resources ?? []) this.add(group, res, rule.verbs);
  }

  /** One rule per (group, verb set), resources sorted: short and deterministic. */
  rules(): PolicyRule[] {
    const grouped = new Map<string, { group: string; verbs: string[]; resources: string[] }>();
    for (const [key, set] of [...this.verbs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const [group = '', resource = ''] = key.split('\u0000');
      const verbs = [...set].sort();
      const groupKey = `${group}\u0000${verbs.join(',')}`;
      const entry = grouped.get(groupKey) ?? { group, verbs, resources: [] };
      entry.resources.push(resource);
      grouped.set(groupKey, entry);
    }
    return [...grouped.values()].map((e) => ({
      apiGroups: [e.group],
      resources: e.resources,
      verbs: e.verbs,
    }));
  }
}

let cached: OperatorAccess | undefined;

/** The operator's access (see file header). Pure and deterministic; computed once per process. */
export function operatorAccess(): OperatorAccess {
  cached ??= deriveOperatorAccess();
  return cached;
}

function deriveOperatorAccess(): OperatorAccess {
  const manifests = manifestsOf((scope) => {
    new MultiNicSystem(scope, 'internal', {
      name: 'rbac-probe',
      namespace: PROBE_NAMESPACE,
      agentNamespace: PROBE_AGENT_NAMESPACE,
      // As the operator renders it: credentials are a Secret it creates once, never rendered.
      database: { mode: 'internal' },
      backup: {},
      protection: { mode: 'both' },
    });
    new MultiNicSystem(scope, 'external', {
      name: 'rbac-probe-ext',
      namespace: PROBE_NAMESPACE,
      agentNamespace: PROBE_AGENT_NAMESPACE,
      database: { mode: 'external', host: 'db.example.com', secretName: 'db', userKey: 'username' },
    });
  });
  const sets: Record<AccessScope, RuleSet> = {
    watched: new RuleSet(),
    agent: new RuleSet(),
    cluster: new RuleSet(),
  };
  const scopesOf = new Map<string, Set<AccessScope>>();
  const scopeOf = (namespace: string | undefined): AccessScope => {
    if (namespace === undefined) return 'cluster';
    if (namespace === PROBE_NAMESPACE) return 'watched';
    if (namespace === PROBE_AGENT_NAMESPACE) return 'agent';
    throw new Error(`operatorAccess: MultiNicSystem rendered into an unexpected namespace '${namespace}'`);
  };
  for (const manifest of manifests) {
    const managed = SYSTEM_KINDS.find(
      (k) => k.kind === manifest.kind && k.apiVersion === manifest.apiVersion,
    );
    if (managed === undefined)
      throw new Error(
        `operatorAccess: no entry for ${manifest.apiVersion} ${manifest.kind}; add it to SYSTEM_KINDS`,
      );
    const scope = scopeOf(manifest.metadata.namespace);
    sets[scope].add(managed.group, managed.resource, managed.kind === 'Secret' ? SECRET_VERBS : MANAGE_VERBS);
    const kindScopes = scopesOf.get(managed.kind) ?? new Set<AccessScope>();
    kindScopes.add(scope);
    scopesOf.set(managed.kind, kindScopes);
    // A Role grants in its own namespace; a ClusterRole (bound cluster-wide) everywhere.
    if (manifest.kind === 'Role' || manifest.kind === 'ClusterRole')
      sets[scope].addRules((manifest['rules'] as PolicyRule[] | undefined) ?? []);
  }
  // The operator's own calls in the watched namespace: its CRs, status, finalizers, Events, the
  // generated database Secret (read by name, created once), the backup runs.
  sets.watched.add(OPERATOR_GROUP, MULTINIC_OPERATOR.plural, ['get', 'list', 'watch', 'update', 'patch']);
  sets.watched.add(OPERATOR_GROUP, `${MULTINIC_OPERATOR.plural}/status`, ['get', 'update', 'patch']);
  sets.watched.add(OPERATOR_GROUP, `${MULTINIC_OPERATOR.plural}/finalizers`, ['update']);
  sets.watched.add('', 'secrets', ['get', 'create']);
  sets.watched.add(BACKUP_JOB_KIND.group, BACKUP_JOB_KIND.resource, ['get', 'list', 'watch']);
  sets.watched.addRules(EVENT_RULES);

  const own = new RuleSet();
  own.addRules(LEADER_ELECTION_RULES);
  own.addRules(EVENT_RULES);
  own.add('', 'secrets', ['get', 'create', 'update', 'patch']); // the webhook's serving certificate

  const informers: WatchedKind[] = [];
  for (const managed of SYSTEM_KINDS) {
    const scopes = scopesOf.get(managed.kind);
    if (scopes === undefined || managed.kind === 'Secret') continue;
    informers.push({ ...managed, scopes: managed.namespaced ? [...scopes].sort() : [] });
  }
  return {
    watched: sets.watched.rules(),
    own: own.rules(),
    agent: sets.agent.rules(),
    cluster: [
      ...sets.cluster.rules(),
      // The API server's metrics: ValidatingAdmissionPolicy denials (policy mode) are counted from them.
      { nonResourceUrLs: ['/metrics'], verbs: ['get'] },
    ],
    informers,
  };
}
