// Rollback planning (pure): the steps that bring the runtime back to a snapshot taken before
// the apply. Links are restored first (names, altnames, MTU, IPv4 addresses, admin state,
// sysctls); routes and rules second, after a fresh look, because re-adding an address makes
// the kernel add its prefix route again.
import {
  SYSCTL_KEYS,
  sysctlKey,
  type LinkState,
  type RouteState,
  type RuleState,
  type RuntimeState,
} from './observe.js';
import { routeDelArgs, routeReplaceArgs, ruleArgs, type Step } from './plan.js';

function addressKey(addr: { local: string; prefixlen: number; noprefixroute: boolean }): string {
  return `${addr.local}/${addr.prefixlen}${addr.noprefixroute ? ' noprefixroute' : ''}`;
}

/** Steps that restore the touched links (by ifindex) to their snapshot state. */
export function planLinkRestore(
  snapshot: RuntimeState,
  current: RuntimeState,
  touched: readonly number[],
): Step[] {
  const pairs: { before: LinkState; now: LinkState }[] = [];
  for (const ifindex of touched) {
    const before = snapshot.links.find((link) => link.ifindex === ifindex);
    const now = current.links.find((link) => link.ifindex === ifindex);
    if (before !== undefined && now !== undefined) pairs.push({ before, now });
  }
  const steps: Step[] = [];
  const renamed = pairs.filter(({ before, now }) => before.name !== now.name);
  for (const { before, now } of pairs) {
    for (const altname of now.altnames) {
      if (!before.altnames.includes(altname)) {
        steps.push({ argv: ['ip', 'link', 'property', 'del', 'dev', now.name, 'altname', altname] });
      }
    }
  }
  // Two phases (temporary names first) so that swapped names never collide.
  for (const { now } of renamed) {
    if (now.adminUp) steps.push({ argv: ['ip', 'link', 'set', 'dev', now.name, 'down'] });
    steps.push({ argv: ['ip', 'link', 'set', 'dev', now.name, 'name', `mnr${now.ifindex}`] });
  }
  for (const { before, now } of renamed) {
    steps.push({ argv: ['ip', 'link', 'set', 'dev', `mnr${now.ifindex}`, 'name', before.name] });
  }
  for (const { before, now } of pairs) {
    const name = before.name;
    if (now.mtu !== before.mtu)
      steps.push({ argv: ['ip', 'link', 'set', 'dev', name, 'mtu', String(before.mtu)] });
    const keep = new Set(before.addresses.map(addressKey));
    const have = new Set(now.addresses.map(addressKey));
    for (const addr of now.addresses) {
      if (!keep.has(addressKey(addr)))
        steps.push({ argv: ['ip', 'addr', 'del', `${addr.local}/${addr.prefixlen}`, 'dev', name] });
    }
    for (const addr of before.addresses) {
      if (have.has(addressKey(addr))) continue;
      const argv = ['ip', 'addr', 'add', `${addr.local}/${addr.prefixlen}`, 'dev', name];
      if (addr.noprefixroute) argv.push('noprefixroute');
      steps.push({ argv });
    }
    const wasDowned = now.name !== before.name && now.adminUp;
    const upNow = now.adminUp && !wasDowned;
    if (before.adminUp && !upNow) steps.push({ argv: ['ip', 'link', 'set', 'dev', name, 'up'] });
    if (!before.adminUp && upNow) steps.push({ argv: ['ip', 'link', 'set', 'dev', name, 'down'] });
    for (const altname of before.altnames) {
      if (!now.altnames.includes(altname))
        steps.push({ argv: ['ip', 'link', 'property', 'add', 'dev', name, 'altname', altname] });
    }
    const assignments: string[] = [];
    for (const key of SYSCTL_KEYS) {
      const value = snapshot.sysctls[sysctlKey(before.name, key)];
      if (value !== undefined && current.sysctls[sysctlKey(now.name, key)] !== value) {
        assignments.push(`${sysctlKey(name, key)}=${value}`);
      }
    }
    if (assignments.length > 0) steps.push({ argv: ['sysctl', '-w', ...assignments] });
  }
  return steps;
}

function routeKey(route: RouteState): string {
  return JSON.stringify([
    route.table,
    route.type,
    route.dst,
    route.gateway,
    route.dev,
    route.metric,
    route.prefsrc,
    route.protocol,
    route.scope,
  ]);
}

function ruleKey(rule: RuleState): string {
  return `${rule.priority} ${rule.from} ${rule.table}`;
}

/** The routes and rules the agent may have changed: its tables, and `main` routes of its links. */
export function relevantRouting(
  state: RuntimeState,
  devices: ReadonlySet<string>,
  tables: readonly string[],
): { routes: RouteState[]; rules: RuleState[] } {
  return {
    routes: state.routes.filter(
      (route) =>
        tables.includes(route.table) ||
        (route.table === 'main' && route.dev !== undefined && devices.has(route.dev)),
    ),
    rules: state.rules.filter((rule) => tables.includes(rule.table)),
  };
}

/** Steps that bring routes and rules back to the snapshot (links must already be restored). */
export function planRoutingRestore(
  snapshot: RuntimeState,
  current: RuntimeState,
  devices: ReadonlySet<string>,
  tables: readonly string[],
): Step[] {
  const before = relevantRouting(snapshot, devices, tables);
  const now = relevantRouting(current, devices, tables);
  const steps: Step[] = [];
  const beforeRules = new Set(before.rules.map(ruleKey));
  const nowRules = new Set(now.rules.map(ruleKey));
  for (const rule of now.rules)
    if (!beforeRules.has(ruleKey(rule))) steps.push({ argv: ruleArgs('del', rule) });
  for (const rule of before.rules)
    if (!nowRules.has(ruleKey(rule))) steps.push({ argv: ruleArgs('add', rule) });
  const beforeRoutes = new Set(before.routes.map(routeKey));
  const nowRoutes = new Set(now.routes.map(routeKey));
  for (const route of now.routes)
    if (!beforeRoutes.has(routeKey(route))) steps.push({ argv: routeDelArgs(route) });
  for (const route of before.routes)
    if (!nowRoutes.has(routeKey(route))) steps.push({ argv: routeReplaceArgs(route) });
  return steps;
}

/** Differences between the snapshot and now for the touched links and the agent's routing (empty = exact). */
export function restoreDifferences(
  snapshot: RuntimeState,
  current: RuntimeState,
  touched: readonly number[],
  tables: readonly string[],
): string[] {
  const differences: string[] = [];
  const devices = new Set<string>();
  for (const ifindex of touched) {
    const before = snapshot.links.find((link) => link.ifindex === ifindex);
    const now = current.links.find((link) => link.ifindex === ifindex);
    if (before === undefined) continue;
    devices.add(before.name);
    if (now === undefined) {
      differences.push(`link ${before.name} disappeared`);
      continue;
    }
    const view = (link: LinkState): string =>
      JSON.stringify([
        link.name,
        link.mtu,
        link.adminUp,
        [...link.altnames].sort(),
        link.addresses.map(addressKey).sort(),
      ]);
    if (view(before) !== view(now))
      differences.push(`link ${before.name}: was ${view(before)}, now ${view(now)}`);
  }
  const restSteps = planRoutingRestore(snapshot, current, devices, tables);
  for (const step of restSteps) differences.push(`routing differs: needs '${step.argv.join(' ')}'`);
  return differences;
}
