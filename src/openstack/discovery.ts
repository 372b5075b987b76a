// What the controller asks OpenStack on each reconcile, with as few calls as possible:
// one token (cached), subnets in one call, their networks in one call, servers by id (the
// project's server list, 1,000 per call, when many; else GETs with bounded concurrency) or
// by exact name (one anchored filter per name, or the project's list when many), and the
// ports of all those VMs with ≤ 50 device_id values per call — run side by side.
import type { OpenStackSession } from './session.js';
import { findServersByName, getServers, listServers } from './compute/v2/servers.js';
import type { Server, ServerNameLookup } from './compute/v2/servers.js';
import { DISCOVERY_PORT_FIELDS, listPorts } from './networking/v2/ports.js';
import type { Port } from './networking/v2/ports.js';
import { findSubnetByName, getSubnetsByIds } from './networking/v2/subnets.js';
import type { Subnet } from './networking/v2/subnets.js';
import { listNetworks } from './networking/v2/networks.js';
import type { Network } from './networking/v2/networks.js';
import { unique } from './pagination.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Splits `vmNames` entries (VM UUIDs or Nova server names) into ids and names. */
export function splitVmRefs(refs: readonly string[]): { ids: string[]; names: string[] } {
  const ids: string[] = [];
  const names: string[] = [];
  for (const ref of unique(refs.map((r) => r.trim()).filter((r) => r !== ''))) {
    (UUID.test(ref) ? ids : names).push(ref);
  }
  return { ids, names };
}

export interface DiscoverPortsOptions {
  /** VMs by Nova id. */
  vmIds?: readonly string[];
  /** VMs by exact Nova name (every server with that name). */
  vmNames?: readonly string[];
  /** Mixed references, split with `splitVmRefs`. */
  vms?: readonly string[];
  /** Target subnets by id (order kept). Wins over `subnetName`. */
  subnetIds?: readonly string[];
  /** Target subnet by unique name. */
  subnetName?: string;
  /** Restricts port and subnet-by-name queries to this project. */
  projectId?: string;
  /** `fields=` for the port list. @default DISCOVERY_PORT_FIELDS; `null` = every field */
  portFields?: readonly string[] | null;
  /** Server GETs in flight. @default 16 */
  serverConcurrency?: number;
  /**
   * How VMs given by id are read: `get` = one GET per VM; `list` = page through the project's
   * `/servers/detail` (1,000 per call) and GET only the ids not seen there (other projects);
   * `auto` = `list` from `listThreshold` ids on. @default 'auto'
   */
  serverLookup?: 'get' | 'list' | 'auto';
  /** @default 50 */
  listThreshold?: number;
  /** How VMs given by name are read (see `findServersByName`). @default 'auto' */
  nameLookup?: ServerNameLookup;
  /** Names from which `nameLookup: 'auto'` lists the project instead of one request per name. @default 25 */
  nameListThreshold?: number;
  /** device_id values per port-list request. @default 50 */
  maxIdsPerRequest?: number;
  signal?: AbortSignal;
}

export interface DiscoveryResult {
  /** Servers found (by id, then by name), each once. */
  servers: Server[];
  /** Every port whose device is one of `servers` — not yet filtered by subnet/status/time. */
  ports: Port[];
  /** Target subnets in the requested order. */
  subnets: Subnet[];
  /** Networks of the target subnets (for the MTU). */
  networks: Network[];
  missingVmIds: string[];
  missingVmNames: string[];
  /** Names that more than one server in scope carries: none of them is used (never guessed). */
  ambiguousVmNames: Array<{ name: string; serverIds: string[] }>;
  /** Non-fatal problems (a network lookup failed: MTU unknown). */
  warnings: string[];
}

/**
 * Servers, their ports, the target subnets and their networks. Subnet errors
 * (`SubnetNotFoundError`, `SubnetNotUniqueError`) and API failures reject; VMs that do not
 * exist are reported in `missingVmIds`/`missingVmNames`.
 */
export async function discoverPorts(
  session: OpenStackSession,
  options: DiscoverPortsOptions,
): Promise<DiscoveryResult> {
  const split = splitVmRefs(options.vms ?? []);
  const vmIds = unique([...(options.vmIds ?? []), ...split.ids]);
  const vmNames = unique([...(options.vmNames ?? []), ...split.names]);
  const signal = options.signal !== undefined ? { signal: options.signal } : {};
  const fields = options.portFields === null ? {} : { fields: options.portFields ?? DISCOVERY_PORT_FIELDS };
  const portsOf = (deviceIds: readonly string[]): Promise<Port[]> =>
    listPorts(session, {
      deviceIds,
      ...fields,
      ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
      ...(options.maxIdsPerRequest !== undefined ? { maxIdsPerRequest: options.maxIdsPerRequest } : {}),
      ...signal,
    });

  const byId = async (): Promise<{ servers: Server[]; missing: string[]; ports: Port[] }> => {
    const lookup = options.serverLookup ?? 'auto';
    const viaList = lookup === 'list' || (lookup === 'auto' && vmIds.length >= (options.listThreshold ?? 50));
    const serversById = async (): Promise<{ servers: Server[]; missing: string[] }> => {
      if (!viaList)
        return getServers(session, vmIds, { concurrency: options.serverConcurrency ?? 16, ...signal });
      const wanted = new Set(vmIds);
      const listed = new Map<string, Server>();
      for (const server of await listServers(session, signal))
        if (wanted.has(server.id)) listed.set(server.id, server);
      const rest = await getServers(
        session,
        vmIds.filter((id) => !listed.has(id)),
        { concurrency: options.serverConcurrency ?? 16, ...signal },
      );
      for (const server of rest.servers) listed.set(server.id, server);
      return { servers: vmIds.flatMap((id) => listed.get(id) ?? []), missing: rest.missing };
    };
    const [found, ports] = await Promise.all([serversById(), portsOf(vmIds)]);
    return { ...found, ports };
  };
  const byName = async (): Promise<{
    servers: Server[];
    missing: string[];
    ambiguous: Array<{ name: string; serverIds: string[] }>;
    ports: Port[];
  }> => {
    if (vmNames.length === 0) return { servers: [], missing: [], ambiguous: [], ports: [] };
    const groups = await findServersByName(session, vmNames, {
      ...(options.nameLookup !== undefined ? { lookup: options.nameLookup } : {}),
      ...(options.nameListThreshold !== undefined ? { listThreshold: options.nameListThreshold } : {}),
      ...signal,
    });
    const servers: Server[] = [];
    const missing: string[] = [];
    const ambiguous: Array<{ name: string; serverIds: string[] }> = [];
    for (const [name, group] of groups) {
      if (group.length === 0) missing.push(name);
      else if (group.length > 1) ambiguous.push({ name, serverIds: group.map((server) => server.id).sort() });
      else servers.push(...group);
    }
    const byIdAlready = new Set(vmIds);
    return {
      servers,
      missing,
      ambiguous,
      ports: await portsOf(servers.map((server) => server.id).filter((id) => !byIdAlready.has(id))),
    };
  };
  const targets = async (): Promise<{ subnets: Subnet[]; networks: Network[]; warnings: string[] }> => {
    let subnets: Subnet[] = [];
    if (options.subnetIds !== undefined && options.subnetIds.length > 0) {
      subnets = await getSubnetsByIds(session, options.subnetIds, options.signal);
    } else if (options.subnetName !== undefined && options.subnetName !== '') {
      subnets = [
        await findSubnetByName(session, options.subnetName, {
          ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
          ...signal,
        }),
      ];
    }
    const networkIds = unique(subnets.map((subnet) => subnet.network_id));
    try {
      return { subnets, networks: await listNetworks(session, { ids: networkIds, ...signal }), warnings: [] };
    } catch (err) {
      return {
        subnets,
        networks: [],
        warnings: [`networks ${networkIds.join(',')}: ${(err as Error).message}`],
      };
    }
  };

  const [ids, names, target] = await Promise.all([byId(), byName(), targets()]);
  const servers: Server[] = [];
  const seenServers = new Set<string>();
  for (const server of [...ids.servers, ...names.servers]) {
    if (seenServers.has(server.id)) continue;
    seenServers.add(server.id);
    servers.push(server);
  }
  const seenPorts = new Set<string>();
  const ports = [...ids.ports, ...names.ports].filter((port) => {
    if (!seenServers.has(port.device_id) || seenPorts.has(port.id)) return false;
    seenPorts.add(port.id);
    return true;
  });
  const networkIds = new Set(target.networks.map((n) => n.id));
  const warnings = [...target.warnings];
  for (const subnet of target.subnets) {
    if (!networkIds.has(subnet.network_id) && target.warnings.length === 0) {
      warnings.push(`network ${subnet.network_id} of subnet ${subnet.id} not found: MTU unknown`);
    }
  }
  return {
    servers,
    ports,
    subnets: target.subnets,
    networks: target.networks,
    missingVmIds: ids.missing,
    missingVmNames: names.missing,
    ambiguousVmNames: names.ambiguous,
    warnings,
  };
}
