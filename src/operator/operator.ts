// The `multinic operator` process: informers on MultiNicOperator and on every managed kind (by
// the managed-by label, in the watched and agent namespaces only: see operator-access.ts), a work
// queue that the Lease leader drains through the reconciler, the protection webhook (served by
// every replica), TLS rotation, denial accounting, and the health/metrics server.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { MULTINIC_OPERATOR } from '../api/groups.js';
import { ALL_NAMESPACES, BACKUP_JOB_KIND, operatorAccess } from '../constructs/operator/operator-access.js';
import type { AccessScope } from '../constructs/operator/operator-access.js';
import { DEFAULT_AGENT_NAMESPACE } from '../constructs/common/workload.js';
import type { MultiNicOperator } from '../api/multinic-operator.js';
import { systemClock } from '../kube/clock.js';
import type { Clock, TimerHandle } from '../kube/clock.js';
import { EventRecorder } from '../kube/events.js';
import type { KubeHttp } from '../kube/http.js';
import { Informer, generationOrMetaChanged } from '../kube/informer.js';
import { LeaderElector } from '../kube/leader-election.js';
import type { KubeObject } from '../kube/types.js';
import { WorkQueue } from '../kube/work-queue.js';
import { enableProcessMetrics } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { startHealthServer } from '../observability/server.js';
import type { HealthServer } from '../observability/server.js';
import { serviceAccountUsername } from './admission.js';
import type { AdmissionConfig, AdmissionRequest } from './admission.js';
import { nextRotationCheck } from './certs.js';
import { flushDenials } from './denials.js';
import { MANAGED_BY_LABEL, MANAGED_BY_NAMESPACE_LABEL } from './labels.js';
import { startPolicyDenialPoller } from './policy-denials.js';
import { ProtectionAccounting } from './protection-accounting.js';
import type { OwnerRef } from './protection-accounting.js';
import { OperatorReconciler } from './reconciler.js';
import { createRenderer } from './render-adapter.js';
import type { ObservedStore, RenderFn } from './reconciler.js';
import { createWebhookServer, WEBHOOK_PATH } from './webhook-server.js';
import type { WebhookServer } from './webhook-server.js';
import { ensureWebhookTls, patchWebhookConfigurations, withWebhookClientConfig } from './webhook-tls.js';

export interface OperatorOptions {
  http: KubeHttp;
  /**
   * Builds the render function once the operator knows its own identities.
   * @default - `createRenderer` (MultiNicSystem constructs + generated credential Secrets)
   */
  createRender?: (context: {
    http: KubeHttp;
    operatorNamespace: string;
    operatorUsernames: readonly string[];
  }) => RenderFn;
  /** Image of every managed role unless the CR names one. @default - the constructs' default */
  image?: string;
  /** Namespace of the agent Jobs. @default - the constructs' default ('multinic-agent') */
  agentNamespace?: string;
  /** Namespace the operator runs in: Lease, webhook TLS Secret. @default 'multinic-system' */
  namespace?: string;
  /**
   * Namespace whose MultiNicOperators are reconciled (and where their systems are rendered);
   * `'*'` = every namespace, which needs the install rendered with `watchNamespace: '*'`.
   * @default - `namespace` (the operator's own)
   */
  watchNamespace?: string;
  /** Health/metrics port (0 = any free port). @default 8082 */
  metricsPort?: number;
  /** Webhook port (0 = any free port); `undefined`/negative disables the webhook server. @default 9443 */
  webhookPort?: number | null;
  /** @default '0.0.0.0' */
  bindHost?: string;
  /** URL the API server calls (out-of-cluster runs); replaces the Service in webhook configurations. */
  webhookUrl?: string;
  /** SANs of the serving certificate. @default - the webhook Service names + localhost/127.0.0.1 */
  webhookDnsNames?: readonly string[];
  webhookIpAddresses?: readonly string[];
  /** @default 'multinic-webhook-tls' */
  webhookSecretName?: string;
  /** Only patch these ValidatingWebhookConfigurations. @default - every one carrying our webhook */
  webhookConfigurationNames?: readonly string[];
  /** Name of the webhook Service (for default SANs). @default 'multinic-operator-webhook' */
  webhookServiceName?: string;
  /** ServiceAccount of the operator (allowed by the guard). @default 'multinic-operator' */
  serviceAccountName?: string;
  /** Extra usernames allowed by the guard (e.g. the identity an out-of-cluster operator uses). */
  operatorUsernames?: readonly string[];
  /** Lease name. @default 'multinic-operator' */
  leaseName?: string;
  /** Lease holder identity. @default - hostname + random suffix */
  identity?: string;
  /** @default 15 */
  leaseDurationSeconds?: number;
  /** Informer resync. @default 300_000 */
  resyncMs?: number;
  /** Parallel reconciles. @default 4 */
  workers?: number;
  /** How often denial counts are flushed to status. @default 2_000 */
  denialFlushMs?: number;
  /**
   * How often the leader reads the API server's `/metrics` to count ValidatingAdmissionPolicy
   * denials (policy mode has no callback). @default 15_000
   */
  policyDenialPollMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface RunningOperator {
  readonly identity: string;
  readonly metricsPort: number;
  readonly webhookPort: number | undefined;
  isLeader(): boolean;
  /** Resolves when informers are synced (and, if enabled, the webhook serves). */
  ready(): Promise<void>;
  /** Waits until the leader's queue is empty (tests/benchmarks). */
  idle(): Promise<void>;
  readonly reconciler: OperatorReconciler;
  readonly accounting: ProtectionAccounting;
  stop(): Promise<void>;
}

function ownerKey(obj: KubeObject): string | undefined {
  const labels = obj.metadata.labels ?? {};
  const name = labels[MANAGED_BY_LABEL];
  if (name === undefined) return undefined;
  const namespace = labels[MANAGED_BY_NAMESPACE_LABEL] ?? obj.metadata.namespace;
  return namespace === undefined ? undefined : `${namespace}/${name}`;
}

/** Asks the API server who this process is (SelfSubjectReview) so the guard lets it through. */
async function whoAmI(http: KubeHttp, logger: Logger): Promise<string | undefined> {
  try {
    const review = await http.request<{ status?: { userInfo?: { username?: string } } }>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
    );
    return review.status?.userInfo?.username;
  } catch (error) {
    logger.warn('operator: SelfSubjectReview failed; only the configured usernames pass the guard', {
      error,
    });
    return undefined;
  }
}

export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const { http } = options;
  const namespace = options.namespace ?? 'multinic-system';
  const watchNamespace = options.watchNamespace ?? namespace;
  const identity = options.identity ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const serviceAccount = serviceAccountUsername(namespace, options.serviceAccountName ?? 'multinic-operator');
  const self = await whoAmI(http, logger);
  const operatorUsernames = [
    ...new Set([serviceAccount, ...(options.operatorUsernames ?? []), ...(self !== undefined ? [self] : [])]),
  ];
  enableProcessMetrics();

  const recorder = new EventRecorder({ http, component: 'multinic-operator', instance: identity, logger });
  const emit = (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void => {
    void recorder.record(obj, type, reason, message);
  };

  // --- informers ---------------------------------------------------------------------------
  // What is watched, and where, comes from the same derivation as the install's RBAC
  // (operatorAccess), so a kind the operator lists is a kind the install lets it list.
  const watchAll = watchNamespace === ALL_NAMESPACES;
  const agentNamespace = options.agentNamespace ?? DEFAULT_AGENT_NAMESPACE;
  const crInformer = new Informer<KubeObject>({
    http,
    apiVersion: MULTINIC_OPERATOR.apiVersion,
    kind: MULTINIC_OPERATOR.kind,
    ...(watchAll ? {} : { namespace: watchNamespace }),
    resyncMs: options.resyncMs ?? 300_000,
    clock,
    logger,
  });
  const managedInformers: Informer<KubeObject>[] = [];
  /** `group/plural` -> informers, to find the parent of a subresource admission request. */
  const byResource = new Map<string, Informer<KubeObject>[]>();
  const namespacesOf = (scopes: readonly AccessScope[]): Array<string | undefined> => {
    if (watchAll) return [undefined];
    const namespaces = scopes.map((scope) => (scope === 'agent' ? agentNamespace : watchNamespace));
    return [...new Set(namespaces)];
  };
  for (const kind of operatorAccess().informers) {
    const key = `${kind.group}/${kind.resource}`;
    for (const ns of kind.namespaced ? namespacesOf(kind.scopes) : [undefined]) {
      const informer = new Informer<KubeObject>({
        http,
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        ...(ns !== undefined ? { namespace: ns } : {}),
        labelSelector: MANAGED_BY_LABEL,
        resyncMs: 0,
        clock,
        logger,
      });
      managedInformers.push(informer);
      byResource.set(key, [...(byResource.get(key) ?? []), informer]);
    }
  }
  const findManaged = (key: string, name: string, ns?: string): KubeObject | undefined => {
    for (const informer of byResource.get(key) ?? []) {
      const found = informer.get(name, ns);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  // Runs of the backup CronJob (they inherit its managed-by label): read for
  // databaseStatus.lastBackup, never part of the managed inventory (agent Jobs are not ours).
  const jobInformer = new Informer<KubeObject>({
    http,
    apiVersion: BACKUP_JOB_KIND.apiVersion,
    kind: BACKUP_JOB_KIND.kind,
    ...(watchAll ? {} : { namespace: watchNamespace }),
    labelSelector: MANAGED_BY_LABEL,
    resyncMs: 0,
    clock,
    logger,
  });
  const store: ObservedStore = {
    managedBy: (name) =>
      managedInformers.flatMap((informer) =>
        informer.list().filter((obj) => obj.metadata.labels?.[MANAGED_BY_LABEL] === name),
      ),
    jobs: (name) => jobInformer.list().filter((obj) => obj.metadata.labels?.[MANAGED_BY_LABEL] === name),
  };

  // --- webhook TLS + server ------------------------------------------------------------------
  let caBundle: string | undefined;
  let webhook: WebhookServer | undefined;
  let webhookPort: number | undefined;
  let rotationTimer: TimerHandle | undefined;
  const webhookEnabled =
    options.webhookPort === undefined || (options.webhookPort !== null && options.webhookPort >= 0);
  const serviceName = options.webhookServiceName ?? 'multinic-operator-webhook';
  const dnsNames = options.webhookDnsNames ?? [
    serviceName,
    `${serviceName}.${namespace}`,
    `${serviceName}.${namespace}.svc`,
    `${serviceName}.${namespace}.svc.cluster.local`,
    'localhost',
  ];
  const ipAddresses = options.webhookIpAddresses ?? ['127.0.0.1'];

  const crCache = (owner: { namespace?: string; name: string }): MultiNicOperator | undefined =>
    crInformer.get(owner.name, owner.namespace) as MultiNicOperator | undefined;
  const configFor = (request: AdmissionRequest): AdmissionConfig => {
    const own = (
      (request.oldObject ?? request.object) as { metadata?: { labels?: Record<string, string> } } | undefined
    )?.metadata?.labels;
    // Subresource requests (scale) carry label-less objects: take the parent's labels from the cache.
    const parent =
      request.subResource !== undefined &&
      request.subResource !== '' &&
      request.resource !== undefined &&
      request.name !== undefined
        ? findManaged(
            `${request.resource.group}/${request.resource.resource}`,
            request.name,
            request.namespace,
          )?.metadata.labels
        : undefined;
    const labels = own !== undefined && Object.keys(own).length > 0 ? own : (parent ?? {});
    const name = labels[MANAGED_BY_LABEL];
    const ns = labels[MANAGED_BY_NAMESPACE_LABEL] ?? request.namespace;
    const cr =
      name !== undefined ? crCache({ name, ...(ns !== undefined ? { namespace: ns } : {}) }) : undefined;
    const groups =
      (cr?.spec as { protection?: { breakGlassGroups?: string[] } } | undefined)?.protection
        ?.breakGlassGroups ?? [];
    return {
      operatorUsernames,
      breakGlassGroups: groups,
      ...(parent !== undefined ? { parentLabels: parent } : {}),
    };
  };

  let queue: WorkQueue | undefined;
  // Cluster-scoped and agent-namespace objects may belong to another operator's CRs: only the
  // watched namespace's CRs are ours.
  const ours = (key: string): boolean => watchAll || key.startsWith(`${watchNamespace}/`);
  const enqueue = (key: string): void => {
    if (!ours(key)) return;
    queue?.add(key);
  };
  const accounting = new ProtectionAccounting({
    now: () => new Date(clock.now()),
    emitEvent: (owner, reason, message) => {
      const cr = crCache(owner);
      if (cr !== undefined) emit(cr as unknown as KubeObject, 'Warning', reason, message);
    },
  });

  let servedCert: string | undefined;
  const tlsOptions = (): Parameters<typeof ensureWebhookTls>[1] => ({
    namespace,
    ...(options.webhookSecretName !== undefined ? { secretName: options.webhookSecretName } : {}),
    dnsNames,
    ipAddresses,
    now: new Date(clock.now()),
  });
  /** Re-reads the Secret (another replica may have rotated it), rotates if due, re-arms itself. */
  const refreshTls = async (): Promise<void> => {
    const { bundle, rotated } = await ensureWebhookTls(http, tlsOptions());
    if (rotated !== 'None') logger.info('operator: webhook certificate rotated', { rotated });
    const caChanged = caBundle === undefined || !caBundle.includes(bundle.caCert.trim());
    if (caChanged) {
      // Trust the new CA first (during a CA rotation together with the previous one), and only
      // then serve a certificate it signed, so the API server never sees an unknown issuer.
      const previous =
        caBundle === undefined
          ? undefined
          : /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(caBundle)?.[0];
      caBundle = previous === undefined ? bundle.caCert : `${bundle.caCert.trim()}\n${previous}\n`;
      await patchWebhookConfigurations(
        http,
        caBundle,
        options.webhookUrl,
        options.webhookConfigurationNames,
      ).catch((error: unknown) =>
        logger.warn('operator: patching caBundle failed; retried at the next check', { error }),
      );
      // Managed configurations are re-applied with the new bundle.
      for (const cr of crInformer.list()) enqueue(`${cr.metadata.namespace ?? ''}/${cr.metadata.name ?? ''}`);
    }
    if (webhook !== undefined && servedCert !== bundle.cert) {
      webhook.setCertificate(bundle.cert, bundle.key);
      servedCert = bundle.cert;
    }
    const next = Math.min(nextRotationCheck(bundle).getTime() - clock.now(), 10 * 60_000);
    rotationTimer = clock.setTimeout(
      () => {
        refreshTls().catch((error: unknown) =>
          logger.error('operator: webhook TLS refresh failed', { error }),
        );
      },
      Math.max(next, 1_000),
    );
  };

  if (webhookEnabled) {
    const { bundle } = await ensureWebhookTls(http, tlsOptions());
    servedCert = bundle.cert;
    webhook = createWebhookServer({
      port: options.webhookPort ?? 9443,
      host: options.bindHost ?? '0.0.0.0',
      cert: bundle.cert,
      key: bundle.key,
      configFor,
      onDecision: (request, decision) => accounting.record(request, decision),
      logger,
    });
    webhookPort = await webhook.listen();
    logger.info('operator: webhook serving', { port: webhookPort, path: WEBHOOK_PATH });
    await refreshTls();
  }

  // --- reconciler, queue, leader election ------------------------------------------------------
  const reconciler = new OperatorReconciler({
    http,
    render: (
      options.createRender ??
      ((context) =>
        createRenderer({
          ...context,
          ...(options.image !== undefined ? { image: options.image } : {}),
          ...(options.agentNamespace !== undefined ? { agentNamespace: options.agentNamespace } : {}),
        }))
    )({
      http,
      operatorNamespace: namespace,
      operatorUsernames,
    }),
    store,
    events: emit,
    customize: (obj) =>
      caBundle !== undefined ? withWebhookClientConfig(obj, caBundle, options.webhookUrl) : obj,
    protectionServing: (mode) => mode === 'policy' || webhook !== undefined,
    clock,
    logger,
  });
  const newQueue = (): WorkQueue =>
    new WorkQueue({ name: 'operator', workers: options.workers ?? 4, clock, logger }, async (key) => {
      const slash = key.indexOf('/');
      return reconciler.reconcile({ namespace: key.slice(0, slash), name: key.slice(slash + 1) });
    });

  crInformer.addHandler({
    add: (obj) => enqueue(`${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`),
    update: (old, obj) => {
      if (generationOrMetaChanged(old, obj))
        enqueue(`${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`);
    },
    delete: (obj) => enqueue(`${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`),
  });
  /** A Job run by a CronJob changed: its MultiNicOperator may have a new lastBackup. */
  const enqueueCronJobRun = (obj: KubeObject): void => {
    if (!(obj.metadata.ownerReferences ?? []).some((ref) => ref.kind === 'CronJob')) return;
    const key = ownerKey(obj);
    if (key !== undefined) enqueue(key);
  };
  jobInformer.addHandler({
    add: enqueueCronJobRun,
    update: (_old, obj) => enqueueCronJobRun(obj),
    delete: enqueueCronJobRun,
  });
  for (const informer of managedInformers) {
    informer.addHandler({
      add: (obj) => {
        const key = ownerKey(obj);
        if (key !== undefined) enqueue(key);
      },
      update: (_old, obj) => {
        const key = ownerKey(obj);
        if (key !== undefined) enqueue(key);
      },
      delete: (obj) => {
        const key = ownerKey(obj);
        if (key !== undefined) enqueue(key);
      },
    });
  }

  const elector = new LeaderElector({
    http,
    namespace,
    name: options.leaseName ?? 'multinic-operator',
    identity,
    leaseDurationSeconds: options.leaseDurationSeconds ?? 15,
    clock,
    logger,
    onStartedLeading: () => {
      logger.info('operator: leading', { identity });
      queue = newQueue();
      queue.start();
      for (const cr of crInformer.list()) enqueue(`${cr.metadata.namespace ?? ''}/${cr.metadata.name ?? ''}`);
      if (caBundle !== undefined) {
        patchWebhookConfigurations(
          http,
          caBundle,
          options.webhookUrl,
          options.webhookConfigurationNames,
        ).catch((error: unknown) => logger.warn('operator: patching caBundle failed', { error }));
      }
    },
    onStoppedLeading: () => {
      logger.info('operator: stopped leading', { identity });
      const old = queue;
      queue = undefined;
      void old?.shutdown();
    },
  });

  // Policy-mode denials happen inside the API server: the leader counts them from its metrics.
  const policyInformer = byResource.get('admissionregistration.k8s.io/validatingadmissionpolicies')?.[0];
  const policyDenials = startPolicyDenialPoller({
    http,
    intervalMs: options.policyDenialPollMs ?? 15_000,
    enabled: () => elector.isLeader() && policyInformer !== undefined,
    ownerOf: (policy) => {
      const vap = policyInformer?.get(policy);
      const key = vap === undefined ? undefined : ownerKey(vap);
      if (key === undefined) return undefined;
      if (!ours(key)) return undefined;
      const slash = key.indexOf('/');
      return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    },
    record: (owner, count, policy) => accounting.recordPolicy(owner, count, policy),
    clock,
    logger,
  });

  crInformer.start();
  for (const informer of managedInformers) informer.start();
  jobInformer.start();
  const synced = Promise.all([
    crInformer.waitForSync(),
    ...managedInformers.map((informer) => informer.waitForSync()),
    jobInformer.waitForSync(),
  ]).then(() => undefined);

  // Every replica flushes its own denial counts; a timer, so bursts become one write per CR.
  let flushing = false;
  const flushTimer = setInterval(() => {
    if (flushing) return;
    flushing = true;
    const owners: OwnerRef[] = accounting.owners();
    Promise.all(owners.map((owner) => flushDenials(http, accounting, owner)))
      .catch(() => undefined)
      .finally(() => {
        flushing = false;
      });
  }, options.denialFlushMs ?? 2_000);
  flushTimer.unref();

  let health: HealthServer;
  try {
    health = await startHealthServer({
      port: options.metricsPort ?? 8082,
      host: options.bindHost ?? '0.0.0.0',
      liveness: { process: () => true },
      readiness: {
        informers: () =>
          crInformer.hasSynced() && managedInformers.every((informer) => informer.hasSynced())
            ? true
            : 'informers not synced',
        webhook: () => (!webhookEnabled || webhookPort !== undefined ? true : 'webhook not serving'),
      },
      logger,
    });
  } catch (error) {
    policyDenials.stop();
    await webhook?.close();
    throw error;
  }
  await synced;
  elector.start();

  return {
    identity,
    metricsPort: health.port,
    webhookPort,
    isLeader: () => elector.isLeader(),
    ready: () => synced,
    idle: async () => {
      await queue?.whenIdle();
    },
    reconciler,
    accounting,
    async stop() {
      clearInterval(flushTimer);
      policyDenials.stop();
      if (rotationTimer !== undefined) clock.clearTimeout(rotationTimer);
      await elector.stop();
      await queue?.shutdown();
      await Promise.all([
        crInformer.stop(),
        ...managedInformers.map((informer) => informer.stop()),
        jobInformer.stop(),
      ]);
      await Promise.all(accounting.owners().map((owner) => flushDenials(http, accounting, owner)));
      await recorder.flush().catch(() => undefined);
      await webhook?.close();
      await health.close();
    },
  };
}
