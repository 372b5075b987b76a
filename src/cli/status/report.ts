// `multinic status` as a pure function: the MultiNicOperators, OpenstackConfigs and
// MultiNicNodeConfigs a read returned (a Snapshot) -> a StatusReport. No I/O; table-tested.
//
// Health of one object (worst first):
//   Failing      Degraded=True, Ready=False that is not a rollout in progress, a component in
//                phase Error, a failed last backup, a node config in state Failed
//   Unknown      no status (the role that writes it has not run) or a status that does not parse
//   Progressing  Ready=False while Progressing=True, a spec change not yet observed, a node config
//                Pending/InProgress/not yet processed/being cleaned up
//   Healthy      everything else
// The report's health is the worst of its objects; the exit code is 0 only when it is Healthy,
// so `multinic status` gates a pipeline on "rolled out and nothing failing".
//
// The report is also the `-o json` output: every key is always present (null when unknown) so
// scripts can rely on the shape; `schemaVersion` changes when a key changes meaning or goes away.
import { z } from 'zod';
import {
  deliveryMode,
  formatPath,
  MULTINIC_NODE_CONFIG,
  MULTINIC_OPERATOR,
  multiNicNodeConfigStatusSchema,
  multiNicOperatorStatusSchema,
  OPENSTACK_CONFIG,
  OPENSTACK_CONFIG_LABEL,
  openstackConfigSpecSchema,
  openstackConfigStatusSchema,
  toLabelValue,
  type Condition,
} from '../../api/index.js';
import type { KubeObject } from '../../kube/types.js';

export const STATUS_SCHEMA_VERSION = 1;

// --- the report (the documented JSON shape) ------------------------------------------------------

export const HEALTHS = ['Healthy', 'Progressing', 'Unknown', 'Failing'] as const;
export type Health = (typeof HEALTHS)[number];

const conditionView = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string().nullable(),
});

const componentView = z.object({
  name: z.enum(['controller', 'agent-controller', 'database']),
  phase: z
    .string()
    .nullable()
    .describe('Running, Pending, Error, Disabled or External; null when not reported.'),
  readyReplicas: z.number().nullable(),
  desiredReplicas: z.number().nullable(),
});

const operatorView = z.object({
  namespace: z.string(),
  name: z.string(),
  health: z.enum(HEALTHS),
  phase: z.string().nullable(),
  message: z.string().nullable(),
  generation: z.number().nullable(),
  observedGeneration: z.number().nullable(),
  components: z.array(componentView),
  lastBackup: z
    .object({
      time: z.string(),
      succeeded: z.boolean(),
      jobName: z.string().nullable(),
      message: z.string().nullable(),
    })
    .nullable(),
  protection: z
    .object({
      mode: z.string().nullable(),
      active: z.boolean().nullable(),
      denials: z.number(),
      lastDenial: z.string().nullable(),
    })
    .nullable(),
  conditions: z.array(conditionView),
});

const rolloutCounts = z.object({
  total: z.number(),
  configured: z.number(),
  pending: z.number(),
  failed: z.number(),
});

const openstackConfigView = z.object({
  namespace: z.string(),
  name: z.string(),
  health: z.enum(HEALTHS),
  lastSync: z.string().nullable().describe('Last delivery that changed something (status.lastSyncedAt).'),
  nodes: z.number().nullable(),
  ports: z.number().nullable().describe('Managed interfaces (Neutron ports) over all nodes.'),
  pendingPorts: z.number().nullable(),
  downPorts: z.number().nullable(),
  overflowPorts: z.number().nullable(),
  lastError: z.string().nullable(),
  delivery: z.object({
    mode: z.string(),
    namespace: z
      .string()
      .nullable()
      .describe('Namespace of its node configs; null when delivered elsewhere.'),
  }),
  rollout: rolloutCounts.describe('Its node configs in this cluster (by the openstack-config label).'),
  conditions: z.array(conditionView),
});

export const NODE_ROLLOUT_STATES = ['Configured', 'Pending', 'Failed'] as const;

const nodeView = z.object({
  namespace: z.string(),
  name: z.string(),
  nodeName: z.string(),
  openstackConfig: z.string().nullable().describe('`namespace/name` of the OpenstackConfig that wrote it.'),
  rollout: z.enum(NODE_ROLLOUT_STATES),
  state: z.string().nullable().describe('status.state as the agent-controller wrote it.'),
  reason: z.string().nullable(),
  message: z.string().nullable(),
  interfaces: z.object({ total: z.number(), configured: z.number(), failed: z.number() }),
});

const problemView = z.object({
  severity: z.enum(['error', 'warning']),
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  reason: z.string(),
  message: z.string(),
});

export const statusReportSchema = z.object({
  schemaVersion: z.literal(STATUS_SCHEMA_VERSION),
  generatedAt: z.string(),
  scope: z.object({
    namespace: z.string().nullable().describe('null: every namespace the read covered.'),
    name: z.string().nullable(),
    allNamespaces: z.boolean(),
  }),
  health: z.enum(HEALTHS),
  exitCode: z.union([z.literal(0), z.literal(1)]),
  operators: z.array(operatorView),
  openstackConfigs: z.array(openstackConfigView),
  rollout: rolloutCounts.extend({ nodes: z.array(nodeView) }),
  problems: z.array(problemView),
});

export type StatusReport = z.output<typeof statusReportSchema>;
export type OperatorView = z.output<typeof operatorView>;
export type OpenstackConfigView = z.output<typeof openstackConfigView>;
export type NodeView = z.output<typeof nodeView>;
export type Problem = z.output<typeof problemView>;
export type ConditionView = z.output<typeof conditionView>;

// --- input ---------------------------------------------------------------------------------------

/** What the command read from the API server (any order; filtered by `scope` here). */
export interface Snapshot {
  operators: readonly KubeObject[];
  openstackConfigs: readonly KubeObject[];
  nodeConfigs: readonly KubeObject[];
}

export interface StatusScope {
  /** `-n`: only this namespace. */
  namespace?: string;
  /** A MultiNicOperator name: only operators of this name (in `namespace`, or anywhere). */
  name?: string;
  /** `-A`: OpenstackConfigs and node configs of every namespace, not only the operators'. */
  allNamespaces: boolean;
}

// --- helpers ---------------------------------------------------------------------------------------

const WORSE: Record<Health, number> = { Healthy: 0, Progressing: 1, Unknown: 2, Failing: 3 };

export function worst(healths: Iterable<Health>): Health {
  let out: Health = 'Healthy';
  for (const health of healths) if (WORSE[health] > WORSE[out]) out = health;
  return out;
}

function metaOf(obj: KubeObject): { namespace: string; name: string } {
  return { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
}

function byName<T extends { namespace: string; name: string }>(a: T, b: T): number {
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

/** Parses `status` with the kind's schema; a status that does not parse is reported, not trusted. */
function parseStatus<S extends z.ZodType>(
  schema: S,
  obj: KubeObject,
): { status: z.output<S> | undefined; invalid: string | undefined } {
  const raw = obj['status'];
  if (raw === undefined || raw === null) return { status: undefined, invalid: undefined };
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { status: parsed.data, invalid: undefined };
  const issue = parsed.error.issues[0];
  const where =
    issue === undefined ? 'status' : `status.${formatPath(issue.path)}`.replace(/\.\(root\)$/, '');
  return { status: undefined, invalid: `${where}: ${issue?.message ?? 'invalid'}` };
}

function conditionViews(conditions: readonly Condition[] | undefined): ConditionView[] {
  return (conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message ?? '',
    lastTransitionTime: c.lastTransitionTime ?? null,
  }));
}

function find(conditions: readonly ConditionView[], type: string): ConditionView | undefined {
  return conditions.find((c) => c.type === type);
}

/** `observedGeneration` behind `metadata.generation`: the latest spec is not acted on yet. */
function specPending(obj: KubeObject, observed: number | undefined): boolean {
  const generation = obj.metadata.generation;
  return generation !== undefined && observed !== undefined && observed < generation;
}

class Problems {
  readonly list: Problem[] = [];
  constructor(
    private readonly kind: string,
    private readonly meta: { namespace: string; name: string },
  ) {}
  add(severity: Problem['severity'], reason: string, message: string): void {
    this.list.push({ severity, kind: this.kind, ...this.meta, reason, message });
  }
  fromCondition(severity: Problem['severity'], c: ConditionView): void {
    this.add(severity, c.reason, `${c.type}=${c.status}${c.message ? `: ${c.message}` : ''}`);
  }
}

// --- MultiNicOperator ------------------------------------------------------------------------------

const COMPONENT_CONDITION = /^[a-z][A-Za-z]*Ready$/;

export function operatorReport(obj: KubeObject): { view: OperatorView; problems: Problem[] } {
  const meta = metaOf(obj);
  const problems = new Problems(MULTINIC_OPERATOR.kind, meta);
  const { status, invalid } = parseStatus(multiNicOperatorStatusSchema, obj);
  const conditions = conditionViews(status?.conditions);
  const component = (
    name: OperatorView['components'][number]['name'],
    value:
      | {
          phase?: string | undefined;
          readyReplicas?: number | undefined;
          desiredReplicas?: number | undefined;
        }
      | undefined,
  ) => ({
    name,
    phase: value?.phase ?? null,
    readyReplicas: value?.readyReplicas ?? null,
    desiredReplicas: value?.desiredReplicas ?? null,
  });
  const components = [
    component('controller', status?.controllerStatus),
    component('agent-controller', status?.agentControllerStatus),
    component('database', status?.databaseStatus),
  ];
  const backup = status?.databaseStatus?.lastBackup;
  const protection = status?.protectionStatus;

  const healths: Health[] = [];
  if (invalid !== undefined) {
    healths.push('Unknown');
    problems.add('warning', 'InvalidStatus', `status does not match this version's schema: ${invalid}`);
  } else if (status === undefined) {
    healths.push('Unknown');
    problems.add(
      'warning',
      'NoStatus',
      'no status yet: is the multinic operator running and watching this namespace?',
    );
  } else {
    const ready = find(conditions, 'Ready');
    const degraded = find(conditions, 'Degraded');
    const progressing = find(conditions, 'Progressing');
    if (degraded?.status === 'True') {
      healths.push('Failing');
      problems.fromCondition('error', degraded);
    }
    if (ready === undefined) {
      healths.push('Unknown');
      problems.add('warning', 'NoReadyCondition', 'status has no Ready condition yet');
    } else if (ready.status !== 'True') {
      const rollingOut = progressing?.status === 'True' && status.phase !== 'Error';
      healths.push(rollingOut ? 'Progressing' : 'Failing');
      if (!rollingOut && degraded?.status !== 'True') problems.fromCondition('error', ready);
    }
    for (const c of conditions) {
      if (c.type !== 'Ready' && COMPONENT_CONDITION.test(c.type) && c.status !== 'True') {
        problems.fromCondition('warning', c);
      }
    }
    for (const part of components) {
      if (part.phase === 'Error') {
        healths.push('Failing');
        problems.add('error', 'ComponentError', `${part.name} is in phase Error`);
      }
    }
    if (backup !== undefined && !backup.succeeded) {
      healths.push('Failing');
      problems.add(
        'error',
        'BackupFailed',
        `last backup${backup.jobName ? ` (Job ${backup.jobName})` : ''} at ${backup.time} failed${backup.message ? `: ${backup.message}` : ''}`,
      );
    }
    if (specPending(obj, status.observedGeneration)) healths.push('Progressing');
  }

  return {
    view: {
      ...meta,
      health: worst(healths),
      phase: status?.phase ?? null,
      message: status?.message ?? null,
      generation: obj.metadata.generation ?? null,
      observedGeneration: status?.observedGeneration ?? null,
      components,
      lastBackup:
        backup === undefined
          ? null
          : {
              time: backup.time,
              succeeded: backup.succeeded,
              jobName: backup.jobName ?? null,
              message: backup.message ?? null,
            },
      protection:
        protection === undefined
          ? null
          : {
              mode: protection.mode ?? null,
              active: protection.active ?? null,
              denials: protection.preventedMutations ?? 0,
              lastDenial: protection.lastProtectionEvent ?? null,
            },
      conditions,
    },
    problems: problems.list,
  };
}

// --- MultiNicNodeConfig ----------------------------------------------------------------------------

/** The `multinic.io/openstack-config` label value the controller puts on the node configs it writes. */
export function openstackConfigLabel(namespace: string, name: string): string {
  return toLabelValue(`${namespace}.${name}`);
}

export function nodeReport(
  obj: KubeObject,
  owners: ReadonlyMap<string, string>,
): { view: NodeView; problems: Problem[] } {
  const meta = metaOf(obj);
  const problems = new Problems(MULTINIC_NODE_CONFIG.kind, meta);
  const { status, invalid } = parseStatus(multiNicNodeConfigStatusSchema, obj);
  const spec = (obj['spec'] ?? {}) as { nodeName?: unknown; interfaces?: unknown };
  const total = Array.isArray(spec.interfaces) ? spec.interfaces.length : 0;
  const interfaces = status?.interfaceStatuses ?? [];
  const conditions = conditionViews(status?.conditions);
  const ready = find(conditions, 'Ready');
  const degraded = find(conditions, 'Degraded');
  const label = obj.metadata.labels?.[OPENSTACK_CONFIG_LABEL];

  let rollout: NodeView['rollout'];
  let reason: string | null = ready?.reason ?? null;
  let message: string | null = ready?.message || null;
  if (invalid !== undefined) {
    rollout = 'Pending';
    reason = 'InvalidStatus';
    message = `status does not match this version's schema: ${invalid}`;
  } else if (obj.metadata.deletionTimestamp !== undefined) {
    rollout = 'Pending';
    reason = 'Deleting';
    message = 'being deleted: the agent cleans the node first';
  } else if (status?.state === 'Failed') {
    rollout = 'Failed';
    const failed = interfaces.filter((i) => i.status === 'Failed');
    const source = degraded?.status === 'True' ? degraded : ready;
    reason = source?.reason ?? failed[0]?.reason ?? 'Failed';
    message =
      source?.message ||
      failed
        .map((i) => `${i.name ?? i.macAddress ?? '?'}: ${i.message ?? i.reason ?? 'failed'}`)
        .join('; ') ||
      'the agent reported a failure without a message';
    problems.add('error', reason, message);
  } else if (status?.state === 'Configured' && specPending(obj, status.observedGeneration)) {
    rollout = 'Pending';
    reason = 'SpecChanged';
    message = `generation ${obj.metadata.generation ?? '?'} not applied yet (applied: ${status.observedGeneration ?? '?'})`;
  } else if (status?.state === 'Configured') {
    rollout = 'Configured';
  } else if (status?.state === undefined) {
    rollout = 'Pending';
    reason = 'NotProcessed';
    message = 'the agent-controller has not picked it up yet';
  } else {
    rollout = 'Pending';
    reason ??= status.state;
  }

  return {
    view: {
      ...meta,
      nodeName: typeof spec.nodeName === 'string' ? spec.nodeName : meta.name,
      openstackConfig: label === undefined ? null : (owners.get(label) ?? label),
      rollout,
      state: status?.state ?? null,
      reason,
      message,
      interfaces: {
        total,
        configured: interfaces.filter((i) => i.status === 'Configured').length,
        failed: interfaces.filter((i) => i.status === 'Failed').length,
      },
    },
    problems: problems.list,
  };
}

function countRollout(nodes: readonly NodeView[]): z.output<typeof rolloutCounts> {
  return {
    total: nodes.length,
    configured: nodes.filter((n) => n.rollout === 'Configured').length,
    pending: nodes.filter((n) => n.rollout === 'Pending').length,
    failed: nodes.filter((n) => n.rollout === 'Failed').length,
  };
}

// --- OpenstackConfig -------------------------------------------------------------------------------

/** Where an OpenstackConfig's node configs live: a namespace of this cluster, or elsewhere (null). */
export function deliveryOf(obj: KubeObject): OpenstackConfigView['delivery'] {
  const parsed = openstackConfigSpecSchema.safeParse(obj['spec'] ?? {});
  if (!parsed.success) return { mode: 'unknown', namespace: null };
  const mode = deliveryMode(parsed.data);
  return { mode, namespace: mode === 'local' ? parsed.data.delivery.namespace : null };
}

export function openstackConfigReport(
  obj: KubeObject,
  nodes: readonly NodeView[],
): { view: OpenstackConfigView; problems: Problem[] } {
  const meta = metaOf(obj);
  const problems = new Problems(OPENSTACK_CONFIG.kind, meta);
  const { status, invalid } = parseStatus(openstackConfigStatusSchema, obj);
  const conditions = conditionViews(status?.conditions);
  const healths: Health[] = [];
  if (invalid !== undefined) {
    healths.push('Unknown');
    problems.add('warning', 'InvalidStatus', `status does not match this version's schema: ${invalid}`);
  } else if (status === undefined) {
    healths.push('Unknown');
    problems.add('warning', 'NoStatus', 'no status yet: is a multinic controller watching this namespace?');
  } else {
    const ready = find(conditions, 'Ready');
    const degraded = find(conditions, 'Degraded');
    const deprecated = find(conditions, 'Deprecated');
    if (ready?.status === 'False') {
      healths.push('Failing');
      problems.fromCondition('error', ready);
    } else if (ready === undefined || ready.status === 'Unknown') {
      healths.push('Unknown');
      problems.add('warning', 'NoReadyCondition', 'status has no Ready condition yet');
    }
    // Degraded with the same message as Ready=False says the same thing twice.
    if (degraded?.status === 'True') {
      healths.push('Failing');
      if (ready?.status !== 'False' || ready.message !== degraded.message)
        problems.fromCondition('error', degraded);
    }
    if (deprecated?.status === 'True') problems.fromCondition('warning', deprecated);
    if (specPending(obj, status.observedGeneration)) healths.push('Progressing');
  }
  const summary = status?.summary;
  return {
    view: {
      ...meta,
      health: worst(healths),
      lastSync: status?.lastSyncedAt ?? null,
      nodes: summary?.nodes ?? null,
      ports: summary?.interfaces ?? null,
      pendingPorts: summary?.pending ?? null,
      downPorts: summary?.downPorts ?? null,
      overflowPorts: summary?.overflowPorts ?? null,
      lastError: status?.lastError ?? null,
      delivery: deliveryOf(obj),
      rollout: countRollout(nodes),
      conditions,
    },
    problems: problems.list,
  };
}

// --- the whole report ------------------------------------------------------------------------------

/** The objects `scope` covers, in a stable order. */
export function selectScope(
  snapshot: Snapshot,
  scope: StatusScope,
): { operators: KubeObject[]; openstackConfigs: KubeObject[]; nodeConfigs: KubeObject[] } {
  const inNamespace = (obj: KubeObject) =>
    scope.namespace === undefined || obj.metadata.namespace === scope.namespace;
  const sorted = (list: readonly KubeObject[]) => [...list].sort((a, b) => byName(metaOf(a), metaOf(b)));
  const operators = sorted(
    snapshot.operators.filter(
      (o) => inNamespace(o) && (scope.name === undefined || o.metadata.name === scope.name),
    ),
  );
  const operatorNamespaces = new Set(operators.map((o) => o.metadata.namespace ?? ''));
  if (scope.namespace !== undefined && scope.name === undefined) operatorNamespaces.add(scope.namespace);
  const openstackConfigs = sorted(
    snapshot.openstackConfigs.filter((c) =>
      scope.allNamespaces ? inNamespace(c) : operatorNamespaces.has(c.metadata.namespace ?? ''),
    ),
  );
  const nodeNamespaces = new Set(operatorNamespaces);
  const owners = new Set<string>();
  for (const config of openstackConfigs) {
    const { namespace } = deliveryOf(config);
    if (namespace !== null) nodeNamespaces.add(namespace);
    owners.add(openstackConfigLabel(config.metadata.namespace ?? '', config.metadata.name ?? ''));
  }
  const nodeConfigs = sorted(
    snapshot.nodeConfigs.filter((n) => {
      if (scope.allNamespaces)
        return inNamespace(n) || owners.has(n.metadata.labels?.[OPENSTACK_CONFIG_LABEL] ?? '');
      return nodeNamespaces.has(n.metadata.namespace ?? '');
    }),
  );
  return { operators, openstackConfigs, nodeConfigs };
}

/** Namespaces whose node configs the report needs besides the scope's own (OpenstackConfig delivery targets). */
export function deliveryNamespaces(openstackConfigs: readonly KubeObject[]): string[] {
  const out = new Set<string>();
  for (const config of openstackConfigs) {
    const { namespace } = deliveryOf(config);
    if (namespace !== null) out.add(namespace);
  }
  return [...out].sort();
}

const ROLLOUT_ORDER: Record<NodeView['rollout'], number> = { Failed: 0, Pending: 1, Configured: 2 };

export function buildReport(snapshot: Snapshot, scope: StatusScope, now: Date): StatusReport {
  const selected = selectScope(snapshot, scope);
  const problems: Problem[] = [];
  const healths: Health[] = [];

  const operators = selected.operators.map((obj) => {
    const { view, problems: found } = operatorReport(obj);
    problems.push(...found);
    healths.push(view.health);
    return view;
  });
  if (scope.name !== undefined && operators.length === 0) {
    healths.push('Failing');
    problems.push({
      severity: 'error',
      kind: MULTINIC_OPERATOR.kind,
      namespace: scope.namespace ?? '',
      name: scope.name,
      reason: 'NotFound',
      message: `MultiNicOperator ${scope.namespace === undefined ? '' : `${scope.namespace}/`}${scope.name} not found`,
    });
  }

  const owners = new Map(
    selected.openstackConfigs.map((c) => {
      const { namespace, name } = metaOf(c);
      return [openstackConfigLabel(namespace, name), `${namespace}/${name}`] as const;
    }),
  );
  const nodeProblems: Problem[] = [];
  const nodes = selected.nodeConfigs
    .map((obj) => {
      const { view, problems: found } = nodeReport(obj, owners);
      nodeProblems.push(...found);
      return view;
    })
    .sort((a, b) => ROLLOUT_ORDER[a.rollout] - ROLLOUT_ORDER[b.rollout] || byName(a, b));

  const openstackConfigs = selected.openstackConfigs.map((obj) => {
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    const { view, problems: found } = openstackConfigReport(
      obj,
      nodes.filter((n) => n.openstackConfig === key),
    );
    problems.push(...found);
    healths.push(view.health);
    return view;
  });
  problems.push(...nodeProblems);
  for (const node of nodes)
    healths.push(
      node.rollout === 'Failed' ? 'Failing' : node.rollout === 'Pending' ? 'Progressing' : 'Healthy',
    );

  if (
    operators.length === 0 &&
    openstackConfigs.length === 0 &&
    nodes.length === 0 &&
    scope.name === undefined
  ) {
    healths.push('Unknown');
    problems.push({
      severity: 'warning',
      kind: MULTINIC_OPERATOR.kind,
      namespace: scope.namespace ?? '',
      name: '',
      reason: 'NothingFound',
      message: `no MultiNicOperator, OpenstackConfig or MultiNicNodeConfig ${scope.namespace === undefined ? 'in any namespace' : `in namespace ${scope.namespace}`}`,
    });
  }

  const health = worst(healths);
  return {
    schemaVersion: STATUS_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    scope: {
      namespace: scope.namespace ?? null,
      name: scope.name ?? null,
      allNamespaces: scope.allNamespaces,
    },
    health,
    exitCode: health === 'Healthy' ? 0 : 1,
    operators,
    openstackConfigs,
    rollout: { ...countRollout(nodes), nodes },
    problems: problems.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1)),
  };
}
