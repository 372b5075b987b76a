// Typed errors of the OpenStack client. Messages and fields never carry tokens or passwords:
// request headers are not kept, and response bodies are cut to a short excerpt.

const BODY_EXCERPT = 2048;

export interface OpenStackHttpErrorFields {
  method: string;
  url: string;
  /** Statuses the caller accepts. */
  expected: readonly number[];
  /** Status received. */
  actual: number;
  /** Response body (text, cut to 2 KiB). */
  body: string;
  service: string;
  operation: string;
}

/** A response whose status the caller did not expect (gophercloud's `ErrUnexpectedResponseCode`). */
export class OpenStackHttpError extends Error {
  override readonly name = 'OpenStackHttpError';
  readonly method: string;
  readonly url: string;
  readonly expected: readonly number[];
  readonly actual: number;
  readonly body: string;
  readonly service: string;
  readonly operation: string;

  constructor(fields: OpenStackHttpErrorFields) {
    const body = fields.body.length > BODY_EXCERPT ? `${fields.body.slice(0, BODY_EXCERPT)}…` : fields.body;
    super(
      `${fields.service}: ${fields.method} ${fields.url}: expected ${fields.expected.join('/')}, got ${fields.actual}` +
        (body === '' ? '' : `: ${body}`),
    );
    this.method = fields.method;
    this.url = fields.url;
    this.expected = fields.expected;
    this.actual = fields.actual;
    this.body = body;
    this.service = fields.service;
    this.operation = fields.operation;
  }
}

/** The request never produced a response: connection refused/reset, TLS failure, timeout. */
export class OpenStackConnectionError extends Error {
  override readonly name = 'OpenStackConnectionError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly service: string,
    /** `timeout`, `aborted` or the socket error code (`ECONNRESET`, `UND_ERR_SOCKET`, ...). */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`${service}: ${method} ${url}: ${code}`, options);
  }
}

/** Keystone refused the credentials (401) or returned no token. Never retried. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
}

/** The service catalog has no endpoint for a service type (and no override was given). */
export class EndpointNotFoundError extends Error {
  override readonly name = 'EndpointNotFoundError';
}

/** A 2xx response whose body is not what the API documents. */
export class OpenStackResponseError extends Error {
  override readonly name = 'OpenStackResponseError';
}

export class SubnetNotFoundError extends Error {
  override readonly name = 'SubnetNotFoundError';
  constructor(readonly subnet: string) {
    super(`subnet '${subnet}' not found`);
  }
}

export class SubnetNotUniqueError extends Error {
  override readonly name = 'SubnetNotUniqueError';
  constructor(
    readonly subnet: string,
    readonly ids: readonly string[],
  ) {
    super(`subnet name '${subnet}' is not unique: ${ids.length} subnets match (${ids.join(', ')})`);
  }
}

export class ContrabassError extends Error {
  override readonly name = 'ContrabassError';
}

/** True when `err` is an `OpenStackHttpError` with one of the given statuses. */
export function isStatus(err: unknown, ...statuses: number[]): err is OpenStackHttpError {
  return err instanceof OpenStackHttpError && statuses.includes(err.actual);
}

/** A URL the client refuses to send credentials or tokens to (the message names the setting). */
export class EndpointNotAllowedError extends Error {
  override readonly name = 'EndpointNotAllowedError';
}
