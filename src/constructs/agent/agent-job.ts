// The per-node agent Job (the earlier generation's, hardened): pinned to one node by node affinity on
// `metadata.name`, host network, NET_ADMIN only, the OS network-config directories of the host
// mounted under /host, its own ServiceAccount, a TTL, a bounded backoff and a length-safe name.
//
// `agentJobManifest(props)` is the pure function the agent-controller calls at runtime (no
// cdk8s App involved: a plain object in microseconds); the `AgentJob` construct wraps it.
//
// Privilege decisions (why exactly these):
// - hostNetwork: the agent renames links and sets addresses/routes/rules in the node's network
//   namespace with `ip`. NET_ADMIN covers every one of those netlink calls.
// - runAsUser 0, no other capability: the files it writes (/etc/netplan/*.yaml mode 0600, NM
//   keyfiles, ifcfg) are root-owned; root writes its own files without DAC_OVERRIDE/CHOWN.
// - no hostPID, no SYS_ADMIN: nothing is run through nsenter; the files are persist-only and
//   runtime state is set with `ip` directly, not through an nsenter into the host.
// - not privileged by default: the per-interface `rp_filter`/`arp_*` sysctls need a writable
//   /proc/sys, which container runtimes grant only to privileged containers. The agent treats
//   those writes as best effort; set `privileged: true` to get them.
// - the namespace must allow this (Pod Security `privileged`): MultiNicOperatorInstall labels
//   the agent namespace so and keeps every other MultiNic pod in a `restricted` namespace.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { NODE_GROUP } from '../../api/groups.js';
import { appLabels, toLabelValue } from '../common/labels.js';
import { boundedName } from '../common/names.js';
import { checkDnsLabel, checkDnsSubdomain, checkInt, checkOneOf, fail } from '../common/validate.js';
import {
  DEFAULT_AGENT_NAMESPACE,
  DEFAULT_INSTANCE,
  DEFAULT_NAMESPACE,
  resolveImage,
  resourcesOf,
  type ContainerResources,
  type ImageProps,
} from '../common/workload.js';

export const AGENT_ACTIONS = ['apply', 'cleanup'] as const;
export type AgentAction = (typeof AGENT_ACTIONS)[number];

export const OS_FAMILIES = ['ubuntu', 'rhel', 'rhel7', 'suse'] as const;
/** `ubuntu` netplan, `rhel` NetworkManager keyfile + systemd .link, `rhel7` ifcfg, `suse` wicked ifcfg. */
export type OsFamily = (typeof OS_FAMILIES)[number];

/** Host directories each OS family's backend writes (mounted read-write at `/host<path>`). */
export const HOST_PATHS: Readonly<Record<OsFamily, readonly string[]>> = {
  ubuntu: ['/etc/netplan'],
  rhel: ['/etc/NetworkManager/system-connections', '/etc/systemd/network'],
  rhel7: ['/etc/sysconfig/network-scripts'],
  suse: ['/etc/sysconfig/network'],
};

/** Where the host's files appear in the agent container; the agent runs with `--root /host`. */
export const HOST_ROOT = '/host';

export const NODE_NAME_LABEL = `${NODE_GROUP}/node-name`;
export const ACTION_LABEL = `${NODE_GROUP}/action`;
export const GENERATION_LABEL = `${NODE_GROUP}/generation`;
/** Annotation with the full node name (the label value is shortened past 63 characters). */
export const NODE_NAME_ANNOTATION = `${NODE_GROUP}/node-name`;

export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly tolerationSeconds?: number;
}

/** Everything about agent Jobs that is the same for every node (the agent-controller's configuration). */
export interface AgentJobDefaults extends ImageProps {
  /**
   * Installation name (`app.kubernetes.io/instance`).
   * @default 'multinic'
   */
  readonly instance?: string;
  /**
   * Namespace the Jobs run in (Pod Security level `privileged`).
   * @default 'multinic-agent'
   */
  readonly namespace?: string;
  /**
   * Namespace of the MultiNicNodeConfigs the agent reads (env `NODE_CR_NAMESPACE`).
   * @default 'multinic-system'
   */
  readonly nodeConfigNamespace?: string;
  /**
   * ServiceAccount of the Job's pod.
   * @default '<instance>-agent'
   */
  readonly serviceAccountName?: string;
  /**
   * Seconds a finished Job is kept (for its status and termination message) before Kubernetes deletes it.
   * @default 3600
   */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Retries of a failed pod; every run is a rolled-back-on-failure transaction, so a retry is safe.
   * @default 1
   */
  readonly backoffLimit?: number;
  /**
   * Upper bound of the Job's run time in seconds.
   * @default 600
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Tolerations of the Job's pod (it must run on the node whatever its taints for scheduling).
   * @default - tolerate every NoSchedule taint
   */
  readonly tolerations?: readonly Toleration[];
  /**
   * Run the container privileged (only needed for the best-effort rp_filter/arp sysctls, see file header).
   * @default false
   */
  readonly privileged?: boolean;
  /**
   * Agent log level (env `LOG_LEVEL`).
   * @default 'info'
   */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * CPU/memory of the agent container.
   * @default - requests 20m/64Mi, limits 500m/256Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Extra labels on the Job and its pod.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface AgentJobProps extends AgentJobDefaults {
  /** Name of the Node to configure (the Job is pinned to it). */
  readonly nodeName: string;
  /**
   * `apply` configures the node's NICs; `cleanup` removes every MultiNic configuration from it.
   * @default 'apply'
   */
  readonly action?: AgentAction;
  /**
   * `metadata.generation` of the MultiNicNodeConfig the Job applies; part of an apply Job's name,
   * so a new spec generation gets a new Job.
   * @default 1
   */
  readonly generation?: number;
  /**
   * Name of the node's MultiNicNodeConfig (env `NODE_CONFIG_NAME`).
   * @default - the node name
   */
  readonly nodeConfigName?: string;
  /**
   * The node's OS family when known (from `Node.status.nodeInfo.osImage`): only that family's
   * directories are mounted. Unknown: all of them are mounted (missing ones are created empty).
   * @default - unknown
   */
  readonly osFamily?: OsFamily;
}

/** Name of the Job for a node/action/generation: at most 63 characters, deterministic. */
export function agentJobName(nodeName: string, action: AgentAction = 'apply', generation = 1): string {
  if (action === 'cleanup') return boundedName(['multinic-agent-cleanup', nodeName]);
  const suffix = `-g${generation}`;
  return `${boundedName(['multinic-agent', nodeName], 63 - suffix.length)}${suffix}`;
}

/** The plain `batch/v1` Job manifest for one node; pure and fast (used at runtime by the agent-controller). */
export interface AgentJobManifest {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: Record<string, unknown>;
}

export function agentJobManifest(props: AgentJobProps): AgentJobManifest {
  const who = 'AgentJob';
  const nodeName = checkDnsSubdomain(who, 'nodeName', props.nodeName);
  const action = checkOneOf(who, 'action', props.action ?? 'apply', AGENT_ACTIONS);
  const generation = checkInt(who, 'generation', props.generation ?? 1, 1, Number.MAX_SAFE_INTEGER);
  const instance = checkDnsLabel(who, 'instance', props.instance ?? DEFAULT_INSTANCE);
  const namespace = checkDnsLabel(who, 'namespace', props.namespace ?? DEFAULT_AGENT_NAMESPACE);
  const nodeConfigNamespace = checkDnsLabel(
    who,
    'nodeConfigNamespace',
    props.nodeConfigNamespace ?? DEFAULT_NAMESPACE,
  );
  const nodeConfigName = checkDnsSubdomain(who, 'nodeConfigName', props.nodeConfigName ?? nodeName);
  const serviceAccountName = checkDnsSubdomain(
    who,
    'serviceAccountName',
    props.serviceAccountName ?? `${instance}-agent`,
  );
  const ttl = checkInt(who, 'ttlSecondsAfterFinished', props.ttlSecondsAfterFinished ?? 3600, 0, 31_536_000);
  const backoffLimit = checkInt(who, 'backoffLimit', props.backoffLimit ?? 1, 0, 10);
  const deadline = checkInt(who, 'activeDeadlineSeconds', props.activeDeadlineSeconds ?? 600, 30, 86_400);
  const logLevel = checkOneOf(who, 'logLevel', props.logLevel ?? 'info', [
    'debug',
    'info',
    'warn',
    'error',
  ] as const);
  const osFamily =
    props.osFamily === undefined ? undefined : checkOneOf(who, 'osFamily', props.osFamily, OS_FAMILIES);
  const image = resolveImage(who, props);
  (props.tolerations ?? []).forEach((toleration, index) => {
    if (toleration.operator === 'Exists' && toleration.value !== undefined) {
      fail(who, `tolerations[${index}].value`, toleration.value, "absent when operator is 'Exists'");
    }
  });

  const name = agentJobName(nodeName, action, generation);
  const labels: Record<string, string> = {
    ...appLabels({
      name: 'multinic-agent',
      instance,
      component: 'agent',
      managedBy: 'multinic-agent-controller',
    }),
    [NODE_NAME_LABEL]: toLabelValue(nodeName),
    [ACTION_LABEL]: action,
    ...(action === 'apply' ? { [GENERATION_LABEL]: String(generation) } : {}),
    ...props.labels,
  };

  const paths =
    osFamily === undefined ? OS_FAMILIES.flatMap((family) => HOST_PATHS[family]) : HOST_PATHS[osFamily];
  const volumes: Record<string, unknown>[] = [
    { name: 'tmp', emptyDir: {} },
    { name: 'os-release', hostPath: { path: '/etc/os-release', type: 'File' } },
    ...paths.map((path) => ({ name: hostVolumeName(path), hostPath: { path, type: 'DirectoryOrCreate' } })),
  ];
  const volumeMounts: Record<string, unknown>[] = [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'os-release', mountPath: `${HOST_ROOT}/etc/os-release`, readOnly: true },
    ...paths.map((path) => ({ name: hostVolumeName(path), mountPath: `${HOST_ROOT}${path}` })),
  ];

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels, annotations: { [NODE_NAME_ANNOTATION]: nodeName } },
    spec: {
      ttlSecondsAfterFinished: ttl,
      backoffLimit,
      activeDeadlineSeconds: deadline,
      template: {
        metadata: { labels, annotations: { [NODE_NAME_ANNOTATION]: nodeName } },
        spec: {
          serviceAccountName,
          automountServiceAccountToken: true,
          restartPolicy: 'Never',
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          enableServiceLinks: false,
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] },
                ],
              },
            },
          },
          tolerations: (props.tolerations ?? [{ operator: 'Exists', effect: 'NoSchedule' }]).map((t) => ({
            ...t,
          })),
          ...(image.imagePullSecrets ? { imagePullSecrets: image.imagePullSecrets } : {}),
          securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'agent',
              image: image.image,
              imagePullPolicy: image.imagePullPolicy,
              args: ['agent', action, '--root', HOST_ROOT],
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'NODE_CONFIG_NAME', value: nodeConfigName },
                { name: 'NODE_CR_NAMESPACE', value: nodeConfigNamespace },
                { name: 'AGENT_ACTION', value: action },
                { name: 'RUN_MODE', value: 'job' },
                { name: 'DATA_SOURCE', value: 'nodecr' },
                { name: 'LOG_LEVEL', value: logLevel },
              ],
              resources: resourcesJson(who, props.resources),
              securityContext: props.privileged
                ? { privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: true }
                : {
                    privileged: false,
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
                  },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'FallbackToLogsOnError',
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}

function hostVolumeName(path: string): string {
  return `host${path.replace(/[^a-zA-Z0-9]+/g, '-').toLowerCase()}`;
}

function resourcesJson(who: string, resources: ContainerResources | undefined): Record<string, unknown> {
  const requirements = resourcesOf(who, resources, {
    requests: { cpu: '20m', memory: '64Mi' },
    limits: { cpu: '500m', memory: '256Mi' },
  });
  const plain = (side: Record<string, { value: string | number }> | undefined) =>
    side === undefined ? undefined : Object.fromEntries(Object.entries(side).map(([k, q]) => [k, q.value]));
  const requests = plain(requirements.requests as Record<string, { value: string | number }> | undefined);
  const limits = plain(requirements.limits as Record<string, { value: string | number }> | undefined);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** The agent Job for one node as a construct (for charts and reviews; the agent-controller uses `agentJobManifest`). */
export class AgentJob extends Construct {
  public readonly job: ApiObject;
  public readonly jobName: string;

  constructor(scope: Construct, id: string, props: AgentJobProps) {
    super(scope, id);
    const manifest = agentJobManifest(props);
    this.jobName = manifest.metadata.name;
    this.job = new ApiObject(this, 'job', manifest);
  }
}
