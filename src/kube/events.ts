// core/v1 Event recorder. Events are best-effort: `record` never throws, errors are logged.
// Repeats of one (object, type, reason, message) are aggregated into one Event (count++,
// lastTimestamp) and written at most once per `minIntervalMs`; repeats in between are counted
// and flushed by a timer. Cluster-scoped objects get their Events in `default`.
//
// API:
//   const events = new EventRecorder({ http, component, instance?, minIntervalMs?, clock?, logger? })
//   events.record(obj, 'Warning' | 'Normal', 'CamelCaseReason', 'human message'): Promise<void>
//   events.flush(): Promise<void>     writes pending aggregated counts now (tests, shutdown)
//   events.writes                     number of API writes issued (benchmarks)
import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '../observability/logger.js';
import { createObject, mergePatchObject } from './apply.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { isKubeStatus, type KubeHttp } from './http.js';
import type { KubeObject } from './types.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  http: KubeHttp;
  /** `source.component` / `reportingComponent`, e.g. 'multinic-agent-controller'. */
  component: string;
  /** `reportingInstance`. @default - $HOSTNAME or 'local' */
  instance?: string;
  /** Minimum time between two writes of the same aggregated Event. @default 1_000 */
  minIntervalMs?: number;
  /** A repeat after this long creates a new Event instead of counting. @default 600_000 */
  aggregateWindowMs?: number;
  /** Remembered Events (LRU). @default 4096 */
  cacheSize?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Aggregate {
  name: string;
  namespace: string;
  count: number;
  written: number;
  firstAt: number;
  lastWriteAt: number;
  timer: TimerHandle | undefined;
  chain: Promise<void>;
  involved: KubeObject;
  type: EventType;
  reason: string;
  message: string;
}

function micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder {
  private readonly options: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly cache = new Map<string, Aggregate>();
  writes = 0;

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'events' });
  }

  record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.clock.now();
    const key = `${obj.metadata.uid ?? `${obj.metadata.namespace}/${obj.metadata.name}`}|${type}|${reason}|${message}`;
    let agg = this.cache.get(key);
    if (agg && now - agg.firstAt > (this.options.aggregateWindowMs ?? 600_000)) {
      if (agg.timer) this.clock.clearTimeout(agg.timer);
      this.cache.delete(key);
      agg = undefined;
    }
    if (!agg) {
      agg = {
        name: `${(obj.metadata.name ?? 'object').slice(0, 200)}.${now.toString(16)}${randomBytes(3).toString('hex')}`,
        namespace: obj.metadata.namespace ?? 'default',
        count: 1,
        written: 0,
        firstAt: now,
        lastWriteAt: Number.NEGATIVE_INFINITY,
        timer: undefined,
        chain: Promise.resolve(),
        involved: obj,
        type,
        reason,
        message,
      };
      this.remember(key, agg);
    } else {
      agg.count += 1;
      agg.involved = obj;
      this.cache.delete(key);
      this.cache.set(key, agg);
    }
    const minInterval = this.options.minIntervalMs ?? 1_000;
    const wait = agg.lastWriteAt + minInterval - now;
    if (wait > 0) {
      const target = agg;
      target.timer ??= this.clock.setTimeout(() => {
        target.timer = undefined;
        void this.write(target);
      }, wait);
      return target.chain;
    }
    return this.write(agg);
  }

  async flush(): Promise<void> {
    const pending = [...this.cache.values()].filter((agg) => agg.timer !== undefined);
    for (const agg of pending) {
      if (agg.timer) this.clock.clearTimeout(agg.timer);
      agg.timer = undefined;
    }
    await Promise.all(pending.map((agg) => this.write(agg)));
  }

  private remember(key: string, agg: Aggregate): void {
    this.cache.set(key, agg);
    const limit = this.options.cacheSize ?? 4096;
    while (this.cache.size > limit) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      const evicted = this.cache.get(oldest);
      if (evicted?.timer) this.clock.clearTimeout(evicted.timer);
      this.cache.delete(oldest);
    }
  }

  private write(agg: Aggregate): Promise<void> {
    agg.chain = agg.chain.then(async () => {
      if (agg.count === agg.written) return;
      agg.lastWriteAt = this.clock.now();
      const count = agg.count;
      try {
        this.writes += 1;
        if (agg.written === 0) await this.create(agg, count);
        else {
          try {
            await mergePatchObject(
              this.options.http,
              { apiVersion: 'v1', kind: 'Event', name: agg.name, namespace: agg.namespace },
              { count, lastTimestamp: micro(agg.lastWriteAt) },
            );
          } catch (err) {
            if (!isKubeStatus(err, 404)) throw err;
            await this.create(agg, count);
          }
        }
        agg.written = count;
      } catch (err) {
        this.logger.warn('could not write Event', {
          reason: agg.reason,
          object: agg.involved.metadata.name,
          error: err,
        });
      }
    });
    return agg.chain;
  }

  private async create(agg: Aggregate, count: number): Promise<void> {
    const obj = agg.involved;
    const instance = this.options.instance ?? process.env['HOSTNAME'] ?? 'local';
    await createObject(this.options.http, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: agg.name, namespace: agg.namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      },
      type: agg.type,
      reason: agg.reason,
      message: agg.message.slice(0, 1024),
      count,
      firstTimestamp: micro(agg.firstAt),
      lastTimestamp: micro(agg.lastWriteAt),
      source: { component: this.options.component },
      reportingComponent: this.options.component,
      reportingInstance: instance,
    });
  }
}
