// A minimal admin client for provisioning the real services (Keystone, Neutron, Nova, Glance):
// plain JSON over fetch, one token per scope, errors carrying status and body. The product's
// OpenStack client is read-only and is what the tests exercise, so it is not reused here.
import { ControlPlaneError } from '../errors.js';

export interface PasswordScope {
  username: string;
  password: string;
  userDomainId?: string;
  /** Project scope by id, or by name in the Default domain. */
  projectId?: string;
  projectName?: string;
}

export class AdminApiError extends ControlPlaneError {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} -> HTTP ${status}: ${body.slice(0, 400)}`);
  }
}

export interface AdminRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  body?: unknown;
  headers?: Record<string, string>;
  /** Statuses answered with undefined instead of an error (e.g. 404 when probing). */
  allow?: number[];
}

export class AdminApi {
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  constructor(
    /** http://127.0.0.1:<port> (no /v3). */
    readonly keystoneUrl: string,
    readonly admin: PasswordScope,
  ) {}

  /** A token for `scope` (the admin's own project by default), cached until shortly before expiry. */
  async token(scope: PasswordScope = this.admin): Promise<string> {
    const key = JSON.stringify(scope);
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expires > Date.now() + 60_000) return cached.token;
    const project =
      scope.projectId !== undefined
        ? { id: scope.projectId }
        : { name: scope.projectName ?? 'admin', domain: { id: 'default' } };
    const response = await fetch(`${this.keystoneUrl}/v3/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: {
                name: scope.username,
                domain: { id: scope.userDomainId ?? 'default' },
                password: scope.password,
              },
            },
          },
          scope: { project },
        },
      }),
    });
    const text = await response.text();
    if (response.status !== 201) {
      throw new AdminApiError('POST', `${this.keystoneUrl}/v3/auth/tokens`, response.status, text);
    }
    const token = response.headers.get('x-subject-token') ?? '';
    const body = JSON.parse(text) as { token: { expires_at: string } };
    this.tokens.set(key, { token, expires: Date.parse(body.token.expires_at) });
    return token;
  }

  async request<T = Record<string, unknown>>(
    url: string,
    request: AdminRequest = {},
    scope?: PasswordScope,
  ): Promise<T | undefined> {
    const method = request.method ?? 'GET';
    const headers: Record<string, string> = {
      'x-auth-token': await this.token(scope),
      accept: 'application/json',
      ...request.headers,
    };
    if (request.body !== undefined) headers['content-type'] ??= 'application/json';
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          ...(request.body === undefined
            ? {}
            : {
                body:
                  typeof request.body === 'string' || request.body instanceof Uint8Array
                    ? (request.body as string)
                    : JSON.stringify(request.body),
              }),
        });
      } catch (error) {
        // A service that has just started may still refuse a connection or two.
        if (attempt < 5) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          continue;
        }
        throw error;
      }
      const text = await response.text();
      if (response.ok) return text === '' ? (undefined as T | undefined) : (JSON.parse(text) as T);
      if (request.allow?.includes(response.status)) return undefined;
      // 503 while a service warms up (e.g. Nova before its cells are cached): retry briefly.
      if (response.status === 503 && attempt < 10) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      throw new AdminApiError(method, url, response.status, text);
    }
  }

  async get<T = Record<string, unknown>>(url: string, scope?: PasswordScope): Promise<T> {
    const result = await this.request<T>(url, {}, scope);
    if (result === undefined) throw new ControlPlaneError(`GET ${url}: empty answer`);
    return result;
  }

  async post<T = Record<string, unknown>>(
    url: string,
    body: unknown,
    scope?: PasswordScope,
    headers?: Record<string, string>,
  ): Promise<T> {
    const result = await this.request<T>(
      url,
      { method: 'POST', body, ...(headers ? { headers } : {}) },
      scope,
    );
    return result as T;
  }
}
