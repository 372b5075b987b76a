// Nova v2.1 servers: get by id (many, bounded concurrency), list/detail with pagination, and
// lookup by exact name. Nova's `name` filter is a regular expression searched anywhere in the
// name (`worker-1` also matches `worker-10` and `old-worker-1`), and on MySQL/MariaDB Nova
// rewrites every `|` to `\|` before REGEXP, so an alternation `^(a|b)$` matches nothing on a
// real cloud. Hence: one anchored pattern per name (few names) or one paged listing of the
// project (many names), and an exact comparison on our side in both cases.
import type { OpenStackSession } from '../../session.js';
import { isStatus } from '../../errors.js';
import { listAll, mapBounded, unique } from '../../pagination.js';

export interface Server {
  id: string;
  name: string;
  status?: string;
  metadata?: Record<string, string>;
  tenant_id?: string;
  addresses?: Record<string, Array<Record<string, unknown>>>;
  [extra: string]: unknown;
}

export async function getServer(
  session: OpenStackSession,
  id: string,
  signal?: AbortSignal,
): Promise<Server> {
  const response = await session.request('compute', {
    operation: 'servers.get',
    path: `/servers/${encodeURIComponent(id)}`,
    ...(signal !== undefined ? { signal } : {}),
  });
  return (response.body as { server: Server }).server;
}

export interface GetServersResult {
  /** Found servers, in the order of the requested ids. */
  servers: Server[];
  /** Requested ids Nova answered 404 for. */
  missing: string[];
}

/** Servers by id, `concurrency` GETs in flight; 404s are reported in `missing`, other errors throw. */
export async function getServers(
  session: OpenStackSession,
  ids: readonly string[],
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<GetServersResult> {
  const results = await mapBounded(unique(ids), options.concurrency ?? 16, async (id) => {
    try {
      return { id, server: await getServer(session, id, options.signal) };
    } catch (err) {
      if (isStatus(err, 404)) return { id, server: undefined };
      throw err;
    }
  });
  const servers: Server[] = [];
  const missing: string[] = [];
  for (const result of results) {
    if (result.server === undefined) missing.push(result.id);
    else servers.push(result.server);
  }
  return { servers, missing };
}

export interface ListServersOptions {
  /** Nova `name` filter: a regular expression searched in the name (see `novaNameFilter`). */
  name?: string;
  status?: string;
  /** Admin only: every project's servers. */
  allTenants?: boolean;
  /** `GET /servers/detail` (full servers) instead of `/servers` (id, name, links). @default true */
  detail?: boolean;
  pageSize?: number;
  signal?: AbortSignal;
}

export async function listServers(
  session: OpenStackSession,
  options: ListServersOptions = {},
): Promise<Server[]> {
  const query: Array<readonly [string, string]> = [];
  if (options.name !== undefined) query.push(['name', options.name]);
  if (options.status !== undefined) query.push(['status', options.status]);
  if (options.allTenants === true) query.push(['all_tenants', 'true']);
  const detail = options.detail ?? true;
  return listAll<Server>(session, {
    service: 'compute',
    operation: detail ? 'servers.detail' : 'servers.list',
    path: detail ? '/servers/detail' : '/servers',
    collection: 'servers',
    query,
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
}

/** Escapes regular-expression syntax so the name matches itself (MySQL REGEXP / Python re). */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/**
 * The Nova `name` filter for one exact name: `^<escaped>$`. A `|` in the name becomes `.`,
 * because Nova escapes `|` itself on MySQL (a `\|` would reach REGEXP as `\\|`); the exact
 * comparison on our side drops what `.` lets through, as it drops REGEXP's case-insensitive hits.
 */
export function novaNameFilter(name: string): string {
  return `^${name.split('|').map(escapeRegExp).join('.')}$`;
}

export type ServerNameLookup = 'per-name' | 'list' | 'auto';

export interface FindServersByNameOptions {
  /**
   * `per-name`: one anchored `name` filter request per name (`concurrency` in flight);
   * `list`: page through the project's `/servers/detail` once and match on our side;
   * `auto`: `per-name` below `listThreshold` names, else `list`. @default 'auto'
   */
  lookup?: ServerNameLookup;
  /** @default 25 */
  listThreshold?: number;
  /** Name requests in flight (`per-name`). @default 8 */
  concurrency?: number;
  allTenants?: boolean;
  signal?: AbortSignal;
}

/** Which way `findServersByName` reads Nova for `count` names. */
export function serverNameLookupFor(
  count: number,
  options: FindServersByNameOptions = {},
): 'per-name' | 'list' {
  const lookup = options.lookup ?? 'auto';
  if (lookup !== 'auto') return lookup;
  return count >= (options.listThreshold ?? 25) ? 'list' : 'per-name';
}

/**
 * Servers whose name equals one of `names` exactly (case-sensitive), grouped by name: several
 * servers may share a name and all are returned, so the caller can report the ambiguity.
 * Names without a server map to [].
 */
export async function findServersByName(
  session: OpenStackSession,
  names: readonly string[],
  options: FindServersByNameOptions = {},
): Promise<Map<string, Server[]>> {
  const wanted = unique(names);
  const byName = new Map<string, Server[]>(wanted.map((name) => [name, []]));
  if (wanted.length === 0) return byName;
  const common = {
    ...(options.allTenants !== undefined ? { allTenants: options.allTenants } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
  const candidates =
    serverNameLookupFor(wanted.length, options) === 'list'
      ? await listServers(session, common)
      : (
          await mapBounded(wanted, options.concurrency ?? 8, (name) =>
            listServers(session, { name: novaNameFilter(name), ...common }),
          )
        ).flat();
  const seen = new Set<string>();
  for (const server of candidates) {
    const group = byName.get(server.name);
    if (group === undefined || seen.has(server.id)) continue;
    seen.add(server.id);
    group.push(server);
  }
  return byName;
}

/**
 * Kubernetes node name of a server: the trimmed metadata value under
 * `metadataKey` when set and non-blank, else the trimmed server name, else the id.
 */
export function nodeNameOf(server: Server, metadataKey?: string): string {
  if (metadataKey !== undefined && metadataKey !== '') {
    const value = server.metadata?.[metadataKey]?.trim();
    if (value !== undefined && value !== '') return value;
  }
  const name = server.name.trim();
  return name === '' ? server.id : name;
}
