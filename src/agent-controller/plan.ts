// The agent-controller's decisions as pure functions (no I/O, table-tested):
//   planNodeConfig(input): Action[]     one MultiNicNodeConfig: finalizer, Job, status, events
//   planBizConfig(input): BizPlan       one MultiNicBizConfig: owned node configs + status rollup
// plus the helpers they share (spec hash, Job and Node views, OS family, result -> status).
//
// Node config state machine (docs/operations.md#multinicnodeconfig; generation G, observed O):
//   deleting          -> wait for a running apply Job, run the cleanup Job (rollout-gated),
//                        then drop old Jobs and the finalizer; Node gone -> finalizer off at once
//   no finalizer      -> add it
//   Node missing      -> Pending, Ready=False NodeNotFound (the Node watch re-triggers)
//   instance mismatch -> Failed, Ready=False InstanceMismatch + Warning Event (no retry)
//   O == G, Configured/Failed, same spec hash -> nothing (GC of older Jobs)
//   Job(G) finished   -> Configured / Failed from the Job condition + termination message
//   Job(G) running    -> InProgress (JobScheduled)
//   older Job running -> wait for it (never kill an in-flight apply), WaitingForRollout
//   no slot           -> Pending, WaitingForRollout (woken when a slot frees)
//   else              -> create Job(G); InProgress (SpecChanged)
import { createHash } from 'node:crypto';
import {
  BIZ_CONFIG_CONDITIONS,
  BIZ_CONFIG_LABEL,
  BIZ_CONFIG_REASONS,
  interfaceName,
  interfaceSlot,
  INSTANCE_ID_LABEL,
  MULTINIC_NODE_CONFIG,
  NODE_CONFIG_CONDITIONS as COND,
  NODE_CONFIG_REASONS as REASON,
  type InterfaceStatus,
  type MultiNicBizConfigSpec,
  type MultiNicNodeConfigSpec,
  type MultiNicNodeConfigStatus,
  type NodeInterface,
  type NodeState,
} from '../api/index.js';
import type { AgentResult } from '../agent/result.js';
import {
  ACTION_LABEL,
  agentJobManifest,
  agentJobName,
  GENERATION_LABEL,
  NODE_NAME_ANNOTATION,
  type AgentAction,
  type AgentJobDefaults,
  type AgentJobManifest,
  type OsFamily,
} from '../constructs/agent/agent-job.js';
import { setCondition, type Condition, type ConditionInput } from '../kube/conditions.js';
import type { KubeObject } from '../kube/types.js';

export const FINALIZER = 'multinic.io/agent-cleanup';
/** On agent Jobs: `<namespace>/<name>` of the node config, and its uid (guards against a recreated config). */
export const NODE_CONFIG_ANNOTATION = 'multinic.io/node-config';
export const NODE_CONFIG_UID_ANNOTATION = 'multinic.io/node-config-uid';
export const SPEC_HASH_ANNOTATION = 'multinic.io/spec-hash';

export interface NodeConfigObject extends KubeObject {
  spec: MultiNicNodeConfigSpec;
  status?: MultiNicNodeConfigStatus;
}

// --- views -----------------------------------------------------------------------------------

/** Canonical JSON (keys sorted at every level). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 hex of the spec's JSON with keys sorted (status.observedSpecHash). */
export function specHash(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

export type JobPhase = 'Active' | 'Succeeded' | 'Failed';

export interface JobView {
  name: string;
  action: AgentAction;
  generation: number | undefined;
  nodeName: string;
  phase: JobPhase;
  /** Reason/message of the Failed condition. */
  reason?: string;
  message?: string;
  configKey: string | undefined;
  configUid: string | undefined;
  deleting: boolean;
}

interface JobStatusShape {
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  succeeded?: number;
  failed?: number;
}

export function jobView(job: KubeObject): JobView {
  const status = (job['status'] ?? {}) as JobStatusShape;
  const condition = (type: string) => status.conditions?.find((c) => c.type === type && c.status === 'True');
  const failed = condition('Failed');
  const complete = condition('Complete');
  const annotations = job.metadata.annotations ?? {};
  const labels = job.metadata.labels ?? {};
  const generation = labels[GENERATION_LABEL];
  return {
    name: job.metadata.name ?? '',
    action: labels[ACTION_LABEL] === 'cleanup' ? 'cleanup' : 'apply',
    generation: generation === undefined ? undefined : Number(generation),
    nodeName: annotations[NODE_NAME_ANNOTATION] ?? '',
    phase: failed ? 'Failed' : complete ? 'Succeeded' : 'Active',
    ...(failed?.reason ? { reason: failed.reason } : {}),
    ...(failed?.message ? { message: failed.message } : {}),
    configKey: annotations[NODE_CONFIG_ANNOTATION],
    configUid: annotations[NODE_CONFIG_UID_ANNOTATION],
    deleting: job.metadata.deletionTimestamp !== undefined,
  };
}

export interface NodeView {
  name: string;
  systemUUID: string;
  osImage: string;
  labels?: Record<string, string>;
}

export function nodeView(node: KubeObject): NodeView {
  const info = ((node['status'] as { nodeInfo?: { systemUUID?: string; osImage?: string } } | undefined)
    ?.nodeInfo ?? {}) as { systemUUID?: string; osImage?: string };
  return {
    name: node.metadata.name ?? '',
    systemUUID: info.systemUUID ?? '',
    osImage: info.osImage ?? '',
    labels: node.metadata.labels ?? {},
  };
}

/** The agent backend family from `nodeInfo.osImage`; undefined (mount everything) when unknown. */
export function osFamilyOf(osImage: string): OsFamily | undefined {
  const image = osImage.toLowerCase();
  if (image.includes('ubuntu')) return 'ubuntu';
  if (/suse|sles/.test(image)) return 'suse';
  if (/red hat|rhel|rocky|alma|centos|oracle linux/.test(image)) {
    const major = /\b(\d+)(\.\d+)*\b/.exec(image)?.[1];
    return major !== undefined && Number(major) <= 7 ? 'rhel7' : 'rhel';
  }
  return undefined;
}

// --- node config -----------------------------------------------------------------------------

export type Action =
  | { type: 'addFinalizer' }
  | { type: 'removeFinalizer' }
  | { type: 'createJob'; job: AgentJobManifest }
  | { type: 'deleteJob'; name: string }
  | { type: 'writeStatus'; status: MultiNicNodeConfigStatus }
  | { type: 'event'; eventType: 'Normal' | 'Warning'; reason: string; message: string }
  /** Ask the rollout gate for a slot; the reconciler calls plan again with `slotGranted`. */
  | { type: 'waitForSlot' };

export interface NodeConfigPlanInput {
  config: NodeConfigObject;
  node: NodeView | undefined;
  /** Agent Jobs of this config's node (apply and cleanup). */
  jobs: readonly JobView[];
  /** Parsed termination message of the finished Job of this generation, when there is one. */
  result?: AgentResult | undefined;
  /** Why the termination message could not be used (absent or invalid), when it could not. */
  resultError?: string | undefined;
  /** The rollout gate granted this node a slot. */
  slotGranted: boolean;
  /** maxConcurrentNodes, for messages. */
  maxConcurrentNodes: number;
  /** Only Nodes with all these labels get agents (AGENT_NODE_SELECTOR). @default {} */
  nodeSelector?: Record<string, string>;
  jobDefaults: AgentJobDefaults;
  now: Date;
}

export function nodeNameOf(config: NodeConfigObject): string {
  return config.spec.nodeName || config.metadata.name || '';
}

function configKeyOf(config: NodeConfigObject): string {
  return `${config.metadata.namespace ?? ''}/${config.metadata.name ?? ''}`;
}

export function buildJob(
  config: NodeConfigObject,
  node: NodeView | undefined,
  action: AgentAction,
  defaults: AgentJobDefaults,
): AgentJobManifest {
  const nodeName = nodeNameOf(config);
  const family = node ? osFamilyOf(node.osImage) : undefined;
  const job = agentJobManifest({
    ...defaults,
    ...(config.metadata.namespace ? { nodeConfigNamespace: config.metadata.namespace } : {}),
    nodeName,
    nodeConfigName: config.metadata.name ?? nodeName,
    action,
    generation: config.metadata.generation ?? 1,
    ...(family ? { osFamily: family } : {}),
  });
  job.metadata.annotations = {
    ...job.metadata.annotations,
    [NODE_CONFIG_ANNOTATION]: configKeyOf(config),
    [NODE_CONFIG_UID_ANNOTATION]: config.metadata.uid ?? '',
    [SPEC_HASH_ANNOTATION]: specHash(config.spec),
  };
  return job;
}

const stamp = (now: Date): string => now.toISOString().replace(/\.\d{3}Z$/, 'Z');

function baseInterfaces(
  spec: MultiNicNodeConfigSpec,
  status: InterfaceStatus['status'],
  reason: string,
  now: Date,
): InterfaceStatus[] {
  return spec.interfaces.map((iface, index) => ({
    name: iface.name ?? interfaceName(interfaceSlot(iface)),
    interfaceIndex: index,
    id: interfaceSlot(iface),
    macAddress: iface.macAddress.toLowerCase(),
    address: iface.address,
    cidr: iface.cidr,
    mtu: iface.mtu,
    status,
    reason,
    lastUpdated: stamp(now),
  }));
}

function withConditions(
  previous: readonly Condition[] | undefined,
  inputs: ConditionInput[],
  now: Date,
): Condition[] {
  let list = [...(previous ?? [])] as Condition[];
  for (const input of inputs) list = setCondition(list, input, now);
  return list;
}

interface StatusParts {
  state: NodeState;
  ready: { status: 'True' | 'False' | 'Unknown'; reason: string; message: string };
  inProgress: { status: 'True' | 'False'; reason: string; message: string };
  degraded: { status: 'True' | 'False'; reason: string; message: string };
  interfaces?: InterfaceStatus[];
  scheduled?: { generation: number; hash: string; jobName: string };
}

function statusFrom(config: NodeConfigObject, parts: StatusParts, now: Date): MultiNicNodeConfigStatus {
  const previous = config.status ?? {};
  const generation = config.metadata.generation ?? 1;
  const conditions = withConditions(
    previous.conditions as Condition[] | undefined,
    [
      { type: COND.Ready, ...parts.ready, observedGeneration: generation },
      { type: COND.InProgress, ...parts.inProgress, observedGeneration: generation },
      { type: COND.Degraded, ...parts.degraded, observedGeneration: generation },
    ],
    now,
  );
  const out: MultiNicNodeConfigStatus = {
    ...previous,
    state: parts.state,
    conditions: conditions as MultiNicNodeConfigStatus['conditions'],
    lastUpdated: stamp(now),
  };
  if (parts.interfaces) out.interfaceStatuses = parts.interfaces;
  if (parts.scheduled) {
    out.observedGeneration = parts.scheduled.generation;
    out.observedSpecHash = parts.scheduled.hash;
    out.lastJobName = parts.scheduled.jobName;
  }
  return out;
}

function matchFailure(
  iface: NodeInterface,
  failures: AgentResult['failures'],
): AgentResult['failures'][number] | undefined {
  const mac = iface.macAddress.toLowerCase();
  const slot = interfaceSlot(iface);
  return failures.find((f) => (f.mac && f.mac.toLowerCase() === mac) || (!f.mac && f.id === slot));
}

/** Status for a finished apply Job (the earlier agent-controller's rules, with its defects fixed). */
export function finishedStatus(
  config: NodeConfigObject,
  job: JobView,
  result: AgentResult | undefined,
  resultError: string | undefined,
  now: Date,
): {
  status: MultiNicNodeConfigStatus;
  event?: { eventType: 'Normal' | 'Warning'; reason: string; message: string };
} {
  const spec = config.spec;
  const total = spec.interfaces.length;
  const scheduled = {
    generation: job.generation ?? config.metadata.generation ?? 1,
    hash: specHash(spec),
    jobName: job.name,
  };
  const failures = result?.failures ?? [];
  const rolledBack = result?.rolled_back ? ' (every change was rolled back)' : '';
  const done = {
    status: 'False' as const,
    reason: job.phase === 'Succeeded' ? REASON.JobSucceeded : REASON.JobFailed,
    message: `Job ${job.name} finished`,
  };

  if (job.phase === 'Succeeded' && failures.length === 0) {
    const byMac = new Map((result?.results ?? []).map((r) => [r.mac.toLowerCase(), r]));
    const interfaces = baseInterfaces(spec, 'Configured', REASON.JobSucceeded, now).map((entry) => {
      const reported = byMac.get(entry.macAddress ?? '');
      const name = reported?.name;
      return {
        ...entry,
        ...(name && /^multinic[0-9]$/.test(name) ? { name } : {}),
        lastConfigured: stamp(now),
      };
    });
    const message = `All ${total} interfaces configured successfully`;
    return {
      status: statusFrom(
        config,
        {
          state: 'Configured',
          ready: { status: 'True', reason: REASON.JobSucceeded, message },
          inProgress: done,
          degraded: { status: 'False', reason: REASON.JobSucceeded, message },
          interfaces,
          scheduled,
        },
        now,
      ),
    };
  }

  const jobFailed = job.phase === 'Failed';
  const interfaces = spec.interfaces.map((iface, index) => {
    const entry = baseInterfaces(
      { ...spec, interfaces: [iface] },
      'Configured',
      '',
      now,
    )[0] as InterfaceStatus;
    entry.interfaceIndex = index;
    const failure = matchFailure(iface, failures);
    if (failure) {
      return {
        ...entry,
        status: 'Failed' as const,
        reason: jobFailed ? REASON.JobFailed : REASON.JobFailedPartial,
        message: `${failure.errorType}: ${failure.reason}`,
      };
    }
    if (jobFailed && failures.length === 0) {
      return {
        ...entry,
        status: 'Failed' as const,
        reason: REASON.JobFailed,
        message: job.message ?? resultError ?? 'agent Job failed',
      };
    }
    return {
      ...entry,
      reason: jobFailed ? REASON.JobPartialSuccess : REASON.JobSucceeded,
      lastConfigured: stamp(now),
    };
  });
  const failedCount = interfaces.filter((entry) => entry.status === 'Failed').length;
  const reason =
    !jobFailed || (failures.length > 0 && failedCount < total) ? REASON.JobFailedPartial : REASON.JobFailed;
  const detail =
    failures.length > 0
      ? failures.map((f) => `${f.name || f.mac}: ${f.reason}`).join('; ')
      : [job.reason, job.message, resultError].filter(Boolean).join(': ') || 'agent Job failed';
  const message = `${failedCount} of ${total} interfaces failed${rolledBack}: ${detail}`.slice(0, 4000);
  return {
    status: statusFrom(
      config,
      {
        state: 'Failed',
        ready: { status: 'False', reason, message },
        inProgress: done,
        degraded: { status: 'True', reason, message },
        interfaces,
        scheduled,
      },
      now,
    ),
    event: { eventType: 'Warning', reason, message },
  };
}

function inProgressStatus(
  config: NodeConfigObject,
  jobName: string,
  reason: string,
  now: Date,
): MultiNicNodeConfigStatus {
  const message = `agent Job ${jobName} applies generation ${config.metadata.generation ?? 1}`;
  return statusFrom(
    config,
    {
      state: 'InProgress',
      ready: { status: 'False', reason, message },
      inProgress: { status: 'True', reason, message },
      degraded: { status: 'False', reason, message },
      interfaces: baseInterfaces(config.spec, 'InProgress', reason, now),
      scheduled: { generation: config.metadata.generation ?? 1, hash: specHash(config.spec), jobName },
    },
    now,
  );
}

function waitingStatus(
  config: NodeConfigObject,
  state: NodeState,
  reason: string,
  message: string,
  now: Date,
): MultiNicNodeConfigStatus {
  return statusFrom(
    config,
    {
      state,
      ready: { status: 'False', reason, message },
      inProgress: { status: reason === REASON.WaitingForRollout ? 'True' : 'False', reason, message },
      degraded: { status: state === 'Failed' ? 'True' : 'False', reason, message },
    },
    now,
  );
}

function failedDeleting(jobs: readonly JobView[], names: readonly string[]): Action[] {
  return jobs
    .filter((job) => names.includes(job.name) && !job.deleting)
    .map((job) => ({ type: 'deleteJob' as const, name: job.name }));
}

export function planNodeConfig(input: NodeConfigPlanInput): Action[] {
  const { config, node, jobs, now } = input;
  const nodeName = nodeNameOf(config);
  const uid = config.metadata.uid ?? '';
  const generation = config.metadata.generation ?? 1;
  const hasFinalizer = (config.metadata.finalizers ?? []).includes(FINALIZER);
  const applyJobs = jobs.filter((job) => job.action === 'apply');
  const cleanupName = agentJobName(nodeName, 'cleanup');
  const cleanup = jobs.find((job) => job.name === cleanupName);

  // Deletion: clean the node, then let the config go.
  if (config.metadata.deletionTimestamp !== undefined) {
    if (!hasFinalizer) return [];
    const everyJob = jobs.map((job) => job.name);
    if (!node) {
      return [...failedDeleting(jobs, everyJob), { type: 'removeFinalizer' }];
    }
    if (cleanup && cleanup.configUid !== uid) {
      return cleanup.deleting ? [] : [{ type: 'deleteJob', name: cleanup.name }];
    }
    if (cleanup?.phase === 'Succeeded') {
      return [
        {
          type: 'event',
          eventType: 'Normal',
          reason: 'CleanedUp',
          message: `cleanup Job ${cleanup.name} removed the node's MultiNic configuration`,
        },
        ...failedDeleting(jobs, everyJob),
        { type: 'removeFinalizer' },
      ];
    }
    if (cleanup?.phase === 'Failed') {
      return [
        {
          type: 'event',
          eventType: 'Warning',
          reason: 'CleanupFailed',
          message: `cleanup Job ${cleanup.name} failed (${[cleanup.reason, cleanup.message].filter(Boolean).join(': ') || 'no reason'}); the node may keep MultiNic files`,
        },
        ...failedDeleting(jobs, everyJob),
        { type: 'removeFinalizer' },
      ];
    }
    if (cleanup) return [];
    if (applyJobs.some((job) => job.phase === 'Active' && !job.deleting)) return [];
    if (!input.slotGranted) return [{ type: 'waitForSlot' }];
    return [{ type: 'createJob', job: buildJob(config, node, 'cleanup', input.jobDefaults) }];
  }

  if (!hasFinalizer) return [{ type: 'addFinalizer' }];

  const actions: Action[] = [];
  // A cleanup Job from an earlier incarnation of this node's config would block nothing but is stale.
  if (cleanup && cleanup.phase !== 'Active' && !cleanup.deleting)
    actions.push({ type: 'deleteJob', name: cleanup.name });

  if (!node) {
    const message = `Node ${nodeName} does not exist`;
    return [
      ...actions,
      { type: 'writeStatus', status: waitingStatus(config, 'Pending', REASON.NodeNotFound, message, now) },
    ];
  }
  const unmatched = Object.entries(input.nodeSelector ?? {}).filter(
    ([key, value]) => node.labels?.[key] !== value,
  );
  if (unmatched.length > 0) {
    const message = `Node ${nodeName} does not match the agent node selector (${unmatched.map(([k, v]) => `${k}=${v}`).join(', ')})`;
    return [
      ...actions,
      { type: 'writeStatus', status: waitingStatus(config, 'Pending', 'NodeNotSelected', message, now) },
    ];
  }
  const instanceId = config.spec.instanceId ?? config.metadata.labels?.[INSTANCE_ID_LABEL];
  if (instanceId && instanceId.trim().toLowerCase() !== node.systemUUID.trim().toLowerCase()) {
    const message = `instanceId ${instanceId} does not match Node ${nodeName} systemUUID ${node.systemUUID || '(empty)'}`;
    const status = waitingStatus(config, 'Failed', REASON.InstanceMismatch, message, now);
    const changed =
      config.status?.state !== 'Failed' ||
      config.status.conditions?.find((c) => c.type === COND.Ready)?.reason !== REASON.InstanceMismatch;
    return [
      ...actions,
      { type: 'writeStatus', status },
      ...(changed
        ? [
            {
              type: 'event' as const,
              eventType: 'Warning' as const,
              reason: REASON.InstanceMismatch,
              message,
            },
          ]
        : []),
    ];
  }

  const hash = specHash(config.spec);
  const currentName = agentJobName(nodeName, 'apply', generation);
  const current = applyJobs.find((job) => job.name === currentName);
  const older = applyJobs.filter((job) => job.name !== currentName);
  const status = config.status;
  const settled =
    status?.observedGeneration === generation &&
    status.observedSpecHash === hash &&
    (status.state === 'Configured' || status.state === 'Failed');

  if (settled) {
    return [
      ...actions,
      ...older
        .filter((job) => job.phase !== 'Active' && !job.deleting)
        .map((job) => ({ type: 'deleteJob' as const, name: job.name })),
    ];
  }

  if (current && current.configUid !== uid) {
    // A Job of the same name from a deleted-and-recreated config: remove it, then start afresh.
    return current.deleting ? actions : [...actions, { type: 'deleteJob', name: current.name }];
  }

  if (current && current.phase !== 'Active') {
    const finished = finishedStatus(config, current, input.result, input.resultError, now);
    return [
      ...actions,
      { type: 'writeStatus', status: finished.status },
      ...(finished.event ? [{ type: 'event' as const, ...finished.event }] : []),
      ...older
        .filter((job) => job.phase !== 'Active' && !job.deleting)
        .map((job) => ({ type: 'deleteJob' as const, name: job.name })),
    ];
  }

  if (current) {
    const reason = status?.observedGeneration === generation ? REASON.JobScheduled : REASON.SpecChanged;
    return [...actions, { type: 'writeStatus', status: inProgressStatus(config, current.name, reason, now) }];
  }

  const running = older.find((job) => job.phase === 'Active' && !job.deleting);
  if (running) {
    const message = `waiting for Job ${running.name} (generation ${running.generation ?? '?'}) to finish before applying generation ${generation}`;
    return [
      ...actions,
      {
        type: 'writeStatus',
        status: waitingStatus(config, 'Pending', REASON.WaitingForRollout, message, now),
      },
    ];
  }

  if (!input.slotGranted) {
    const message = `waiting for a rollout slot: at most ${input.maxConcurrentNodes} node(s) change at once`;
    return [
      ...actions,
      { type: 'waitForSlot' },
      {
        type: 'writeStatus',
        status: waitingStatus(config, 'Pending', REASON.WaitingForRollout, message, now),
      },
    ];
  }

  const job = buildJob(config, node, 'apply', input.jobDefaults);
  const reason =
    (status?.observedGeneration ?? 0) === 0 || status?.observedGeneration !== generation
      ? REASON.SpecChanged
      : REASON.JobScheduled;
  return [
    ...actions,
    { type: 'createJob', job },
    { type: 'writeStatus', status: inProgressStatus(config, job.metadata.name, reason, now) },
    {
      type: 'event',
      eventType: 'Normal',
      reason: 'JobCreated',
      message: `created agent Job ${job.metadata.name} for generation ${generation}`,
    },
  ];
}

/** True when planNodeConfig would need a rollout slot for this input (it asks with waitForSlot). */
export function needsSlot(actions: readonly Action[]): boolean {
  return actions.some((action) => action.type === 'waitForSlot');
}

// --- biz config ------------------------------------------------------------------------------

export interface BizConfigObject extends KubeObject {
  spec: MultiNicBizConfigSpec;
  status?: Record<string, unknown>;
}

export interface BizPlanInput {
  biz: BizConfigObject;
  /** Node configs in the namespace that carry this BizConfig's label or one of its node names. */
  nodeConfigs: readonly NodeConfigObject[];
  now: Date;
}

export interface BizPlan {
  /** Node configs to server-side apply (only those that differ from what is there). */
  apply: KubeObject[];
  /** Owned node configs no longer listed. */
  remove: string[];
  status: Record<string, unknown>;
}

function ownedBy(obj: KubeObject, uid: string | undefined): boolean {
  return (obj.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid && ref.controller === true);
}

export function desiredNodeConfig(
  biz: BizConfigObject,
  entry: MultiNicBizConfigSpec['nodeConfigs'][number],
): KubeObject {
  return {
    apiVersion: MULTINIC_NODE_CONFIG.apiVersion,
    kind: MULTINIC_NODE_CONFIG.kind,
    metadata: {
      name: entry.attachedNodeName,
      namespace: biz.metadata.namespace ?? '',
      labels: { [BIZ_CONFIG_LABEL]: biz.metadata.name ?? '' },
      ownerReferences: [
        {
          apiVersion: biz.apiVersion ?? '',
          kind: biz.kind ?? '',
          name: biz.metadata.name ?? '',
          uid: biz.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      nodeName: entry.attachedNodeName,
      ...(entry.attachedNodeId ? { instanceId: entry.attachedNodeId } : {}),
      interfaces: entry.interfaces.map((iface, index) => ({
        id: index,
        name: interfaceName(index),
        ...(iface.portId ? { portId: iface.portId } : {}),
        macAddress: iface.macAddress,
        address: iface.address,
        cidr: iface.cidr,
        mtu: iface.mtu,
      })),
    },
  };
}

export function planBizConfig(
  input: BizPlanInput,
  isSubset: (desired: unknown, observed: unknown) => boolean,
): BizPlan {
  const { biz, nodeConfigs, now } = input;
  const uid = biz.metadata.uid;
  const byName = new Map(nodeConfigs.map((config) => [config.metadata.name ?? '', config]));
  const apply: KubeObject[] = [];
  const conflicts: string[] = [];
  const listed = new Set<string>();
  const nodeStatuses: Record<string, unknown>[] = [];
  const counts = { configured: 0, failed: 0, pending: 0 };

  for (const entry of biz.spec.nodeConfigs) {
    listed.add(entry.attachedNodeName);
    const desired = desiredNodeConfig(biz, entry);
    const observed = byName.get(entry.attachedNodeName);
    if (observed && !ownedBy(observed, uid)) {
      conflicts.push(entry.attachedNodeName);
      counts.failed += 1;
      nodeStatuses.push({
        attachedNodeName: entry.attachedNodeName,
        ...(entry.attachedNodeId ? { attachedNodeId: entry.attachedNodeId } : {}),
        state: 'Failed',
        message: `a MultiNicNodeConfig ${entry.attachedNodeName} not owned by this MultiNicBizConfig exists`,
      });
      continue;
    }
    if (
      !observed ||
      !isSubset({ metadata: { labels: desired.metadata.labels }, spec: desired['spec'] }, observed)
    )
      apply.push(desired);
    const upToDate =
      observed !== undefined &&
      isSubset(desired['spec'], observed.spec) &&
      observed.status?.observedGeneration === observed.metadata.generation;
    let state: NodeState = 'Pending';
    if (observed && upToDate) state = observed.status?.state ?? 'Pending';
    else if (observed?.status?.state === 'InProgress') state = 'InProgress';
    if (state === 'Configured') counts.configured += 1;
    else if (state === 'Failed') counts.failed += 1;
    else counts.pending += 1;
    const message = observed?.status?.conditions?.find((c) => c.type === COND.Ready)?.message;
    nodeStatuses.push({
      attachedNodeName: entry.attachedNodeName,
      ...(entry.attachedNodeId ? { attachedNodeId: entry.attachedNodeId } : {}),
      state,
      ...(observed?.status?.lastJobName ? { lastJobName: observed.status.lastJobName } : {}),
      ...(observed?.status?.lastUpdated ? { lastProcessed: observed.status.lastUpdated } : {}),
      ...(state === 'Failed' && message ? { message } : {}),
    });
  }

  const remove = nodeConfigs
    .filter((config) => ownedBy(config, uid) && !listed.has(config.metadata.name ?? ''))
    .map((config) => config.metadata.name ?? '');

  const total = biz.spec.nodeConfigs.length;
  const generation = biz.metadata.generation ?? 1;
  const allDone = counts.configured === total;
  const previous = (biz.status?.['conditions'] ?? []) as Condition[];
  const conditions = withConditions(
    previous,
    [
      {
        type: BIZ_CONFIG_CONDITIONS.Ready,
        status: allDone ? 'True' : 'False',
        reason: allDone
          ? BIZ_CONFIG_REASONS.AllNodesConfigured
          : counts.failed > 0
            ? BIZ_CONFIG_REASONS.NodesFailed
            : BIZ_CONFIG_REASONS.ProcessingNodes,
        message: `${counts.configured}/${total} nodes configured, ${counts.failed} failed, ${counts.pending} pending`,
        observedGeneration: generation,
      },
      {
        type: BIZ_CONFIG_CONDITIONS.InProgress,
        status: counts.pending > 0 ? 'True' : 'False',
        reason: BIZ_CONFIG_REASONS.ProcessingNodes,
        message: `${counts.pending} node(s) pending or in progress`,
        observedGeneration: generation,
      },
      {
        type: BIZ_CONFIG_CONDITIONS.Applied,
        status: conflicts.length === 0 ? 'True' : 'False',
        reason:
          conflicts.length === 0 ? BIZ_CONFIG_REASONS.ProcessingNodes : BIZ_CONFIG_REASONS.NodeConfigConflict,
        message:
          conflicts.length === 0
            ? `${total} node configs applied`
            : `node configs not owned by this MultiNicBizConfig: ${conflicts.join(', ')}`,
        observedGeneration: generation,
      },
    ],
    now,
  );
  return {
    apply,
    remove,
    status: {
      observedGeneration: generation,
      observedSpecHash: biz.spec.specHash ?? specHash(biz.spec),
      conditions,
      nodeStatuses,
      summary: {
        totalNodes: total,
        configuredNodes: counts.configured,
        failedNodes: counts.failed,
        pendingNodes: counts.pending,
      },
    },
  };
}
