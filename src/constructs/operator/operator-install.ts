// The operator's own installation (the `install` chart, applied with kubectl or GitOps):
// namespaces with Pod Security labels, the operator Deployment, its ServiceAccount and
// least-privilege RBAC, the leader-election Role, the metrics/health and webhook Services, the
// protection webhook configuration shell and the operator's NetworkPolicies.
//
// Namespaces: the operator and every MultiNicSystem component run in `restricted` namespaces;
// the agent Jobs need host network, NET_ADMIN and hostPath, which only `privileged` allows, so
// they get a namespace of their own (`multinic-agent`) holding nothing else.
//
// RBAC: derived by `operatorAccess()` from what the operator renders and watches (the same
// derivation starts its informers): Roles in its own, the watched and the agent namespace, and a
// ClusterRole only for cluster-scoped kinds. `watchNamespace: '*'` turns the watched-namespace
// rules into cluster-wide ones (one operator for MultiNicOperators in every namespace).
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
import { appLabels, podSecurityLabels, selectorLabels } from '../common/labels.js';
import { boundRole, metadata, serviceAccount } from '../common/rbac.js';
import {
  NODE_UID,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../common/security.js';
import { checkDnsLabel, checkDnsSubdomain, checkInt } from '../common/validate.js';
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
import { AgentNamespacePolicy, imageRepository } from '../protection/agent-namespace-policy.js';
import { ProtectionWebhook } from '../protection/protection-webhook.js';
import { OPERATOR_SERVICE_ACCOUNT } from '../system/multinic-system.js';
import {
  ALL_NAMESPACES,
  operatorAccess,
  WEBHOOK_CONFIGURATION_NAME,
  webhookConfigurationRules,
} from './operator-access.js';

export { WEBHOOK_CONFIGURATION_NAME } from './operator-access.js';

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
   * Namespace whose MultiNicOperators the operator reconciles (and where it renders their
   * systems); `'*'` for every namespace, which grants the operator the manage verbs on the
   * system's namespaced kinds cluster-wide.
   * @default - `namespace`
   */
  readonly watchNamespace?: string;
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
   * Pin every Pod and Job in the privileged agent namespace to the agent template with a
   * ValidatingAdmissionPolicy (Kubernetes >= 1.30), so that no token able to create Jobs there
   * (the agent-controller's, the operator's) can start anything else as root on a node.
   * @default true
   */
  readonly agentNamespacePolicy?: boolean;
  /**
   * Image repositories the agent may run from (MultiNicOperator `spec.agent.image` must be in one).
   * @default - the repository of the install's own image
   */
  readonly agentImageRepositories?: readonly string[];
  /**
   * Name of the ValidatingWebhookConfiguration whose caBundle the operator patches (the only
   * one it may change).
   * @default 'multinic-protection'
   */
  readonly webhookConfigurationName?: string;
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

export class MultiNicOperatorInstall extends Construct {
  public readonly namespace: string;
  public readonly agentNamespace: string;
  /** Namespace whose MultiNicOperators are reconciled, or `'*'`. */
  public readonly watchNamespace: string;
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
    const watchAll = props.watchNamespace === ALL_NAMESPACES;
    this.watchNamespace = watchAll
      ? ALL_NAMESPACES
      : checkDnsLabel(who, 'watchNamespace', props.watchNamespace ?? this.namespace);
    const access = operatorAccess();
    const webhook = props.webhook ?? true;
    const webhookConfigurationName = checkDnsSubdomain(
      who,
      'webhookConfigurationName',
      props.webhookConfigurationName ?? WEBHOOK_CONFIGURATION_NAME,
    );
    const subject = { name: OPERATOR_SERVICE_ACCOUNT, namespace: this.namespace };
    const sameNamespace = this.watchNamespace === this.namespace;
    boundRole(
      this,
      'role',
      meta,
      sameNamespace ? mergeRules(access.own, access.watched) : access.own,
      subject,
    );
    if (!watchAll && !sameNamespace)
      boundRole(this, 'watched-role', { ...meta, namespace: this.watchNamespace }, access.watched, subject);
    if (!watchAll)
      boundRole(this, 'agent-role', { ...meta, namespace: this.agentNamespace }, access.agent, subject);
    new KubeClusterRole(this, 'cluster-role', {
      metadata: metadata({ name: OPERATOR_NAME, labels, annotations: {} }),
      rules: mergeRules(
        watchAll ? mergeRules(access.cluster, access.watched, access.agent) : access.cluster,
        webhook ? webhookConfigurationRules(webhookConfigurationName) : [],
      ),
    });
    new KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: metadata({ name: OPERATOR_NAME, labels, annotations: {} }),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
      subjects: [{ kind: 'ServiceAccount', name: OPERATOR_SERVICE_ACCOUNT, namespace: this.namespace }],
    });

    if (props.agentNamespacePolicy ?? true) {
      new AgentNamespacePolicy(this, 'agent-namespace-policy', {
        agentNamespace: this.agentNamespace,
        imageRepositories: props.agentImageRepositories ?? [imageRepository(image.image)],
        labels,
      });
    }

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
                  { name: 'WATCH_NAMESPACE', value: this.watchNamespace },
                  { name: 'WEBHOOK_SERVICE', value: webhook ? WEBHOOK_SERVICE_NAME : '' },
                  { name: 'WEBHOOK_CONFIGURATION', value: webhook ? webhookConfigurationName : '' },
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
        name: webhookConfigurationName,
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

/** Concatenates rule lists, dropping exact duplicates (same groups, resources, names and verbs). */
function mergeRules(...lists: ReadonlyArray<readonly PolicyRule[]>): PolicyRule[] {
  const seen = new Set<string>();
  return lists.flat().filter((rule) => {
    const key = JSON.stringify(rule);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
