// Public surface of the OpenStack client (the simulator is imported from ./simulator/).
export * from './errors.js';
export * from './endpoint-policy.js';
export { HttpClient, requestDuration, backoffDelay, parseRetryAfter } from './http.js';
export type {
  HttpClientOptions,
  HttpRequest,
  HttpResponse,
  HttpMethod,
  TlsOptions,
  BackoffOptions,
} from './http.js';
export * from './credentials.js';
export { OpenStackSession, encodeQuery } from './session.js';
export type {
  OpenStackSessionOptions,
  ServiceRequest,
  ServiceType,
  EndpointOverrides,
  QueryParams,
} from './session.js';
export * from './identity/v3/catalog.js';
export * from './identity/v3/tokens.js';
export * from './identity/v3/token-cache.js';
export * from './networking/v2/ports.js';
export * from './networking/v2/subnets.js';
export * from './networking/v2/networks.js';
export * from './compute/v2/servers.js';
export * from './contrabass/decrypt.js';
export * from './contrabass/providers.js';
export * from './discovery.js';
export { listAll, chunkForQuery, mapBounded } from './pagination.js';
