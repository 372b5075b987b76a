// The pure part of an OpenstackConfig sync (STYLE: observe -> plan -> execute): what OpenStack
// returned plus what was allocated before -> one interface set per node, with sticky
// `multinicN` slots (docs/architecture.md#sticky-names), and the diff against what the target already has.
//
// API:
//   filterPorts(ports, { allowedStatuses, baseline? })        status filter, then creation-time baseline
//   resolveNodeName(server, vmId, metadataKey?)               metadata key > server name > VM id
//   planNodeInterfaces(previous, candidates)                  sticky slots 0..9; 11th port -> overflow
//   planSync(input): SyncPlan                                 everything above for one config
//   nodeConfigSpec(node) / specHash(spec) / canonicalJson(v)  the delivered spec and its hash
//   planDelivery(desired, delivered): { apply, remove }       only what changed
//   downPortHash(ids) / downRetryDue(...) / nextPollDelay(...) DOWN-port retry and polling
import { createHash } from 'node:crypto';
import { MAX_INTERFACES_PER_NODE, interfaceName } from '../api/multinic-node-config.js';
import type { MultiNicNodeConfigSpec } from '../api/multinic-node-config.js';
import type { Network, Port, Server, Subnet } from '../openstack/index.js';

// --- filters ---------------------------------------------------------------------------------

export interface PortFilterOptions {
  /** Allowed statuses, case-insensitive; empty or containing `*` disables the filter. */
  allowedStatuses: readonly string[];
  /** Only ports created at or after this instant (the OpenstackConfig's creation). */
  baseline?: Date;
}

export type DropReason = 'status' | 'createdBeforeBaseline' | 'createdAtUnknown';

export interface PortFilterResult {
  kept: Port[];
  dropped: Array<{ port: Port; reason: DropReason }>;
}

/** Neutron timestamps: RFC 3339 with or without fraction, with or without zone (then UTC). */
export function parseNeutronTime(value: string | undefined): Date | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (m === null) return undefined;
  const date = new Date(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function filterPorts(ports: readonly Port[], options: PortFilterOptions): PortFilterResult {
  const allowed = options.allowedStatuses.map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
  const anyStatus = allowed.length === 0 || allowed.includes('*');
  const kept: Port[] = [];
  const dropped: PortFilterResult['dropped'] = [];
  for (const port of ports) {
    const status = (port.status ?? '').trim().toUpperCase();
    if (!anyStatus && status !== '' && !allowed.includes(status)) {
      dropped.push({ port, reason: 'status' });
      continue;
    }
    if (options.baseline !== undefined) {
      const created = parseNeutronTime(port.created_at);
      if (created === undefined) {
        dropped.push({ port, reason: 'createdAtUnknown' });
        continue;
      }
      if (created.getTime() < options.baseline.getTime()) {
        dropped.push({ port, reason: 'createdBeforeBaseline' });
        continue;
      }
    }
    kept.push(port);
  }
  return { kept, dropped };
}

/** Node name: trimmed metadata[key] when set and non-blank, else trimmed server name, else the VM id. */
export function resolveNodeName(server: Server | undefined, vmId: string, metadataKey?: string): string {
  if (server !== undefined) {
    if (metadataKey !== undefined && metadataKey !== '') {
      const value = server.metadata?.[metadataKey]?.trim();
      if (value !== undefined && value !== '') return value;
    }
    const name = server.name?.trim();
    if (name !== undefined && name !== '') return name;
  }
  return vmId;
}

// --- allocation ------------------------------------------------------------------------------

/** A port that qualifies for a node (on a target subnet, passed the filters). */
export interface CandidateInterface {
  portId: string;
  /** Lower-case. */
  macAddress: string;
  address: string;
  cidr: string;
  /** Network MTU; undefined when the network could not be read. */
  mtu: number | undefined;
  subnetId: string;
  networkId: string;
  /** Index of the subnet in the config's target list: lower ranks win the 10-NIC cap. */
  subnetOrder: number;
  /** Neutron port status, upper-case. */
  status: string;
}

export interface PlannedInterface extends CandidateInterface {
  slot: number;
  name: string;
}

export interface Allocation {
  interfaces: PlannedInterface[];
  /** Ports that found no free slot (the node already has 10): reported, never silently dropped. */
  overflow: CandidateInterface[];
}

/** `previous`: port id -> slot this port held on this node (from the database / the delivered config). */
export function planNodeInterfaces(
  previous: ReadonlyMap<string, number>,
  candidates: readonly CandidateInterface[],
): Allocation {
  const ranked = [...candidates].sort(
    (a, b) =>
      a.subnetOrder - b.subnetOrder ||
      compare(a.macAddress, b.macAddress) ||
      compare(a.portId, b.portId) ||
      compare(a.networkId, b.networkId),
  );
  const taken = new Map<number, PlannedInterface>();
  const fresh: CandidateInterface[] = [];
  for (const candidate of ranked) {
    const slot = previous.get(candidate.portId);
    if (
      slot !== undefined &&
      Number.isInteger(slot) &&
      slot >= 0 &&
      slot < MAX_INTERFACES_PER_NODE &&
      !taken.has(slot)
    ) {
      taken.set(slot, { ...candidate, slot, name: interfaceName(slot) });
    } else {
      fresh.push(candidate);
    }
  }
  const overflow: CandidateInterface[] = [];
  let next = 0;
  for (const candidate of fresh) {
    while (next < MAX_INTERFACES_PER_NODE && taken.has(next)) next += 1;
    if (next >= MAX_INTERFACES_PER_NODE) {
      overflow.push(candidate);
      continue;
    }
    taken.set(next, { ...candidate, slot: next, name: interfaceName(next) });
  }
  return { interfaces: [...taken.values()].sort((a, b) => a.slot - b.slot), overflow };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- one config ------------------------------------------------------------------------------

export interface PreviousInterface {
  portId: string;
  nodeId: string | null;
  slot: number | null;
}

export interface SyncPlanInput {
  /** `spec.vmNames` as written (ids or names). */
  vmRefs: readonly string[];
  servers: readonly Server[];
  ports: readonly Port[];
  /** Target subnets in rank order. */
  subnets: readonly Subnet[];
  networks: readonly Network[];
  previous: readonly PreviousInterface[];
  allowedStatuses: readonly string[];
  baseline?: Date;
  nodeNameMetadataKey?: string;
}

export interface NodePlan {
  nodeId: string;
  nodeName: string;
  serverName: string | null;
  interfaces: PlannedInterface[];
  overflow: CandidateInterface[];
}

export interface SyncPlan {
  /** Nodes with at least one interface, by node name. */
  nodes: NodePlan[];
  /** The target subnets, each once. */
  subnets: Subnet[];
  /** Ids of DOWN ports that made it into a node's interfaces. */
  downPortIds: string[];
  overflow: Array<{ nodeName: string; portId: string }>;
  dropped: Array<{ portId: string; reason: DropReason }>;
  /** Ports of the VMs with no fixed IP on a target subnet (or on another network). */
  offTarget: string[];
  /** Two nodes resolved to the same node name: the later VM is left out. */
  nameClashes: Array<{ nodeName: string; vmIds: string[] }>;
}

/** Chooses the fixed IPv4 on the best-ranked target subnet whose network is the port's network. */
export function mapPort(
  port: Port,
  subnets: readonly Subnet[],
  mtuOf: (networkId: string) => number | undefined,
): CandidateInterface | undefined {
  let best: { order: number; subnet: Subnet; address: string } | undefined;
  for (const ip of port.fixed_ips ?? []) {
    if (ip.ip_address.includes(':')) continue;
    const order = subnets.findIndex((subnet) => subnet.id === ip.subnet_id);
    if (order < 0) continue;
    if (best === undefined || order < best.order) {
      best = { order, subnet: subnets[order] as Subnet, address: ip.ip_address };
    }
  }
  if (best === undefined || best.subnet.network_id !== port.network_id) return undefined;
  return {
    portId: port.id,
    macAddress: port.mac_address.toLowerCase(),
    address: best.address,
    cidr: best.subnet.cidr,
    mtu: mtuOf(best.subnet.network_id),
    subnetId: best.subnet.id,
    networkId: best.subnet.network_id,
    subnetOrder: best.order,
    status: (port.status ?? '').toUpperCase(),
  };
}

export function planSync(input: SyncPlanInput): SyncPlan {
  const filtered = filterPorts(input.ports, {
    allowedStatuses: input.allowedStatuses,
    ...(input.baseline !== undefined ? { baseline: input.baseline } : {}),
  });
  const mtus = new Map(input.networks.map((network) => [network.id, network.mtu]));
  const mtuOf = (id: string): number | undefined => {
    const mtu = mtus.get(id);
    return typeof mtu === 'number' && mtu > 0 ? mtu : undefined;
  };
  const previousByNode = new Map<string, Map<string, number>>();
  for (const row of input.previous) {
    if (row.nodeId === null || row.slot === null) continue;
    let slots = previousByNode.get(row.nodeId);
    if (slots === undefined) previousByNode.set(row.nodeId, (slots = new Map()));
    slots.set(row.portId, row.slot);
  }
  const candidatesByVm = new Map<string, CandidateInterface[]>();
  const offTarget: string[] = [];
  for (const port of filtered.kept) {
    const candidate = mapPort(port, input.subnets, mtuOf);
    if (candidate === undefined) {
      offTarget.push(port.id);
      continue;
    }
    let list = candidatesByVm.get(port.device_id);
    if (list === undefined) candidatesByVm.set(port.device_id, (list = []));
    list.push(candidate);
  }
  const nodes: NodePlan[] = [];
  const byName = new Map<string, NodePlan>();
  const nameClashes = new Map<string, string[]>();
  for (const server of input.servers) {
    const nodeName = resolveNodeName(server, server.id, input.nodeNameMetadataKey);
    const allocation = planNodeInterfaces(
      previousByNode.get(server.id) ?? new Map(),
      candidatesByVm.get(server.id) ?? [],
    );
    if (allocation.interfaces.length === 0 && allocation.overflow.length === 0) continue;
    const clash = byName.get(nodeName);
    if (clash !== undefined) {
      nameClashes.set(nodeName, [...(nameClashes.get(nodeName) ?? [clash.nodeId]), server.id]);
      continue;
    }
    const node: NodePlan = {
      nodeId: server.id,
      nodeName,
      serverName: server.name ?? null,
      interfaces: allocation.interfaces,
      overflow: allocation.overflow,
    };
    byName.set(nodeName, node);
    nodes.push(node);
  }
  nodes.sort((a, b) => compare(a.nodeName, b.nodeName));
  return {
    nodes: nodes.filter((node) => node.interfaces.length > 0),
    subnets: input.subnets.filter((subnet, index, all) => all.findIndex((s) => s.id === subnet.id) === index),
    downPortIds: nodes
      .flatMap((node) => node.interfaces.filter((i) => i.status === 'DOWN').map((i) => i.portId))
      .sort(compare),
    overflow: nodes.flatMap((node) =>
      node.overflow.map((o) => ({ nodeName: node.nodeName, portId: o.portId })),
    ),
    dropped: filtered.dropped.map(({ port, reason }) => ({ portId: port.id, reason })),
    offTarget,
    nameClashes: [...nameClashes].map(([nodeName, vmIds]) => ({ nodeName, vmIds })),
  };
}

// --- delivered form --------------------------------------------------------------------------

/** The MultiNicNodeConfig spec of a node (also the Viola body entry): `id` always sent. */
export function nodeConfigSpec(
  node: Pick<NodePlan, 'nodeName' | 'nodeId' | 'interfaces'>,
): MultiNicNodeConfigSpec {
  return {
    nodeName: node.nodeName,
    instanceId: node.nodeId,
    interfaces: node.interfaces.map((i) => ({
      id: i.slot,
      name: i.name,
      portId: i.portId,
      macAddress: i.macAddress,
      address: i.address,
      cidr: i.cidr,
      mtu: i.mtu ?? 1500,
    })),
  };
}

/** JSON with object keys sorted (the agent-controller hashes specs the same way). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => compare(a, b));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256 hex of the canonical JSON of a spec (= `status.observedSpecHash` of the agent-controller). */
export function specHash(spec: unknown): string {
  return sha256(canonicalJson(spec));
}

export interface DesiredNode {
  nodeName: string;
  nodeId: string;
  spec: MultiNicNodeConfigSpec;
  hash: string;
}

export function desiredNodes(plan: Pick<SyncPlan, 'nodes'>): DesiredNode[] {
  return plan.nodes.map((node) => {
    const spec = nodeConfigSpec(node);
    return { nodeName: node.nodeName, nodeId: node.nodeId, spec, hash: specHash(spec) };
  });
}

export interface DeliveryPlan {
  apply: DesiredNode[];
  /** Node names whose config must go (no interface left, VM dropped, node renamed). */
  remove: string[];
}

/**
 * `delivered`: node name -> hash the target holds. `force`: node names to send even when
 * unchanged (DOWN-port retry).
 */
export function planDelivery(
  desired: readonly DesiredNode[],
  delivered: ReadonlyMap<string, string | null>,
  force: ReadonlySet<string> = new Set(),
): DeliveryPlan {
  const wanted = new Set(desired.map((node) => node.nodeName));
  return {
    apply: desired.filter((node) => force.has(node.nodeName) || delivered.get(node.nodeName) !== node.hash),
    remove: [...delivered.keys()].filter((name) => !wanted.has(name)).sort(compare),
  };
}

// --- DOWN-port retry and polling -------------------------------------------------------------------

export interface DownPortRetryState {
  hash?: string;
  lastAttempt?: string;
  fastAttempts?: number;
}

/** SHA-256 hex of the ascending, comma-joined DOWN port ids; '' when there are none. */
export function downPortHash(portIds: readonly string[]): string {
  if (portIds.length === 0) return '';
  return sha256([...portIds].sort(compare).join(','));
}

export interface RetryTiming {
  fastMs: number;
  slowMs: number;
  fastRetryMax: number;
}

/** Whether DOWN-port nodes should be re-sent now; otherwise how long until they should. */
export function downRetryDue(
  hash: string,
  state: DownPortRetryState | undefined,
  now: number,
  timing: RetryTiming,
): { due: boolean; waitMs?: number } {
  if (hash === '') return { due: false };
  if (state === undefined || state.hash !== hash || state.lastAttempt === undefined) return { due: true };
  const last = Date.parse(state.lastAttempt);
  if (Number.isNaN(last)) return { due: true };
  const elapsed = now - last;
  const every = (state.fastAttempts ?? 0) < timing.fastRetryMax ? timing.fastMs : timing.slowMs;
  return elapsed >= every ? { due: true } : { due: false, waitMs: every - elapsed };
}

/** The retry state after a send that included DOWN-port nodes. */
export function nextDownRetryState(
  hash: string,
  previous: DownPortRetryState | undefined,
  now: Date,
  fastRetryMax: number,
): DownPortRetryState {
  const attempts = previous?.hash === hash ? Math.min((previous.fastAttempts ?? 0) + 1, fastRetryMax) : 1;
  return { hash, lastAttempt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), fastAttempts: attempts };
}

export interface PollTiming {
  fastMs: number;
  slowMs: number;
  fastWindowMs: number;
}

/** Requeue delay after a successful sync: fast within the window after the last change, else slow; never past a DOWN retry. */
export function nextPollDelay(
  now: number,
  lastChangeAt: number | undefined,
  timing: PollTiming,
  downRetryWaitMs?: number,
): number {
  const slow = Math.max(timing.slowMs, timing.fastMs);
  const inWindow =
    lastChangeAt !== undefined && timing.fastWindowMs > 0 && now - lastChangeAt < timing.fastWindowMs;
  const base = inWindow ? timing.fastMs : slow;
  return downRetryWaitMs !== undefined ? Math.min(base, Math.max(1, downRetryWaitMs)) : base;
}

// --- agent results ---------------------------------------------------------------------------

export interface PortResult {
  portId: string;
  success: boolean;
}

/**
 * The agent's per-port results in a node config's status, only when that status reports on the
 * current spec (`observedSpecHash` = hash of `spec`): a result for an older spec says nothing
 * about the interfaces now asked for.
 */
export function agentResultsOf(spec: MultiNicNodeConfigSpec | undefined, status: unknown): PortResult[] {
  if (spec === undefined || status === null || typeof status !== 'object') return [];
  const s = status as { observedSpecHash?: unknown; interfaceStatuses?: unknown };
  if (s.observedSpecHash !== specHash(spec) || !Array.isArray(s.interfaceStatuses)) return [];
  const portOfMac = new Map(
    spec.interfaces
      .filter((i) => i.portId !== undefined)
      .map((i) => [i.macAddress.toLowerCase(), i.portId as string]),
  );
  const out: PortResult[] = [];
  for (const entry of s.interfaceStatuses as Array<{ macAddress?: unknown; status?: unknown }>) {
    if (typeof entry.macAddress !== 'string') continue;
    const portId = portOfMac.get(entry.macAddress.toLowerCase());
    if (portId === undefined) continue;
    if (entry.status === 'Configured') out.push({ portId, success: true });
    else if (entry.status === 'Failed') out.push({ portId, success: false });
  }
  return out;
}
