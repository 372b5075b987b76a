// The one HTTP layer of the OpenStack client: a keep-alive undici Agent (one pool per origin),
// a timeout per attempt, retries with full-jitter exponential backoff for connection errors,
// 5xx and 429 (never for other 4xx; 401 is handled one level up by the session), the
// `multinic_openstack_request_duration_seconds` histogram, and typed errors. Request headers
// are never logged or copied into errors: they carry the token.
import { Agent, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';
import { CALL_DURATION_BUCKETS, histogram } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { OpenStackConnectionError, OpenStackHttpError } from './errors.js';

export { OpenStackHttpError, OpenStackConnectionError, isStatus } from './errors.js';

export const requestDuration = histogram<'service' | 'operation' | 'code'>({
  name: 'multinic_openstack_request_duration_seconds',
  help: 'Duration of HTTP calls to OpenStack (and Contrabass), per attempt; code is the HTTP status, or error/timeout',
  labelNames: ['service', 'operation', 'code'],
  buckets: CALL_DURATION_BUCKETS,
});

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface TlsOptions {
  /** Skip certificate verification. Only for test clouds. @default false */
  insecure?: boolean;
  /** PEM CA bundle to trust instead of the Node.js store. @default - the Node.js CA store */
  ca?: string;
}

export interface BackoffOptions {
  /** First retry waits up to this long (full jitter). @default 200 */
  baseMs?: number;
  /** No wait is longer than this, Retry-After included. @default 10000 */
  maxMs?: number;
}

export interface HttpClientOptions {
  /** undici dispatcher to send through (tests, proxies). @default - an Agent owned by this client */
  dispatcher?: Dispatcher;
  /** Timeout of one attempt (connect + headers + body). @default 30000 */
  timeoutMs?: number;
  /** Attempts for retryable failures, the first included. @default 4 */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  tls?: TlsOptions;
  /** Keep-alive connections per origin. @default 16 */
  connectionsPerOrigin?: number;
  /** @default - setTimeout */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Monotonic milliseconds for durations. @default performance.now */
  now?: () => number;
  /** @default silentLogger */
  logger?: Logger;
  /** @default 'multinic' */
  userAgent?: string;
}

export interface HttpRequest {
  /** Metric/log label: identity, network, compute, contrabass. */
  service: string;
  /** Metric/log label, low cardinality: `ports.list`, `tokens.issue`, ... */
  operation: string;
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Accepted statuses; anything else throws `OpenStackHttpError`. */
  expected: readonly number[];
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Parsed JSON, or the text when the body is not JSON, or undefined when empty. */
  body: unknown;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'timeout',
]);

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Delay before retry number `attempt` (1-based): full jitter over min(max, base * 2^(attempt-1)). */
export function backoffDelay(
  attempt: number,
  random: () => number,
  backoff: Required<BackoffOptions>,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as milliseconds (delta-seconds or HTTP date), undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function errorCode(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'timeout';
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (err.cause !== undefined) return errorCode(err.cause);
    return err.name;
  }
  return 'unknown';
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The URL without its query string, for logs and metrics-free messages. */
function describeUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly userAgent: string;

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.backoff = { baseMs: options.backoff?.baseMs ?? 200, maxMs: options.backoff?.maxMs ?? 10_000 };
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
    this.logger = options.logger ?? silentLogger;
    this.userAgent = options.userAgent ?? 'multinic';
    if (options.dispatcher !== undefined) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      const connect: { rejectUnauthorized: boolean; ca?: string } = {
        rejectUnauthorized: options.tls?.insecure !== true,
      };
      if (options.tls?.ca !== undefined) connect.ca = options.tls.ca;
      this.dispatcher = new Agent({
        connections: options.connectionsPerOrigin ?? 16,
        keepAliveTimeout: 30_000,
        connectTimeout: Math.min(this.timeoutMs, 10_000),
        connect,
      });
      this.ownsDispatcher = true;
    }
  }

  /** Sends `req`, retrying retryable failures; resolves only with an expected status. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      let outcome: { response: HttpResponse } | { error: Error; retryAfterMs?: number };
      try {
        const response = await this.once(req);
        if (req.expected.includes(response.status)) return response;
        const error = new OpenStackHttpError({
          method: req.method,
          url: req.url,
          expected: req.expected,
          actual: response.status,
          body: typeof response.body === 'string' ? response.body : (JSON.stringify(response.body) ?? ''),
          service: req.service,
          operation: req.operation,
        });
        if (!RETRYABLE_STATUS.has(response.status)) throw error;
        const retryAfterMs = parseRetryAfter(response.headers['retry-after'], Date.now());
        outcome = retryAfterMs === undefined ? { error } : { error, retryAfterMs };
      } catch (err) {
        if (err instanceof OpenStackHttpError) throw err;
        if (!(err instanceof OpenStackConnectionError) || !RETRYABLE_CODES.has(err.code)) throw err;
        outcome = { error: err };
      }
      if (attempt >= this.maxAttempts) throw outcome.error;
      const jittered = backoffDelay(attempt, this.random, this.backoff);
      const delay = Math.min(this.backoff.maxMs, Math.max(jittered, outcome.retryAfterMs ?? 0));
      this.logger.debug('openstack request retry', {
        service: req.service,
        operation: req.operation,
        method: req.method,
        url: describeUrl(req.url),
        attempt,
        delayMs: delay,
        reason: outcome.error.message,
      });
      await this.sleep(delay, req.signal);
    }
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
      ...req.headers,
    };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout]);
    const started = this.now();
    let code = 'error';
    try {
      const res = await undiciRequest(req.url, {
        method: req.method,
        headers,
        body: body ?? null,
        dispatcher: this.dispatcher,
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await res.body.text();
      code = String(res.statusCode);
      return { status: res.statusCode, headers: flattenHeaders(res.headers), body: parseBody(text) };
    } catch (err) {
      const reason = req.signal?.aborted === true ? 'aborted' : timeout.aborted ? 'timeout' : errorCode(err);
      code = reason === 'timeout' ? 'timeout' : 'error';
      throw new OpenStackConnectionError(req.method, describeUrl(req.url), req.service, reason, {
        cause: err,
      });
    } finally {
      requestDuration.observe(
        { service: req.service, operation: req.operation, code },
        (this.now() - started) / 1000,
      );
    }
  }

  /** Closes the keep-alive pool when this client created it. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}
