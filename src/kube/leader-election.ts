// Lease-based leader election (coordination.k8s.io/v1), after client-go's leaderelection:
// the lease is valid for leaseDurationSeconds from the moment *we observed* its last change
// (local clock, so clock skew between replicas does not matter); the leader renews every
// retryPeriodMs and steps down when it could not renew within renewDeadlineMs; on stop it
// releases the lease (empty holder, 1 s duration) so a successor takes over at once.
//
// API:
//   const le = new LeaderElector({ http, namespace, name, identity, leaseDurationSeconds? = 15,
//       renewDeadlineMs? = 10_000, retryPeriodMs? = 2_000, clock?, logger?,
//       onStartedLeading(signal), onStoppedLeading(), onNewLeader?(identity) })
//   le.start()            runs in the background until stop()
//   le.isLeader()         true while leading;  le.leaderIdentity  (last observed holder)
//   await le.stop()       steps down (onStoppedLeading fires if we led) and releases the lease
// `onStartedLeading` receives an AbortSignal that aborts when leadership is lost or on stop.
// Metric: multinic_kube_leader{lease} 1 while this process leads.
//   runWithLeadership({ http, logger, lease | undefined, start })  the roles' process pattern:
//       start() once leading; `.lost` resolves on a lost lease (not on stop()); `.isLeader()`.
import { silentLogger, type Logger } from '../observability/logger.js';
import { gauge } from '../observability/metrics.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { isKubeStatus, type KubeHttp } from './http.js';

const leaderGauge = gauge<'lease'>({
  name: 'multinic_kube_leader',
  help: '1 while this process holds the named leader-election Lease',
  labelNames: ['lease'],
});

export interface LeaderElectorOptions {
  http: KubeHttp;
  namespace: string;
  name: string;
  /** Unique per replica (Pod name + random suffix). */
  identity: string;
  /** @default 15 */
  leaseDurationSeconds?: number;
  /** @default 10_000 */
  renewDeadlineMs?: number;
  /** @default 2_000 */
  retryPeriodMs?: number;
  clock?: Clock;
  logger?: Logger;
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export class LeaderElector {
  private readonly options: LeaderElectorOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private stopController: AbortController | undefined;
  private running: Promise<void> | undefined;
  private leading = false;
  private leadership: AbortController | undefined;
  private observed: { record: string; at: number; lease: Lease } | undefined;
  private lastRenew = 0;
  leaderIdentity = '';

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ lease: options.name, identity: options.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.loop(this.stopController.signal);
  }

  async stop(): Promise<void> {
    this.stopController?.abort(new Error('leader elector stopped'));
    await this.running;
    this.running = undefined;
    if (this.leading) {
      await this.release().catch((err: unknown) =>
        this.logger.warn('could not release lease', { error: err }),
      );
      this.stepDown();
    }
  }

  private get path(): string {
    const { namespace, name } = this.options;
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const retry = this.options.retryPeriodMs ?? 2_000;
    const renewDeadline = this.options.renewDeadlineMs ?? 10_000;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.logger.debug('lease attempt failed', { error: err });
      }
      if (signal.aborted) break;
      if (ok) {
        this.lastRenew = this.clock.now();
        if (!this.leading) {
          this.leading = true;
          leaderGauge.set({ lease: this.options.name }, 1);
          this.leadership = new AbortController();
          this.logger.info('started leading');
          this.options.onStartedLeading(this.leadership.signal);
        }
      } else if (this.leading && this.clock.now() - this.lastRenew >= renewDeadline) {
        this.logger.warn('lost the lease: could not renew within the deadline');
        this.stepDown();
      } else if (this.leading && this.leaderIdentity !== this.options.identity) {
        this.logger.warn('lost the lease to another holder', { holder: this.leaderIdentity });
        this.stepDown();
      }
      await sleep(this.clock, retry, signal).catch(() => undefined);
    }
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    leaderGauge.set({ lease: this.options.name }, 0);
    this.leadership?.abort(new Error('leadership lost'));
    this.leadership = undefined;
    this.options.onStoppedLeading();
  }

  private observe(lease: Lease): void {
    const record = JSON.stringify(lease.spec);
    if (!this.observed || this.observed.record !== record) {
      this.observed = { record, at: this.clock.now(), lease };
    } else {
      this.observed.lease = lease;
    }
    const holder = lease.spec.holderIdentity ?? '';
    if (holder !== this.leaderIdentity) {
      this.leaderIdentity = holder;
      if (holder) this.options.onNewLeader?.(holder);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { http, identity, namespace, name } = this.options;
    const duration = this.options.leaseDurationSeconds ?? 15;
    const now = this.clock.now();
    let current: Lease | undefined;
    try {
      current = await http.request<Lease>('GET', this.path, {
        timeoutMs: this.options.renewDeadlineMs ?? 10_000,
      });
    } catch (err) {
      if (!isKubeStatus(err, 404)) throw err;
    }
    if (!current) {
      const created = await http.request<Lease>(
        'POST',
        `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`,
        {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: duration,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
        },
      );
      this.observe(created);
      return true;
    }
    this.observe(current);
    const holder = current.spec.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== identity;
    const observedAt = this.observed?.at ?? now;
    const holderDuration = (current.spec.leaseDurationSeconds ?? duration) * 1000;
    if (heldByOther && observedAt + holderDuration > now) return false;
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: duration,
      renewTime: microTime(now),
      acquireTime: holder === identity ? (current.spec.acquireTime ?? microTime(now)) : microTime(now),
      leaseTransitions: (current.spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1),
    };
    const updated = await http.request<Lease>('PUT', this.path, {
      body: { ...current, spec },
      timeoutMs: this.options.renewDeadlineMs ?? 10_000,
    });
    this.observe(updated);
    return true;
  }

  private async release(): Promise<void> {
    const current = this.observed?.lease;
    if (!current || current.spec.holderIdentity !== this.options.identity) return;
    const now = this.clock.now();
    const released = await this.options.http.request<Lease>('PUT', this.path, {
      body: {
        ...current,
        spec: {
          ...current.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: microTime(now),
          acquireTime: null,
        },
      },
    });
    this.observe(released);
  }
}

export interface LeadershipOptions {
  http: KubeHttp;
  logger: Logger;
  /** The Lease to hold; `undefined` runs without election (a single replica leads at once). */
  lease:
    | Pick<
        LeaderElectorOptions,
        'namespace' | 'name' | 'identity' | 'leaseDurationSeconds' | 'renewDeadlineMs' | 'retryPeriodMs'
      >
    | undefined;
  /** Starts the work that only the leader does; called once, when leadership is first acquired. */
  start: () => void;
}

/** What a role's process loop needs from leader election. */
export interface Leadership {
  isLeader(): boolean;
  /** Resolves when leadership is lost (never while stopping); the process should then exit. */
  readonly lost: Promise<void>;
  hasLost(): boolean;
  /** Releases the lease (a successor takes over at once); does not count as losing it. */
  stop(): Promise<void>;
}

/**
 * The process pattern every controller role shares: run `start` while holding the Lease (or at
 * once without election), and report a lost lease so the process exits and re-syncs on restart.
 */
export function runWithLeadership(options: LeadershipOptions): Leadership {
  const { lease } = options;
  let leading = lease === undefined;
  let lost = false;
  let stopping = false;
  let resolveLost: () => void = () => undefined;
  const lostPromise = new Promise<void>((resolve) => (resolveLost = resolve));
  let elector: LeaderElector | undefined;
  if (lease === undefined) {
    options.start();
  } else {
    elector = new LeaderElector({
      http: options.http,
      ...lease,
      logger: options.logger,
      onStartedLeading: () => {
        leading = true;
        options.start();
      },
      onStoppedLeading: () => {
        leading = false;
        if (stopping) return;
        lost = true;
        resolveLost();
      },
    });
    elector.start();
  }
  return {
    isLeader: () => leading,
    lost: lostPromise,
    hasLost: () => lost,
    stop: async () => {
      stopping = true;
      await elector?.stop();
    },
  };
}
