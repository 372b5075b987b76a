// Reconciles one OpenstackConfig: credentials -> discovery (src/openstack) -> plan (pure, sticky
// slots) -> persist (one MariaDB transaction) -> deliver only what changed -> status.
//
// Contract (STYLE): `reconcile(namespace, name)` is level-based and idempotent: it re-reads the
// object from the informer cache, MariaDB and the delivery target. It never throws for sync
// failures: they become `Ready=False`/`Degraded=True` with a reason (docs/operations.md#openstackconfig), a Warning
// Event and a timed requeue (`pollErrorInterval`; config errors 30 s). It throws only when
// writing status/finalizers fails, which the work queue retries with backoff.
import { createHash } from 'node:crypto';
import { OPENSTACK_CONFIG_FINALIZER } from '../api/groups.js';
import { parseDuration } from '../api/common.js';
import { ApiValidationError } from '../api/errors.js';
import {
  OPENSTACK_CONFIG_CONDITIONS as C,
  OPENSTACK_CONFIG_REASONS as R,
  deliveryMode,
  deprecatedFields,
  openstackConfigStatusSchema,
  parseOpenstackConfig,
  subnetSelector,
} from '../api/openstack-config.js';
import type { OpenstackConfig, OpenstackConfigSpec } from '../api/openstack-config.js';
import type { Repositories } from '../db/repositories.js';
import type { Database } from '../db/pool.js';
import { mergePatchObject } from '../kube/apply.js';
import { removeCondition, setCondition } from '../kube/conditions.js';
import type { Condition } from '../kube/conditions.js';
import type { EventRecorder } from '../kube/events.js';
import { isKubeStatus } from '../kube/http.js';
import type { KubeHttp } from '../kube/http.js';
import { patchStatus } from '../kube/status.js';
import type { KubeObject } from '../kube/types.js';
import { counter, histogram } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { HttpClient, OpenStackSession, discoverPorts } from '../openstack/index.js';
import type { DiscoveryResult, HttpClientOptions, TokenCache } from '../openstack/index.js';
import { resolveCredentials } from './credentials.js';
import type { SecretReader } from './credentials.js';
import { KubeNodeConfigDelivery, ViolaDelivery, kubeHttpFromKubeconfig } from './delivery.js';
import type { Delivery, NodeConfigObject, ObservedNodeConfig } from './delivery.js';
import { SyncError, classify, isConfigReason } from './errors.js';
import { MariaDbStore, NodeConfigStore } from './store.js';
import type { StoredInterface, SyncStore } from './store.js';
import {
  agentResultsOf,
  desiredNodes,
  downPortHash,
  downRetryDue,
  nextDownRetryState,
  nextPollDelay,
  planDelivery,
  planSync,
  specHash,
} from './plan.js';
import type { DesiredNode, DownPortRetryState, PortResult, SyncPlan } from './plan.js';
import { decideTrigger, nextScheduledAt } from './trigger.js';
import type { TriggerConfig } from './trigger.js';

export const reconcileTotal = counter<'result'>({
  name: 'multinic_reconcile_total',
  help: 'OpenstackConfig reconciles by result (success, no_change, skipped, error, config_error, deleted, not_found)',
  labelNames: ['result'],
});
export const reconcileDuration = histogram<'result'>({
  name: 'multinic_reconcile_duration_seconds',
  help: 'Duration of OpenstackConfig reconciles by result',
  labelNames: ['result'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
});

/** Requeue after a config error (fixed 30 s: only a spec or Secret change can fix it). */
export const CONFIG_ERROR_REQUEUE_MS = 30_000;

export type ReconcileResult =
  'success' | 'no_change' | 'skipped' | 'error' | 'config_error' | 'deleted' | 'not_found';

export interface ReconcileOutcome {
  result: ReconcileResult;
  /** Run again after this long (undefined: only on the next event). */
  requeueAfterMs?: number;
  /** Failure reason, when one. */
  reason?: string;
  /** Milliseconds spent per phase of the sync (discovery, persist, deliver, record). */
  phasesMs?: Record<string, number>;
}

export interface OpenstackConfigReconcilerOptions {
  /** The cluster where OpenstackConfigs (and, in local mode, node configs) live. */
  http: KubeHttp;
  /** MariaDB (with `repositories`); without it the controller runs on a `NodeConfigStore`. */
  db?: Database;
  repositories?: Repositories;
  /** Overrides the store derived from `db`. */
  store?: SyncStore;
  /** The cached OpenstackConfig (informer), undefined when gone. */
  getConfig: (namespace: string, name: string) => KubeObject | undefined;
  /** Trigger settings that apply to a config's namespace. */
  triggerFor: (namespace: string) => TriggerConfig;
  /** Local node-config informer cache (namespace `nodeConfigNamespace`). */
  nodeConfigCache?: () => readonly NodeConfigObject[];
  /** Namespace the node-config cache watches. */
  nodeConfigNamespace?: string;
  /** Default Viola endpoint (env VIOLA_ENDPOINT) when `settings.violaEndpoint` is absent. */
  violaEndpoint?: string;
  /**
   * Accept `user.exec` in workload-cluster kubeconfigs (`--insecure-kubeconfig-exec`): the
   * command runs inside the controller. @default false
   */
  insecureKubeconfigExec?: boolean;
  /**
   * Hosts (`host`, `host:port`, `*.domain`) OpenStack credentials and tokens may go to besides
   * the Keystone catalog: Neutron/Nova overrides, Contrabass and the Keystone URLs it names. @default []
   */
  allowedEndpointHosts?: readonly string[];
  /** Reads Secrets (credentials, encrypt keys, kubeconfigs). @default - GET through `http` */
  readSecret?: SecretReader;
  events?: EventRecorder;
  /** Options for the HTTP clients to OpenStack/Contrabass/Viola (dispatcher in tests). */
  openstackHttp?: Omit<HttpClientOptions, 'timeoutMs' | 'tls'>;
  tokenCache?: TokenCache;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  logger?: Logger;
}

interface ConfigState {
  /** Spec hash of the last successful sync (cache of cr_state). */
  recordedHash?: string;
  lastChangeAt?: number;
  pollAt?: number;
  retryAt?: number;
  requested: boolean;
  resultsDirty: boolean;
  session?: { fingerprint: string; session: OpenStackSession };
  kubeconfig?: { key: string; delivery: Delivery };
}

const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
const SUMMARY_FIELDS = new Set(Object.keys(openstackConfigStatusSchema.shape.summary.unwrap().shape));

export class OpenstackConfigReconciler {
  private readonly states = new Map<string, ConfigState>();
  private readonly httpClients = new Map<string, HttpClient>();
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly readSecret: SecretReader;
  private readonly localDelivery = new Map<string, KubeNodeConfigDelivery>();
  /** Allocations, delivered hashes, spec hashes and agent results. */
  readonly store: SyncStore;
  /** Deliveries created (benchmarks sum their writes). */
  readonly deliveries = new Set<Delivery>();

  constructor(private readonly options: OpenstackConfigReconcilerOptions) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.readSecret =
      options.readSecret ?? ((namespace, name) => readSecretVia(options.http, namespace, name));
    this.store =
      options.store ??
      (options.db !== undefined && options.repositories !== undefined
        ? new MariaDbStore(options.db, options.repositories)
        : new NodeConfigStore());
  }

  private state(key: string): ConfigState {
    let state = this.states.get(key);
    if (state === undefined) this.states.set(key, (state = { requested: false, resultsDirty: false }));
    return state;
  }

  /** A webhook or manual request: the next reconcile of this config syncs regardless of trigger mode. */
  request(namespace: string, name: string): void {
    this.state(`${namespace}/${name}`).requested = true;
  }

  /** A node config of this OpenstackConfig changed status: record the agent's results. */
  markResultsDirty(namespace: string, name: string): void {
    this.state(`${namespace}/${name}`).resultsDirty = true;
  }

  /** Keys of the configs seen so far. */
  knownKeys(): string[] {
    return [...this.states.keys()];
  }

  async close(): Promise<void> {
    for (const state of this.states.values()) await state.session?.session.close();
    for (const client of this.httpClients.values()) await client.close();
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileOutcome> {
    const started = performance.now();
    let outcome: ReconcileOutcome = { result: 'error' };
    try {
      outcome = await this.reconcileInner(namespace, name);
      return outcome;
    } finally {
      reconcileTotal.inc({ result: outcome.result });
      reconcileDuration.observe({ result: outcome.result }, (performance.now() - started) / 1000);
    }
  }

  private async reconcileInner(namespace: string, name: string): Promise<ReconcileOutcome> {
    const key = `${namespace}/${name}`;
    const raw = this.options.getConfig(namespace, name);
    if (raw === undefined) {
      const state = this.states.get(key);
      await state?.session?.session.close();
      this.states.delete(key);
      return { result: 'not_found' };
    }
    const state = this.state(key);
    const owner = { namespace, name };
    if (raw.metadata.deletionTimestamp !== undefined) return this.finalize(raw, state);

    let config: OpenstackConfig;
    try {
      config = parseOpenstackConfig(raw);
    } catch (err) {
      const message = err instanceof ApiValidationError ? err.message : String(err);
      await this.writeFailure(raw, undefined, new SyncError(R.ConfigError, message));
      return { result: 'config_error', reason: R.ConfigError };
    }
    let object = raw;
    if (!(raw.metadata.finalizers ?? []).includes(OPENSTACK_CONFIG_FINALIZER)) {
      object = await mergePatchObject(
        this.options.http,
        { apiVersion: raw.apiVersion ?? '', kind: raw.kind ?? '', namespace, name },
        {
          metadata: {
            finalizers: [...(raw.metadata.finalizers ?? []), OPENSTACK_CONFIG_FINALIZER],
            resourceVersion: raw.metadata.resourceVersion,
          },
        },
      );
    }
    const spec = config.spec;
    const hash = specHash(raw['spec']);
    const now = this.now();
    const trigger = this.options.triggerFor(namespace);

    if (state.recordedHash === undefined) {
      try {
        state.recordedHash = await this.store.recordedHash(owner);
      } catch (err) {
        return this.fail(object, config, state, classify(err, 'database'));
      }
      if (state.pollAt === undefined && trigger.mode === 'scheduled') {
        const last = Date.parse(
          String((raw['status'] as { lastSyncedAt?: string } | undefined)?.lastSyncedAt ?? ''),
        );
        if (!Number.isNaN(last)) state.pollAt = nextScheduledAt(trigger, last);
      }
    }
    if (state.resultsDirty) {
      state.resultsDirty = false;
      await this.recordResultsOnly(config, owner).catch((err: unknown) =>
        this.logger.warn('recording agent results failed', { config: key, error: err }),
      );
    }
    const specChanged = state.recordedHash !== hash;
    const decision = decideTrigger({
      trigger,
      specChanged,
      requested: state.requested,
      now,
      ...(state.retryAt !== undefined ? { retryAt: state.retryAt } : {}),
      ...(state.pollAt !== undefined ? { pollAt: state.pollAt } : {}),
    });
    if (!decision.proceed) {
      return {
        result: 'skipped',
        ...(decision.waitMs !== undefined ? { requeueAfterMs: decision.waitMs } : {}),
      };
    }
    state.requested = false;
    this.logger.debug('syncing', { config: key, why: decision.why });

    let outcome: SyncOutcome;
    try {
      outcome = await this.sync(object, config, state);
    } catch (err) {
      return this.fail(object, config, state, classify(err, 'discovery'));
    }
    if (specChanged) {
      try {
        await this.store.recordHash(owner, hash);
        state.recordedHash = hash;
      } catch (err) {
        return this.fail(object, config, state, classify(err, 'database'));
      }
    }
    delete state.retryAt;
    const after = this.now();
    if (outcome.changed) state.lastChangeAt = after;
    const settings = spec.settings;
    const poll =
      trigger.mode === 'scheduled'
        ? nextScheduledAt(trigger, after) - after
        : nextPollDelay(
            after,
            state.lastChangeAt,
            {
              fastMs: parseDuration(settings.pollFastInterval),
              slowMs: parseDuration(settings.pollSlowInterval),
              fastWindowMs: parseDuration(settings.pollFastWindow),
            },
            outcome.downRetryWaitMs,
          );
    const polls = trigger.mode === 'immediate' || trigger.mode === 'scheduled';
    if (polls) state.pollAt = after + poll;
    else delete state.pollAt;
    await this.writeSuccess(object, config, outcome);
    // manual/webhook modes do not poll OpenStack, so DOWN-port re-sends wait for the next trigger.
    const requeue = polls ? poll : undefined;
    return {
      result: outcome.changed ? 'success' : 'no_change',
      phasesMs: outcome.phasesMs,
      ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}),
    };
  }

  // --- the sync --------------------------------------------------------------------------

  private session(config: OpenstackConfig, state: ConfigState): Promise<OpenStackSession> {
    return (async () => {
      const namespace = config.metadata.namespace ?? '';
      const spec = config.spec;
      let resolved;
      try {
        resolved = await resolveCredentials({
          namespace,
          spec,
          readSecret: this.readSecret,
          contrabassHttp: ({ timeoutMs, insecure }) => this.httpClient(timeoutMs, insecure),
          digest: (text) => createHash('sha256').update(text).digest('hex'),
          allowedHosts: this.options.allowedEndpointHosts ?? [],
        });
      } catch (err) {
        throw classify(err, 'credentials');
      }
      const timeoutMs = parseDuration(spec.settings.openstackTimeout);
      const fingerprint = `${resolved.fingerprint}|${timeoutMs}|${spec.settings.openstackInsecureTLS}|${spec.settings.openstackEndpointInterface}|${resolved.region ?? ''}`;
      if (state.session?.fingerprint === fingerprint) return state.session.session;
      await state.session?.session.close();
      const session = new OpenStackSession({
        credentials: resolved.source,
        interface: spec.settings.openstackEndpointInterface,
        ...(resolved.region !== undefined ? { region: resolved.region } : {}),
        endpointOverrides: resolved.endpointOverrides,
        allowedHosts: this.options.allowedEndpointHosts ?? [],
        http: this.httpClient(timeoutMs, spec.settings.openstackInsecureTLS),
        ...(this.options.tokenCache !== undefined ? { tokenCache: this.options.tokenCache } : {}),
        logger: this.logger,
      });
      state.session = { fingerprint, session };
      return session;
    })();
  }

  private httpClient(timeoutMs: number, insecure: boolean): HttpClient {
    const key = `${timeoutMs}|${insecure}`;
    let client = this.httpClients.get(key);
    if (client === undefined) {
      client = new HttpClient({
        ...this.options.openstackHttp,
        timeoutMs,
        tls: { insecure },
        logger: this.logger,
      });
      this.httpClients.set(key, client);
    }
    return client;
  }

  private async delivery(config: OpenstackConfig, state: ConfigState): Promise<Delivery> {
    const spec = config.spec;
    const mode = deliveryMode(spec);
    const namespace = spec.delivery.namespace;
    if (mode === 'local') {
      let delivery = this.localDelivery.get(namespace);
      if (delivery === undefined) {
        const cache =
          namespace === this.options.nodeConfigNamespace ? this.options.nodeConfigCache : undefined;
        delivery = new KubeNodeConfigDelivery({
          http: this.options.http,
          mode: 'local',
          namespace,
          ...(cache !== undefined ? { cache } : {}),
        });
        this.localDelivery.set(namespace, delivery);
        this.deliveries.add(delivery);
      }
      return delivery;
    }
    if (mode === 'viola') {
      const endpoint = spec.settings.violaEndpoint ?? this.options.violaEndpoint;
      if (endpoint === undefined) {
        throw new SyncError(R.ConfigError, 'Viola delivery needs settings.violaEndpoint (or VIOLA_ENDPOINT)');
      }
      const key = `viola|${endpoint}`;
      if (state.kubeconfig?.key !== key) {
        state.kubeconfig = {
          key,
          delivery: new ViolaDelivery({ http: this.httpClient(30_000, false), endpoint }),
        };
        this.deliveries.add(state.kubeconfig.delivery);
      }
      return state.kubeconfig.delivery;
    }
    const ref = spec.delivery.kubeconfigSecretRef;
    if (ref === undefined)
      throw new SyncError(R.ConfigError, 'delivery.mode kubeconfig needs delivery.kubeconfigSecretRef');
    const data = await this.readSecret(config.metadata.namespace ?? '', ref.name);
    const kubeconfig = data?.[ref.key];
    if (kubeconfig === undefined || kubeconfig.trim() === '') {
      throw new SyncError(
        R.ConfigError,
        `kubeconfig Secret ${config.metadata.namespace ?? ''}/${ref.name} (key '${ref.key}') not found or empty`,
      );
    }
    const key = `kubeconfig|${namespace}|${createHash('sha256').update(kubeconfig).digest('hex')}`;
    if (state.kubeconfig?.key !== key) {
      const delivery = new KubeNodeConfigDelivery({
        http: kubeHttpFromKubeconfig(kubeconfig, {
          allowExec: this.options.insecureKubeconfigExec === true,
          source: `${config.metadata.namespace ?? ''}/${ref.name} (key '${ref.key}')`,
        }),
        mode: 'kubeconfig',
        namespace,
      });
      state.kubeconfig = { key, delivery };
      this.deliveries.add(delivery);
    }
    return state.kubeconfig.delivery;
  }

  private async sync(object: KubeObject, config: OpenstackConfig, state: ConfigState): Promise<SyncOutcome> {
    const store = this.store;
    const spec = config.spec;
    const owner = { namespace: config.metadata.namespace ?? '', name: config.metadata.name ?? '' };
    const selector = subnetSelector(spec);
    if (selector.kind === 'name' && selector.name === '') {
      throw new SyncError(R.SubnetRequired, 'subnetIDs, subnetID or subnetName is required');
    }
    const phasesMs: Record<string, number> = {};
    let mark = performance.now();
    const phase = (name: string): void => {
      const at = performance.now();
      phasesMs[name] = Math.round(at - mark);
      mark = at;
    };
    const session = await this.session(config, state);
    const delivery = await this.delivery(config, state).catch((err: unknown) => {
      throw classify(err, 'delivery');
    });

    let discovery: DiscoveryResult;
    try {
      discovery = await discoverPorts(session, {
        vms: spec.vmNames,
        ...(selector.kind === 'ids' ? { subnetIds: selector.ids } : { subnetName: selector.name }),
        ...(spec.credentials.projectID !== undefined ? { projectId: spec.credentials.projectID } : {}),
      });
    } catch (err) {
      throw classify(err, 'discovery');
    }

    phase('discover');
    const observed = await delivery.observe(owner).catch((err: unknown) => {
      throw classify(err, 'delivery');
    });
    let previous: StoredInterface[];
    try {
      previous = await store.interfaces(owner, observed);
    } catch (err) {
      throw classify(err, 'database');
    }
    const created = creationTime(config);
    const plan = planSync({
      vmRefs: spec.vmNames,
      servers: discovery.servers,
      ports: discovery.ports,
      subnets: discovery.subnets,
      networks: discovery.networks,
      previous: previous.map((row) => ({ portId: row.portId, nodeId: row.nodeId, slot: row.slot })),
      allowedStatuses: spec.settings.openstackPortAllowedStatuses,
      ...(spec.settings.creationTimeBaseline && created !== undefined ? { baseline: created } : {}),
      ...(spec.settings.openstackNodeNameMetadataKey !== undefined
        ? { nodeNameMetadataKey: spec.settings.openstackNodeNameMetadataKey }
        : {}),
    });
    const providerId = spec.credentials.k8sProviderID;

    // Viola cannot be asked what it holds: its delivered hashes come from the store (node_table),
    // plus the nodes emptied earlier whose empty POST has not succeeded yet. Emptied nodes stay
    // active with their hash until the empty node config was delivered (`recordRemovals`), so a
    // failed POST is sent again at the next sync. Pending removals are looked up by the config's
    // removed ports and by its VMs, so a node emptied by a port moving away is found as well.
    let delivered: Map<string, string | null>;
    const nodeIdOf = new Map<string, string | null>();
    if (observed !== undefined) {
      delivered = new Map([...observed].map(([nodeName, o]) => [nodeName, o.hash]));
      for (const [nodeName, o] of observed) nodeIdOf.set(nodeName, o.object?.spec?.instanceId ?? null);
    } else {
      const nodeIds = [...new Set([...previous.flatMap((row) => (row.nodeId === null ? [] : [row.nodeId]))])];
      let rows;
      try {
        rows = await store.delivered(nodeIds);
        const vmIds = discovery.servers.map((server) => server.id);
        for (const [nodeName, row] of await store.pendingRemovals(owner, vmIds))
          if (!rows.has(nodeName)) rows.set(nodeName, row);
      } catch (err) {
        throw classify(err, 'database');
      }
      delivered = new Map([...rows].map(([nodeName, row]) => [nodeName, row.hash]));
      for (const [nodeName, row] of rows) nodeIdOf.set(nodeName, row.nodeId);
    }

    phase('plan');
    let persisted;
    try {
      persisted = await store.persist({
        owner,
        subnets: plan.subnets.map((s) => ({
          subnetId: s.id,
          subnetName: s.name,
          cidr: s.cidr,
          networkId: s.network_id,
        })),
        nodes: plan.nodes.map((node) => ({
          nodeId: node.nodeId,
          nodeName: node.nodeName,
          serverName: node.serverName,
          providerId: providerId ?? null,
        })),
        interfaces: plan.nodes.flatMap((node) =>
          node.interfaces.map((i) => ({
            portId: i.portId,
            subnetId: i.subnetId,
            networkId: i.networkId,
            macAddress: i.macAddress,
            nodeId: node.nodeId,
            nodeName: node.nodeName,
            interfaceIndex: i.slot,
            address: i.address,
            mtu: i.mtu ?? null,
          })),
        ),
        ...(created !== undefined ? { createdAt: created } : {}),
        keepEmptiedNodes: observed === undefined,
      });
    } catch (err) {
      throw classify(err, 'database');
    }
    // Ports another OpenstackConfig already manages stay with it.
    const foreign = new Set(persisted.conflicts.map((c) => c.portId));
    const effective: SyncPlan =
      foreign.size === 0
        ? plan
        : {
            ...plan,
            nodes: plan.nodes
              .map((node) => ({ ...node, interfaces: node.interfaces.filter((i) => !foreign.has(i.portId)) }))
              .filter((node) => node.interfaces.length > 0),
          };
    const desired = desiredNodes(effective);
    phase('persist');

    const now = new Date(this.now());
    const retryState = (object['status'] as { downPortRetry?: DownPortRetryState } | undefined)
      ?.downPortRetry;
    const downPorts = new Set(
      effective.nodes.flatMap((n) => n.interfaces.filter((i) => i.status === 'DOWN').map((i) => i.portId)),
    );
    const downHash = downPortHash([...downPorts]);
    const fastMs = parseDuration(spec.settings.pollFastInterval);
    const timing = {
      fastMs,
      slowMs: Math.max(fastMs, parseDuration(spec.settings.pollSlowInterval)),
      fastRetryMax: spec.settings.downPortFastRetryMax,
    };
    const retry = downRetryDue(downHash, retryState, now.getTime(), timing);
    const downNodes = new Set(
      effective.nodes.filter((n) => n.interfaces.some((i) => downPorts.has(i.portId))).map((n) => n.nodeName),
    );
    let deliveryPlan = planDelivery(desired, delivered);
    if (downHash !== '' && (retry.due || deliveryPlan.apply.length > 0))
      deliveryPlan = planDelivery(desired, delivered, downNodes);
    const sentDown = deliveryPlan.apply.some((node) => downNodes.has(node.nodeName));

    try {
      if (deliveryPlan.apply.length > 0) await delivery.apply(owner, deliveryPlan.apply, providerId);
      if (deliveryPlan.remove.length > 0) {
        await delivery.remove(
          owner,
          deliveryPlan.remove.map((nodeName) => ({ nodeName, nodeId: nodeIdOf.get(nodeName) ?? null })),
          providerId,
        );
      }
    } catch (err) {
      throw classify(err, 'delivery');
    }
    phase('deliver');
    const results = observed === undefined ? [] : resultsToRecord(observed, previous);
    try {
      await store.recordDeliveries(deliveryPlan.apply);
      if (observed === undefined) {
        await store.recordRemovals(
          deliveryPlan.remove.flatMap((nodeName) => {
            const nodeId = nodeIdOf.get(nodeName);
            return nodeId === undefined || nodeId === null ? [] : [nodeId];
          }),
        );
      }
      await store.recordResults(results);
    } catch (err) {
      throw classify(err, 'database');
    }

    phase('record');
    let downPortRetry: DownPortRetryState | undefined;
    let downRetryWaitMs: number | undefined;
    if (downHash !== '') {
      downPortRetry = sentDown
        ? nextDownRetryState(downHash, retryState, now, timing.fastRetryMax)
        : retryState;
      const again = downRetryDue(downHash, downPortRetry, now.getTime(), timing);
      downRetryWaitMs = again.due ? timing.fastMs : again.waitMs;
    }
    const success = new Map(previous.map((row) => [row.portId, row.netplanSuccess]));
    for (const r of results) success.set(r.portId, r.success);
    const interfaces = desired.reduce((sum, node) => sum + node.spec.interfaces.length, 0);
    const pending = desired.reduce(
      (sum, node) => sum + node.spec.interfaces.filter((i) => success.get(i.portId ?? '') !== true).length,
      0,
    );
    const changed = persisted.writes > 0 || deliveryPlan.apply.length > 0 || deliveryPlan.remove.length > 0;
    const warnings: string[] = [...discovery.warnings];
    const missing = [...discovery.missingVmIds, ...discovery.missingVmNames];
    const problems: Array<{ reason: string; message: string }> = [];
    if (missing.length > 0)
      problems.push({ reason: 'VmNotFound', message: `VMs not found in Nova: ${missing.join(', ')}` });
    if (discovery.ambiguousVmNames.length > 0) {
      problems.push({
        reason: 'VmNameNotUnique',
        message: `VM names carried by several servers (none of them is used; list the VM ids instead): ${discovery.ambiguousVmNames
          .map((a) => `${a.name} (${a.serverIds.join(', ')})`)
          .join('; ')}`,
      });
    }
    if (effective.overflow.length > 0) {
      problems.push({
        reason: 'TooManyInterfaces',
        message: `ports not assigned (node already has 10 interfaces): ${effective.overflow.map((o) => `${o.nodeName}/${o.portId}`).join(', ')}`,
      });
    }
    if (foreign.size > 0) {
      problems.push({
        reason: 'PortOwnedElsewhere',
        message: `ports managed by another OpenstackConfig: ${persisted.conflicts.map((c) => `${c.portId} (${c.owner.namespace}/${c.owner.name})`).join(', ')}`,
      });
    }
    if (effective.nameClashes.length > 0) {
      problems.push({
        reason: 'NodeNameConflict',
        message: effective.nameClashes
          .map((c) => `VMs ${c.vmIds.join(', ')} resolve to node ${c.nodeName}`)
          .join('; '),
      });
    }
    for (const warning of warnings)
      this.logger.warn('discovery warning', { config: `${owner.namespace}/${owner.name}`, warning });
    return {
      changed,
      nodes: desired.length,
      interfaces,
      pending,
      downPorts: downPorts.size,
      overflow: effective.overflow.length,
      delivered: deliveryPlan.apply.length + deliveryPlan.remove.length,
      problems,
      deprecated: deprecatedFields(spec),
      phasesMs,
      ...(downPortRetry !== undefined ? { downPortRetry } : {}),
      ...(downRetryWaitMs !== undefined ? { downRetryWaitMs } : {}),
    };
  }

  /** Node-config status changed (local mode): write the agent's results, nothing else. */
  private async recordResultsOnly(
    config: OpenstackConfig,
    owner: { namespace: string; name: string },
  ): Promise<void> {
    const namespace = config.spec.delivery.namespace;
    if (deliveryMode(config.spec) !== 'local' || namespace !== this.options.nodeConfigNamespace) return;
    const delivery = this.localDelivery.get(namespace);
    if (delivery === undefined) return;
    const observed = await delivery.observe(owner);
    if (this.store.kind !== 'mariadb') return;
    const previous = await this.store.interfaces(owner, observed);
    await this.store.recordResults(resultsToRecord(observed, previous));
  }

  // --- deletion ----------------------------------------------------------------------------

  private async finalize(raw: KubeObject, state: ConfigState): Promise<ReconcileOutcome> {
    const namespace = raw.metadata.namespace ?? '';
    const name = raw.metadata.name ?? '';
    const owner = { namespace, name };
    if (!(raw.metadata.finalizers ?? []).includes(OPENSTACK_CONFIG_FINALIZER)) return { result: 'deleted' };
    let config: OpenstackConfig | undefined;
    try {
      config = parseOpenstackConfig(raw);
    } catch {
      config = undefined;
    }
    try {
      if (config !== undefined) {
        const delivery = await this.delivery(config, state);
        const observed = await delivery.observe(owner);
        let nodes: Array<{ nodeName: string; nodeId: string | null }>;
        if (observed !== undefined) {
          nodes = [...observed.values()].map((o) => ({
            nodeName: o.nodeName,
            nodeId: o.object?.spec?.instanceId ?? null,
          }));
        } else {
          const rows = await this.store.interfaces(owner, undefined);
          const seen = new Map<string, string | null>();
          for (const row of rows) if (row.nodeName !== null) seen.set(row.nodeName, row.nodeId);
          nodes = [...seen].map(([nodeName, nodeId]) => ({ nodeName, nodeId }));
        }
        if (nodes.length > 0) await delivery.remove(owner, nodes, config.spec.credentials.k8sProviderID);
      }
      await this.store.remove(owner);
    } catch (err) {
      const failure = classify(err, 'database');
      await this.writeFailure(raw, undefined, failure).catch(() => undefined);
      throw failure;
    }
    try {
      await mergePatchObject(
        this.options.http,
        { apiVersion: raw.apiVersion ?? '', kind: raw.kind ?? '', namespace, name },
        {
          metadata: {
            finalizers: (raw.metadata.finalizers ?? []).filter((f) => f !== OPENSTACK_CONFIG_FINALIZER),
            resourceVersion: raw.metadata.resourceVersion,
          },
        },
      );
    } catch (err) {
      if (!isKubeStatus(err, 404)) throw err;
    }
    await state.session?.session.close();
    this.states.delete(`${namespace}/${name}`);
    this.logger.info('OpenstackConfig deleted: rows soft-deleted, node configs removed', {
      config: `${namespace}/${name}`,
    });
    return { result: 'deleted' };
  }

  // --- status ------------------------------------------------------------------------------

  private async fail(
    object: KubeObject,
    config: OpenstackConfig,
    state: ConfigState,
    failure: SyncError,
  ): Promise<ReconcileOutcome> {
    const configError = isConfigReason(failure.reason);
    const wait = configError
      ? CONFIG_ERROR_REQUEUE_MS
      : parseDuration(config.spec.settings.pollErrorInterval);
    state.retryAt = this.now() + wait;
    this.logger.warn('sync failed', {
      config: `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`,
      reason: failure.reason,
      error: failure.message,
    });
    await this.writeFailure(object, config, failure);
    return { result: configError ? 'config_error' : 'error', requeueAfterMs: wait, reason: failure.reason };
  }

  private async writeFailure(
    object: KubeObject,
    config: OpenstackConfig | undefined,
    failure: SyncError,
  ): Promise<void> {
    const current = (object['status'] ?? {}) as Record<string, unknown>;
    const generation = object.metadata.generation;
    const at = new Date(this.now());
    let conditions = (current['conditions'] as Condition[] | undefined) ?? [];
    const common = generation !== undefined ? { observedGeneration: generation } : {};
    conditions = setCondition(
      conditions,
      { type: C.Ready, status: 'False', reason: failure.reason, message: failure.message, ...common },
      at,
    );
    conditions = setCondition(
      conditions,
      { type: C.Degraded, status: 'True', reason: R.Error, message: failure.message, ...common },
      at,
    );
    conditions = this.deprecation(conditions, config, common, at);
    const desired: Record<string, unknown> = {
      ...current,
      conditions,
      lastError: failure.message,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    const { written } = await patchStatus(this.options.http, object, desired, {
      fieldManager: 'multinic-controller',
    });
    if (written) await this.options.events?.record(object, 'Warning', failure.reason, failure.message);
    await this.deprecationEvent(object, current['conditions'] as Condition[] | undefined, conditions);
  }

  /**
   * A `Deprecated` warning Event when the Deprecated condition appears or changes (fields of the
   * earlier systems still in use). It names the fields, never their values.
   */
  private async deprecationEvent(
    object: KubeObject,
    before: readonly Condition[] | undefined,
    after: readonly Condition[],
  ): Promise<void> {
    const now = after.find((c) => c.type === C.Deprecated);
    if (now === undefined) return;
    const was = before?.find((c) => c.type === C.Deprecated);
    if (was?.status === now.status && was.message === now.message) return;
    await this.options.events?.record(object, 'Warning', C.Deprecated, now.message ?? '');
  }

  private deprecation(
    conditions: Condition[],
    config: OpenstackConfig | undefined,
    common: { observedGeneration?: number },
    at: Date,
  ): Condition[] {
    const fields = config === undefined ? [] : deprecatedFields(config.spec);
    if (fields.length === 0) return removeCondition(conditions, C.Deprecated);
    const reason =
      config?.spec.credentials.authURL !== undefined ? R.InlineCredentials : R.PlainTextEncryptKey;
    return setCondition(
      conditions,
      {
        type: C.Deprecated,
        status: 'True',
        reason,
        message: `deprecated fields in use: ${fields.join(', ')}`,
        ...common,
      },
      at,
    );
  }

  private async writeSuccess(
    object: KubeObject,
    config: OpenstackConfig,
    outcome: SyncOutcome,
  ): Promise<void> {
    const current = (object['status'] ?? {}) as Record<string, unknown>;
    const generation = object.metadata.generation;
    const at = new Date(this.now());
    const common = generation !== undefined ? { observedGeneration: generation } : {};
    const reason = outcome.changed ? R.Synced : R.NoChange;
    const message = outcome.changed ? `synced ${outcome.nodes} node(s)` : 'no changes detected';
    let conditions = (current['conditions'] as Condition[] | undefined) ?? [];
    conditions = setCondition(conditions, { type: C.Ready, status: 'True', reason, message, ...common }, at);
    const problem = outcome.problems[0];
    conditions = setCondition(
      conditions,
      problem === undefined
        ? { type: C.Degraded, status: 'False', reason: R.Healthy, message: 'controller healthy', ...common }
        : {
            type: C.Degraded,
            status: 'True',
            reason: problem.reason,
            message: outcome.problems.map((p) => p.message).join('; '),
            ...common,
          },
      at,
    );
    conditions = this.deprecation(conditions, config, common, at);
    const desired: Record<string, unknown> = { ...current, conditions };
    delete desired['lastError'];
    if (generation !== undefined) desired['observedGeneration'] = generation;
    if (outcome.changed) desired['lastSyncedAt'] = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (outcome.downPortRetry !== undefined) desired['downPortRetry'] = outcome.downPortRetry;
    else delete desired['downPortRetry'];
    const summary: Record<string, number> = {
      nodes: outcome.nodes,
      interfaces: outcome.interfaces,
      pending: outcome.pending,
      downPorts: outcome.downPorts,
      overflowPorts: outcome.overflow,
    };
    // Only fields the CRD knows: the API server prunes others, and the status would then differ on every sync.
    desired['summary'] = Object.fromEntries(
      Object.entries(summary).filter(([key]) => SUMMARY_FIELDS.has(key)),
    );
    const { written } = await patchStatus(this.options.http, object, desired, {
      fieldManager: 'multinic-controller',
    });
    if (written && outcome.changed) {
      await this.options.events?.record(
        object,
        'Normal',
        R.Synced,
        `${message} (${outcome.delivered} delivered)`,
      );
    }
    if (written) {
      for (const problem of outcome.problems)
        await this.options.events?.record(object, 'Warning', problem.reason, problem.message);
    }
    await this.deprecationEvent(object, current['conditions'] as Condition[] | undefined, conditions);
  }
}

interface SyncOutcome {
  changed: boolean;
  nodes: number;
  interfaces: number;
  pending: number;
  downPorts: number;
  overflow: number;
  delivered: number;
  problems: Array<{ reason: string; message: string }>;
  deprecated: string[];
  downPortRetry?: DownPortRetryState;
  downRetryWaitMs?: number;
  phasesMs: Record<string, number>;
}

function creationTime(config: OpenstackConfig): Date | undefined {
  const value = config.metadata.creationTimestamp;
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Results in the observed node configs that differ from what MariaDB holds. */
function resultsToRecord(
  observed: ReadonlyMap<string, ObservedNodeConfig>,
  rows: readonly StoredInterface[],
): PortResult[] {
  const current = new Map(rows.map((row) => [row.portId, row.netplanSuccess]));
  const out: PortResult[] = [];
  for (const node of observed.values()) {
    for (const result of agentResultsOf(node.object?.spec, node.object?.status)) {
      const now = current.get(result.portId);
      if (now !== undefined && now !== result.success) out.push(result);
    }
  }
  return out;
}

async function readSecretVia(
  http: KubeHttp,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  let secret: { data?: Record<string, string> } | undefined;
  try {
    secret = await http.request<{ data?: Record<string, string> }>(
      'GET',
      await http.objectPath({ ...SECRET, namespace, name }),
    );
  } catch (err) {
    if (isKubeStatus(err, 404)) return undefined;
    throw err;
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {}))
    out[key] = Buffer.from(value, 'base64').toString('utf8');
  return out;
}

export type { DesiredNode, OpenstackConfigSpec };
