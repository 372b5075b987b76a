// Runtime network state as the agent sees it: links with their IPv4 addresses
// (`ip -j addr`), IPv4 policy rules (`ip -j -4 rule`), IPv4 routes of every table
// (`ip -j -4 route show table all`) and the per-interface sysctls the agent sets.
// Parsers are pure; `observeRuntime` runs the four commands through the runner.
import type { CommandRunner } from './system.js';

export interface Ipv4Address {
  readonly local: string;
  readonly prefixlen: number;
  readonly noprefixroute: boolean;
}

export interface LinkState {
  readonly ifindex: number;
  readonly name: string;
  /** Lower-cased MAC ('' for links without one, e.g. `lo`). */
  readonly mac: string;
  readonly mtu: number;
  /** Administratively up (`UP` flag). */
  readonly adminUp: boolean;
  /** Carrier (`LOWER_UP` flag). */
  readonly lowerUp: boolean;
  readonly operState: string;
  readonly master?: string;
  readonly altnames: readonly string[];
  readonly addresses: readonly Ipv4Address[];
}

export interface RuleState {
  readonly priority: number;
  /** `all` or `a.b.c.d/len`. */
  readonly from: string;
  readonly table: string;
}

export interface RouteState {
  readonly table: string;
  readonly dst: string;
  readonly dev?: string;
  readonly gateway?: string;
  readonly metric?: number;
  readonly prefsrc?: string;
  readonly protocol?: string;
  readonly scope?: string;
  readonly type?: string;
}

export interface RuntimeState {
  readonly links: readonly LinkState[];
  readonly rules: readonly RuleState[];
  readonly routes: readonly RouteState[];
  /** `net.ipv4.conf.<dev>.<key>` → value, for the keys asked for. */
  readonly sysctls: Readonly<Record<string, string>>;
}

interface RawAddr {
  family?: string;
  local?: string;
  prefixlen?: number;
  scope?: string;
  noprefixroute?: boolean;
}

interface RawLink {
  ifindex?: number;
  ifname?: string;
  address?: string;
  link_type?: string;
  mtu?: number;
  flags?: string[];
  operstate?: string;
  master?: string;
  altnames?: string[];
  addr_info?: RawAddr[];
}

function parseJsonArray(text: string, what: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const value: unknown = JSON.parse(trimmed);
  if (!Array.isArray(value)) throw new Error(`${what}: expected a JSON array`);
  return value;
}

/** Parses `ip -j addr show` (or `ip -j link show`, which lacks addresses). */
export function parseLinks(text: string): LinkState[] {
  return (parseJsonArray(text, 'ip -j addr') as RawLink[])
    .filter((raw) => typeof raw.ifname === 'string')
    .map((raw) => ({
      ifindex: raw.ifindex ?? 0,
      name: raw.ifname ?? '',
      mac: raw.link_type === 'ether' ? (raw.address ?? '').toLowerCase() : '',
      mtu: raw.mtu ?? 0,
      adminUp: (raw.flags ?? []).includes('UP'),
      lowerUp: (raw.flags ?? []).includes('LOWER_UP'),
      operState: raw.operstate ?? 'UNKNOWN',
      ...(raw.master === undefined ? {} : { master: raw.master }),
      altnames: raw.altnames ?? [],
      addresses: (raw.addr_info ?? [])
        .filter((addr) => addr.family === 'inet' && addr.local !== undefined && addr.scope !== 'host')
        .map((addr) => ({
          local: addr.local ?? '',
          prefixlen: addr.prefixlen ?? 32,
          noprefixroute: addr.noprefixroute === true,
        })),
    }));
}

interface RawRule {
  priority?: number;
  src?: string;
  srclen?: number;
  table?: string;
}

/** Parses `ip -j -4 rule show`. */
export function parseRules(text: string): RuleState[] {
  return (parseJsonArray(text, 'ip -j rule') as RawRule[]).map((raw) => ({
    priority: raw.priority ?? 0,
    from: raw.src === undefined || raw.src === 'all' ? 'all' : `${raw.src}/${raw.srclen ?? 32}`,
    table: raw.table ?? 'main',
  }));
}

interface RawRoute {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
}

/** Parses `ip -j -4 route show table all` (routes of `main` carry no `table` key). */
export function parseRoutes(text: string): RouteState[] {
  return (parseJsonArray(text, 'ip -j route') as RawRoute[]).map((raw) => {
    const route: { -readonly [K in keyof RouteState]: RouteState[K] } = {
      table: raw.table ?? 'main',
      dst: raw.dst ?? 'default',
    };
    if (raw.dev !== undefined) route.dev = raw.dev;
    if (raw.gateway !== undefined) route.gateway = raw.gateway;
    if (raw.metric !== undefined) route.metric = raw.metric;
    if (raw.prefsrc !== undefined) route.prefsrc = raw.prefsrc;
    if (raw.protocol !== undefined) route.protocol = raw.protocol;
    if (raw.scope !== undefined) route.scope = raw.scope;
    if (raw.type !== undefined && raw.type !== 'unicast') route.type = raw.type;
    return route;
  });
}

/** Parses `sysctl -e k1 k2 ...` output (`key = value` lines). */
export function parseSysctls(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^(\S+)\s*=\s*(.*)$/.exec(line.trim());
    if (match !== null) values[match[1] ?? ''] = (match[2] ?? '').trim();
  }
  return values;
}

export const SYSCTL_KEYS = ['rp_filter', 'arp_ignore', 'arp_announce'] as const;

export type SysctlName = (typeof SYSCTL_KEYS)[number];

export function sysctlKey(device: string, key: SysctlName): string {
  return `net.ipv4.conf.${device}.${key}`;
}

async function runJson(runner: CommandRunner, argv: string[]): Promise<string> {
  const result = await runner(argv);
  if (result.code !== 0)
    throw new Error(`${argv.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * Reads the runtime state. `sysctlDevices` names the links whose sysctls are read (the agent
 * only needs the ones it may touch).
 */
export async function observeRuntime(
  runner: CommandRunner,
  sysctlDevices: (links: readonly LinkState[]) => readonly string[] = () => [],
): Promise<RuntimeState> {
  const [linkText, ruleText, routeText] = await Promise.all([
    runJson(runner, ['ip', '-j', 'addr', 'show']),
    runJson(runner, ['ip', '-j', '-4', 'rule', 'show']),
    runJson(runner, ['ip', '-j', '-4', 'route', 'show', 'table', 'all']),
  ]);
  const links = parseLinks(linkText);
  const devices = sysctlDevices(links);
  let sysctls: Record<string, string> = {};
  if (devices.length > 0) {
    const keys = devices.flatMap((device) => SYSCTL_KEYS.map((key) => sysctlKey(device, key)));
    const result = await runner(['sysctl', '-e', ...keys]);
    sysctls = parseSysctls(result.stdout);
  }
  return { links, rules: parseRules(ruleText), routes: parseRoutes(routeText), sysctls };
}
