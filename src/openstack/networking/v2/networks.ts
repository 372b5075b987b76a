// Neutron v2.0 networks: get (MTU) and list by ids.
import type { OpenStackSession } from '../../session.js';
import { listAll, listAllChunked } from '../../pagination.js';

export interface Network {
  id: string;
  name: string;
  mtu?: number;
  status?: string;
  project_id?: string;
  subnets?: string[];
  [extra: string]: unknown;
}

export async function getNetwork(
  session: OpenStackSession,
  id: string,
  signal?: AbortSignal,
): Promise<Network> {
  const response = await session.request('network', {
    operation: 'networks.get',
    path: `/networks/${encodeURIComponent(id)}`,
    ...(signal !== undefined ? { signal } : {}),
  });
  return (response.body as { network: Network }).network;
}

export interface ListNetworksOptions {
  /** Only these networks (repeated `id`, chunked). An empty list returns [] without a call. */
  ids?: readonly string[];
  name?: string;
  projectId?: string;
  fields?: readonly string[];
  pageSize?: number;
  signal?: AbortSignal;
}

export async function listNetworks(
  session: OpenStackSession,
  options: ListNetworksOptions = {},
): Promise<Network[]> {
  const base: Array<readonly [string, string]> = [];
  if (options.name !== undefined) base.push(['name', options.name]);
  if (options.projectId !== undefined) base.push(['project_id', options.projectId]);
  if (options.fields !== undefined)
    for (const f of new Set(['id', ...options.fields])) base.push(['fields', f]);
  const request = {
    service: 'network',
    operation: 'networks.list',
    path: '/networks',
    collection: 'networks',
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  } as const;
  if (options.ids === undefined) return listAll<Network>(session, { ...request, query: base });
  return listAllChunked<Network>(session, { ...request, key: 'id', values: options.ids, query: base });
}
