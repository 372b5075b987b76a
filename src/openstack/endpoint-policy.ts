// Where the controller may send OpenStack credentials and tokens. An OpenstackConfig author may
// name a credentials Secret they cannot read; if they could also point the endpoints anywhere,
// the controller would log in with those credentials and hand the token (or, through a forged
// Contrabass reply, the decrypted admin password) to them. So:
//   - Neutron/Nova come from the Keystone catalog; an override is used only when it is on a
//     host:port the catalog itself lists (or Keystone's), or on the operator's allow-list;
//   - Contrabass and the Keystone URL a Contrabass reply names must be on the allow-list.
// The allow-list is the MultiNicOperator's `spec.controller.allowedEndpoints` (env
// ALLOWED_ENDPOINT_HOSTS of the controller): entries are `host`, `host:port` or `*.domain`.
//
// API:
//   isHostAllowed(url, allowList): boolean
//   catalogHosts(catalog, authUrl?): Set<string>            host:port of every catalog endpoint
//   checkOverride(service, url, catalog, authUrl, allowList)  throws EndpointNotAllowedError
import { EndpointNotAllowedError } from './errors.js';
import type { CatalogService } from './identity/v3/catalog.js';

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** `host:port` with the scheme's default port made explicit, lower case. */
function hostPort(url: URL): string {
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `${url.hostname.toLowerCase()}:${port}`;
}

function matches(url: URL, entry: string): boolean {
  const want = entry.trim().toLowerCase();
  if (want === '') return false;
  const host = url.hostname.toLowerCase();
  if (want.startsWith('*.')) return host.endsWith(want.slice(1));
  if (/:\d+$/.test(want)) return hostPort(url) === want;
  return host === want;
}

/** True when `url`'s host is on `allowList` (`host`, `host:port` or `*.domain` entries). */
export function isHostAllowed(url: string, allowList: readonly string[]): boolean {
  const parsed = parse(url);
  return parsed !== undefined && allowList.some((entry) => matches(parsed, entry));
}

/** host:port of every endpoint in the catalog, plus Keystone's own. */
export function catalogHosts(catalog: readonly CatalogService[], authUrl?: string): Set<string> {
  const out = new Set<string>();
  for (const service of catalog)
    for (const endpoint of service.endpoints) {
      const parsed = parse(endpoint.url);
      if (parsed !== undefined) out.add(hostPort(parsed));
    }
  const keystone = authUrl === undefined ? undefined : parse(authUrl);
  if (keystone !== undefined) out.add(hostPort(keystone));
  return out;
}

/** Refuses an endpoint override that is neither on a catalog host:port nor on the allow-list. */
export function checkOverride(
  service: 'network' | 'compute',
  url: string,
  catalog: readonly CatalogService[],
  authUrl: string | undefined,
  allowList: readonly string[],
): void {
  const parsed = parse(url);
  if (parsed !== undefined && catalogHosts(catalog, authUrl).has(hostPort(parsed))) return;
  if (isHostAllowed(url, allowList)) return;
  const setting = service === 'network' ? 'openstackNeutronEndpoint' : 'openstackNovaEndpoint';
  throw new EndpointNotAllowedError(
    `${setting} ${parsed === undefined ? '(not a URL)' : parsed.host} is refused: it is not a host of the Keystone catalog and not in the MultiNicOperator's spec.controller.allowedEndpoints; no token was sent to it`,
  );
}
