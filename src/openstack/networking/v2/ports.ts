// Neutron v2.0 ports: list (filters, many device_id values per request, fields projection,
// pagination) and get.
import type { OpenStackSession } from '../../session.js';
import { listAll, listAllChunked } from '../../pagination.js';

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

/** A Neutron port as the API returns it (fields absent when `fields=` projected them away). */
export interface Port {
  id: string;
  name: string;
  network_id: string;
  mac_address: string;
  status: string;
  device_id: string;
  device_owner?: string;
  project_id?: string;
  tenant_id?: string;
  admin_state_up?: boolean;
  fixed_ips: FixedIp[];
  created_at?: string;
  updated_at?: string;
  [extra: string]: unknown;
}

/** Fields the controller needs — a good `fields` default for discovery. */
export const DISCOVERY_PORT_FIELDS = [
  'id',
  'name',
  'network_id',
  'mac_address',
  'status',
  'device_id',
  'fixed_ips',
  'created_at',
] as const;

export interface ListPortsOptions {
  /** Ports of these devices (VM ids); sent as repeated `device_id`, chunked. */
  deviceIds?: readonly string[];
  ids?: readonly string[];
  networkId?: string;
  projectId?: string;
  macAddress?: string;
  /** `fixed_ips=subnet_id=<id>`. */
  subnetId?: string;
  status?: string;
  /** `fields=` projection; `id` (and `device_id` with `deviceIds`) are always added. */
  fields?: readonly string[];
  /** Page size (`limit`). @default - none (the server's pagination, if any, is still followed) */
  pageSize?: number;
  /** At most this many `device_id`/`id` values per request. @default 50 */
  maxIdsPerRequest?: number;
  /** Chunk requests in flight. @default 4 */
  concurrency?: number;
  signal?: AbortSignal;
}

function baseQuery(options: ListPortsOptions): Array<readonly [string, string]> {
  const query: Array<readonly [string, string]> = [];
  if (options.networkId !== undefined) query.push(['network_id', options.networkId]);
  if (options.projectId !== undefined) query.push(['project_id', options.projectId]);
  if (options.macAddress !== undefined) query.push(['mac_address', options.macAddress]);
  if (options.subnetId !== undefined) query.push(['fixed_ips', `subnet_id=${options.subnetId}`]);
  if (options.status !== undefined) query.push(['status', options.status]);
  if (options.fields !== undefined) {
    const fields = new Set(['id', ...options.fields]);
    if (options.deviceIds !== undefined) fields.add('device_id');
    for (const field of fields) query.push(['fields', field]);
  }
  return query;
}

/**
 * Lists ports. With `deviceIds` (or `ids`), one request per chunk of ≤ `maxIdsPerRequest`
 * values (URL bounded), each paginated; results are de-duplicated by port id and restricted
 * to the requested devices. An empty `deviceIds`/`ids` list returns [] without a call.
 */
export async function listPorts(session: OpenStackSession, options: ListPortsOptions = {}): Promise<Port[]> {
  const base = baseQuery(options);
  const request = {
    service: 'network',
    operation: 'ports.list',
    path: '/ports',
    collection: 'ports',
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  } as const;
  const key = options.deviceIds !== undefined ? 'device_id' : options.ids !== undefined ? 'id' : undefined;
  if (key === undefined) return listAll<Port>(session, { ...request, query: base });
  const values = options.deviceIds ?? options.ids ?? [];
  const listed = await listAllChunked<Port>(session, {
    ...request,
    key,
    values,
    query: base,
    ...(options.maxIdsPerRequest !== undefined ? { maxPerChunk: options.maxIdsPerRequest } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  const wanted = new Set(values);
  const seen = new Set<string>();
  const ports: Port[] = [];
  for (const port of listed) {
    const match = key === 'device_id' ? wanted.has(port.device_id) : wanted.has(port.id);
    if (!match || seen.has(port.id)) continue;
    seen.add(port.id);
    ports.push(port);
  }
  return ports;
}

/** One port; a missing port throws `OpenStackHttpError` (test with `isStatus(err, 404)`). */
export async function getPort(session: OpenStackSession, id: string, signal?: AbortSignal): Promise<Port> {
  const response = await session.request('network', {
    operation: 'ports.get',
    path: `/ports/${encodeURIComponent(id)}`,
    ...(signal !== undefined ? { signal } : {}),
  });
  return (response.body as { port: Port }).port;
}
