// The agent-controller's runtime: informers (node configs, biz configs, agent Jobs, Nodes),
// one work queue, the rollout gate, and the adapters that execute the pure plans of plan.ts.
//
// reconcile contract (both kinds): level-based and idempotent; it re-reads the informer caches,
// never the event payload. A thrown error is retried with capped exponential backoff; a
// `TerminalError` is not retried (the status and an Event already say what is wrong).
// Status writes do not trigger reconciles: node config updates are filtered by
// `generationOrMetaChanged` (status writes do not re-trigger); Job and Node events enqueue only on changes
// that matter (Job phase, Node UUID/OS image/existence).
//
// API:
//   const controller = new AgentController({ http, nodeConfigNamespace, agentNamespace, maxConcurrentNodes,
//       jobDefaults, workers?, resyncMs?, clock?, logger?, events? })
//   await controller.start()        informers synced, queue running
//   controller.hasSynced(); controller.inFlight(); await controller.stop()
import {
  BIZ_CONFIG_LABEL,
  MULTINIC_BIZ_CONFIG,
  MULTINIC_NODE_CONFIG,
  parseMultiNicNodeConfigSpec,
  type MultiNicNodeConfigStatus,
} from '../api/index.js';
import { parseAgentResult, type AgentResult } from '../agent/result.js';
import type { AgentJobDefaults } from '../constructs/agent/agent-job.js';
import {
  applyObject,
  createObject,
  deleteObject,
  isSubset,
  listObjects,
  mergePatchObject,
} from '../kube/apply.js';
import { systemClock, type Clock } from '../kube/clock.js';
import { EventRecorder } from '../kube/events.js';
import { isKubeStatus, type KubeHttp } from '../kube/http.js';
import { generationOrMetaChanged, Informer } from '../kube/informer.js';
import { patchStatus } from '../kube/status.js';
import { objectKey, parseObjectKey, refOf, type KubeObject } from '../kube/types.js';
import { TerminalError, WorkQueue } from '../kube/work-queue.js';
import { CALL_DURATION_BUCKETS, counter, gauge, histogram } from '../observability/metrics.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import {
  FINALIZER,
  jobView,
  needsSlot,
  nodeNameOf,
  nodeView,
  planBizConfig,
  planNodeConfig,
  type Action,
  type BizConfigObject,
  type JobView,
  type NodeConfigObject,
} from './plan.js';
import { RolloutGate } from './rollout.js';

const reconcileTotal = counter<'kind' | 'result'>({
  name: 'multinic_agent_controller_reconcile_total',
  help: 'Reconciles by kind (NodeConfig, BizConfig) and result (ok, error, terminal)',
  labelNames: ['kind', 'result'],
});
const reconcileSeconds = histogram<'kind'>({
  name: 'multinic_agent_controller_reconcile_duration_seconds',
  help: 'Duration of one reconcile',
  labelNames: ['kind'],
  buckets: CALL_DURATION_BUCKETS,
});
const jobsCreated = counter<'action'>({
  name: 'multinic_agent_controller_jobs_created_total',
  help: 'Agent Jobs created by action (apply, cleanup)',
  labelNames: ['action'],
});
const inFlightGauge = gauge({
  name: 'multinic_agent_controller_jobs_in_flight',
  help: 'Nodes with a running (or just created) agent Job',
});
const nodeStates = gauge<'state'>({
  name: 'multinic_agent_controller_node_configs',
  help: 'MultiNicNodeConfigs by status.state',
  labelNames: ['state'],
});

export const FIELD_MANAGER = 'multinic-agent-controller';
const AGENT_SELECTOR = 'app.kubernetes.io/name=multinic-agent';

export interface AgentControllerOptions {
  http: KubeHttp;
  /** Namespace of MultiNicNodeConfigs and MultiNicBizConfigs. */
  nodeConfigNamespace: string;
  /** Namespace of the agent Jobs. */
  agentNamespace: string;
  /** Nodes that may change at once (docs/architecture.md#bounded-rollout). @default 1 */
  maxConcurrentNodes?: number;
  /** Only Nodes with all these labels get agents (`AGENT_NODE_SELECTOR`). @default {} */
  nodeSelector?: Record<string, string>;
  /** Everything about the Jobs that is the same for every node (`AGENT_JOB_DEFAULTS`). */
  jobDefaults?: AgentJobDefaults;
  /** Parallel reconciles. @default 8 */
  workers?: number;
  /** Informer resync. @default 600_000 */
  resyncMs?: number;
  /** Delay that coalesces BizConfig rollups after node config status changes. @default 500 */
  rollupDelayMs?: number;
  clock?: Clock;
  logger?: Logger;
  events?: EventRecorder;
}

type QueueKey = `n:${string}` | `b:${string}`;

export class AgentController {
  private readonly http: KubeHttp;
  private readonly options: AgentControllerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly events: EventRecorder;
  private readonly maxConcurrentNodes: number;
  private readonly jobDefaults: AgentJobDefaults;
  readonly nodeConfigs: Informer<NodeConfigObject>;
  readonly bizConfigs: Informer<BizConfigObject>;
  readonly jobs: Informer;
  readonly nodes: Informer;
  private readonly queue: WorkQueue<QueueKey>;
  private readonly gate: RolloutGate;
  /** node name -> (job name -> view), from the Job informer. */
  private readonly jobsByNode = new Map<string, Map<string, JobView>>();
  /** node name -> node config keys, from the node config informer. */
  private readonly configsByNode = new Map<string, Set<string>>();
  /** uids of configs whose finalizer we removed: a lagging cache must not start another cleanup. */
  private readonly finalized = new Set<string>();
  /** Our own status writes, newer than the cache until the watch delivers them. */
  private readonly written = new Map<string, { resourceVersion: string; status: Record<string, unknown> }>();

  constructor(options: AgentControllerOptions) {
    this.options = options;
    this.http = options.http;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'agent-controller' });
    this.maxConcurrentNodes = Math.max(1, options.maxConcurrentNodes ?? 1);
    this.jobDefaults = { ...options.jobDefaults, namespace: options.agentNamespace };
    this.events =
      options.events ??
      new EventRecorder({
        http: this.http,
        component: FIELD_MANAGER,
        clock: this.clock,
        logger: this.logger,
      });
    const common = {
      http: this.http,
      clock: this.clock,
      logger: this.logger,
      resyncMs: options.resyncMs ?? 600_000,
    };
    this.nodeConfigs = new Informer<NodeConfigObject>({
      ...common,
      apiVersion: MULTINIC_NODE_CONFIG.apiVersion,
      kind: MULTINIC_NODE_CONFIG.kind,
      namespace: options.nodeConfigNamespace,
    });
    this.bizConfigs = new Informer<BizConfigObject>({
      ...common,
      apiVersion: MULTINIC_BIZ_CONFIG.apiVersion,
      kind: MULTINIC_BIZ_CONFIG.kind,
      namespace: options.nodeConfigNamespace,
    });
    this.jobs = new Informer({
      ...common,
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: options.agentNamespace,
      labelSelector: AGENT_SELECTOR,
    });
    this.nodes = new Informer({ ...common, resyncMs: 0, apiVersion: 'v1', kind: 'Node' });
    this.gate = new RolloutGate(this.maxConcurrentNodes, () => this.clock.now());
    this.queue = new WorkQueue<QueueKey>(
      { name: 'agent_controller', workers: options.workers ?? 8, clock: this.clock, logger: this.logger },
      (key) => this.reconcile(key),
    );
    this.wire();
  }

  private wire(): void {
    const nodeKey = (config: NodeConfigObject): QueueKey => `n:${objectKey(config)}`;
    const index = (config: NodeConfigObject, add: boolean): void => {
      const node = nodeNameOf(config);
      const keys = this.configsByNode.get(node) ?? new Set<string>();
      if (add) keys.add(objectKey(config));
      else keys.delete(objectKey(config));
      if (keys.size > 0) this.configsByNode.set(node, keys);
      else this.configsByNode.delete(node);
    };
    const rollup = (config: NodeConfigObject): void => {
      const biz = config.metadata.labels?.[BIZ_CONFIG_LABEL];
      if (biz)
        this.queue.addAfter(`b:${config.metadata.namespace}/${biz}`, this.options.rollupDelayMs ?? 500);
    };
    this.nodeConfigs.addHandler({
      add: (config) => {
        index(config, true);
        this.queue.add(nodeKey(config));
        rollup(config);
      },
      update: (old, config) => {
        if (nodeNameOf(old) !== nodeNameOf(config)) index(old, false);
        index(config, true);
        if (generationOrMetaChanged(old, config)) this.queue.add(nodeKey(config));
        if (old !== config) rollup(config);
      },
      delete: (config) => {
        index(config, false);
        this.written.delete(config.metadata.uid ?? '');
        this.finalized.delete(config.metadata.uid ?? '');
        this.queue.add(nodeKey(config));
        rollup(config);
      },
    });
    this.bizConfigs.addHandler({
      add: (biz) => this.queue.add(`b:${objectKey(biz)}`),
      update: (old, biz) => {
        if (generationOrMetaChanged(old, biz)) this.queue.add(`b:${objectKey(biz)}`);
      },
      delete: (biz) => this.queue.add(`b:${objectKey(biz)}`),
    });
    const onJob = (job: KubeObject, removed: boolean): void => {
      const view = jobView(job);
      if (!view.nodeName) return;
      const byName = this.jobsByNode.get(view.nodeName) ?? new Map<string, JobView>();
      const before = byName.get(view.name);
      if (removed) byName.delete(view.name);
      else byName.set(view.name, view);
      if (byName.size > 0) this.jobsByNode.set(view.nodeName, byName);
      else this.jobsByNode.delete(view.nodeName);
      if (!removed) this.gate.observed(view.nodeName, view.name);
      const wasActive = before?.phase === 'Active';
      const isActive = !removed && view.phase === 'Active';
      if (wasActive && !isActive) this.wake();
      this.updateInFlight();
      const changed = removed || !before || before.phase !== view.phase || before.deleting !== view.deleting;
      if (changed && view.configKey) this.queue.add(`n:${view.configKey}`);
    };
    this.jobs.addHandler({
      add: (job) => onJob(job, false),
      update: (_old, job) => onJob(job, false),
      delete: (job) => onJob(job, true),
    });
    const onNode = (node: KubeObject): void => {
      for (const key of this.configsByNode.get(node.metadata.name ?? '') ?? []) this.queue.add(`n:${key}`);
    };
    this.nodes.addHandler({
      add: onNode,
      update: (old, node) => {
        const a = nodeView(old);
        const b = nodeView(node);
        if (
          a.systemUUID !== b.systemUUID ||
          a.osImage !== b.osImage ||
          JSON.stringify(a.labels) !== JSON.stringify(b.labels)
        ) {
          onNode(node);
        }
      },
      delete: onNode,
    });
  }

  private activeNodes(): Set<string> {
    const active = new Set<string>();
    for (const [node, jobs] of this.jobsByNode) {
      for (const job of jobs.values()) if (job.phase === 'Active') active.add(node);
    }
    return active;
  }

  private updateInFlight(): void {
    inFlightGauge.set(this.gate.inFlight(this.activeNodes()));
  }

  /** Nodes currently holding a rollout slot (running Job or just created). */
  inFlight(): number {
    return this.gate.inFlight(this.activeNodes());
  }

  private wake(): void {
    const free = this.maxConcurrentNodes - this.inFlight();
    const keys = this.gate.takeWaiting(free);
    for (const key of keys) this.queue.add(key as QueueKey);
    this.logger.debug('rollout slots freed', { free, woken: keys });
  }

  hasSynced(): boolean {
    return [this.nodeConfigs, this.bizConfigs, this.jobs, this.nodes].every((informer) =>
      informer.hasSynced(),
    );
  }

  async start(signal?: AbortSignal): Promise<void> {
    // Jobs and Nodes first, so the first node config reconciles see the in-flight Jobs.
    this.jobs.start();
    this.nodes.start();
    await Promise.all([this.jobs.waitForSync(signal), this.nodes.waitForSync(signal)]);
    this.nodeConfigs.start();
    this.bizConfigs.start();
    await Promise.all([this.nodeConfigs.waitForSync(signal), this.bizConfigs.waitForSync(signal)]);
    this.queue.start();
    this.logger.info('agent-controller started', {
      nodeConfigs: this.nodeConfigs.size,
      jobs: this.jobs.size,
      maxConcurrentNodes: this.maxConcurrentNodes,
    });
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
    await Promise.all([this.nodeConfigs.stop(), this.bizConfigs.stop(), this.jobs.stop(), this.nodes.stop()]);
    await this.events.flush();
  }

  /** Resolves when the queue is empty and nothing runs (tests, benchmarks). */
  whenIdle(): Promise<void> {
    return this.queue.whenIdle();
  }

  private async reconcile(key: QueueKey): Promise<void> {
    const kind = key.startsWith('b:') ? 'BizConfig' : 'NodeConfig';
    const started = performance.now();
    try {
      if (kind === 'BizConfig') await this.reconcileBiz(key.slice(2));
      else await this.reconcileNode(key.slice(2));
      reconcileTotal.inc({ kind, result: 'ok' });
    } catch (err) {
      reconcileTotal.inc({ kind, result: err instanceof TerminalError ? 'terminal' : 'error' });
      throw err;
    } finally {
      reconcileSeconds.observe({ kind }, (performance.now() - started) / 1000);
    }
  }

  /** The cached config, with our own newer status write laid over a lagging cache. */
  private current(namespace: string | undefined, name: string): NodeConfigObject | undefined {
    const cached = this.nodeConfigs.get(name, namespace);
    if (!cached) return undefined;
    const memo = this.written.get(cached.metadata.uid ?? '');
    if (memo && Number(memo.resourceVersion) > Number(cached.metadata.resourceVersion ?? 0)) {
      return { ...cached, status: memo.status as MultiNicNodeConfigStatus };
    }
    if (memo) this.written.delete(cached.metadata.uid ?? '');
    return cached;
  }

  private async reconcileNode(key: string): Promise<void> {
    const { namespace, name } = parseObjectKey(key);
    const config = this.current(namespace, name);
    if (!config || this.finalized.has(config.metadata.uid ?? '')) {
      this.gate.forget(`n:${key}`);
      return;
    }
    const nodeName = nodeNameOf(config);
    if (config.metadata.deletionTimestamp === undefined) {
      try {
        parseMultiNicNodeConfigSpec(config.spec);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await this.events.record(config, 'Warning', 'InvalidSpec', message);
        throw new TerminalError('InvalidSpec', message);
      }
    }
    const nodeObject = this.nodes.get(nodeName);
    const node = nodeObject ? nodeView(nodeObject) : undefined;
    const jobs = [...(this.jobsByNode.get(nodeName)?.values() ?? [])];
    const generation = config.metadata.generation ?? 1;
    const current = jobs.find(
      (job) => job.action === 'apply' && job.generation === generation && job.phase !== 'Active',
    );
    let result: AgentResult | undefined;
    let resultError: string | undefined;
    const settled =
      config.status?.observedGeneration === generation &&
      (config.status.state === 'Configured' || config.status.state === 'Failed');
    if (current && !settled && config.metadata.deletionTimestamp === undefined) {
      ({ result, resultError } = await this.readResult(current.name));
    }
    const base = {
      config,
      node,
      jobs,
      result,
      resultError,
      maxConcurrentNodes: this.maxConcurrentNodes,
      nodeSelector: this.options.nodeSelector ?? {},
      jobDefaults: this.jobDefaults,
      now: new Date(this.clock.now()),
    };
    let actions = planNodeConfig({ ...base, slotGranted: false });
    if (needsSlot(actions)) {
      if (this.gate.tryAcquire(nodeName, this.activeNodes())) {
        actions = planNodeConfig({ ...base, slotGranted: true });
        const create = actions.find((action) => action.type === 'createJob');
        if (create) this.gate.bind(nodeName, create.job.metadata.name);
        else this.gate.release(nodeName);
      } else {
        this.gate.wait(`n:${key}`);
      }
    }
    this.updateInFlight();
    this.logger.debug('reconcile node config', {
      key,
      generation,
      state: config.status?.state,
      actions: actions.map((action) => action.type),
      inFlight: this.inFlight(),
      waiting: this.gate.waitingCount,
    });
    await this.execute(config, nodeName, actions);
  }

  private async readResult(jobName: string): Promise<{ result?: AgentResult; resultError?: string }> {
    const pods = await listObjects(
      this.http,
      { apiVersion: 'v1', kind: 'Pod' },
      {
        namespace: this.options.agentNamespace,
        labelSelector: `job-name=${jobName}`,
      },
    );
    type Terminated = { message?: string; finishedAt?: string };
    type ContainerStatus = {
      name: string;
      state?: { terminated?: Terminated };
      lastState?: { terminated?: Terminated };
    };
    const messages = pods
      .flatMap(
        (pod) =>
          (pod['status'] as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses ?? [],
      )
      .map((status) => status.state?.terminated ?? status.lastState?.terminated)
      .filter(
        (terminated): terminated is Terminated =>
          terminated?.message !== undefined && terminated.message.trim() !== '',
      )
      .sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''));
    const newest = messages.at(-1);
    if (!newest?.message) return { resultError: `no termination message in the pods of Job ${jobName}` };
    try {
      return { result: parseAgentResult(newest.message) };
    } catch (err) {
      return { resultError: err instanceof Error ? err.message : String(err) };
    }
  }

  private async execute(config: NodeConfigObject, nodeName: string, actions: Action[]): Promise<void> {
    const ref = refOf(config);
    for (const action of actions) {
      switch (action.type) {
        case 'addFinalizer':
        case 'removeFinalizer': {
          const finalizers = (config.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
          if (action.type === 'addFinalizer') finalizers.push(FINALIZER);
          try {
            await mergePatchObject(this.http, ref, {
              metadata: { finalizers, resourceVersion: config.metadata.resourceVersion },
            });
          } catch (err) {
            if (action.type === 'removeFinalizer' && isKubeStatus(err, 404)) break;
            throw err;
          }
          if (action.type === 'removeFinalizer') {
            this.finalized.add(config.metadata.uid ?? '');
            this.gate.release(nodeName);
          }
          break;
        }
        case 'createJob':
          try {
            await createObject(this.http, action.job as unknown as KubeObject, {
              fieldManager: FIELD_MANAGER,
            });
            jobsCreated.inc({ action: action.job.metadata.labels['multinic.io/action'] ?? 'apply' });
          } catch (err) {
            if (!isKubeStatus(err, 409)) {
              this.gate.release(nodeName);
              this.wake();
              throw err;
            }
          }
          break;
        case 'deleteJob':
          await deleteObject(
            this.http,
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              namespace: this.options.agentNamespace,
              name: action.name,
            },
            { propagationPolicy: 'Background' },
          );
          break;
        case 'writeStatus': {
          const { written, object } = await patchStatus(
            this.http,
            config,
            action.status as Record<string, unknown>,
            {
              fieldManager: FIELD_MANAGER,
            },
          );
          if (written) {
            this.written.set(config.metadata.uid ?? '', {
              resourceVersion: object.metadata.resourceVersion ?? '0',
              status: (object['status'] ?? {}) as Record<string, unknown>,
            });
            this.countStates();
          }
          break;
        }
        case 'event':
          void this.events.record(config, action.eventType, action.reason, action.message);
          break;
        case 'waitForSlot':
          break;
      }
    }
  }

  private countStates(): void {
    const counts: Record<string, number> = { Pending: 0, InProgress: 0, Configured: 0, Failed: 0 };
    for (const config of this.nodeConfigs.list()) {
      const state =
        this.current(config.metadata.namespace, config.metadata.name ?? '')?.status?.state ?? 'Pending';
      counts[state] = (counts[state] ?? 0) + 1;
    }
    for (const [state, value] of Object.entries(counts)) nodeStates.set({ state }, value);
  }

  private async reconcileBiz(key: string): Promise<void> {
    const { namespace, name } = parseObjectKey(key);
    const biz = this.bizConfigs.get(name, namespace);
    if (!biz || biz.metadata.deletionTimestamp !== undefined) return;
    const wanted = new Set(biz.spec.nodeConfigs.map((entry) => entry.attachedNodeName));
    const nodeConfigs = this.nodeConfigs
      .list(namespace)
      .filter(
        (config) =>
          config.metadata.labels?.[BIZ_CONFIG_LABEL] === name || wanted.has(config.metadata.name ?? ''),
      )
      .map((config) => this.current(config.metadata.namespace, config.metadata.name ?? '') ?? config);
    const plan = planBizConfig({ biz, nodeConfigs, now: new Date(this.clock.now()) }, isSubset);
    for (const desired of plan.apply)
      await applyObject(this.http, desired, { fieldManager: FIELD_MANAGER, force: true });
    for (const gone of plan.remove) {
      await deleteObject(this.http, {
        apiVersion: MULTINIC_NODE_CONFIG.apiVersion,
        kind: MULTINIC_NODE_CONFIG.kind,
        namespace: namespace ?? '',
        name: gone,
      });
    }
    await patchStatus(this.http, biz, plan.status, { fieldManager: FIELD_MANAGER });
  }
}
