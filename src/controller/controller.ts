// The controller's watches and work queue: OpenstackConfigs (the root kind), MultiNicOperators
// (their `reconcileTrigger`), and MultiNicNodeConfigs in the node-config namespace (agent results
// back into MariaDB, drift of delivered configs). Reconciling is `OpenstackConfigReconciler`.
//
// API:
//   const c = new OpenstackConfigController({ http, db, repositories, nodeConfigNamespace, ... })
//   await c.start()          informers synced, queue running
//   c.trigger(ns?, name?)    webhook/manual request: returns the keys queued
//   c.hasSynced(); await c.stop()
import { MULTINIC_NODE_CONFIG, MULTINIC_OPERATOR, OPENSTACK_CONFIG } from '../api/groups.js';
import { OPENSTACK_CONFIG_LABEL } from '../api/labels.js';
import type { Database } from '../db/pool.js';
import type { Repositories } from '../db/repositories.js';
import { EventRecorder } from '../kube/events.js';
import type { KubeHttp } from '../kube/http.js';
import { Informer, generationOrMetaChanged } from '../kube/informer.js';
import type { KubeObject } from '../kube/types.js';
import { objectKey, parseObjectKey } from '../kube/types.js';
import { WorkQueue } from '../kube/work-queue.js';
import type { Clock } from '../kube/clock.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import type { HttpClientOptions, TokenCache } from '../openstack/index.js';
import { CONFIG_HASH_ANNOTATION, ownerLabel } from './delivery.js';
import { specHash } from './plan.js';
import type { NodeConfigObject } from './delivery.js';
import { OpenstackConfigReconciler } from './reconciler.js';
import { DEFAULT_TRIGGER, triggerFromSpec } from './trigger.js';
import type { TriggerConfig } from './trigger.js';

export interface OpenstackConfigControllerOptions {
  http: KubeHttp;
  /** MariaDB; without it allocations are read back from the delivered node configs (no inventory). */
  db?: Database;
  repositories?: Repositories;
  /** Where local node configs live (watched for agent results). */
  nodeConfigNamespace: string;
  /** Watch OpenstackConfigs in this namespace only. @default - all namespaces */
  watchNamespace?: string;
  /** The MultiNicOperator whose reconcileTrigger applies (name, namespace). @default - the first by name in the config's namespace */
  operator?: { namespace: string; name: string };
  violaEndpoint?: string;
  /** Accept exec plugins in workload-cluster kubeconfigs. @default false */
  insecureKubeconfigExec?: boolean;
  /** Hosts credentials and tokens may go to besides the Keystone catalog. @default [] */
  allowedEndpointHosts?: readonly string[];
  /** Keys reconciled in parallel. @default 4 */
  workers?: number;
  /** Record Events. @default true */
  events?: boolean;
  openstackHttp?: Omit<HttpClientOptions, 'timeoutMs' | 'tls'>;
  tokenCache?: TokenCache;
  clock?: Clock;
  logger?: Logger;
}

export class OpenstackConfigController {
  readonly configs: Informer;
  readonly operators: Informer;
  readonly nodeConfigs: Informer<NodeConfigObject>;
  readonly reconciler: OpenstackConfigReconciler;
  readonly queue: WorkQueue;
  readonly events: EventRecorder | undefined;
  private readonly logger: Logger;
  /** ownerLabel value -> config key (label values are sanitised, so the mapping is remembered). */
  private readonly owners = new Map<string, string>();

  constructor(private readonly options: OpenstackConfigControllerOptions) {
    this.logger = options.logger ?? silentLogger;
    const common = {
      http: options.http,
      logger: this.logger,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    };
    this.configs = new Informer({
      ...common,
      apiVersion: OPENSTACK_CONFIG.apiVersion,
      kind: OPENSTACK_CONFIG.kind,
      ...(options.watchNamespace !== undefined ? { namespace: options.watchNamespace } : {}),
    });
    this.operators = new Informer({
      ...common,
      apiVersion: MULTINIC_OPERATOR.apiVersion,
      kind: MULTINIC_OPERATOR.kind,
      ...(options.operator !== undefined
        ? { namespace: options.operator.namespace }
        : options.watchNamespace !== undefined
          ? { namespace: options.watchNamespace }
          : {}),
    });
    this.nodeConfigs = new Informer<NodeConfigObject>({
      ...common,
      apiVersion: MULTINIC_NODE_CONFIG.apiVersion,
      kind: MULTINIC_NODE_CONFIG.kind,
      namespace: options.nodeConfigNamespace,
    });
    this.events =
      options.events === false
        ? undefined
        : new EventRecorder({
            http: options.http,
            component: 'multinic-controller',
            logger: this.logger,
            ...(options.clock ? { clock: options.clock } : {}),
          });
    this.reconciler = new OpenstackConfigReconciler({
      http: options.http,
      ...(options.db !== undefined ? { db: options.db } : {}),
      ...(options.repositories !== undefined ? { repositories: options.repositories } : {}),
      getConfig: (namespace, name) => this.configs.get(name, namespace),
      triggerFor: (namespace) => this.triggerFor(namespace),
      nodeConfigCache: () => this.nodeConfigs.list(),
      nodeConfigNamespace: options.nodeConfigNamespace,
      ...(options.violaEndpoint !== undefined ? { violaEndpoint: options.violaEndpoint } : {}),
      insecureKubeconfigExec: options.insecureKubeconfigExec === true,
      allowedEndpointHosts: options.allowedEndpointHosts ?? [],
      ...(this.events !== undefined ? { events: this.events } : {}),
      ...(options.openstackHttp !== undefined ? { openstackHttp: options.openstackHttp } : {}),
      ...(options.tokenCache !== undefined ? { tokenCache: options.tokenCache } : {}),
      ...(options.clock !== undefined ? { now: () => (options.clock as Clock).now() } : {}),
      logger: this.logger,
    });
    this.queue = new WorkQueue(
      {
        name: 'openstackconfig',
        workers: options.workers ?? 4,
        backoff: { baseMs: 500, maxMs: 300_000 },
        logger: this.logger,
        ...(options.clock !== undefined ? { clock: options.clock } : {}),
      },
      async (key) => {
        const { namespace, name } = parseObjectKey(key);
        const outcome = await this.reconciler.reconcile(namespace ?? '', name);
        return outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : undefined;
      },
    );
    this.wire();
  }

  /** The trigger settings for configs of `namespace` (deterministic: with several MultiNicOperators, the first by name). */
  triggerFor(namespace: string): TriggerConfig {
    const op = this.options.operator;
    let operator: KubeObject | undefined;
    if (op !== undefined) operator = this.operators.get(op.name, op.namespace);
    if (operator === undefined) {
      operator = this.operators
        .list(namespace)
        .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1))[0];
    }
    if (operator === undefined) return DEFAULT_TRIGGER;
    const spec = operator['spec'] as { reconcileTrigger?: Parameters<typeof triggerFromSpec>[0] } | undefined;
    return triggerFromSpec(spec?.reconcileTrigger);
  }

  private wire(): void {
    const enqueue = (obj: KubeObject): void => {
      const key = objectKey(obj);
      this.owners.set(
        ownerLabel({ namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' }),
        key,
      );
      this.queue.add(key);
    };
    this.configs.addHandler({
      add: enqueue,
      update: (old, obj) => {
        if (generationOrMetaChanged(old, obj)) enqueue(obj);
      },
      delete: enqueue,
    });
    const all = (): void => {
      for (const obj of this.configs.list()) this.queue.add(objectKey(obj));
    };
    this.operators.addHandler({
      add: all,
      update: (old, obj) => {
        if (old === obj) return;
        if (
          JSON.stringify((old['spec'] as Record<string, unknown> | undefined)?.['reconcileTrigger']) !==
          JSON.stringify((obj['spec'] as Record<string, unknown> | undefined)?.['reconcileTrigger'])
        )
          all();
      },
      delete: all,
    });
    const fromNodeConfig = (obj: NodeConfigObject, statusOnly: boolean): void => {
      const label = obj.metadata.labels?.[OPENSTACK_CONFIG_LABEL];
      const key = label === undefined ? undefined : this.owners.get(label);
      if (key === undefined) return;
      const { namespace, name } = parseObjectKey(key);
      if (statusOnly) this.reconciler.markResultsDirty(namespace ?? '', name);
      else this.reconciler.request(namespace ?? '', name);
      this.queue.add(key);
    };
    this.nodeConfigs.addHandler({
      update: (old, obj) => {
        if (old === obj) return;
        const applied = obj.metadata.annotations?.[CONFIG_HASH_ANNOTATION];
        // Someone else changed a delivered spec: repair it now.
        if (applied !== undefined && obj.spec !== undefined && specHash(obj.spec) !== applied)
          fromNodeConfig(obj, false);
        else if (JSON.stringify(old.status) !== JSON.stringify(obj.status)) fromNodeConfig(obj, true);
      },
      delete: (obj) => fromNodeConfig(obj, false),
    });
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.nodeConfigs.start();
    this.operators.start();
    await Promise.all([this.nodeConfigs.waitForSync(signal), this.operators.waitForSync(signal)]);
    this.configs.start();
    await this.configs.waitForSync(signal);
    this.queue.start();
  }

  hasSynced(): boolean {
    return this.configs.hasSynced() && this.operators.hasSynced() && this.nodeConfigs.hasSynced();
  }

  /** Webhook / manual trigger: one config, a namespace's configs, or all. Returns the keys queued. */
  trigger(namespace?: string, name?: string): string[] {
    const keys = this.configs
      .list(namespace)
      .filter((obj) => name === undefined || obj.metadata.name === name)
      .map((obj) => objectKey(obj));
    for (const key of keys) {
      const { namespace: ns, name: n } = parseObjectKey(key);
      this.reconciler.request(ns ?? '', n);
      this.queue.add(key);
    }
    return keys;
  }

  async stop(): Promise<void> {
    await this.queue.shutdown();
    await Promise.all([this.configs.stop(), this.operators.stop(), this.nodeConfigs.stop()]);
    await this.events?.flush().catch(() => undefined);
    await this.reconciler.close();
  }
}
