// The agent's planner (pure): desired interfaces + observed runtime + our current files →
// the ordered runtime steps (`ip` commands) and file changes (persistence files), including
// orphan cleanup. Steps are emitted only for what differs, so a second run of an unchanged
// config changes nothing. Interfaces not matched by MAC and links not
// named `multinic*` are never touched.
import { ErrorType, MAX_SLOT, type DesiredInterface, type InterfaceFailure } from './input.js';
import {
  sysctlKey,
  type SysctlName,
  type LinkState,
  type RouteState,
  type RuleState,
  type RuntimeState,
} from './observe.js';
import { BackendId } from './os.js';
import { metricOf, tableOf, type NetworkOptions } from './options.js';
import { ownerOfFile, renderInterface } from './render.js';
import type { FileEntry } from './system.js';

export interface Step {
  readonly argv: readonly string[];
  /** Ignore a failure: always (`true`) or when stderr matches. @default - a failure aborts */
  readonly tolerate?: true | RegExp;
  /** Steps to run instead when this one fails (e.g. a rename that falls back to an altname). */
  readonly fallback?: readonly Step[];
  /** Set on orphan-cleanup steps: a failure counts as a delete error and never aborts. */
  readonly orphan?: string;
  /** The interface the step configures (names the failure). */
  readonly iface?: string;
}

export interface FileChange {
  readonly path: string;
  readonly before: FileEntry | undefined;
  /** undefined = remove the file. */
  readonly after: FileEntry | undefined;
}

export interface PlannedInterface {
  readonly desired: DesiredInterface;
  /** The link carrying the MAC, as observed before the run. */
  readonly link: LinkState;
}

export interface Orphan {
  /** `multinicN` */
  readonly name: string;
  readonly link?: LinkState;
  readonly files: readonly string[];
}

export const PreflightBlock = {
  hasIpv4: 'has_ipv4',
  enslaved: 'enslaved',
  hasRoutes: 'has_routes',
  defaultRoute: 'default_route',
} as const;
export type PreflightBlock = (typeof PreflightBlock)[keyof typeof PreflightBlock];

export interface PlanInput {
  readonly backend: BackendId;
  /** Valid interfaces (empty for cleanup). */
  readonly desired: readonly DesiredInterface[];
  /** Entries that failed validation: their names and MACs are protected from orphan cleanup. */
  readonly invalid: readonly InterfaceFailure[];
  readonly runtime: RuntimeState;
  /** Our files currently on the node (path → entry), as listed by `ownedFiles`. */
  readonly files: ReadonlyMap<string, FileEntry>;
  readonly network: NetworkOptions;
  /** Allow renaming an UP NIC that has addresses/routes (env PREFLIGHT_ALLOW_UP). @default false */
  readonly preflightAllowUp?: boolean;
}

export interface Plan {
  readonly configured: readonly PlannedInterface[];
  readonly failures: readonly InterfaceFailure[];
  readonly preflightBlocks: readonly PreflightBlock[];
  readonly orphans: readonly Orphan[];
  readonly steps: readonly Step[];
  readonly files: readonly FileChange[];
  /** ifindex of every link whose runtime state the steps may change (the backup's scope). */
  readonly touched: readonly number[];
  /** Routing tables the agent owns (base .. base+9). */
  readonly tables: readonly string[];
}

const MANAGED = /^multinic[0-9]+$/;
const FILE_EXISTS = /File exists/;

function isManagedName(name: string): boolean {
  return MANAGED.test(name);
}

/** A name (≤ 15 chars) derived from the MAC: `<prefix><12 hex>`. */
function macName(prefix: 'mnt' | 'mnx', mac: string): string {
  return `${prefix}${mac.replace(/:/g, '')}`;
}

function sameEntry(a: FileEntry | undefined, b: FileEntry | undefined): boolean {
  return a !== undefined && b !== undefined && a.content === b.content && a.mode === b.mode;
}

function preflight(link: LinkState, runtime: RuntimeState, allowUp: boolean): PreflightBlock[] {
  if (isManagedName(link.name) || allowUp) return [];
  if (!(link.adminUp && link.lowerUp)) return [];
  const blocks: PreflightBlock[] = [];
  if (link.addresses.length > 0) blocks.push(PreflightBlock.hasIpv4);
  if (link.master !== undefined) blocks.push(PreflightBlock.enslaved);
  const routes = runtime.routes.filter((route) => route.dev === link.name && route.table !== 'local');
  if (routes.some((route) => route.dst === 'default')) blocks.push(PreflightBlock.defaultRoute);
  else if (routes.length > 0) blocks.push(PreflightBlock.hasRoutes);
  return blocks;
}

function routeArgs(route: RouteState): string[] {
  const args = [route.dst];
  if (route.gateway !== undefined) args.push('via', route.gateway);
  if (route.dev !== undefined) args.push('dev', route.dev);
  args.push('table', route.table);
  if (route.metric !== undefined) args.push('metric', String(route.metric));
  return args;
}

/** `ip route replace` arguments that recreate an observed route. */
export function routeReplaceArgs(route: RouteState): string[] {
  const args = ['ip', 'route', 'replace'];
  if (route.type !== undefined) args.push(route.type);
  args.push(...routeArgs(route));
  if (route.prefsrc !== undefined) args.push('src', route.prefsrc);
  if (route.protocol !== undefined) args.push('proto', route.protocol);
  if (route.scope !== undefined) args.push('scope', route.scope);
  return args;
}

export function routeDelArgs(route: RouteState): string[] {
  return ['ip', 'route', 'del', ...(route.type === undefined ? [] : [route.type]), ...routeArgs(route)];
}

export function ruleArgs(verb: 'add' | 'del', rule: RuleState): string[] {
  return ['ip', 'rule', verb, 'priority', String(rule.priority), 'from', rule.from, 'table', rule.table];
}

/** Builds the plan. Pure: same input, same output. */
export function plan(input: PlanInput): Plan {
  const { runtime, network } = input;
  const failures: InterfaceFailure[] = [];
  const preflightBlocks: PreflightBlock[] = [];
  const configured: PlannedInterface[] = [];
  const protectedNames = new Set(input.invalid.map((failure) => failure.name));
  const protectedMacs = new Set(input.invalid.map((failure) => failure.mac.toLowerCase()));

  for (const desired of input.desired) {
    const carriers = runtime.links.filter((link) => link.mac === desired.mac);
    const fail = (errorType: InterfaceFailure['errorType'], reason: string): void => {
      failures.push({ id: desired.id, mac: desired.mac, name: desired.name, errorType, reason });
      protectedNames.add(desired.name);
      protectedMacs.add(desired.mac);
    };
    if (carriers.length === 0) {
      fail(
        ErrorType.validation,
        `[VALIDATION] preflight: MAC not present on system: interface with MAC ${desired.mac} not found`,
      );
      continue;
    }
    const link =
      carriers.length === 1 ? carriers[0] : carriers.find((candidate) => isManagedName(candidate.name));
    if (link === undefined) {
      const names = carriers.map((candidate) => candidate.name).join(', ');
      fail(
        ErrorType.validation,
        `[VALIDATION] preflight: MAC ${desired.mac} is carried by several links (${names})`,
      );
      continue;
    }
    const blocks = preflight(link, runtime, input.preflightAllowUp ?? false);
    if (blocks.length > 0) {
      preflightBlocks.push(...blocks);
      fail(
        ErrorType.validation,
        `[VALIDATION] preflight: ${link.name} (MAC ${desired.mac}) is up and in use (${blocks.join(', ')})`,
      );
      continue;
    }
    configured.push({ desired, link });
  }

  // A name already held by a NIC we must not touch cannot be given to another NIC.
  const kept: PlannedInterface[] = [];
  for (const entry of configured) {
    const holder = runtime.links.find((link) => link.name === entry.desired.name);
    if (holder !== undefined && holder.ifindex !== entry.link.ifindex && protectedMacs.has(holder.mac)) {
      failures.push({
        id: entry.desired.id,
        mac: entry.desired.mac,
        name: entry.desired.name,
        errorType: ErrorType.validation,
        reason: `[VALIDATION] ${entry.desired.name} is held by the link with MAC ${holder.mac}, which this run does not configure`,
      });
      protectedNames.add(entry.desired.name);
      continue;
    }
    kept.push(entry);
  }

  const desiredMacs = new Set(input.desired.map((desired) => desired.mac));
  const configuredIndexes = new Set(kept.map((entry) => entry.link.ifindex));
  const orphanLinks = runtime.links.filter(
    (link) =>
      isManagedName(link.name) &&
      !configuredIndexes.has(link.ifindex) &&
      !desiredMacs.has(link.mac) &&
      !protectedMacs.has(link.mac) &&
      !protectedNames.has(link.name),
  );

  const steps: Step[] = [];
  // Old name → new name of every link this plan renames (routes follow their link).
  const renames = new Map<string, string>();

  // A. Orphan links: de-configure and give the name back (to the original name kept as altname).
  for (const link of orphanLinks) {
    const orphan = link.name;
    for (const addr of link.addresses) {
      steps.push({
        argv: ['ip', 'addr', 'del', `${addr.local}/${addr.prefixlen}`, 'dev', link.name],
        orphan,
      });
    }
    if (link.adminUp) steps.push({ argv: ['ip', 'link', 'set', 'dev', link.name, 'down'], orphan });
    const altname = link.altnames.find((name) => !isManagedName(name));
    let target = link.mac === '' ? `mnx${link.ifindex}` : macName('mnx', link.mac);
    if (altname !== undefined) {
      steps.push({ argv: ['ip', 'link', 'property', 'del', 'dev', link.name, 'altname', altname], orphan });
      target = altname;
    }
    steps.push({ argv: ['ip', 'link', 'set', 'dev', link.name, 'name', target], orphan });
    renames.set(link.name, target);
  }

  const current = new Map(kept.map((entry) => [entry.link.ifindex, entry.link.name]));

  // B. Per interface (rename, MTU, address, up). A NIC still holding this NIC's target name (a
  // swap) first moves to a temporary name.
  for (const { desired, link } of kept) {
    const iface = desired.name;
    const name = desired.name;
    const holder = kept.find((other) => other.link !== link && current.get(other.link.ifindex) === name);
    if (holder !== undefined) {
      const temp = macName('mnt', holder.desired.mac);
      steps.push({ argv: ['ip', 'link', 'set', 'dev', name, 'down'], iface: holder.desired.name });
      steps.push({ argv: ['ip', 'link', 'set', 'dev', name, 'name', temp], iface: holder.desired.name });
      current.set(holder.link.ifindex, temp);
    }
    const from = current.get(link.ifindex) ?? link.name;
    const renamed = from !== name;
    current.set(link.ifindex, name);
    renames.set(link.name, name);
    if (renamed) {
      const rename = ['ip', 'link', 'set', 'dev', from, 'name', name];
      steps.push({
        argv: rename,
        iface,
        fallback: [
          { argv: ['ip', 'link', 'set', 'dev', from, 'down'], iface },
          { argv: rename, iface },
        ],
      });
      // Keeping the original name as an altname lets cleanup give it back later.
      if (!isManagedName(link.name)) {
        steps.push({
          argv: ['ip', 'link', 'property', 'add', 'dev', name, 'altname', link.name],
          iface,
          tolerate: true,
        });
      }
    }
    if (link.mtu !== desired.mtu)
      steps.push({ argv: ['ip', 'link', 'set', 'dev', name, 'mtu', String(desired.mtu)], iface });
    const existing = link.addresses.find(
      (addr) => addr.local === desired.address && addr.prefixlen === desired.prefix,
    );
    for (const addr of link.addresses) {
      if (addr === existing) continue;
      steps.push({ argv: ['ip', 'addr', 'del', `${addr.local}/${addr.prefixlen}`, 'dev', name], iface });
    }
    const addressChanged = existing === undefined || existing.noprefixroute !== network.noPrefixRoute;
    if (addressChanged) {
      const argv = ['ip', 'addr', 'replace', `${desired.address}/${desired.prefix}`, 'dev', name];
      if (network.noPrefixRoute) argv.push('noprefixroute');
      steps.push({ argv, iface });
    }
    if (!link.adminUp || renamed) steps.push({ argv: ['ip', 'link', 'set', 'dev', name, 'up'], iface });
    if (network.policyRouting && network.noPrefixRoute) {
      const prefixRoute = runtime.routes.some(
        (route) => route.table === 'main' && route.dst === desired.network && route.dev === link.name,
      );
      if (prefixRoute) {
        steps.push({ argv: ['ip', 'route', 'del', desired.network, 'dev', name], iface, tolerate: true });
      }
    }
  }

  // C. Policy routing per slot: one rule and one route in table base+N; stale entries removed.
  const tables: string[] = [];
  const early: Step[] = [];
  for (let slot = 0; slot <= MAX_SLOT; slot += 1) {
    const table = String(tableOf(slot, network));
    tables.push(table);
    if (protectedNames.has(`multinic${slot}`)) continue;
    const entry = network.policyRouting
      ? kept.find((candidate) => candidate.desired.slot === slot)
      : undefined;
    const orphan = entry === undefined ? `multinic${slot}` : undefined;
    const tag = {
      ...(entry === undefined ? {} : { iface: entry.desired.name }),
      ...(orphan === undefined ? {} : { orphan }),
    };
    // Routing of a slot nobody wants goes first, while its link still has its name and address
    // (the kernel drops routes whose source address or link goes away).
    const into = entry === undefined ? early : steps;
    const wantRule = entry === undefined ? undefined : `${entry.desired.address}/32`;
    const rules = runtime.rules.filter((rule) => rule.table === table);
    for (const rule of rules) {
      if (rule.from !== wantRule) into.push({ argv: ruleArgs('del', rule), ...tag });
    }
    if (entry !== undefined && wantRule !== undefined && !rules.some((rule) => rule.from === wantRule)) {
      steps.push({
        argv: ['ip', 'rule', 'add', 'from', wantRule, 'table', table],
        iface: entry.desired.name,
        tolerate: FILE_EXISTS,
      });
    }
    const want =
      entry === undefined
        ? undefined
        : {
            dst: entry.desired.network,
            dev: entry.desired.name,
            metric: metricOf(slot, network),
            prefsrc: entry.desired.address,
          };
    const routes = runtime.routes
      .filter((route) => route.table === table)
      .map((route) =>
        route.dev === undefined || entry === undefined
          ? route
          : { ...route, dev: renames.get(route.dev) ?? route.dev },
      );
    let present = false;
    for (const route of routes) {
      const matches =
        want !== undefined &&
        route.dst === want.dst &&
        route.dev === want.dev &&
        route.metric === want.metric &&
        route.prefsrc === want.prefsrc &&
        route.gateway === undefined;
      if (matches) present = true;
      else into.push({ argv: routeDelArgs(route), tolerate: true, ...tag });
    }
    if (want !== undefined && !present) {
      steps.push({
        argv: [
          'ip',
          'route',
          'replace',
          want.dst,
          'dev',
          want.dev,
          'table',
          table,
          'metric',
          String(want.metric),
          'src',
          want.prefsrc,
        ],
        iface: want.dev,
      });
    }
  }

  steps.unshift(...early);

  // D. Sysctls (best effort: failures ignored), one `sysctl -w` for all interfaces.
  const wantedSysctls: [SysctlName, string][] = [];
  if (network.rpFilterLoose) wantedSysctls.push(['rp_filter', '2']);
  if (network.arpSysctls) wantedSysctls.push(['arp_ignore', '1'], ['arp_announce', '2']);
  const assignments = kept.flatMap(({ desired, link }) =>
    wantedSysctls
      .filter(([key, value]) => runtime.sysctls[sysctlKey(link.name, key)] !== value)
      .map(([key, value]) => `${sysctlKey(desired.name, key)}=${value}`),
  );
  if (assignments.length > 0) steps.push({ argv: ['sysctl', '-w', ...assignments], tolerate: true });

  // Files: render every configured interface; remove our files that nobody wants any more.
  const files: FileChange[] = [];
  const wanted = new Set<string>();
  for (const { desired } of kept) {
    for (const rendered of renderInterface(input.backend, desired, network)) {
      wanted.add(rendered.path);
      const before = input.files.get(rendered.path);
      const after = { content: rendered.content, mode: rendered.mode };
      if (!sameEntry(before, after)) files.push({ path: rendered.path, before, after });
    }
  }
  const keptNames = new Set(kept.map((entry) => entry.desired.name));
  const orphanFiles = new Map<string, string[]>();
  for (const [path, before] of [...input.files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (wanted.has(path)) continue;
    const owner = ownerOfFile(input.backend, path);
    if (owner === undefined || protectedNames.has(owner)) continue;
    files.push({ path, before, after: undefined });
    if (!keptNames.has(owner)) orphanFiles.set(owner, [...(orphanFiles.get(owner) ?? []), path]);
  }

  const orphanNames = [...new Set([...orphanLinks.map((link) => link.name), ...orphanFiles.keys()])].sort();
  const orphans: Orphan[] = orphanNames.map((name) => {
    const link = orphanLinks.find((candidate) => candidate.name === name);
    return { name, files: orphanFiles.get(name) ?? [], ...(link === undefined ? {} : { link }) };
  });

  return {
    configured: kept,
    failures,
    preflightBlocks,
    orphans,
    steps,
    files,
    touched: [...kept.map((entry) => entry.link.ifindex), ...orphanLinks.map((link) => link.ifindex)],
    tables,
  };
}
