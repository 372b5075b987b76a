// The controller (`multinic controller`): reconciles OpenstackConfig -> MariaDB -> node configs.
// Runs restricted, with its own ServiceAccount (the earlier operator shared its own) and a
// namespaced Role holding exactly what it calls (docs/architecture.md#least-privilege).
import {
  IntOrString,
  KubeDeployment,
  KubeService,
  type EnvVar,
  type PolicyRule,
  type Volume,
  type VolumeMount,
} from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { NODE_GROUP, OPERATOR_GROUP } from '../../api/groups.js';
import { appLabels, selectorLabels } from '../common/labels.js';
import { boundRole, EVENT_RULES, LEADER_ELECTION_RULES, metadata, serviceAccount } from '../common/rbac.js';
import {
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  NODE_UID,
} from '../common/security.js';
import { checkDnsLabel, checkDnsSubdomain, checkInt, fail } from '../common/validate.js';
import {
  checkConnection,
  databaseEnv,
  databaseMount,
  databaseVolume,
  type DatabaseConnection,
} from '../database/connection.js';
import {
  HEALTH_PORT,
  httpProbe,
  INVENTORY_PORT,
  podIdentityEnv,
  spreadAffinity,
  resolveCommon,
  resolveImage,
  resourcesOf,
  type CommonProps,
  type ContainerResources,
  type ImageProps,
} from '../common/workload.js';

export type { DatabaseConnection };

export interface MultiNicControllerProps extends CommonProps, ImageProps {
  /**
   * Number of replicas (one leader works, the others stand by).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * CPU/memory requests and limits.
   * @default - requests 50m/128Mi, limits 500m/256Mi
   */
  readonly resources?: ContainerResources;
  /**
   * The MariaDB the controller writes to.
   * @default - none: the controller runs without a database (node configs only)
   */
  readonly database?: DatabaseConnection;
  /**
   * Name of the MultiNicOperator whose `reconcileTrigger` the controller follows (env `MULTINIC_OPERATOR_NAME`).
   * @default - the `instance`
   */
  readonly operatorName?: string;
  /**
   * Namespace where the controller writes MultiNicNodeConfigs in single-cluster mode (env `NODE_CR_NAMESPACE`).
   * @default - the controller's namespace
   */
  readonly nodeConfigNamespace?: string;
  /**
   * Extra environment variables (literal values only; secrets belong in Secrets).
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Hosts (`host`, `host:port`, `*.domain`) the controller may send OpenStack credentials or
   * tokens to besides the Keystone catalog (env `ALLOWED_ENDPOINT_HOSTS`).
   * @default - none: only catalog hosts
   */
  readonly allowedEndpoints?: readonly string[];
  /**
   * Accept exec plugins in workload-cluster kubeconfig Secrets (env `INSECURE_KUBECONFIG_EXEC`).
   * @default false
   */
  readonly insecureKubeconfigExec?: boolean;
}

/** Requests and limits when `resources` is not given. */
export const CONTROLLER_DEFAULT_RESOURCES = {
  requests: { cpu: '50m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
} as const satisfies Required<ContainerResources>;

export class MultiNicController extends Construct {
  public readonly deployment: KubeDeployment;
  public readonly service: KubeService;
  /** Name of the controller's ServiceAccount (NetworkPolicies and protection select on it). */
  public readonly serviceAccountName: string;
  /** Labels selecting the controller's pods. */
  public readonly podSelector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: MultiNicControllerProps = {}) {
    super(scope, id);
    const who = 'MultiNicController';
    const common = resolveCommon(who, props);
    const image = resolveImage(who, props);
    const replicas = checkInt(who, 'replicas', props.replicas ?? 1, 1, 10);
    const name = `${common.instance}-controller`;
    const nodeConfigNamespace = checkDnsLabel(
      who,
      'nodeConfigNamespace',
      props.nodeConfigNamespace ?? common.namespace,
    );
    const operatorName = checkDnsSubdomain(who, 'operatorName', props.operatorName ?? common.instance);
    const labelOptions = {
      name: 'multinic-controller',
      component: 'controller',
      instance: common.instance,
    } as const;
    const labels = { ...appLabels(labelOptions), ...common.labels };
    this.podSelector = selectorLabels(labelOptions);
    const meta = { name, namespace: common.namespace, labels, annotations: common.annotations };

    this.serviceAccountName = name;
    serviceAccount(this, 'service-account', meta);
    const rules: PolicyRule[] = [
      {
        apiGroups: [OPERATOR_GROUP],
        resources: ['openstackconfigs'],
        verbs: ['get', 'list', 'watch', 'update', 'patch'],
      },
      {
        apiGroups: [OPERATOR_GROUP],
        resources: ['openstackconfigs/status'],
        verbs: ['get', 'update', 'patch'],
      },
      { apiGroups: [OPERATOR_GROUP], resources: ['openstackconfigs/finalizers'], verbs: ['update'] },
      { apiGroups: [OPERATOR_GROUP], resources: ['multinicoperators'], verbs: ['get', 'list', 'watch'] },
      // Credentials (credentials.secretRef, kubeconfig Secrets) are read by name when needed.
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      ...LEADER_ELECTION_RULES,
      ...EVENT_RULES,
    ];
    const nodeConfigRules: PolicyRule[] = [
      {
        apiGroups: [NODE_GROUP],
        resources: ['multinicnodeconfigs'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      { apiGroups: [NODE_GROUP], resources: ['multinicnodeconfigs/status'], verbs: ['get'] },
    ];
    const subject = { name, namespace: common.namespace };
    if (nodeConfigNamespace === common.namespace) {
      boundRole(this, 'role', meta, [...rules, ...nodeConfigRules], subject);
    } else {
      boundRole(this, 'role', meta, rules, subject);
      boundRole(
        this,
        'node-config-role',
        { ...meta, namespace: nodeConfigNamespace },
        nodeConfigRules,
        subject,
      );
    }

    const env: EnvVar[] = [
      ...podIdentityEnv(),
      { name: 'MULTINIC_OPERATOR_NAME', value: operatorName },
      { name: 'NODE_CR_NAMESPACE', value: nodeConfigNamespace },
    ];
    const volumes: Volume[] = [{ name: 'tmp', emptyDir: {} }];
    const mounts: VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
    if (props.database !== undefined) {
      checkConnection(who, props.database);
      env.push(...databaseEnv(props.database));
      volumes.push(databaseVolume(props.database));
      mounts.push(databaseMount());
    }
    for (const host of props.allowedEndpoints ?? []) {
      if (!/^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?$/.test(host))
        fail(
          who,
          'allowedEndpoints',
          host,
          "hosts like 'keystone.example.com', 'host:5000' or '*.example.com'",
        );
    }
    if ((props.allowedEndpoints ?? []).length > 0)
      env.push({ name: 'ALLOWED_ENDPOINT_HOSTS', value: (props.allowedEndpoints ?? []).join(',') });
    if (props.insecureKubeconfigExec === true) env.push({ name: 'INSECURE_KUBECONFIG_EXEC', value: 'true' });
    for (const [key, value] of Object.entries(props.env ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
        fail(who, 'env', key, 'keys that are environment variable names ([A-Za-z_][A-Za-z0-9_]*)');
      env.push({ name: key, value });
    }

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
            // fsGroup: the database password file is mounted 0440 root-owned; the group makes it
            // readable to the non-root user (without it the controller exits with EACCES).
            securityContext: restrictedPodSecurityContext(NODE_UID, NODE_UID),
            ...(image.imagePullSecrets ? { imagePullSecrets: image.imagePullSecrets } : {}),
            ...(replicas > 1 ? { affinity: spreadAffinity(this.podSelector) } : {}),
            containers: [
              {
                name: 'controller',
                image: image.image,
                imagePullPolicy: image.imagePullPolicy,
                args: ['controller'],
                env,
                ports: [
                  { name: 'http', containerPort: HEALTH_PORT, protocol: 'TCP' },
                  { name: 'inventory', containerPort: INVENTORY_PORT, protocol: 'TCP' },
                ],
                livenessProbe: httpProbe('/healthz', 15, 20),
                readinessProbe: httpProbe('/readyz', 5, 10),
                resources: resourcesOf(who, props.resources, CONTROLLER_DEFAULT_RESOURCES),
                securityContext: restrictedContainerSecurityContext(),
                terminationMessagePolicy: 'FallbackToLogsOnError',
                volumeMounts: mounts,
              },
            ],
            volumes,
          },
        },
      },
    });

    this.service = new KubeService(this, 'service', {
      metadata: metadata(meta),
      spec: {
        selector: { ...this.podSelector },
        ports: [
          { name: 'http', port: HEALTH_PORT, targetPort: IntOrString.fromString('http'), protocol: 'TCP' },
          {
            name: 'inventory',
            port: INVENTORY_PORT,
            targetPort: IntOrString.fromString('inventory'),
            protocol: 'TCP',
          },
        ],
      },
    });
  }
}
