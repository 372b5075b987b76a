// Everything the operator manages for one MultiNicOperator (and what the `system` chart
// renders statically for GitOps users): controller, agent-controller, agent identity, MariaDB
// (or an external database), backups, NetworkPolicies and the protection objects. Every object
// carries the managed-by label (the operator's prune inventory) and, unless protection is off,
// `multinic.example.com/protected=true`.
import { Construct } from 'constructs';
import { MultiNicAgentController, type MultiNicAgentControllerProps } from '../agent/agent-controller.js';
import { MultiNicAgentRbac } from '../agent/agent-rbac.js';
import type { AgentJobDefaults } from '../agent/agent-job.js';
import {
  MANAGED_BY_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_NAMESPACE_LABEL,
  PROTECTED_LABEL,
  toLabelValue,
} from '../common/labels.js';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkInt,
  checkNonEmpty,
  checkOneOf,
  fail,
} from '../common/validate.js';
import {
  DEFAULT_AGENT_NAMESPACE,
  DEFAULT_NAMESPACE,
  resolveImage,
  type ContainerResources,
  type ImageProps,
} from '../common/workload.js';
import { MultiNicController, type MultiNicControllerProps } from '../controller/multinic-controller.js';
import type { DatabaseConnection } from '../database/connection.js';
import { DatabaseBackup, type DatabaseBackupProps } from '../database/database-backup.js';
import { MariaDb, type MariaDbProps } from '../database/mariadb.js';
import {
  SystemNetworkPolicies,
  type EgressTarget,
  type SystemNetworkPoliciesProps,
} from '../network-policies/system-network-policies.js';
import { ProtectionPolicy } from '../protection/protection-policy.js';
import { WEBHOOK_PROTECTED_LABEL } from '../protection/protected-resources.js';

export const PROTECTION_MODES = ['policy', 'webhook', 'both', 'off'] as const;
export type ProtectionMode = (typeof PROTECTION_MODES)[number];

/** The operator's ServiceAccount as MultiNicOperatorInstall creates it. */
export const OPERATOR_SERVICE_ACCOUNT = 'multinic-operator';

/** In-cluster MariaDB (the default). */
export interface InternalDatabaseProps extends Omit<
  MariaDbProps,
  'instance' | 'namespace' | 'labels' | 'annotations'
> {
  readonly mode: 'internal';
}

/** An existing MariaDB/MySQL reached over the network; its password Secret is named by the user. */
export interface ExternalDatabaseProps extends Omit<DatabaseConnection, 'secretName'> {
  readonly mode: 'external';
  /** Secret (in the system namespace) holding the password. */
  readonly secretName: string;
  /**
   * CIDRs of the database for the NetworkPolicies.
   * @default - any address (on the database port)
   */
  readonly cidrs?: readonly string[];
}

/** No database: the controller runs without MariaDB (node configs only). */
export interface NoDatabaseProps {
  readonly mode: 'none';
}

export type SystemDatabaseProps = InternalDatabaseProps | ExternalDatabaseProps | NoDatabaseProps;

export interface SystemProtectionProps {
  /**
   * `policy`: ValidatingAdmissionPolicy; `webhook`: the operator's webhook; `both`; `off`.
   * @default 'policy'
   */
  readonly mode?: ProtectionMode;
  /**
   * Groups whose members may change protected objects in an emergency.
   * @default - none
   */
  readonly breakGlassGroups?: readonly string[];
  /**
   * Usernames acting for the operator.
   * @default - the ServiceAccount 'multinic-operator' in `operatorNamespace`
   */
  readonly operatorUsernames?: readonly string[];
  /**
   * Namespace the operator runs in.
   * @default 'multinic-system'
   */
  readonly operatorNamespace?: string;
}

export interface SystemAgentProps extends Omit<
  AgentJobDefaults,
  'instance' | 'namespace' | 'nodeConfigNamespace' | 'serviceAccountName' | 'labels'
> {
  /**
   * How agents run; only `job` is implemented (`daemonset` is rejected with a clear error).
   * @default 'job'
   */
  readonly mode?: 'job' | 'daemonset';
  /** Nodes changed at once. @default 1 */
  readonly maxConcurrentNodes?: number;
  /** Only nodes with these labels get agents. @default - every node */
  readonly nodeSelector?: Readonly<Record<string, string>>;
}

export interface SystemNetworkPolicyOptions extends Pick<
  SystemNetworkPoliciesProps,
  'apiServer' | 'openstack' | 'extraControllerEgress' | 'dns' | 'metricsFromNamespaceLabels'
> {
  /** @default true */
  readonly enabled?: boolean;
}

export interface MultiNicSystemProps extends ImageProps {
  /** Name of the installation: the MultiNicOperator's name (object-name prefix, managed-by label). */
  readonly name: string;
  /**
   * Namespace of the installation (the MultiNicOperator's namespace).
   * @default 'multinic-system'
   */
  readonly namespace?: string;
  /**
   * Namespace of the agent Jobs (Pod Security `privileged`; created by MultiNicOperatorInstall).
   * @default 'multinic-agent'
   */
  readonly agentNamespace?: string;
  /**
   * The controller.
   * @default - 1 replica, default resources
   */
  readonly controller?: Pick<
    MultiNicControllerProps,
    'replicas' | 'resources' | 'env' | 'image' | 'allowedEndpoints' | 'insecureKubeconfigExec'
  >;
  /**
   * The agent-controller.
   * @default - 1 replica, default resources
   */
  readonly agentController?: {
    readonly replicas?: number;
    readonly resources?: ContainerResources;
    readonly image?: string;
  };
  /**
   * The agent Jobs.
   * @default - job mode, 1 node at a time, the system image
   */
  readonly agent?: SystemAgentProps;
  /**
   * The database.
   * @default { mode: 'internal' }
   */
  readonly database?: SystemDatabaseProps;
  /**
   * Scheduled backups of the database (internal or external).
   * @default - no backups
   */
  readonly backup?: Omit<
    DatabaseBackupProps,
    'database' | 'instance' | 'namespace' | 'labels' | 'annotations' | keyof ImageProps
  >;
  /**
   * Protection of the managed objects.
   * @default { mode: 'policy' }
   */
  readonly protection?: SystemProtectionProps;
  /**
   * NetworkPolicies.
   * @default - enabled, egress to any address on the default API server and OpenStack ports
   */
  readonly networkPolicies?: SystemNetworkPolicyOptions;
}

/** A Secret the system needs but does not render (the operator creates it when absent). */
export interface RequiredSecret {
  readonly name: string;
  readonly namespace: string;
  /** `database-credentials`: keys `root-password` and `password`, random values. */
  readonly purpose: 'database-credentials';
}

export class MultiNicSystem extends Construct {
  public readonly namespace: string;
  public readonly agentNamespace: string;
  public readonly protectionMode: ProtectionMode;
  /** Labels every object of this installation carries. */
  public readonly managedLabels: Readonly<Record<string, string>>;
  /** Secrets that must exist and are not rendered (generated by the operator). */
  public readonly requiredSecrets: readonly RequiredSecret[];
  public readonly controller: MultiNicController;
  public readonly agentController: MultiNicAgentController;
  public readonly database?: MariaDb;

  constructor(scope: Construct, id: string, props: MultiNicSystemProps) {
    super(scope, id);
    const who = 'MultiNicSystem';
    const instance = checkDnsLabel(who, 'name', props.name);
    if (instance.length > 40)
      fail(who, 'name', instance, 'at most 40 characters (object names are derived from it)');
    this.namespace = checkDnsLabel(who, 'namespace', props.namespace ?? DEFAULT_NAMESPACE);
    this.agentNamespace = checkDnsLabel(
      who,
      'agentNamespace',
      props.agentNamespace ?? DEFAULT_AGENT_NAMESPACE,
    );
    const protection = props.protection ?? {};
    this.protectionMode = checkOneOf(who, 'protection.mode', protection.mode ?? 'policy', PROTECTION_MODES);
    const operatorNamespace = checkDnsLabel(
      who,
      'protection.operatorNamespace',
      protection.operatorNamespace ?? DEFAULT_NAMESPACE,
    );
    const image = resolveImage(who, props);
    const imageProps: ImageProps = {
      image: image.image,
      imagePullPolicy: image.imagePullPolicy,
      ...(props.imagePullSecrets ? { imagePullSecrets: props.imagePullSecrets } : {}),
    };

    const managed: Record<string, string> = { [MANAGED_BY_LABEL]: toLabelValue(instance) };
    if (this.protectionMode !== 'off') managed[PROTECTED_LABEL] = 'true';
    if (this.protectionMode === 'webhook' || this.protectionMode === 'both')
      managed[WEBHOOK_PROTECTED_LABEL] = 'true';
    this.managedLabels = managed;
    const clusterLabels = { [MANAGED_BY_NAMESPACE_LABEL]: this.namespace };
    const common = {
      instance,
      namespace: this.namespace,
      labels: managed,
      annotations: { [MANAGED_BY_ANNOTATION]: instance },
    };

    const database = props.database ?? { mode: 'internal' };
    checkOneOf(who, 'database.mode', database.mode, ['internal', 'external', 'none'] as const);
    let connection: DatabaseConnection | undefined;
    let externalTarget: EgressTarget | undefined;
    const required: RequiredSecret[] = [];
    if (database.mode === 'internal') {
      const mariaDbProps = without(database, 'mode');
      this.database = new MariaDb(this, 'database', { ...mariaDbProps, ...common });
      connection = {
        host: this.database.host,
        port: this.database.port,
        database: this.database.database,
        user: this.database.user,
        secretName: this.database.credentialsSecretName,
      };
      if (database.credentials === undefined) {
        required.push({
          name: this.database.credentialsSecretName,
          namespace: this.namespace,
          purpose: 'database-credentials',
        });
      }
    } else if (database.mode === 'external') {
      const { cidrs } = database;
      const rest = without(without(database, 'mode'), 'cidrs');
      connection = { ...rest, host: checkNonEmpty(who, 'database.host', rest.host) };
      checkDnsSubdomain(who, 'database.secretName', rest.secretName);
      const port = checkInt(who, 'database.port', rest.port ?? 3306, 1, 65535);
      externalTarget = { cidrs: cidrs ?? ['0.0.0.0/0', '::/0'], ports: [port] };
    }
    this.requiredSecrets = required;

    this.controller = new MultiNicController(this, 'controller', {
      ...common,
      ...imageProps,
      ...props.controller,
      ...(connection === undefined ? {} : { database: connection }),
      operatorName: instance,
    });

    const agent = props.agent ?? {};
    // The agent-controller runs agents as Jobs only; a DaemonSet agent does not exist yet, and
    // rendering it would leave a crash-looping agent-controller instead of a clear error.
    if (agent.mode !== undefined && agent.mode !== 'job') {
      fail(who, 'agent.mode', agent.mode, "'job' (the daemonset mode is not implemented yet)");
    }
    const { mode: agentMode, maxConcurrentNodes, nodeSelector, image: agentImage, ...agentJob } = agent;
    const agentRbac = new MultiNicAgentRbac(this, 'agent', {
      ...common,
      agentNamespace: this.agentNamespace,
      clusterLabels,
    });
    const agentControllerProps: MultiNicAgentControllerProps = {
      ...common,
      ...imageProps,
      ...props.agentController,
      agentNamespace: this.agentNamespace,
      agentServiceAccountName: agentRbac.serviceAccountName,
      agentJob: { ...agentJob, image: agentImage ?? image.image },
      clusterLabels,
      ...(agentMode === undefined ? {} : { agentMode }),
      ...(maxConcurrentNodes === undefined ? {} : { maxConcurrentNodes }),
      ...(nodeSelector === undefined ? {} : { nodeSelector }),
    };
    this.agentController = new MultiNicAgentController(this, 'agent-controller', agentControllerProps);

    let backup: DatabaseBackup | undefined;
    if (props.backup !== undefined) {
      if (connection === undefined) fail(who, 'backup', 'set', "unset when 'database.mode' is 'none'");
      backup = new DatabaseBackup(this, 'backup', {
        ...common,
        ...imageProps,
        ...props.backup,
        database: connection,
      });
    }

    const networkPolicies = props.networkPolicies ?? {};
    if (networkPolicies.enabled ?? true) {
      const policyProps = without(networkPolicies, 'enabled');
      new SystemNetworkPolicies(this, 'network-policies', {
        ...common,
        ...policyProps,
        controllerSelector: this.controller.podSelector,
        agentControllerSelector: this.agentController.podSelector,
        ...(this.database ? { databaseSelector: this.database.podSelector } : {}),
        ...(backup ? { backupSelector: backup.podSelector } : {}),
        ...(externalTarget ? { externalDatabase: externalTarget } : {}),
      });
    }

    if (this.protectionMode === 'policy' || this.protectionMode === 'both') {
      new ProtectionPolicy(this, 'protection', {
        operatorName: instance,
        operatorNamespace: this.namespace,
        operatorUsernames: protection.operatorUsernames ?? [
          `system:serviceaccount:${operatorNamespace}:${OPERATOR_SERVICE_ACCOUNT}`,
        ],
        ...(protection.breakGlassGroups ? { breakGlassGroups: protection.breakGlassGroups } : {}),
        namespaces: [this.namespace, this.agentNamespace],
        scaleTargets: {
          deployments: [this.controller.deployment.name, this.agentController.deployment.name],
          statefulSets: this.database ? [this.database.statefulSet.name] : [],
        },
        labels: { ...managed, ...clusterLabels },
      });
    }
  }
}

/** `value` without `key` (a copy). */
function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}
