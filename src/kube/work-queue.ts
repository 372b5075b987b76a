// A rate-limited work queue in the shape of client-go's workqueue, with the worker loop built in.
//
// Guarantees: a key is queued at most once (dedupe); one key never runs twice at once (a key
// added while it is being processed runs again right after); at most `workers` keys run in
// parallel; a failed key is retried with capped exponential backoff per key, reset on success.
// `TerminalError` means "do not retry" (the reconciler has written a condition already).
//
// API:
//   const q = new WorkQueue({ name, workers?, backoff?, clock?, logger? }, async (key) => result)
//        handler result: void (done, forget backoff) | { requeueAfterMs } (done, run again later);
//        throw -> retry after backoff; throw TerminalError -> no retry.
//   q.start(); q.add(key); q.addAfter(key, ms); q.addRateLimited(key); q.forget(key)
//   q.numRequeues(key); q.len (queued, not delayed); q.processing (running now)
//   await q.whenIdle()        resolves when nothing is queued or running (delayed keys not counted)
//   await q.shutdown()        stops taking work, cancels delayed adds, waits for running handlers
// Metrics: multinic_<name>_workqueue_depth (gauge), multinic_<name>_workqueue_retries_total,
//          multinic_<name>_workqueue_terminal_errors_total.
import type { Counter, Gauge } from 'prom-client';
import { counter, gauge } from '../observability/metrics.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

/** Thrown by a reconciler to say: retrying cannot help (bad spec, mismatch); do not requeue. */
export class TerminalError extends Error {
  override readonly name: string = 'TerminalError';
  /** CamelCase reason for the condition and the Event. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

export type WorkResult = void | { requeueAfterMs?: number };

export interface WorkQueueOptions {
  /** Metric prefix: multinic_<name>_workqueue_depth. Must be [a-z_]+. */
  name: string;
  /** Keys processed in parallel. @default 1 */
  workers?: number;
  /** Per-key retry backoff. @default {baseMs: 5, maxMs: 300_000} */
  backoff?: BackoffOptions;
  clock?: Clock;
  logger?: Logger;
}

export class WorkQueue<K extends string = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly active = new Set<K>();
  private readonly failures = new Map<K, number>();
  private readonly delayed = new Map<K, { at: number; timer: TimerHandle }>();
  private readonly running = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private started = false;
  private stopping = false;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly workers: number;
  private readonly backoff: BackoffOptions;
  private readonly depth: Gauge;
  private readonly retries: Counter;
  private readonly terminal: Counter;

  constructor(
    options: WorkQueueOptions,
    private readonly handler: (key: K) => Promise<WorkResult>,
  ) {
    if (!/^[a-z][a-z0-9_]*$/.test(options.name)) {
      throw new Error(`work queue 'name' must match [a-z][a-z0-9_]*, got '${options.name}'`);
    }
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ queue: options.name });
    this.workers = Math.max(1, options.workers ?? 1);
    this.backoff = options.backoff ?? { baseMs: 5, maxMs: 300_000 };
    this.depth = gauge({
      name: `multinic_${options.name}_workqueue_depth`,
      help: `Keys waiting in the ${options.name} work queue`,
    });
    this.retries = counter({
      name: `multinic_${options.name}_workqueue_retries_total`,
      help: `Keys of the ${options.name} work queue requeued after an error`,
    });
    this.terminal = counter({
      name: `multinic_${options.name}_workqueue_terminal_errors_total`,
      help: `Keys of the ${options.name} work queue that failed with a terminal (not retried) error`,
    });
  }

  get len(): number {
    return this.queue.length;
  }

  get processing(): number {
    return this.active.size;
  }

  start(): void {
    this.started = true;
    this.pump();
  }

  add(key: K): void {
    if (this.stopping || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.active.has(key)) return;
    this.queue.push(key);
    this.depth.set(this.queue.length);
    this.pump();
  }

  /** Adds `key` after `ms`; an earlier pending add of the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.timer);
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Re-adds `key` after its next backoff step. */
  addRateLimited(key: K): void {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    this.addAfter(key, backoffDelay(attempt, this.backoff));
  }

  /** Resets the backoff of `key`. */
  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
    this.delayed.clear();
    this.queue.length = 0;
    this.dirty.clear();
    this.depth.set(0);
    await Promise.all([...this.running]);
    this.notifyIdle();
  }

  private pump(): void {
    while (this.started && !this.stopping && this.active.size < this.workers && this.queue.length > 0) {
      const key = this.queue.shift() as K;
      this.depth.set(this.queue.length);
      this.dirty.delete(key);
      this.active.add(key);
      const run = this.process(key).finally(() => {
        this.running.delete(run);
        this.active.delete(key);
        if (this.dirty.has(key) && !this.stopping) {
          this.queue.push(key);
          this.depth.set(this.queue.length);
        }
        this.pump();
        this.notifyIdle();
      });
      this.running.add(run);
    }
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.active.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private async process(key: K): Promise<void> {
    try {
      const result = await this.handler(key);
      this.forget(key);
      if (result && result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      if (err instanceof TerminalError) {
        this.forget(key);
        this.terminal.inc();
        this.logger.warn('terminal error, not retrying', { key, reason: err.reason, error: err });
        return;
      }
      this.retries.inc();
      this.logger.warn('retrying after error', { key, attempt: this.numRequeues(key) + 1, error: err });
      this.addRateLimited(key);
    }
  }
}
