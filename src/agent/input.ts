// What the agent is asked to do: the node's interfaces (the MultiNicNodeConfig spec)
// plus the run options. The input schema is structural only, so that one bad entry does not
// reject the others: each entry is then validated on its own (`validateInterfaces`) and an
// invalid entry becomes a `validation` failure for that interface alone.
import { isIPv4 } from 'node:net';
import { z } from 'zod';

/** Environment variable through which the agent-controller can hand the input to the Job. */
export const AGENT_INPUT_ENV = 'MULTINIC_AGENT_INPUT';

/** Highest managed slot: names are `multinic0` .. `multinic9` (docs/architecture.md#sticky-names). */
export const MAX_SLOT = 9;

export const AgentInterfaceInputSchema = z.looseObject({
  id: z.number().int().optional(),
  name: z.string().optional(),
  portId: z.string().optional(),
  macAddress: z.string(),
  address: z.string().optional(),
  cidr: z.string().optional(),
  mtu: z.number().int().optional(),
  /** Optional next hop inside `cidr`, probed for reachability when gateway probing is on. */
  gateway: z.string().optional(),
});
export type AgentInterfaceInput = z.infer<typeof AgentInterfaceInputSchema>;

/** The node's desired interfaces: a MultiNicNodeConfig `spec` (extra keys are ignored). */
export const AgentInputSchema = z.looseObject({
  nodeName: z.string().min(1),
  instanceId: z.string().optional(),
  interfaces: z.array(AgentInterfaceInputSchema),
});
export type AgentInput = z.infer<typeof AgentInputSchema>;

/**
 * Parses the agent input from JSON text. Accepts either the spec itself or a whole
 * MultiNicNodeConfig object (then `spec` is used and `metadata.name` fills a missing `nodeName`).
 * Throws an `Error` that names the offending field.
 */
export function parseAgentInput(text: string): AgentInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`agent input is not valid JSON: ${(error as Error).message}`);
  }
  if (value !== null && typeof value === 'object' && 'spec' in value) {
    const object = value as { spec: unknown; metadata?: { name?: unknown } };
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    const name = object.metadata?.name;
    value = { ...spec, nodeName: spec['nodeName'] || (typeof name === 'string' ? name : undefined) };
  }
  const parsed = AgentInputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : issue.path.join('.');
    throw new Error(`agent input is invalid at '${where}': ${issue?.message ?? 'unknown error'}`);
  }
  return parsed.data;
}

/** One validated interface, ready to plan. */
export interface DesiredInterface {
  /** `id` as received (reported back in results), else the slot. */
  readonly id: number;
  /** Position in `spec.interfaces`. */
  readonly position: number;
  /** Slot 0..9: from `name` when present, else from `id`, else the position. */
  readonly slot: number;
  /** `multinic<slot>` */
  readonly name: string;
  /** Lower-cased MAC (identity of the NIC). */
  readonly mac: string;
  /** MAC as received (netplan files keep it verbatim, as the earlier agent wrote them). */
  readonly macAsGiven: string;
  readonly address: string;
  readonly prefix: number;
  /** The subnet in network form (`192.168.50.0/24`), even when given as `address/prefix`. */
  readonly network: string;
  readonly mtu: number;
  readonly gateway?: string;
}

export const ErrorType = {
  validation: 'validation',
  network: 'network',
  timeout: 'timeout',
  system: 'system',
  unknown: 'unknown',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

export interface InterfaceFailure {
  readonly id: number;
  readonly mac: string;
  readonly name: string;
  readonly errorType: ErrorType;
  readonly reason: string;
}

const MAC = /^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/;
const NAME = /^multinic([0-9]+)$/;

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** `{network, prefix}` of an IPv4 CIDR (host bits allowed, then cleared); undefined if invalid. */
export function parseCidr(cidr: string): { network: string; prefix: number } | undefined {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(cidr.trim());
  if (match === null || !isIPv4(match[1] ?? '')) return undefined;
  const prefix = Number(match[2]);
  if (prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipv4ToInt(match[1] ?? '') / size) * size;
  return { network: `${intToIpv4(base)}/${prefix}`, prefix };
}

function inNetwork(ip: string, network: string, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4ToInt(ip) / size) * size === ipv4ToInt(network.split('/')[0] ?? '');
}

/**
 * Agent-side validation (stricter than the CRD): MAC, slot 0..9, IPv4 address inside
 * the CIDR, MTU 68..65536, no duplicate MAC or slot. Invalid entries are returned as
 * `validation` failures; they keep their MAC, so their files are not mistaken for orphans.
 */
export function validateInterfaces(interfaces: readonly AgentInterfaceInput[]): {
  valid: DesiredInterface[];
  failures: InterfaceFailure[];
} {
  const valid: DesiredInterface[] = [];
  const failures: InterfaceFailure[] = [];
  const seenMacs = new Set<string>();
  const seenSlots = new Set<number>();
  interfaces.forEach((entry, position) => {
    const nameMatch = entry.name === undefined ? null : NAME.exec(entry.name);
    const slot = nameMatch !== null ? Number(nameMatch[1]) : (entry.id ?? position);
    const name = `multinic${slot}`;
    const id = entry.id ?? slot;
    const mac = entry.macAddress.toLowerCase();
    const fail = (reason: string): void => {
      failures.push({
        id,
        mac,
        name: entry.name ?? name,
        errorType: ErrorType.validation,
        reason: `[VALIDATION] ${reason}`,
      });
    };
    if (!MAC.test(entry.macAddress)) return fail(`invalid MAC address '${entry.macAddress}'`);
    if (entry.name !== undefined && nameMatch === null)
      return fail(`'name' must be multinic0..multinic9, got '${entry.name}'`);
    if (!Number.isInteger(slot) || slot < 0 || slot > MAX_SLOT)
      return fail(`interface index must be 0..${MAX_SLOT}, got ${slot}`);
    if (entry.address === undefined || entry.address === '') return fail(`'address' is required`);
    if (!isIPv4(entry.address)) return fail(`'address' must be an IPv4 address, got '${entry.address}'`);
    if (entry.cidr === undefined || entry.cidr === '') return fail(`'cidr' is required`);
    const cidr = parseCidr(entry.cidr);
    if (cidr === undefined) return fail(`'cidr' must be an IPv4 CIDR, got '${entry.cidr}'`);
    if (!inNetwork(entry.address, cidr.network, cidr.prefix)) {
      return fail(`address ${entry.address} is not inside ${entry.cidr}`);
    }
    if (entry.mtu === undefined) return fail(`'mtu' is required`);
    if (entry.mtu < 68 || entry.mtu > 65536) return fail(`'mtu' must be 68..65536, got ${entry.mtu}`);
    if (
      entry.gateway !== undefined &&
      (!isIPv4(entry.gateway) || !inNetwork(entry.gateway, cidr.network, cidr.prefix))
    ) {
      return fail(`'gateway' must be an IPv4 address inside ${cidr.network}, got '${entry.gateway}'`);
    }
    if (seenMacs.has(mac)) return fail(`duplicate MAC address ${mac}`);
    if (seenSlots.has(slot)) return fail(`duplicate interface name ${name}`);
    seenMacs.add(mac);
    seenSlots.add(slot);
    valid.push({
      id,
      position,
      slot,
      name,
      mac,
      macAsGiven: entry.macAddress,
      address: entry.address,
      prefix: cidr.prefix,
      network: cidr.network,
      mtu: entry.mtu,
      ...(entry.gateway === undefined ? {} : { gateway: entry.gateway }),
    });
    return undefined;
  });
  return { valid, failures };
}
