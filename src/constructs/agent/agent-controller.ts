// The agent-controller (`multinic agent-controller`): MultiNicNodeConfig (+ BizConfig fan-out)
// -> one agent Job per node and generation. Restricted pod; Jobs go to the privileged agent
// namespace. Everything about those Jobs is passed as one JSON env var, `AGENT_JOB_DEFAULTS`,
// that the agent-controller hands to `agentJobManifest` with the node's name and generation.
import { IntOrString, KubeDeployment, KubeService, type PolicyRule } from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { NODE_GROUP } from '../../api/groups.js';
import { appLabels, selectorLabels } from '../common/labels.js';
import { boundedName } from '../common/names.js';
import {
  boundClusterRole,
  boundRole,
  EVENT_RULES,
  LEADER_ELECTION_RULES,
  metadata,
  serviceAccount,
} from '../common/rbac.js';
import {
  NODE_UID,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../common/security.js';
import { checkDnsLabel, checkInt, checkOneOf } from '../common/validate.js';
import {
  DEFAULT_AGENT_NAMESPACE,
  HEALTH_PORT,
  httpProbe,
  podIdentityEnv,
  resolveCommon,
  resolveImage,
  resourcesOf,
  spreadAffinity,
  type CommonProps,
  type ContainerResources,
  type ImageProps,
} from '../common/workload.js';
import { agentJobManifest, type AgentJobDefaults } from './agent-job.js';

/** Env var holding the JSON `AgentJobDefaults` the agent-controller builds every Job from. */
export const AGENT_JOB_DEFAULTS_ENV = 'AGENT_JOB_DEFAULTS';

export const AGENT_MODES = ['job', 'daemonset'] as const;

export interface MultiNicAgentControllerProps extends CommonProps, ImageProps {
  /**
   * Replicas (one leader works).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * CPU/memory of the agent-controller.
   * @default - requests 20m/96Mi, limits 500m/256Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Namespace of the agent Jobs (Pod Security `privileged`).
   * @default 'multinic-agent'
   */
  readonly agentNamespace?: string;
  /**
   * ServiceAccount of the agent Jobs (see MultiNicAgentRbac).
   * @default '<instance>-agent'
   */
  readonly agentServiceAccountName?: string;
  /**
   * Everything else about the agent Jobs (image, TTL, backoff, tolerations, privileged...).
   * @default - AgentJob defaults, with this construct's image
   */
  readonly agentJob?: Omit<
    AgentJobDefaults,
    'instance' | 'namespace' | 'nodeConfigNamespace' | 'serviceAccountName'
  >;
  /**
   * How the agent runs: one Job per node and change (`job`) or a long-running DaemonSet (`daemonset`, env `AGENT_MODE`).
   * @default 'job'
   */
  readonly agentMode?: (typeof AGENT_MODES)[number];
  /**
   * Nodes changed at once (docs/architecture.md#bounded-rollout).
   * @default 1
   */
  readonly maxConcurrentNodes?: number;
  /**
   * Only nodes matching these labels get agents (env `AGENT_NODE_SELECTOR`, JSON).
   * @default - every node
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Name of the ClusterRole (and binding) for reading Nodes; unique per installation.
   * @default 'multinic-<namespace>-<instance>-agent-controller' (at most 63 characters)
   */
  readonly clusterRoleName?: string;
  /**
   * Extra labels on the cluster-scoped objects only.
   * @default - none
   */
  readonly clusterLabels?: Readonly<Record<string, string>>;
}

export class MultiNicAgentController extends Construct {
  public readonly deployment: KubeDeployment;
  public readonly serviceAccountName: string;
  public readonly podSelector: Readonly<Record<string, string>>;
  /** The JSON-serialisable Job defaults passed in `AGENT_JOB_DEFAULTS`. */
  public readonly agentJobDefaults: AgentJobDefaults;

  constructor(scope: Construct, id: string, props: MultiNicAgentControllerProps = {}) {
    super(scope, id);
    const who = 'MultiNicAgentController';
    const common = resolveCommon(who, props);
    const image = resolveImage(who, props);
    const replicas = checkInt(who, 'replicas', props.replicas ?? 1, 1, 10);
    const maxConcurrentNodes = checkInt(who, 'maxConcurrentNodes', props.maxConcurrentNodes ?? 1, 1, 1000);
    const agentMode = checkOneOf(who, 'agentMode', props.agentMode ?? 'job', AGENT_MODES);
    const agentNamespace = checkDnsLabel(
      who,
      'agentNamespace',
      props.agentNamespace ?? DEFAULT_AGENT_NAMESPACE,
    );
    const name = `${common.instance}-agent-controller`;
    const labelOptions = {
      name: 'multinic-agent-controller',
      instance: common.instance,
      component: 'agent-controller',
    } as const;
    const labels = { ...appLabels(labelOptions), ...common.labels };
    this.podSelector = selectorLabels(labelOptions);
    this.serviceAccountName = name;
    const meta = { name, namespace: common.namespace, labels, annotations: common.annotations };
    const subject = { name, namespace: common.namespace };

    this.agentJobDefaults = {
      image: image.image,
      imagePullPolicy: image.imagePullPolicy,
      ...(props.imagePullSecrets ? { imagePullSecrets: [...props.imagePullSecrets] } : {}),
      ...props.agentJob,
      instance: common.instance,
      namespace: agentNamespace,
      nodeConfigNamespace: common.namespace,
      serviceAccountName: props.agentServiceAccountName ?? `${common.instance}-agent`,
    };
    // Fail now, at synth time, on bad Job settings rather than in the agent-controller at runtime.
    agentJobManifest({ ...this.agentJobDefaults, nodeName: 'validation-probe' });

    serviceAccount(this, 'service-account', meta);
    const nodeConfigRules: PolicyRule[] = [
      {
        apiGroups: [NODE_GROUP],
        resources: ['multinicnodeconfigs', 'multinicbizconfigs'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: [NODE_GROUP],
        resources: ['multinicnodeconfigs/status', 'multinicbizconfigs/status'],
        verbs: ['get', 'update', 'patch'],
      },
      {
        apiGroups: [NODE_GROUP],
        resources: ['multinicnodeconfigs/finalizers', 'multinicbizconfigs/finalizers'],
        verbs: ['update'],
      },
      ...LEADER_ELECTION_RULES,
      ...EVENT_RULES,
    ];
    boundRole(this, 'role', meta, nodeConfigRules, subject);
    boundRole(
      this,
      'jobs-role',
      { ...meta, namespace: agentNamespace },
      [
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
        // Termination messages (the agent's JSON result) are read from the Jobs' pods.
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        ...EVENT_RULES,
      ],
      subject,
    );
    boundClusterRole(
      this,
      'cluster-role',
      {
        name: checkDnsLabel(
          who,
          'clusterRoleName',
          props.clusterRoleName ??
            boundedName(['multinic', common.namespace, common.instance, 'agent-controller']),
        ),
        labels: { ...labels, ...props.clusterLabels },
        annotations: common.annotations,
      },
      // Node lookup by name and systemUUID (instance-id check), OS image for the Job's mounts.
      [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
      subject,
    );

    this.deployment = new KubeDeployment(this, 'deployment', {
      metadata: metadata(meta),
      spec: {
        replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...this.podSelector } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            securityContext: restrictedPodSecurityContext(NODE_UID),
            ...(image.imagePullSecrets ? { imagePullSecrets: image.imagePullSecrets } : {}),
            ...(replicas > 1 ? { affinity: spreadAffinity(this.podSelector) } : {}),
            containers: [
              {
                name: 'agent-controller',
                image: image.image,
                imagePullPolicy: image.imagePullPolicy,
                args: ['agent-controller'],
                env: [
                  ...podIdentityEnv(),
                  { name: 'NODE_CR_NAMESPACE', value: common.namespace },
                  { name: 'AGENT_NAMESPACE', value: agentNamespace },
                  { name: 'AGENT_MODE', value: agentMode },
                  { name: 'MAX_CONCURRENT_NODES', value: String(maxConcurrentNodes) },
                  {
                    name: 'AGENT_NODE_SELECTOR',
                    value: JSON.stringify(sortedRecord(props.nodeSelector ?? {})),
                  },
                  {
                    name: AGENT_JOB_DEFAULTS_ENV,
                    value: JSON.stringify(sortedRecord(this.agentJobDefaults)),
                  },
                ],
                ports: [{ name: 'http', containerPort: HEALTH_PORT, protocol: 'TCP' }],
                livenessProbe: httpProbe('/healthz', 15, 20),
                readinessProbe: httpProbe('/readyz', 5, 10),
                resources: resourcesOf(who, props.resources, {
                  requests: { cpu: '20m', memory: '96Mi' },
                  limits: { cpu: '500m', memory: '256Mi' },
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
        selector: { ...this.podSelector },
        ports: [
          { name: 'http', port: HEALTH_PORT, targetPort: IntOrString.fromString('http'), protocol: 'TCP' },
        ],
      },
    });
  }
}

/** Stable JSON: keys sorted at the top level (the env value must not change between renders). */
function sortedRecord<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) as T;
}

/**
 * The `AgentJobDefaults` the agent-controller was deployed with (env `AGENT_JOB_DEFAULTS`),
 * validated by building a probe Job; throws a message naming the variable and the problem.
 */
export function agentJobDefaultsFromEnv(env: Readonly<Record<string, string | undefined>>): AgentJobDefaults {
  const raw = env[AGENT_JOB_DEFAULTS_ENV];
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(
      `${AGENT_JOB_DEFAULTS_ENV} must be a JSON object, got unparsable text (${(error as Error).message})`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${AGENT_JOB_DEFAULTS_ENV} must be a JSON object, got ${JSON.stringify(parsed)}`);
  }
  const defaults = parsed as AgentJobDefaults;
  agentJobManifest({ ...defaults, nodeName: 'validation-probe' });
  return defaults;
}
