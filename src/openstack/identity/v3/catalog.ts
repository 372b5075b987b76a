// Service catalog (from the token response) and endpoint selection, plus the version
// normalisation of Neutron/Nova base URLs so that an override written "the other way"
// (with or without the version suffix) still works.
import { EndpointNotFoundError } from '../../errors.js';

export const ENDPOINT_INTERFACES = ['public', 'internal', 'admin'] as const;
export type EndpointInterface = (typeof ENDPOINT_INTERFACES)[number];

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

export interface CatalogService {
  id?: string;
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface EndpointSelector {
  /** @default 'public' */
  interface?: EndpointInterface;
  /** When set, only endpoints of this region (by `region` or `region_id`, case-insensitive) qualify. */
  region?: string;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/**
 * The endpoint URL of service `type`: the first catalog service of that type that has
 * endpoints; narrowed to `region` when given (no endpoint in that region is an error rather
 * than a silent cross-region call); the endpoint with the wanted interface, else the first.
 */
export function findEndpoint(
  catalog: readonly CatalogService[],
  type: string,
  selector: EndpointSelector = {},
): string {
  const wanted = type.toLowerCase();
  const service = catalog.find((s) => s.type.toLowerCase() === wanted && s.endpoints.length > 0);
  if (service === undefined) {
    const types = [...new Set(catalog.map((s) => s.type))].join(', ') || 'none';
    throw new EndpointNotFoundError(`no '${type}' service in the catalog (services: ${types})`);
  }
  let candidates = service.endpoints;
  if (selector.region !== undefined && selector.region !== '') {
    const region = selector.region.toLowerCase();
    candidates = candidates.filter(
      (e) => e.region?.toLowerCase() === region || e.region_id?.toLowerCase() === region,
    );
    if (candidates.length === 0) {
      const regions = [...new Set(service.endpoints.map((e) => e.region_id ?? e.region ?? '?'))].join(', ');
      throw new EndpointNotFoundError(
        `no '${type}' endpoint in region '${selector.region}' (regions: ${regions})`,
      );
    }
  }
  const iface = (selector.interface ?? 'public').toLowerCase();
  const chosen = candidates.find((e) => e.interface.toLowerCase() === iface) ?? candidates[0];
  if (chosen === undefined) throw new EndpointNotFoundError(`no '${type}' endpoint`);
  return trimSlash(chosen.url);
}

/** Keystone base ending in `/v3` (trailing slashes trimmed first). */
export function identityBase(authUrl: string): string {
  const base = trimSlash(authUrl.trim());
  if (base === '') throw new EndpointNotFoundError('Keystone auth URL is empty');
  return base.endsWith('/v3') ? base : `${base}/v3`;
}

/** Neutron base ending in `/v2.0`: the catalog URL is version-less, an override may not be. */
export function networkBase(url: string): string {
  const base = trimSlash(url.trim());
  if (base === '') throw new EndpointNotFoundError('Neutron endpoint is empty');
  return base.endsWith('/v2.0') ? base : `${base}/v2.0`;
}

/** Nova base ending in `/v2.1` or `/v2.1/<project>`: the catalog URL has the version, an override may not. */
export function computeBase(url: string): string {
  const base = trimSlash(url.trim());
  if (base === '') throw new EndpointNotFoundError('Nova endpoint is empty');
  return /\/v2(\.1)?(\/[^/]+)?$/.test(base) ? base : `${base}/v2.1`;
}
