// A resilient list+watch cache for one (apiVersion, kind, namespace?, labelSelector?).
//
// Why not client-node's informer: in 2.0.1 it re-lists after 410 Gone but stops for good after
// any other error, never asks for bookmarks and has no resync (as of @kubernetes/client-node 2.0). This one:
//  - lists (paged), then watches from the list's resourceVersion with allowWatchBookmarks;
//  - 410 Gone (status or ERROR event) -> re-list, diffing the cache into add/update/delete;
//  - any other error, dropped connection or API-server restart -> reconnect from the last
//    resourceVersion with capped exponential backoff, never more often than minReconnectMs;
//  - stall detection: no byte (event or bookmark) for stallMs -> abort and reconnect;
//  - server-side watch timeout (timeoutSeconds, jittered) is a normal, silent reconnect;
//  - periodic resync re-emits every cached object as update(obj, obj).
// Metric: multinic_kube_watch_restarts_total{kind,reason} (reason: gone|error|stall).
//
// API:
//   const inf = new Informer<T>({ http, apiVersion, kind, namespace?, labelSelector?, fieldSelector?,
//                                 resyncMs?, stallMs?, watchTimeoutSeconds?, backoff?, minReconnectMs?,
//                                 pageSize?, clock?, logger? })
//   inf.addHandler({ add?(obj), update?(old, obj), delete?(obj) })   returns an unsubscribe function;
//        on resync `update` gets the same object twice (old === obj); handlers must not throw
//        (errors are logged) and should only enqueue keys.
//   inf.start()            starts in the background; returns at once
//   await inf.waitForSync(signal?)   first list done;  inf.hasSynced()
//   inf.get(name, namespace?) / inf.list(namespace?) / inf.size     the cache (objects carry apiVersion+kind)
//   inf.lastResourceVersion
//   await inf.stop()
//   generationOrMetaChanged(old, obj)    predicate: spec/metadata changes and resyncs, not status-only writes
import { counter } from '../observability/metrics.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { sleep, systemClock, type Clock, type TimerHandle } from './clock.js';
import { isKubeStatus, KubeApiError, type KubeHttp } from './http.js';
import type { KubeObject } from './types.js';

const watchRestarts = counter<'kind' | 'reason'>({
  name: 'multinic_kube_watch_restarts_total',
  help: 'Watch restarts after an error, 410 Gone or a stall, by kind',
  labelNames: ['kind', 'reason'],
});

export interface InformerHandler<T extends KubeObject> {
  add?(obj: T): void;
  /** On a periodic resync `old === obj`. */
  update?(old: T, obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  http: KubeHttp;
  apiVersion: string;
  kind: string;
  /** Watch one namespace. @default - all namespaces (or cluster-scoped) */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-emit every cached object this often; 0 disables. @default 600_000 */
  resyncMs?: number;
  /** Restart a watch that delivered nothing (no event, no bookmark) for this long. @default 150_000 */
  stallMs?: number;
  /**
   * Server-side watch timeout; each watch gets a random value in [t, 2t). Keep 2t below stallMs so
   * that a quiet but healthy watch ends on the server's timeout, never as a stall. @default 60
   */
  watchTimeoutSeconds?: number;
  /** Reconnect backoff after errors. @default {baseMs: 500, maxMs: 30_000, jitter: 0.2} */
  backoff?: BackoffOptions;
  /** Never start two watches (or lists) closer than this. @default 1_000 */
  minReconnectMs?: number;
  /** List page size. @default 500 */
  pageSize?: number;
  clock?: Clock;
  logger?: Logger;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

class StallError extends Error {
  override readonly name = 'StallError';
}

function cacheKey(name: string, namespace?: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** True for spec changes (generation), metadata changes that matter to reconcilers, deletion and resyncs. */
export function generationOrMetaChanged(old: KubeObject, obj: KubeObject): boolean {
  if (old === obj) return true;
  const a = old.metadata;
  const b = obj.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])
  );
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly options: InformerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly cache = new Map<string, T>();
  private readonly handlers = new Set<InformerHandler<T>>();
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private stopController: AbortController | undefined;
  private running: Promise<void> | undefined;
  private resyncTimer: TimerHandle | undefined;
  private resourceVersion = '';
  private lastConnectAt = Number.NEGATIVE_INFINITY;
  private failures = 0;

  constructor(options: InformerOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({
      informer: options.kind,
      namespace: options.namespace,
    });
  }

  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  get size(): number {
    return this.cache.size;
  }

  addHandler(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.syncWaiters = this.syncWaiters.filter((waiter) => waiter !== done);
        reject(signal?.reason as Error);
      };
      this.syncWaiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(cacheKey(name, namespace));
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((obj) => obj.metadata.namespace === namespace);
  }

  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.loop(this.stopController.signal);
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.stopController?.abort(new Error('informer stopped'));
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    await this.running;
    this.running = undefined;
  }

  private scheduleResync(): void {
    const every = this.options.resyncMs ?? 600_000;
    if (every <= 0) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopController?.signal.aborted) return;
      if (this.synced) for (const obj of this.cache.values()) this.emit('update', obj, obj);
      this.scheduleResync();
    }, every);
  }

  private emit(type: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const handler of this.handlers) {
      try {
        if (type === 'add') handler.add?.(obj);
        else if (type === 'delete') handler.delete?.(obj);
        else handler.update?.(old ?? obj, obj);
      } catch (err) {
        this.logger.error('informer handler threw', { error: err });
      }
    }
  }

  private withKind(obj: KubeObject): T {
    obj.apiVersion ??= this.options.apiVersion;
    obj.kind ??= this.options.kind;
    return obj as T;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const backoff = this.options.backoff ?? { baseMs: 500, maxMs: 30_000, jitter: 0.2 };
    while (!signal.aborted) {
      let delay = 0;
      try {
        await this.throttle(signal);
        if (this.resourceVersion === '') await this.relist(signal);
        await this.throttle(signal);
        await this.watchOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        const reason = isGone(err) ? 'gone' : err instanceof StallError ? 'stall' : 'error';
        watchRestarts.inc({ kind: this.options.kind, reason });
        if (reason === 'gone') {
          this.resourceVersion = '';
        } else {
          delay = backoffDelay(this.failures, backoff);
          this.failures += 1;
        }
        this.logger.warn('watch restarting', { reason, delayMs: Math.round(delay), error: err });
      }
      if (delay > 0) await sleep(this.clock, delay, signal).catch(() => undefined);
    }
  }

  /** Bounded reconnect rate: waits until minReconnectMs has passed since the previous connect. */
  private async throttle(signal: AbortSignal): Promise<void> {
    const wait = this.lastConnectAt + (this.options.minReconnectMs ?? 1_000) - this.clock.now();
    if (wait > 0) await sleep(this.clock, wait, signal);
    this.lastConnectAt = this.clock.now();
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { http } = this.options;
    const path = await http.collectionPath(this.options, this.options.namespace);
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await http.request<{
        items?: KubeObject[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>('GET', path, {
        signal,
        query: {
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
          limit: this.options.pageSize ?? 500,
          continue: continueToken,
        },
      });
      for (const item of page.items ?? []) items.push(this.withKind(item));
      resourceVersion = page.metadata?.resourceVersion ?? '';
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    this.replace(items);
    this.resourceVersion = resourceVersion;
    this.failures = 0;
    if (!this.synced) {
      this.synced = true;
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = cacheKey(obj.metadata.name ?? '', obj.metadata.namespace);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('update', obj, old);
    }
    for (const [key, old] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.emit('delete', old);
    }
  }

  private async watchOnce(outer: AbortSignal): Promise<void> {
    const { http } = this.options;
    const path = await http.collectionPath(this.options, this.options.namespace);
    const base = this.options.watchTimeoutSeconds ?? 60;
    const controller = new AbortController();
    const signal = AbortSignal.any([outer, controller.signal]);
    const stallMs = this.options.stallMs ?? 150_000;
    let stallTimer: TimerHandle | undefined;
    const armStall = (): void => {
      if (stallTimer) this.clock.clearTimeout(stallTimer);
      stallTimer = this.clock.setTimeout(
        () => controller.abort(new StallError(`no watch data for ${stallMs} ms`)),
        stallMs,
      );
    };
    armStall();
    try {
      const body = await http.stream(
        path,
        {
          watch: true,
          allowWatchBookmarks: true,
          resourceVersion: this.resourceVersion,
          timeoutSeconds: base + Math.floor(Math.random() * base),
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
        },
        signal,
      );
      const reader = body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armStall();
        buffered += decoder.decode(value, { stream: true });
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) this.handleEvent(JSON.parse(line) as WatchEvent);
          newline = buffered.indexOf('\n');
        }
      }
    } catch (err) {
      if (controller.signal.aborted && controller.signal.reason instanceof StallError)
        throw controller.signal.reason;
      throw err;
    } finally {
      if (stallTimer) this.clock.clearTimeout(stallTimer);
    }
  }

  private handleEvent(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const status = event.object;
      throw new KubeApiError(
        'WATCH',
        this.options.kind,
        status.code ?? 500,
        status.reason ?? 'Unknown',
        status,
        status.message ?? '',
      );
    }
    const obj = this.withKind(event.object);
    if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    this.failures = 0;
    if (event.type === 'BOOKMARK') return;
    const key = cacheKey(obj.metadata.name ?? '', obj.metadata.namespace);
    const old = this.cache.get(key);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', obj);
    } else {
      this.cache.set(key, obj);
      if (old) this.emit('update', obj, old);
      else this.emit('add', obj);
    }
  }
}

function isGone(err: unknown): boolean {
  return isKubeStatus(err, 410) || (err instanceof KubeApiError && err.reason === 'Expired');
}
