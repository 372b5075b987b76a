// The one door to the API server: authenticated JSON requests and watch streams built on the
// KubeConfig's own auth and TLS dispatcher (client-node), discovery of kind -> resource paths,
// typed errors and a request metric. Every other file in src/kube goes through `KubeHttp`.
//
// API:
//   new KubeHttp(kc, { timeoutMs?, userAgent? })
//   http.request<T>(method, path, { query?, body?, contentType?, signal?, timeoutMs? }): Promise<T>
//   http.getText(path, { query?, signal?, timeoutMs? }): Promise<string>   (non-JSON, e.g. /metrics)
//   http.stream(path, query, signal): Promise<ReadableStream<Uint8Array>>      (watch bodies)
//   http.resource({apiVersion, kind}): Promise<{ plural, namespaced, group, version }>   (cached discovery)
//   http.collectionPath(kindRef, namespace?) / http.objectPath(ref, subresource?)
//   http.requestCount                       requests issued by this instance (benchmarks: requests per node)
//   KubeApiError {statusCode, reason, method, path, body}; isKubeStatus(err, 404)
// Metric: multinic_kube_requests_total{verb,code}, multinic_kube_request_duration_seconds{verb}.
import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';
import { CALL_DURATION_BUCKETS, counter, histogram } from '../observability/metrics.js';
import type { KindRef, ObjectRef } from './types.js';

const requestsTotal = counter<'verb' | 'code'>({
  name: 'multinic_kube_requests_total',
  help: 'Requests to the Kubernetes API server by verb and HTTP status code (0 = no response)',
  labelNames: ['verb', 'code'],
});
const requestSeconds = histogram<'verb'>({
  name: 'multinic_kube_request_duration_seconds',
  help: 'Duration of Kubernetes API requests (watch streams: until headers)',
  labelNames: ['verb'],
  buckets: CALL_DURATION_BUCKETS,
});

/** A non-2xx answer from the API server (or a transport failure, statusCode 0). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    readonly reason: string,
    readonly body: unknown,
    message: string,
  ) {
    super(`${method} ${path}: ${statusCode} ${reason}: ${message}`);
  }
}

/** True when `err` is a `KubeApiError` with one of `codes`. */
export function isKubeStatus(err: unknown, ...codes: number[]): err is KubeApiError {
  return err instanceof KubeApiError && codes.includes(err.statusCode);
}

export interface ApiResourceInfo {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** @default 'application/json' when a body is given */
  contentType?: string;
  signal?: AbortSignal;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
}

export interface KubeHttpOptions {
  /** Timeout of each non-watch request. @default 30_000 */
  timeoutMs?: number;
}

type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const METHODS: Record<Verb, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

function verbLabel(method: Verb, query: RequestOptions['query']): string {
  if (method === 'GET') return query?.['watch'] ? 'watch' : 'get';
  return method.toLowerCase();
}

export class KubeHttp {
  readonly kc: KubeConfig;
  private readonly timeoutMs: number;
  private readonly server: string;
  private readonly resources = new Map<string, Promise<Map<string, ApiResourceInfo>>>();
  /** Requests issued through this instance (including watches and discovery). */
  requestCount = 0;

  constructor(kc: KubeConfig, options: KubeHttpOptions = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.kc = kc;
    this.server = cluster.server.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  private async prepare(
    method: Verb,
    path: string,
    options: RequestOptions,
  ): Promise<{ url: string; headers: Record<string, string>; dispatcher: Dispatcher | undefined }> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const ctx = new RequestContext(url.toString(), METHODS[method]);
    await this.kc.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = { ...ctx.getHeaders(), accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    return { url: url.toString(), headers, dispatcher: ctx.getDispatcher() as Dispatcher | undefined };
  }

  /** One JSON request; resolves with the parsed body, rejects with `KubeApiError`. */
  async request<T = unknown>(method: Verb, path: string, options: RequestOptions = {}): Promise<T> {
    const verb = verbLabel(method, options.query);
    const started = performance.now();
    this.requestCount += 1;
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let status = 0;
    try {
      const { url, headers, dispatcher } = await this.prepare(method, path, options);
      const response = await fetch(url, {
        method,
        headers,
        signal,
        ...(dispatcher ? { dispatcher } : {}),
        ...(options.body !== undefined
          ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
          : {}),
      });
      status = response.status;
      const text = await response.text();
      const parsed: unknown = text.length > 0 ? safeJson(text) : undefined;
      if (status < 200 || status >= 300) throw errorFrom(method, path, status, parsed, text);
      return parsed as T;
    } catch (err) {
      if (err instanceof KubeApiError) throw err;
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new KubeApiError(method, path, 0, 'Transport', undefined, message);
    } finally {
      requestsTotal.inc({ verb, code: String(status) });
      requestSeconds.observe({ verb }, (performance.now() - started) / 1000);
    }
  }

  /** A GET of a non-JSON path (e.g. `/metrics`); resolves with the body text, rejects with `KubeApiError`. */
  async getText(path: string, options: Omit<RequestOptions, 'body' | 'contentType'> = {}): Promise<string> {
    const started = performance.now();
    this.requestCount += 1;
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let status = 0;
    try {
      const { url, headers, dispatcher } = await this.prepare('GET', path, options);
      headers['accept'] = 'text/plain';
      const response = await fetch(url, {
        method: 'GET',
        headers,
        signal,
        ...(dispatcher ? { dispatcher } : {}),
      });
      status = response.status;
      const text = await response.text();
      if (status < 200 || status >= 300) throw errorFrom('GET', path, status, safeJson(text), text);
      return text;
    } catch (err) {
      if (err instanceof KubeApiError) throw err;
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new KubeApiError('GET', path, 0, 'Transport', undefined, message);
    } finally {
      requestsTotal.inc({ verb: 'get', code: String(status) });
      requestSeconds.observe({ verb: 'get' }, (performance.now() - started) / 1000);
    }
  }

  /** Opens a streaming GET (a watch); resolves with the body once the server answered 200. */
  async stream(
    path: string,
    query: RequestOptions['query'],
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const started = performance.now();
    this.requestCount += 1;
    let status = 0;
    try {
      const { url, headers, dispatcher } = await this.prepare('GET', path, query ? { query } : {});
      const response = await fetch(url, {
        method: 'GET',
        headers,
        signal,
        ...(dispatcher ? { dispatcher } : {}),
      });
      status = response.status;
      if (status !== 200 || !response.body) {
        const text = await response.text();
        throw errorFrom('GET', path, status, safeJson(text), text);
      }
      return response.body as ReadableStream<Uint8Array>;
    } catch (err) {
      if (err instanceof KubeApiError) throw err;
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new KubeApiError('GET', path, 0, 'Transport', undefined, message);
    } finally {
      requestsTotal.inc({ verb: 'watch', code: String(status) });
      requestSeconds.observe({ verb: 'watch' }, (performance.now() - started) / 1000);
    }
  }

  /** Discovery (cached per group/version; re-fetched once when a kind is unknown, e.g. a new CRD). */
  async resource(ref: KindRef): Promise<ApiResourceInfo> {
    const found = (await this.groupVersion(ref.apiVersion, false)).get(ref.kind);
    if (found) return found;
    const again = (await this.groupVersion(ref.apiVersion, true)).get(ref.kind);
    if (!again) throw new Error(`the API server does not serve kind ${ref.kind} in ${ref.apiVersion}`);
    return again;
  }

  private groupVersion(apiVersion: string, refresh: boolean): Promise<Map<string, ApiResourceInfo>> {
    const cached = this.resources.get(apiVersion);
    if (cached && !refresh) return cached;
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const loading = this.request<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>(
      'GET',
      path,
    )
      .then((list) => {
        const byKind = new Map<string, ApiResourceInfo>();
        for (const resource of list.resources ?? []) {
          if (resource.name.includes('/')) continue;
          byKind.set(resource.kind, {
            group: group ?? '',
            version: version ?? '',
            plural: resource.name,
            namespaced: resource.namespaced,
          });
        }
        return byKind;
      })
      .catch((err: unknown) => {
        this.resources.delete(apiVersion);
        throw err;
      });
    this.resources.set(apiVersion, loading);
    return loading;
  }

  /** `/apis/g/v/namespaces/ns/plural` (namespace ignored for cluster-scoped kinds; omitted = all namespaces). */
  async collectionPath(ref: KindRef, namespace?: string): Promise<string> {
    const info = await this.resource(ref);
    const root = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${root}${ns}/${info.plural}`;
  }

  async objectPath(ref: ObjectRef, subresource?: string): Promise<string> {
    const info = await this.resource(ref);
    if (info.namespaced && !ref.namespace) {
      throw new Error(`${ref.kind} ${ref.name} is namespaced: the reference needs a namespace`);
    }
    const base = await this.collectionPath(ref, ref.namespace);
    return `${base}/${encodeURIComponent(ref.name)}${subresource ? `/${subresource}` : ''}`;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorFrom(
  method: string,
  path: string,
  status: number,
  parsed: unknown,
  text: string,
): KubeApiError {
  const statusBody = parsed as { reason?: string; message?: string } | undefined;
  return new KubeApiError(
    method,
    path,
    status,
    statusBody?.reason ?? 'Unknown',
    parsed,
    statusBody?.message ?? text.slice(0, 300),
  );
}
