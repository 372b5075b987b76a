// An authenticated OpenStack session: credentials → cached token → catalog endpoint →
// request with X-Auth-Token. A 401 from Neutron/Nova invalidates that token, waits for the
// one shared re-issuance and retries the failed call exactly once.
import { counter } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { HttpClient } from './http.js';
import type { HttpClientOptions, HttpMethod, HttpResponse } from './http.js';
import { AuthenticationError, isStatus } from './errors.js';
import { isCredentialSource, staticCredentials } from './credentials.js';
import type { CredentialSource, KeystoneCredentials } from './credentials.js';
import { checkOverride } from './endpoint-policy.js';
import { computeBase, findEndpoint, identityBase, networkBase } from './identity/v3/catalog.js';
import type { EndpointInterface } from './identity/v3/catalog.js';
import { issueToken } from './identity/v3/tokens.js';
import type { Token } from './identity/v3/tokens.js';
import { credentialKey, defaultTokenCache } from './identity/v3/token-cache.js';
import type { TokenCache } from './identity/v3/token-cache.js';

const tokenIssuances = counter<'result'>({
  name: 'multinic_openstack_token_issuances_total',
  help: 'Keystone token issuances by result (ok, unauthorized, error)',
  labelNames: ['result'],
});

export type ServiceType = 'identity' | 'network' | 'compute';
export type QueryParams = ReadonlyArray<readonly [string, string]>;

export interface EndpointOverrides {
  /** Neutron URL, with or without `/v2.0`. */
  network?: string;
  /** Nova URL, with or without `/v2.1`. */
  compute?: string;
}

export interface OpenStackSessionOptions {
  credentials: KeystoneCredentials | CredentialSource;
  /** Catalog interface. @default 'public' */
  interface?: EndpointInterface;
  /** Catalog region. @default - any region */
  region?: string;
  /**
   * Used instead of the catalog's URLs, each only when it is on a host:port the catalog (or
   * Keystone) has, or on `allowedHosts`; otherwise requests fail with `EndpointNotAllowedError`
   * before any token is sent.
   */
  endpointOverrides?: EndpointOverrides;
  /** Allow-list for endpoint overrides outside the catalog (`host`, `host:port`, `*.domain`). @default [] */
  allowedHosts?: readonly string[];
  /** An HttpClient to share, or options for one owned by this session. @default - a new HttpClient */
  http?: HttpClient | HttpClientOptions;
  /** @default defaultTokenCache (process-wide) */
  tokenCache?: TokenCache;
  /** Wall clock, epoch ms. @default Date.now */
  now?: () => number;
  /** @default silentLogger */
  logger?: Logger;
}

export interface ServiceRequest {
  /** Metric label, e.g. `ports.list`. */
  operation: string;
  /** @default 'GET' */
  method?: HttpMethod;
  /** Path under the versioned base, starting with `/`. */
  path: string;
  query?: QueryParams;
  json?: unknown;
  /** @default [200] */
  expected?: readonly number[];
  signal?: AbortSignal;
}

export function encodeQuery(query: QueryParams | undefined): string {
  if (query === undefined || query.length === 0) return '';
  return '?' + new URLSearchParams(query.map(([k, v]): [string, string] => [k, v])).toString();
}

export class OpenStackSession {
  readonly http: HttpClient;
  private readonly ownsHttp: boolean;
  private readonly source: CredentialSource;
  private readonly cache: TokenCache;
  private readonly selector: { interface?: EndpointInterface; region?: string };
  private readonly overrides: EndpointOverrides;
  private readonly allowedHosts: readonly string[];
  private readonly now: () => number;
  private readonly logger: Logger;
  private credentialsPromise: Promise<KeystoneCredentials> | undefined;
  private credentialsUrl: string | undefined;
  /** Tokens this session asked Keystone for (a cache hit is not an issuance). */
  issuedTokens = 0;

  constructor(options: OpenStackSessionOptions) {
    this.source = isCredentialSource(options.credentials)
      ? options.credentials
      : staticCredentials(options.credentials);
    if (options.http instanceof HttpClient) {
      this.http = options.http;
      this.ownsHttp = false;
    } else {
      this.http = new HttpClient({ ...options.http, ...(options.logger ? { logger: options.logger } : {}) });
      this.ownsHttp = true;
    }
    this.cache = options.tokenCache ?? defaultTokenCache;
    this.selector = {};
    if (options.interface !== undefined) this.selector.interface = options.interface;
    if (options.region !== undefined) this.selector.region = options.region;
    this.overrides = options.endpointOverrides ?? {};
    this.allowedHosts = options.allowedHosts ?? [];
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  /** A valid token (from the cache when possible). */
  async token(): Promise<Token> {
    const credentials = await this.credentials();
    return this.cache.get(credentialKey(credentials), () => this.issue(credentials));
  }

  /** The versioned base URL of a service: `.../v3`, `.../v2.0`, `.../v2.1[/project]`. */
  async endpoint(service: ServiceType): Promise<string> {
    return this.endpointFor(service, await this.token());
  }

  /** Sends an authenticated request to `service`; on 401 re-authenticates once and retries once. */
  async request(service: ServiceType, req: ServiceRequest): Promise<HttpResponse> {
    const credentials = await this.credentials();
    const key = credentialKey(credentials);
    const issue = (): Promise<Token> => this.issue(credentials);
    const token = await this.cache.get(key, issue);
    try {
      return await this.send(service, req, token);
    } catch (err) {
      if (!isStatus(err, 401)) throw err;
      this.logger.info('openstack token rejected; re-authenticating', { service, operation: req.operation });
      this.cache.invalidate(key, token.id);
      const fresh = await this.cache.get(key, issue);
      return this.send(service, req, fresh);
    }
  }

  /** Closes the HTTP pool when the session created it. */
  async close(): Promise<void> {
    if (this.ownsHttp) await this.http.close();
  }

  private send(service: ServiceType, req: ServiceRequest, token: Token): Promise<HttpResponse> {
    const url = `${this.endpointFor(service, token)}${req.path}${encodeQuery(req.query)}`;
    return this.http.request({
      service,
      operation: req.operation,
      method: req.method ?? 'GET',
      url,
      headers: { 'x-auth-token': token.id },
      expected: req.expected ?? [200],
      ...(req.json !== undefined ? { json: req.json } : {}),
      ...(req.signal !== undefined ? { signal: req.signal } : {}),
    });
  }

  private endpointFor(service: ServiceType, token: Token): string {
    switch (service) {
      case 'identity':
        return identityBase(this.credentialsUrl ?? '');
      case 'network':
      case 'compute': {
        const override = this.overrides[service];
        if (override === undefined) {
          const url = findEndpoint(token.catalog, service, this.selector);
          return service === 'network' ? networkBase(url) : computeBase(url);
        }
        checkOverride(service, override, token.catalog, this.credentialsUrl, this.allowedHosts);
        return service === 'network' ? networkBase(override) : computeBase(override);
      }
    }
  }

  private credentials(): Promise<KeystoneCredentials> {
    if (this.credentialsPromise === undefined) {
      const loading = this.source.load().then((credentials) => {
        this.credentialsUrl = credentials.authUrl;
        return credentials;
      });
      loading.catch(() => {
        if (this.credentialsPromise === loading) this.credentialsPromise = undefined;
      });
      this.credentialsPromise = loading;
    }
    return this.credentialsPromise;
  }

  private async issue(credentials: KeystoneCredentials): Promise<Token> {
    this.issuedTokens += 1;
    try {
      const token = await issueToken(this.http, credentials, { now: this.now });
      tokenIssuances.inc({ result: 'ok' });
      this.logger.debug('openstack token issued', {
        source: this.source.description,
        expiresAt: new Date(token.expiresAt).toISOString(),
      });
      return token;
    } catch (err) {
      tokenIssuances.inc({ result: err instanceof AuthenticationError ? 'unauthorized' : 'error' });
      // A rotated password (Contrabass) is picked up on the next attempt.
      if (err instanceof AuthenticationError) this.credentialsPromise = undefined;
      throw err;
    }
  }
}
