// Reconciles one MultiNicOperator: observe (the CR by GET, managed objects from the label-scoped
// informer caches) -> plan (pure, ./plan.ts) -> execute (SSA apply, strip foreign additions,
// prune) -> status (pure, ./status.ts; written only when it changed) -> Events.
//
// Contract: `reconcile({namespace, name})` is level-based and idempotent. A thrown
// error means "retry with capped exponential backoff" (the work queue does that); a
// `TerminalError` (invalid spec: the schema or the constructs refuse it) means no retry until the
// CR changes: a condition, an Event and the metric say why. Everything else, a failed read while
// rendering included, is retried.
import { ApiValidationError } from '../api/errors.js';
import { ConstructValidationError } from '../constructs/common/validate.js';
import { MULTINIC_OPERATOR } from '../api/groups.js';
import { APP_COMPONENT_LABEL } from '../api/labels.js';
import { parseMultiNicOperator } from '../api/multinic-operator.js';
import type { MultiNicOperator } from '../api/multinic-operator.js';
import { applyObject, deleteObject, getObject, mergePatchObject } from '../kube/apply.js';
import { systemClock } from '../kube/clock.js';
import type { Clock } from '../kube/clock.js';
import type { EventType } from '../kube/events.js';
import { isKubeStatus } from '../kube/http.js';
import type { KubeHttp } from '../kube/http.js';
import type { KubeObject, ObjectRef } from '../kube/types.js';
import { TerminalError } from '../kube/work-queue.js';
import type { WorkResult } from '../kube/work-queue.js';
import { counter, gauge, histogram } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { FIELD_MANAGER, FINALIZER } from './labels.js';
import { decorate, identity, ownedBy, plan, refOfObject, takenByOther, withoutPaths } from './plan.js';
import type { Action, Owner } from './plan.js';
import { computeStatus, lastBackupOf, statusChanged, workloadReadiness } from './status.js';
import type { LastBackup, OperatorStatus, WorkloadReadiness } from './status.js';
import { defaultCredentialsSecretName } from '../constructs/database/mariadb.js';

export const reconcileTotal = counter<'result'>({
  name: 'multinic_operator_reconcile_total',
  help: 'MultiNicOperator reconciles by result (success, pending, error, terminal, deleted)',
  labelNames: ['result'],
});
const reconcileDuration = histogram<'operator'>({
  name: 'multinic_operator_reconcile_duration_seconds',
  help: 'Duration of one MultiNicOperator reconcile',
  labelNames: ['operator'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});
export const managedResources = gauge<'namespace' | 'name'>({
  name: 'multinic_operator_managed_resources_count',
  help: 'Objects one MultiNicOperator manages (desired set)',
  labelNames: ['namespace', 'name'],
});
export const writesTotal = counter<'action'>({
  name: 'multinic_operator_writes_total',
  help: 'Writes the operator issued to managed objects and CRs, by action',
  labelNames: ['action'],
});
const componentStatusGauge = gauge<'component' | 'namespace' | 'operator'>({
  name: 'multinic_component_status',
  help: 'Readiness of each managed component (1 ready, 0 not)',
  labelNames: ['component', 'namespace', 'operator'],
});

/** What the reconciler reads managed objects from (the informer caches in production). */
export interface ObservedStore {
  /** Every object carrying `managed-by-operator=<name>` (any kind and namespace). */
  managedBy(name: string): KubeObject[];
  /**
   * Jobs carrying `managed-by-operator=<name>`: the runs of the backup CronJob (they inherit its
   * labels). Read for `databaseStatus.lastBackup` only; never planned or pruned. @default none
   */
  jobs?(name: string): KubeObject[];
}

/** Records an Event on an object; best effort. */
export type EventSink = (obj: KubeObject, type: EventType, reason: string, message: string) => void;

/** Renders the desired objects of a validated CR (the MultiNicSystem constructs). */
export type RenderFn = (cr: MultiNicOperator) => KubeObject[] | Promise<KubeObject[]>;

export interface ReconcilerOptions {
  http: KubeHttp;
  render: RenderFn;
  store: ObservedStore;
  events?: EventSink;
  /** Adjusts desired objects before apply (webhook caBundle / URL). @default identity */
  customize?: (obj: KubeObject, cr: MultiNicOperator) => KubeObject;
  /** Protection objects of the mode are serving (webhook up). @default () => true */
  protectionServing?: (mode: string) => boolean;
  /** Give up waiting for cluster-scoped objects to go after this long (then Event + drop finalizer). @default 60_000 */
  finalizerTimeoutMs?: number;
  /** Objects written in parallel. @default 8 */
  applyConcurrency?: number;
  /** Requeue while components are not ready. @default 10_000 */
  pendingRequeueMs?: number;
  /** Periodic re-check while all is ready. @default 300_000 */
  readyRequeueMs?: number;
  clock?: Clock;
  logger?: Logger;
}

interface RawCr extends KubeObject {
  spec?: unknown;
  status?: Partial<OperatorStatus>;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function crRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: MULTINIC_OPERATOR.apiVersion, kind: MULTINIC_OPERATOR.kind, namespace, name };
}

function describeRef(obj: { kind?: string; metadata: { name?: string; namespace?: string } }): string {
  const ns =
    obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind ?? 'object'} ${ns}${obj.metadata.name ?? ''}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class OperatorReconciler {
  readonly #o: ReconcilerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EventSink;
  readonly #rendered = new Map<string, { uid: string; generation: number; objects: KubeObject[] }>();

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#events = options.events ?? (() => undefined);
  }

  async reconcile(key: { namespace: string; name: string }): Promise<WorkResult> {
    const started = performance.now();
    try {
      const result = await this.#reconcile(key);
      return result;
    } catch (error) {
      reconcileTotal.inc({ result: error instanceof TerminalError ? 'terminal' : 'error' });
      throw error;
    } finally {
      reconcileDuration.observe({ operator: 'multinic-operator' }, (performance.now() - started) / 1000);
    }
  }

  async #reconcile(key: { namespace: string; name: string }): Promise<WorkResult> {
    const { http } = this.#o;
    const raw = await getObject<RawCr>(http, crRef(key.namespace, key.name));
    if (raw === undefined) {
      this.forget(key);
      managedResources.remove({ namespace: key.namespace, name: key.name });
      reconcileTotal.inc({ result: 'deleted' });
      return undefined;
    }
    const owner: Owner = {
      apiVersion: MULTINIC_OPERATOR.apiVersion,
      kind: MULTINIC_OPERATOR.kind,
      namespace: key.namespace,
      name: key.name,
      uid: raw.metadata.uid ?? '',
    };
    if (raw.metadata.deletionTimestamp !== undefined) return this.#finalize(raw, owner);
    if (!(raw.metadata.finalizers ?? []).includes(FINALIZER)) {
      const patched = await mergePatchObject(http, crRef(key.namespace, key.name), {
        metadata: {
          finalizers: [...(raw.metadata.finalizers ?? []), FINALIZER],
          resourceVersion: raw.metadata.resourceVersion,
        },
      });
      writesTotal.inc({ action: 'finalizer' });
      raw.metadata.finalizers = patched.metadata.finalizers ?? [];
      if (patched.metadata.resourceVersion !== undefined)
        raw.metadata.resourceVersion = patched.metadata.resourceVersion;
    }

    let cr: MultiNicOperator;
    try {
      // Only the spec is the user's input; the status is ours and validated by the API server.
      const input: Partial<RawCr> = { ...raw };
      delete input.status;
      cr = parseMultiNicOperator({
        ...input,
        apiVersion: MULTINIC_OPERATOR.apiVersion,
        kind: MULTINIC_OPERATOR.kind,
      });
    } catch (error) {
      if (!(error instanceof ApiValidationError)) throw error;
      await this.#writeStatus(
        raw,
        owner,
        [],
        { reason: 'InvalidSpec', message: error.message },
        'internal',
        'off',
        raw.status?.databaseStatus?.lastBackup,
      );
      this.#events(raw, 'Warning', 'InvalidSpec', error.message);
      throw new TerminalError('InvalidSpec', error.message);
    }

    const customize = this.#o.customize ?? ((obj: KubeObject) => obj);
    let desired: KubeObject[];
    try {
      desired = (await this.#render(cr, owner)).map((obj) => decorate(customize(obj, cr), owner));
    } catch (error) {
      // Only a spec the constructs refuse is terminal; anything else (an API error or a missing
      // Secret while reading what the render needs) is retried with backoff.
      const invalid = error instanceof ConstructValidationError;
      const reason = invalid ? 'RenderFailed' : 'RenderRetrying';
      const message = `rendering the MultiNicSystem failed${invalid ? '' : ' (retrying)'}: ${errorText(error)}`;
      await this.#writeStatus(
        raw,
        owner,
        [],
        { reason, message },
        databaseMode(cr),
        cr.spec.protection.mode,
        raw.status?.databaseStatus?.lastBackup,
      );
      this.#events(raw, 'Warning', reason, message);
      if (invalid) throw new TerminalError(reason, message);
      throw new Error(message, { cause: error });
    }
    managedResources.set({ namespace: key.namespace, name: key.name }, desired.length);

    const observed = this.#o.store
      .managedBy(key.name)
      .filter((obj) => ownedBy(obj, owner) || isDesired(obj, desired));
    const taken = takenByOther(desired, observed, owner);
    if (taken.length > 0) {
      const others = [...new Set(taken.map((t) => t.ownerNamespace))].join(', ');
      const message = `another MultiNicOperator named ${owner.name} (namespace ${others}) already manages ${taken.map((t) => describeRef(t.object)).join(', ')}; one MultiNicOperator per name can share the agent namespace: rename this one or delete the other`;
      await this.#writeStatus(
        raw,
        owner,
        [],
        { reason: 'Conflict', message },
        databaseMode(cr),
        cr.spec.protection.mode,
        raw.status?.databaseStatus?.lastBackup,
      );
      this.#events(raw, 'Warning', 'Conflict', message);
      reconcileTotal.inc({ result: 'pending' });
      return { requeueAfterMs: this.#o.pendingRequeueMs ?? 10_000 };
    }
    const steady = raw.status?.observedGeneration === raw.metadata.generation;
    const { actions } = plan(desired, observed, owner);
    const failures: string[] = [];
    const results = new Map<string, KubeObject>();
    // Independent objects: apply in parallel (bounded); Kubernetes converges whatever the order
    // (a Deployment created before its ServiceAccount gets its pods once the account exists).
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < actions.length) {
        const action = actions[next++] as Action;
        try {
          const written = await this.#execute(action, raw, steady);
          if (written !== undefined) results.set(identity(written), written);
        } catch (error) {
          const what =
            action.type === 'delete' || action.type === 'release'
              ? `${action.type === 'delete' ? 'deleting' : 'releasing'} ${describeRef({ kind: action.ref.kind, metadata: action.ref })}`
              : `applying ${describeRef(action.object)}`;
          failures.push(`${what}: ${errorText(error)}`);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.#o.applyConcurrency ?? 8, actions.length) }, () => worker()),
    );

    const observedById = new Map(observed.map((obj) => [identity(obj), obj]));
    for (const [id, obj] of results) observedById.set(id, obj);
    const workloads: WorkloadReadiness[] = desired
      .filter((obj) => WORKLOAD_KINDS.has(obj.kind ?? ''))
      .map((obj) => workloadReadiness(componentOf(obj), obj, observedById.get(identity(obj))));
    for (const workload of workloads) {
      componentStatusGauge.set(
        { component: workload.component, namespace: key.namespace, operator: key.name },
        workload.found && workload.readyReplicas >= workload.desiredReplicas ? 1 : 0,
      );
    }

    // The backup CronJob's runs -> databaseStatus.lastBackup (absent when backups are off).
    const backupCronJob = desired.find(
      (obj) => obj.kind === 'CronJob' && obj.metadata.labels?.[APP_COMPONENT_LABEL] === 'backup',
    );
    const lastBackup =
      backupCronJob === undefined
        ? undefined
        : lastBackupOf(
            observedById.get(identity(backupCronJob)),
            this.#o.store.jobs?.(key.name) ?? [],
            raw.status?.databaseStatus?.lastBackup,
          );

    const error =
      failures.length > 0
        ? { reason: 'ApplyFailed', message: `${failures.length} object(s) failed: ${failures.join('; ')}` }
        : undefined;
    const status = await this.#writeStatus(
      raw,
      owner,
      workloads,
      error,
      databaseMode(cr),
      cr.spec.protection.mode,
      lastBackup,
      databaseSecretName(cr),
    );
    if (error !== undefined) {
      this.#events(raw, 'Warning', 'ApplyFailed', error.message);
      throw new Error(error.message);
    }
    if (status.phase === 'Running') {
      reconcileTotal.inc({ result: 'success' });
      return { requeueAfterMs: this.#o.readyRequeueMs ?? 300_000 };
    }
    reconcileTotal.inc({ result: 'pending' });
    return { requeueAfterMs: this.#o.pendingRequeueMs ?? 10_000 };
  }

  /**
   * Rendering is a pure function of the spec (plus generated Secret values that never change once
   * written), so its output is kept per CR generation: a repair (deleted or edited object) skips
   * the constructs and goes straight to the apply.
   */
  async #render(cr: MultiNicOperator, owner: Owner): Promise<KubeObject[]> {
    const key = `${owner.namespace}/${owner.name}`;
    const generation = cr.metadata.generation ?? 0;
    const cached = this.#rendered.get(key);
    if (cached !== undefined && cached.uid === owner.uid && cached.generation === generation)
      return cached.objects;
    const objects = await this.#o.render(cr);
    this.#rendered.set(key, { uid: owner.uid, generation, objects });
    return objects;
  }

  /** Forgets the cached rendering of a CR (deleted, or its operator configuration changed). */
  forget(key: { namespace: string; name: string }): void {
    this.#rendered.delete(`${key.namespace}/${key.name}`);
  }

  async #execute(action: Action, cr: RawCr, steady: boolean): Promise<KubeObject | undefined> {
    const { http } = this.#o;
    this.#logger.debug('operator: action', {
      cr: `${cr.metadata.namespace ?? ''}/${cr.metadata.name ?? ''}`,
      type: action.type,
      object:
        action.type === 'delete' || action.type === 'release'
          ? describeRef({ kind: action.ref.kind, metadata: action.ref })
          : describeRef(action.object),
      ...(action.type === 'apply' ? { reason: action.reason } : {}),
      ...(action.type === 'strip' ? { foreign: action.foreign } : {}),
    });
    switch (action.type) {
      case 'apply': {
        const applied = await applyObject(http, action.object, { fieldManager: FIELD_MANAGER, force: true });
        writesTotal.inc({ action: 'apply' });
        if (steady) {
          const reason = action.reason === 'missing' ? 'Restored' : 'Repaired';
          const text =
            action.reason === 'missing'
              ? 'was missing; re-created'
              : 'had drifted from the MultiNicOperator spec; re-applied';
          this.#events(cr, 'Normal', reason, `${describeRef(action.object)} ${text}`);
        }
        return applied;
      }
      case 'strip': {
        const paths = action.foreign.flatMap((foreign) => foreign.paths);
        const managers = [...new Set(action.foreign.map((foreign) => foreign.manager))].join(', ');
        const cleaned = withoutPaths(action.observed, paths);
        const ref = refOfObject(action.observed);
        const path = await http.objectPath(ref);
        await http.request('PUT', path, { body: cleaned, query: { fieldManager: FIELD_MANAGER } });
        const applied = await applyObject(http, action.object, { fieldManager: FIELD_MANAGER, force: true });
        writesTotal.inc({ action: 'strip' });
        this.#events(
          cr,
          'Normal',
          'Repaired',
          `${describeRef(action.object)}: removed fields added outside the MultiNicOperator (${paths.join(', ')}; by ${managers})`,
        );
        return applied;
      }
      case 'delete': {
        await deleteObject(http, action.ref, action.uid !== undefined ? { uid: action.uid } : {});
        writesTotal.inc({ action: 'delete' });
        this.#events(
          cr,
          'Normal',
          'Pruned',
          `${describeRef({ kind: action.ref.kind, metadata: action.ref })} is no longer desired; deleted`,
        );
        return undefined;
      }
      case 'release': {
        await mergePatchObject(http, action.ref, { metadata: { ownerReferences: action.ownerReferences } });
        writesTotal.inc({ action: 'release' });
        return undefined;
      }
    }
  }

  async #writeStatus(
    raw: RawCr,
    owner: Owner,
    workloads: WorkloadReadiness[],
    error: { reason: string; message: string } | undefined,
    database: 'internal' | 'external' | 'disabled',
    mode: 'policy' | 'webhook' | 'both' | 'off',
    lastBackup: LastBackup | undefined,
    secretName?: string,
  ): Promise<OperatorStatus> {
    const serving = this.#o.protectionServing ?? (() => true);
    const status = computeStatus({
      generation: raw.metadata.generation ?? 0,
      previous: raw.status,
      workloads,
      database,
      protectionMode: mode,
      protectionActive: mode !== 'off' && serving(mode),
      ...(secretName !== undefined ? { databaseSecretName: secretName } : {}),
      ...(lastBackup !== undefined ? { lastBackup } : {}),
      ...(error !== undefined ? { error } : {}),
      now: new Date(this.#clock.now()),
    });
    if (!statusChanged(raw.status, status)) return status;
    this.#logger.debug('operator: status changed', {
      cr: `${owner.namespace}/${owner.name}`,
      before: raw.status,
      after: status,
    });
    const ref = crRef(owner.namespace, owner.name);
    // Denials are counted by every replica through their own status patches (./denials.ts).
    // Once the counter exists it is theirs: never overwrite it with a possibly older value. The
    // first write creates it (0), guarded by the resourceVersion so a concurrent count wins.
    const counted = raw.status?.protectionStatus?.preventedMutations !== undefined;
    const protection: Partial<OperatorStatus['protectionStatus']> = { ...status.protectionStatus };
    if (counted) {
      delete protection.preventedMutations;
      delete protection.lastProtectionEvent;
    }
    // A merge patch keeps members it does not name: a dropped lastBackup is removed with null.
    const dropBackup =
      raw.status?.databaseStatus?.lastBackup !== undefined && status.databaseStatus?.lastBackup === undefined;
    const patch = {
      ...(counted ? {} : { metadata: { resourceVersion: raw.metadata.resourceVersion } }),
      status: {
        ...status,
        protectionStatus: protection,
        ...(dropBackup ? { databaseStatus: { ...status.databaseStatus, lastBackup: null } } : {}),
      },
    };
    try {
      await mergePatchObject(this.#o.http, ref, patch, {
        subresource: 'status',
        fieldManager: FIELD_MANAGER,
      });
      writesTotal.inc({ action: 'status' });
    } catch (err) {
      if (isKubeStatus(err, 404)) return status;
      throw err;
    }
    if (raw.status?.phase !== status.phase) {
      this.#logger.info('operator: phase', {
        namespace: owner.namespace,
        name: owner.name,
        phase: status.phase,
        message: status.message,
      });
    }
    return status;
  }

  /**
   * Deletion: objects in the CR's namespace go with it (owner references, garbage collector);
   * cluster-scoped and other-namespace objects are deleted here. The finalizer is removed once
   * they are gone, or after `finalizerTimeoutMs` with a Warning Event naming what is stuck.
   */
  async #finalize(raw: RawCr, owner: Owner): Promise<WorkResult> {
    const { http } = this.#o;
    if (!(raw.metadata.finalizers ?? []).includes(FINALIZER)) return undefined;
    const outside = this.#o.store
      .managedBy(owner.name)
      .filter((obj) => ownedBy(obj, owner) && obj.metadata.namespace !== owner.namespace);
    const remaining: KubeObject[] = [];
    for (const obj of outside) {
      try {
        const ref = refOfObject(obj);
        const live = await getObject(http, ref);
        if (live === undefined) continue;
        if (live.metadata.deletionTimestamp === undefined) {
          await deleteObject(http, ref, live.metadata.uid !== undefined ? { uid: live.metadata.uid } : {});
          writesTotal.inc({ action: 'delete' });
        }
        if ((await getObject(http, ref)) !== undefined) remaining.push(obj);
      } catch (error) {
        this.#logger.warn('operator: finalizer delete failed', { object: describeRef(obj), error });
        remaining.push(obj);
      }
    }
    const deletingFor = this.#clock.now() - Date.parse(raw.metadata.deletionTimestamp ?? '');
    const timeout = this.#o.finalizerTimeoutMs ?? 60_000;
    if (remaining.length > 0 && deletingFor < timeout) {
      return { requeueAfterMs: 1_000 };
    }
    if (remaining.length > 0) {
      this.#events(
        raw,
        'Warning',
        'FinalizerTimeout',
        `gave up waiting ${Math.round(timeout / 1000)} s for ${remaining.map(describeRef).join(', ')} to be deleted; removing the finalizer anyway`,
      );
    }
    const finalizers = (raw.metadata.finalizers ?? []).filter((item) => item !== FINALIZER);
    try {
      await mergePatchObject(http, crRef(owner.namespace, owner.name), {
        metadata: { finalizers, resourceVersion: raw.metadata.resourceVersion },
      });
      writesTotal.inc({ action: 'finalizer' });
    } catch (error) {
      if (!isKubeStatus(error, 404)) throw error;
    }
    managedResources.remove({ namespace: owner.namespace, name: owner.name });
    reconcileTotal.inc({ result: 'deleted' });
    return undefined;
  }
}

function isDesired(obj: KubeObject, desired: readonly KubeObject[]): boolean {
  const id = identity(obj);
  return desired.some((want) => identity(want) === id);
}

/** `app.kubernetes.io/component` of a workload, falling back to its name. */
function componentOf(obj: KubeObject): string {
  return obj.metadata.labels?.[APP_COMPONENT_LABEL] ?? obj.metadata.name ?? 'workload';
}

function databaseMode(cr: MultiNicOperator): 'internal' | 'external' | 'disabled' {
  if (cr.spec.database.enabled) return 'internal';
  return cr.spec.database.external !== undefined ? 'external' : 'disabled';
}

function databaseSecretName(cr: MultiNicOperator): string | undefined {
  const external = cr.spec.database.external?.secretRef.name;
  if (external !== undefined) return external;
  if (!cr.spec.database.enabled) return undefined;
  return cr.spec.database.credentials.secretRef?.name ?? defaultCredentialsSecretName(cr.metadata.name ?? '');
}
