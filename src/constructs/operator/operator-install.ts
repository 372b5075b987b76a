// The operator's own installation (the `install` chart, applied with kubectl or GitOps):
// namespaces with Pod Security labels, the operator Deployment, its ServiceAccount and
// least-privilege RBAC, the leader-election Role, the metrics/health and webhook Services, the
// protection webhook configuration shell and the operator's NetworkPolicies.
//
// Namespaces: the operator and every MultiNicSystem component run in `restricted` namespaces;
// the agent Jobs need host network, NET_ADMIN and hostPath, which only `privileged` allows, so
// they get a namespace of their own (`multinic-agent`) holding nothing else.
//
// RBAC: the operator applies the MultiNicSystem and must hold every permission it grants
// (Kubernetes forbids granting more than you have, and `escalate`/`bind` would allow anything).
// So the ClusterRole is derived from a MultiNicSystem rendered with every feature on: manage
// verbs on each kind it renders, plus the union of the rules of the Roles/ClusterRoles in it.
import {
  IntOrString,
  KubeClusterRole,
  KubeClusterRoleBinding,
  KubeDeployment,
  KubeNamespace,
  KubeNetworkPolicy,
  KubeService,
  type PolicyRule,
} from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { MULTINIC_OPERATOR, OPERATOR_GROUP } from '../../api/groups.js';
import { appLabels, podSecurityLabels, selectorLabels } from '../common/labels.js';
import { manifestsOf, type KubeManifest } from '../common/manifests.js';
import { boundRole, EVENT_RULES, LEADER_ELECTION_RULES, metadata, serviceAccount } from '../common/rbac.js';
import {
  NODE_UID,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../common/security.js';
import { checkDnsLabel, checkInt } from '../common/validate.js';
import {
  DEFAULT_AGENT_NAMESPACE,
  DEFAULT_NAMESPACE,
  HEALTH_PORT,
  httpProbe,
  podIdentityEnv,
  resolveImage,
  resourcesOf,
  WEBHOOK_PORT,
  type ContainerResources,
  type ImageProps,
} from '../common/workload.js';
import { ProtectionWebhook } from '../protection/protection-webhook.js';
import { MultiNicSystem, OPERATOR_SERVICE_ACCOUNT } from '../system/multinic-system.js';

export interface MultiNicOperatorInstallProps extends ImageProps {
  /**
   * Namespace of the operator (and, by convention, of MultiNicOperator resources).
   * @default 'multinic-system'
   */
  readonly namespace?: string;
  /**
   * Namespace of the agent Jobs (Pod Security `privileged`).
   * @default 'multinic-agent'
   */
  readonly agentNamespace?: string;
  /**
   * Create the namespaces (with their Pod Security labels).
   * @default true
   */
  readonly createNamespaces?: boolean;
  /**
   * Operator replicas (leader election: one is active, the others stand by).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * CPU/memory of the operator.
   * @default - requests 50m/128Mi, limits 1/512Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Render the webhook Service and the ValidatingWebhookConfiguration shell.
   * @default true
   */
  readonly webhook?: boolean;
  /**
   * Render the operator's NetworkPolicies.
   * @default true
   */
  readonly networkPolicies?: boolean;
  /**
   * Extra labels on every object.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

export const OPERATOR_NAME = 'multinic-operator';
export const WEBHOOK_SERVICE_NAME = 'multinic-operator-webhook';
export const WEBHOOK_CONFIGURATION_NAME = 'multinic-protection';

const MANAGE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** API group and resource (plural) of every kind MultiNicSystem renders. */
const RESOURCES: Readonly<Record<string, { group: string; resource: string }>> = {
  ConfigMap: { group: '', resource: 'configmaps' },
  CronJob: { group: 'batch', resource: 'cronjobs' },
  Deployment: { group: 'apps', resource: 'deployments' },
  NetworkPolicy: { group: 'networking.k8s.io', resource: 'networkpolicies' },
  PersistentVolumeClaim: { group: '', resource: 'persistentvolumeclaims' },
  PodDisruptionBudget: { group: 'policy', resource: 'poddisruptionbudgets' },
  Role: { group: 'rbac.authorization.k8s.io', resource: 'roles' },
  RoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
  ClusterRole: { group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
  Secret: { group: '', resource: 'secrets' },
  Service: { group: '', resource: 'services' },
  ServiceAccount: { group: '', resource: 'serviceaccounts' },
  StatefulSet: { group: 'apps', resource: 'statefulsets' },
  ValidatingAdmissionPolicy: {
    group: 'admissionregistration.k8s.io',
    resource: 'validatingadmissionpolicies',
  },
  ValidatingAdmissionPolicyBinding: {
    group: 'admissionregistration.k8s.io',
    resource: 'validatingadmissionpolicybindings',
  },
};

/**
 * The operator's cluster-wide rules: derived from a MultiNicSystem with every feature on
 * (see file header), plus what the operator itself calls.
 */
export function operatorRules(): PolicyRule[] {
  const manifests: KubeManifest[] = manifestsOf((scope) => {
    new MultiNicSystem(scope, 'internal', {
      name: 'rbac-probe',
      database: { mode: 'internal', credentials: { rootPassword: 'x', password: 'x' } },
      backup: {},
      protection: { mode: 'both' },
    });
    new MultiNicSystem(scope, 'external', {
      name: 'rbac-probe-ext',
      database: { mode: 'external', host: 'db.example.com', secretName: 'db', userKey: 'username' },
    });
  });
  const verbs = new Map<string, Set<string>>();
  const add = (group: string, resource: string, list: readonly string[]) => {
    const key = `${group}\u0000${resource}`;
    const set = verbs.get(key) ?? new Set<string>();
    list.forEach((verb) => set.add(verb));
    verbs.set(key, set);
  };
  for (const manifest of manifests) {
    const resource = RESOURCES[manifest.kind];
    if (resource === undefined)
      throw new Error(`operatorRules: no RBAC mapping for kind ${manifest.kind}; add it to RESOURCES`);
    add(resource.group, resource.resource, MANAGE_VERBS);
    if (manifest.kind === 'Role' || manifest.kind === 'ClusterRole') {
      for (const rule of (manifest.rules as PolicyRule[] | undefined) ?? []) {
        for (const group of rule.apiGroups ?? [''])
          for (const res of rule.resources ?? []) add(group, res, rule.verbs);
      }
    }
  }
  // The operator's own calls: its CRs, status and finalizers; the database Secret it generates
  // and the webhook TLS Secret; Events; the caBundle patch of the webhook configuration.
  add(OPERATOR_GROUP, MULTINIC_OPERATOR.plural, ['get', 'list', 'watch', 'update', 'patch']);
  add(OPERATOR_GROUP, `${MULTINIC_OPERATOR.plural}/status`, ['get', 'update', 'patch']);
  add(OPERATOR_GROUP, `${MULTINIC_OPERATOR.plural}/finalizers`, ['update']);
  add('', 'secrets', MANAGE_VERBS);
  for (const rule of EVENT_RULES) for (const group of rule.apiGroups ?? []) add(group, 'events', rule.verbs);

  // One rule per (group, verb set), resources sorted: short and deterministic.
  const grouped = new Map<string, { group: string; verbs: string[]; resources: string[] }>();
  for (const [key, set] of [...verbs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [group = '', resource = ''] = key.split('\u0000');
    const verbList = [...set].sort();
    const groupKey = `${group}\u0000${verbList.join(',')}`;
    const entry = grouped.get(groupKey) ?? { group, verbs: verbList, resources: [] };
    entry.resources.push(resource);
    grouped.set(groupKey, entry);
  }
  return [
    ...[...grouped.values()].map((entry) => ({
      apiGroups: [entry.group],
      resources: entry.resources,
      verbs: entry.verbs,
    })),
    // The caBundle of the protection webhook configuration, patched at runtime (found by listing).
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      verbs: ['list', 'watch'],
    },
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      resourceNames: [WEBHOOK_CONFIGURATION_NAME],
      verbs: ['get', 'patch', 'update'],
    },
    // The API server's metrics: ValidatingAdmissionPolicy denials (policy mode) are counted from them.
    { nonResourceUrLs: ['/metrics'], verbs: ['get'] },
  ];
}

export class MultiNicOperatorInstall extends Construct {
  public readonly namespace: string;
  public readonly agentNamespace: string;
  public readonly deployment: KubeDeployment;
  public readonly serviceAccountName = OPERATOR_SERVICE_ACCOUNT;

  constructor(scope: Construct, id: string, props: MultiNicOperatorInstallProps = {}) {
    super(scope, id);
    const who = 'MultiNicOperatorInstall';
    this.namespace = checkDnsLabel(who, 'namespace', props.namespace ?? DEFAULT_NAMESPACE);
    this.agentNamespace = checkDnsLabel(
      who,
      'agentNamespace',
      props.agentNamespace ?? DEFAULT_AGENT_NAMESPACE,
    );
    const replicas = checkInt(who, 'replicas', props.replicas ?? 1, 1, 5);
    const image = resolveImage(who, props);
    const labelOptions = {
      name: OPERATOR_NAME,
      instance: OPERATOR_NAME,
      component: 'operator',
      managedBy: 'multinic-install',
    } as const;
    const labels = { ...appLabels(labelOptions), ...props.labels };
    const podSelector = selectorLabels(labelOptions);
    const meta = { name: OPERATOR_NAME, namespace: this.namespace, labels, annotations: {} };

    if (props.createNamespaces ?? true) {
      new KubeNamespace(this, 'namespace', {
        metadata: { name: this.namespace, labels: { ...labels, ...podSecurityLabels('restricted') } },
      });
      new KubeNamespace(this, 'agent-namespace', {
        metadata: { name: this.agentNamespace, labels: { ...labels, ...podSecurityLabels('privileged') } },
      });
    }

    serviceAccount(this, 'service-account', { ...meta, name: OPERATOR_SERVICE_ACCOUNT });
    new KubeClusterRole(this, 'cluster-role', {
      metadata: metadata({ name: OPERATOR_NAME, labels, annotations: {} }),
      rules: operatorRules(),
    });
    new KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: metadata({ name: OPERATOR_NAME, labels, annotations: {} }),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
      subjects: [{ kind: 'ServiceAccount', name: OPERATOR_SERVICE_ACCOUNT, namespace: this.namespace }],
    });
    boundRole(
      this,
      'leader-election',
      { ...meta, name: `${OPERATOR_NAME}-leader-election` },
      [...LEADER_ELECTION_RULES, ...EVENT_RULES],
      {
        name: OPERATOR_SERVICE_ACCOUNT,
        namespace: this.namespace,
      },
    );

    const webhook = props.webhook ?? true;
    this.deployment = new KubeDeployment(this, 'deployment', {
      metadata: metadata(meta),
      spec: {
        replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...podSelector } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: OPERATOR_SERVICE_ACCOUNT,
            securityContext: restrictedPodSecurityContext(NODE_UID),
            terminationGracePeriodSeconds: 10,
            ...(image.imagePullSecrets ? { imagePullSecrets: image.imagePullSecrets } : {}),
            containers: [
              {
                name: 'operator',
                image: image.image,
                imagePullPolicy: image.imagePullPolicy,
                args: ['operator'],
                env: [
                  ...podIdentityEnv(),
                  // Default image of the systems it installs: the operator's own (one image, all roles).
                  { name: 'MULTINIC_IMAGE', value: image.image },
                  { name: 'AGENT_NAMESPACE', value: this.agentNamespace },
                  { name: 'WEBHOOK_SERVICE', value: webhook ? WEBHOOK_SERVICE_NAME : '' },
                  { name: 'WEBHOOK_CONFIGURATION', value: webhook ? WEBHOOK_CONFIGURATION_NAME : '' },
                ],
                ports: [
                  { name: 'http', containerPort: HEALTH_PORT, protocol: 'TCP' },
                  { name: 'webhook', containerPort: WEBHOOK_PORT, protocol: 'TCP' },
                ],
                livenessProbe: httpProbe('/healthz', 15, 20),
                readinessProbe: httpProbe('/readyz', 5, 10),
                resources: resourcesOf(who, props.resources, {
                  requests: { cpu: '50m', memory: '128Mi' },
                  limits: { cpu: '1', memory: '512Mi' },
                }),
                securityContext: restrictedContainerSecurityContext(),
                terminationMessagePolicy: 'FallbackToLogsOnError',
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: {} }],
          },
        },
      },
    });

    new KubeService(this, 'service', {
      metadata: metadata(meta),
      spec: {
        selector: { ...podSelector },
        ports: [
          { name: 'http', port: HEALTH_PORT, targetPort: IntOrString.fromString('http'), protocol: 'TCP' },
        ],
      },
    });

    if (webhook) {
      new KubeService(this, 'webhook-service', {
        metadata: metadata({ ...meta, name: WEBHOOK_SERVICE_NAME }),
        spec: {
          selector: { ...podSelector },
          ports: [
            { name: 'webhook', port: 443, targetPort: IntOrString.fromString('webhook'), protocol: 'TCP' },
          ],
        },
      });
      new ProtectionWebhook(this, 'webhook', {
        name: WEBHOOK_CONFIGURATION_NAME,
        service: { name: WEBHOOK_SERVICE_NAME, namespace: this.namespace, port: 443 },
        labels,
      });
    }

    if (props.networkPolicies ?? true) {
      const tcp = (port: number) => ({ protocol: 'TCP', port: IntOrString.fromNumber(port) });
      new KubeNetworkPolicy(this, 'network-policy', {
        metadata: metadata(meta),
        spec: {
          podSelector: { matchLabels: { ...podSelector } },
          policyTypes: ['Ingress', 'Egress'],
          // The API server calls the webhook from wherever it runs (often the host network): any source.
          ingress: [{ ports: [tcp(HEALTH_PORT), tcp(WEBHOOK_PORT)] }],
          egress: [
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
                },
              ],
              ports: [{ protocol: 'UDP', port: IntOrString.fromNumber(53) }, tcp(53)],
            },
            { ports: [tcp(443), tcp(6443)] },
          ],
        },
      });
    }
  }
}
