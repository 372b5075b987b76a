// Neutron v2.0 subnets: by id, by ids (one list call), by unique name.
import type { OpenStackSession } from '../../session.js';
import { isStatus, SubnetNotFoundError, SubnetNotUniqueError } from '../../errors.js';
import { listAll, listAllChunked, unique } from '../../pagination.js';

export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  ip_version?: number;
  gateway_ip?: string | null;
  project_id?: string;
  [extra: string]: unknown;
}

/** One subnet; 404 → `SubnetNotFoundError`. */
export async function getSubnet(
  session: OpenStackSession,
  id: string,
  signal?: AbortSignal,
): Promise<Subnet> {
  try {
    const response = await session.request('network', {
      operation: 'subnets.get',
      path: `/subnets/${encodeURIComponent(id)}`,
      ...(signal !== undefined ? { signal } : {}),
    });
    return (response.body as { subnet: Subnet }).subnet;
  } catch (err) {
    if (isStatus(err, 404)) throw new SubnetNotFoundError(id);
    throw err;
  }
}

export interface ListSubnetsOptions {
  ids?: readonly string[];
  name?: string;
  networkId?: string;
  projectId?: string;
  fields?: readonly string[];
  pageSize?: number;
  signal?: AbortSignal;
}

export async function listSubnets(
  session: OpenStackSession,
  options: ListSubnetsOptions = {},
): Promise<Subnet[]> {
  const base: Array<readonly [string, string]> = [];
  if (options.name !== undefined) base.push(['name', options.name]);
  if (options.networkId !== undefined) base.push(['network_id', options.networkId]);
  if (options.projectId !== undefined) base.push(['project_id', options.projectId]);
  if (options.fields !== undefined)
    for (const f of new Set(['id', ...options.fields])) base.push(['fields', f]);
  const request = {
    service: 'network',
    operation: 'subnets.list',
    path: '/subnets',
    collection: 'subnets',
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  } as const;
  if (options.ids === undefined) return listAll<Subnet>(session, { ...request, query: base });
  return listAllChunked<Subnet>(session, { ...request, key: 'id', values: options.ids, query: base });
}

/** The subnets with these ids, in the given order (one list call per 50 ids); any missing → `SubnetNotFoundError`. */
export async function getSubnetsByIds(
  session: OpenStackSession,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<Subnet[]> {
  const found = await listSubnets(session, { ids, ...(signal !== undefined ? { signal } : {}) });
  const byId = new Map(found.map((subnet) => [subnet.id, subnet]));
  return unique(ids).map((id) => {
    const subnet = byId.get(id);
    if (subnet === undefined) throw new SubnetNotFoundError(id);
    return subnet;
  });
}

/** The one subnet called `name` (optionally within a project): none → `SubnetNotFoundError`, several → `SubnetNotUniqueError`. */
export async function findSubnetByName(
  session: OpenStackSession,
  name: string,
  options: { projectId?: string; signal?: AbortSignal } = {},
): Promise<Subnet> {
  const matches = (await listSubnets(session, { name, ...options })).filter((subnet) => subnet.name === name);
  if (matches.length === 0) throw new SubnetNotFoundError(name);
  if (matches.length > 1)
    throw new SubnetNotUniqueError(
      name,
      matches.map((subnet) => subnet.id),
    );
  return matches[0] as Subnet;
}
