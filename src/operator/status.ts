// MultiNicOperator status (every field written, unlike the earlier operator's): computed purely
// from what the reconcile observed, with transition times kept while a condition holds, so an
// unchanged world produces an identical status and no write.
import { isDeepStrictEqual } from 'node:util';

import type { KubeObject } from '../kube/types.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ComponentStatus {
  phase: 'Running' | 'Pending' | 'Error' | 'Disabled' | 'External';
  readyReplicas: number;
  desiredReplicas: number;
  lastUpdated: string;
}

/** `databaseStatus.lastBackup`: the last finished run of the backup CronJob. */
export interface LastBackup {
  /** When the backup Job finished (RFC 3339, as Kubernetes wrote it). */
  time: string;
  succeeded: boolean;
  /** The backup Job; absent when only the CronJob's `lastSuccessfulTime` is known. */
  jobName?: string;
  /** Why the Job failed (its Failed condition). */
  message?: string;
}

export interface DatabaseStatus extends ComponentStatus {
  lastBackup?: LastBackup;
}

export interface ProtectionStatus {
  active: boolean;
  mode: 'policy' | 'webhook' | 'both' | 'off';
  preventedMutations: number;
  lastProtectionEvent?: string;
}

export interface OperatorStatus {
  phase: 'Running' | 'Pending' | 'Error';
  message: string;
  observedGeneration: number;
  conditions: Condition[];
  controllerStatus?: ComponentStatus;
  agentControllerStatus?: ComponentStatus;
  databaseStatus?: DatabaseStatus;
  databaseSecretName?: string;
  protectionStatus: ProtectionStatus;
  lastUpdated?: string;
}

/** Readiness of one workload the operator manages. */
export interface WorkloadReadiness {
  /** `app.kubernetes.io/component` of the workload (controller, database, agent-controller, ...). */
  component: string;
  kind: string;
  name: string;
  found: boolean;
  desiredReplicas: number;
  readyReplicas: number;
  /** The controller has seen the latest spec and rolled it out. */
  rolledOut: boolean;
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Reads readiness from an observed Deployment / StatefulSet / DaemonSet (or its absence). */
export function workloadReadiness(
  component: string,
  desired: KubeObject,
  observed: KubeObject | undefined,
): WorkloadReadiness {
  const base = { component, kind: desired.kind ?? '', name: desired.metadata.name ?? '' };
  const wantSpec = (desired['spec'] ?? {}) as { replicas?: number };
  if (observed === undefined) {
    return {
      ...base,
      found: false,
      desiredReplicas: wantSpec.replicas ?? 1,
      readyReplicas: 0,
      rolledOut: false,
    };
  }
  const spec = (observed['spec'] ?? {}) as Record<string, unknown>;
  const status = (observed['status'] ?? {}) as Record<string, unknown>;
  const generation = observed.metadata.generation ?? 0;
  const seen = num(status['observedGeneration']) >= generation;
  if (base.kind === 'DaemonSet') {
    const desiredReplicas = num(status['desiredNumberScheduled']);
    const readyReplicas = num(status['numberReady']);
    return {
      ...base,
      found: true,
      desiredReplicas,
      readyReplicas,
      rolledOut: seen && num(status['updatedNumberScheduled']) >= desiredReplicas,
    };
  }
  const desiredReplicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
  const readyReplicas = num(status['readyReplicas']);
  const updated = base.kind === 'Deployment' ? num(status['updatedReplicas']) : desiredReplicas;
  return {
    ...base,
    found: true,
    desiredReplicas,
    readyReplicas,
    rolledOut: seen && updated >= desiredReplicas,
  };
}

interface JobLike {
  metadata: KubeObject['metadata'];
  status?: {
    completionTime?: string;
    conditions?: Array<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
  };
}

const MESSAGE_MAX = 1024;

function timeOf(value: string | undefined): number {
  const parsed = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
}

/** A finished Job as a `LastBackup` (Complete or Failed condition True); undefined while it runs. */
function finishedJob(job: JobLike): LastBackup | undefined {
  const conditions = job.status?.conditions ?? [];
  const done = conditions.find(
    (item) => (item.type === 'Complete' || item.type === 'Failed') && item.status === 'True',
  );
  if (done === undefined) return undefined;
  const succeeded = done.type === 'Complete';
  // The CronJob's lastSuccessfulTime is the Job's completionTime: prefer it so both agree.
  const time = succeeded ? (job.status?.completionTime ?? done.lastTransitionTime) : done.lastTransitionTime;
  if (time === undefined) return undefined;
  const text = [done.reason, done.message].filter((part) => part !== undefined && part !== '').join(': ');
  return {
    time,
    succeeded,
    ...(job.metadata.name !== undefined ? { jobName: job.metadata.name } : {}),
    ...(!succeeded && text !== '' ? { message: text.slice(0, MESSAGE_MAX) } : {}),
  };
}

/**
 * `databaseStatus.lastBackup` from the backup CronJob (`undefined` when not observed yet), the
 * Jobs observed (only those the CronJob owns count) and what the status already holds. The newest
 * of: the newest finished Job, the CronJob's `status.lastSuccessfulTime`, the previous value
 * (Jobs go away with the history limits and their TTL; the record never goes back in time). On a
 * tie a Job wins (it names itself and says why it failed). Pure; unchanged input gives the same
 * object back, so nothing is written.
 */
export function lastBackupOf(
  cronJob: KubeObject | undefined,
  jobs: readonly KubeObject[],
  previous: LastBackup | undefined,
): LastBackup | undefined {
  const candidates: LastBackup[] = [];
  const uid = cronJob?.metadata.uid;
  if (cronJob !== undefined && uid !== undefined) {
    const owned = jobs
      .filter((job) => (job.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid))
      .map((job) => finishedJob(job as JobLike))
      .filter((value): value is LastBackup => value !== undefined)
      .sort((a, b) => timeOf(b.time) - timeOf(a.time));
    if (owned[0] !== undefined) candidates.push(owned[0]);
    const lastSuccess = (cronJob['status'] as { lastSuccessfulTime?: string } | undefined)
      ?.lastSuccessfulTime;
    if (lastSuccess !== undefined) candidates.push({ time: lastSuccess, succeeded: true });
  }
  if (previous !== undefined) candidates.push(previous);
  let best: LastBackup | undefined;
  for (const candidate of candidates) {
    if (best === undefined || timeOf(candidate.time) > timeOf(best.time)) best = candidate;
  }
  if (best === undefined) return undefined;
  // The same backup seen again (e.g. the CronJob's time after the Job is gone): keep what the
  // status says about it, so the name and message are not lost and nothing is rewritten.
  if (
    previous !== undefined &&
    best !== previous &&
    timeOf(best.time) === timeOf(previous.time) &&
    best.jobName === undefined
  )
    return previous;
  return best;
}

export function isReady(workload: WorkloadReadiness): boolean {
  return workload.found && workload.rolledOut && workload.readyReplicas >= workload.desiredReplicas;
}

export interface StatusInput {
  generation: number;
  previous: Partial<OperatorStatus> | undefined;
  workloads: readonly WorkloadReadiness[];
  /** How the database is provided. */
  database: 'internal' | 'external' | 'disabled';
  /** A reconcile failure (apply/prune/validation), if any. */
  error?: { reason: string; message: string };
  protectionMode: ProtectionStatus['mode'];
  /** The protection objects of the mode are in place (policy applied / webhook serving). */
  protectionActive: boolean;
  /** Secret with the database credentials in use. */
  databaseSecretName?: string;
  /** The last finished backup (`lastBackupOf`); absent when backups are not enabled. */
  lastBackup?: LastBackup;
  /** Denials not yet in `previous.protectionStatus`. */
  newDenials?: { count: number; last: Date };
  now: Date;
}

/** `controller` -> `controllerReady`, `agent-controller` -> `agentControllerReady` (the earlier operator's spelling). */
export function componentConditionType(component: string): string {
  const parts = component.split(/[-_\s]+/).filter((part) => part.length > 0);
  const camel = parts
    .map((part, index) => (index === 0 ? part : (part[0]?.toUpperCase() ?? '') + part.slice(1)))
    .join('');
  return `${camel}Ready`;
}

/** Sets `next` into `conditions`, keeping `lastTransitionTime` when the status did not flip. */
function condition(
  previous: readonly Condition[],
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition {
  const old = previous.find((item) => item.type === next.type);
  const lastTransitionTime = old !== undefined && old.status === next.status ? old.lastTransitionTime : now;
  return { ...next, lastTransitionTime };
}

function componentStatus(
  workloads: readonly WorkloadReadiness[],
  previous: ComponentStatus | undefined,
  now: string,
): ComponentStatus {
  const found = workloads.filter((workload) => workload.found);
  const phase: ComponentStatus['phase'] =
    workloads.length > 0 && found.length === workloads.length && workloads.every(isReady)
      ? 'Running'
      : 'Pending';
  const value = {
    phase,
    readyReplicas: workloads.reduce((sum, workload) => sum + workload.readyReplicas, 0),
    desiredReplicas: workloads.reduce((sum, workload) => sum + workload.desiredReplicas, 0),
  };
  return sameComponent(previous, value) ? (previous as ComponentStatus) : { ...value, lastUpdated: now };
}

function sameComponent(
  previous: ComponentStatus | undefined,
  value: Omit<ComponentStatus, 'lastUpdated'>,
): boolean {
  return (
    previous !== undefined &&
    previous.phase === value.phase &&
    previous.readyReplicas === value.readyReplicas &&
    previous.desiredReplicas === value.desiredReplicas
  );
}

function componentReason(workloads: readonly WorkloadReadiness[]): {
  status: 'True' | 'False';
  reason: string;
  message: string;
} {
  const missing = workloads.filter((workload) => !workload.found);
  if (missing.length > 0) {
    return {
      status: 'False',
      reason: 'NotFound',
      message: `${missing.map((w) => `${w.kind} ${w.name}`).join(', ')} not found`,
    };
  }
  const notReady = workloads.filter((workload) => !isReady(workload));
  if (notReady.length === 0) return { status: 'True', reason: 'Ready', message: 'all replicas ready' };
  const text = notReady
    .map((w) => `${w.kind} ${w.name}: ${w.readyReplicas}/${w.desiredReplicas} replicas ready`)
    .join('; ');
  const none = notReady.every((workload) => workload.readyReplicas === 0);
  return { status: 'False', reason: none ? 'NotReady' : 'PartiallyReady', message: text };
}

/**
 * The complete status for this reconcile. `lastUpdated` moves only when something else changed,
 * so `statusChanged(previous, computed)` is false for a no-op resync.
 */
export function computeStatus(input: StatusInput): OperatorStatus {
  const now = input.now.toISOString();
  const previous = input.previous ?? {};
  const previousConditions = previous.conditions ?? [];
  const byComponent = new Map<string, WorkloadReadiness[]>();
  for (const workload of input.workloads) {
    byComponent.set(workload.component, [...(byComponent.get(workload.component) ?? []), workload]);
  }
  const allReady = input.workloads.length > 0 && input.workloads.every(isReady);
  const notReady = input.workloads.filter((workload) => !isReady(workload));
  const generation = input.generation;

  let phase: OperatorStatus['phase'];
  let message: string;
  if (input.error !== undefined) {
    phase = 'Error';
    message = input.error.message;
  } else if (allReady) {
    phase = 'Running';
    message = 'All components are running successfully';
  } else {
    phase = 'Pending';
    message = `Some components are not ready: ${notReady.map((w) => `${w.kind} ${w.name}`).join(', ')}`;
  }

  const conditions: Condition[] = [
    condition(
      previousConditions,
      {
        type: 'Ready',
        status: phase === 'Running' ? 'True' : 'False',
        reason:
          phase === 'Running'
            ? 'AllComponentsReady'
            : input.error !== undefined
              ? input.error.reason
              : 'ComponentsNotReady',
        message,
        observedGeneration: generation,
      },
      now,
    ),
    condition(
      previousConditions,
      {
        type: 'Progressing',
        status: phase === 'Pending' ? 'True' : 'False',
        reason:
          phase === 'Pending' ? 'RollingOut' : phase === 'Error' ? 'ReconcileFailed' : 'RolloutComplete',
        message:
          phase === 'Pending'
            ? message
            : phase === 'Running'
              ? 'All managed objects are applied and ready'
              : message,
        observedGeneration: generation,
      },
      now,
    ),
    condition(
      previousConditions,
      {
        type: 'Degraded',
        status: input.error !== undefined ? 'True' : 'False',
        reason: input.error !== undefined ? input.error.reason : 'AsExpected',
        message: input.error !== undefined ? input.error.message : 'No reconcile errors',
        observedGeneration: generation,
      },
      now,
    ),
  ];
  for (const [component, workloads] of [...byComponent].sort(([a], [b]) => a.localeCompare(b))) {
    conditions.push(
      condition(
        previousConditions,
        {
          type: componentConditionType(component),
          ...componentReason(workloads),
          observedGeneration: generation,
        },
        now,
      ),
    );
  }

  const controller = byComponent.get('controller') ?? [];
  const agentController = byComponent.get('agent-controller') ?? [];
  const database = byComponent.get('database') ?? [];
  const databaseComponent: ComponentStatus =
    input.database === 'internal'
      ? componentStatus(database, previous.databaseStatus, now)
      : (() => {
          const value = {
            phase: input.database === 'external' ? ('External' as const) : ('Disabled' as const),
            readyReplicas: 0,
            desiredReplicas: 0,
          };
          return sameComponent(previous.databaseStatus, value)
            ? (previous.databaseStatus as ComponentStatus)
            : { ...value, lastUpdated: now };
        })();
  const databaseStatus: DatabaseStatus = {
    phase: databaseComponent.phase,
    readyReplicas: databaseComponent.readyReplicas,
    desiredReplicas: databaseComponent.desiredReplicas,
    lastUpdated: databaseComponent.lastUpdated,
    ...(input.lastBackup !== undefined ? { lastBackup: input.lastBackup } : {}),
  };

  const oldProtection = previous.protectionStatus;
  const protectionStatus: ProtectionStatus = {
    active: input.protectionActive,
    mode: input.protectionMode,
    preventedMutations: (oldProtection?.preventedMutations ?? 0) + (input.newDenials?.count ?? 0),
    ...(input.newDenials !== undefined
      ? { lastProtectionEvent: input.newDenials.last.toISOString() }
      : oldProtection?.lastProtectionEvent !== undefined
        ? { lastProtectionEvent: oldProtection.lastProtectionEvent }
        : {}),
  };

  const status: OperatorStatus = {
    phase,
    message,
    observedGeneration: generation,
    conditions,
    controllerStatus: componentStatus(controller, previous.controllerStatus, now),
    ...(agentController.length > 0
      ? { agentControllerStatus: componentStatus(agentController, previous.agentControllerStatus, now) }
      : {}),
    databaseStatus,
    ...(input.databaseSecretName !== undefined ? { databaseSecretName: input.databaseSecretName } : {}),
    protectionStatus,
    ...(previous.lastUpdated !== undefined ? { lastUpdated: previous.lastUpdated } : {}),
  };
  if (statusChanged(previous, status)) status.lastUpdated = now;
  return status;
}

/** True when a write is needed (anything but `lastUpdated` differs). */
export function statusChanged(previous: Partial<OperatorStatus> | undefined, next: OperatorStatus): boolean {
  const a: Partial<OperatorStatus> = { ...previous };
  const b: Partial<OperatorStatus> = { ...next };
  delete a.lastUpdated;
  delete b.lastUpdated;
  return !isDeepStrictEqual(normalise(a), normalise(b));
}

/** JSON round trip: drops `undefined` members so objects read from the API compare equal. */
function normalise(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? {})) as unknown;
}
