// Probes after an apply (docs/architecture.md#transactional-apply): every configured link up with its MAC, MTU, address and
// policy routing; orphaned names released; optionally the gateway (ping through the NIC) and
// the API server (TCP connect). Each probe has a timeout; a failing probe makes the
// transaction roll back.
import { connect as netConnect } from 'node:net';
import { ErrorType } from './input.js';
import { parseLinks, parseRoutes, parseRules, type LinkState, type RuntimeState } from './observe.js';
import type { NetworkOptions, ProbeOptions } from './options.js';
import { tableOf, metricOf } from './options.js';
import type { Plan, PlannedInterface } from './plan.js';
import type { CommandRunner } from './system.js';

export interface ProbeFailure {
  readonly errorType: ErrorType;
  readonly reason: string;
  /** The interface that failed, when one did. */
  readonly iface?: string;
}

export interface ProbeContext {
  readonly plan: Plan;
  readonly runner: CommandRunner;
  readonly options: ProbeOptions;
}

/** An extra check run after the built-in ones; returns undefined when it passes. */
export type CustomProbe = (context: ProbeContext) => Promise<ProbeFailure | undefined>;

/** Opens a TCP connection and closes it; rejects on error or timeout. */
export type TcpConnect = (host: string, port: number, timeoutMs: number) => Promise<void>;

export const tcpConnect: TcpConnect = (host, port, timeoutMs) =>
  new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });

export interface ProbeDeps {
  readonly runner: CommandRunner;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly connect: TcpConnect;
  readonly custom: readonly CustomProbe[];
}

function linkUp(link: LinkState): boolean {
  return link.adminUp && (link.operState === 'UP' || (link.operState === 'UNKNOWN' && link.lowerUp));
}

/** What is wrong with one configured interface in the given state (pure). */
export function checkInterface(
  entry: PlannedInterface,
  state: RuntimeState,
  network: NetworkOptions,
): ProbeFailure | undefined {
  const { desired } = entry;
  const fail = (reason: string): ProbeFailure => ({
    errorType: ErrorType.network,
    reason: `${desired.name}: ${reason}`,
    iface: desired.name,
  });
  const link = state.links.find((candidate) => candidate.name === desired.name);
  if (link === undefined) return fail('link not found');
  if (link.mac !== desired.mac) return fail(`MAC is ${link.mac}, expected ${desired.mac}`);
  if (link.mtu !== desired.mtu) return fail(`MTU is ${link.mtu}, expected ${desired.mtu}`);
  if (!link.addresses.some((addr) => addr.local === desired.address && addr.prefixlen === desired.prefix)) {
    return fail(`address ${desired.address}/${desired.prefix} missing`);
  }
  if (network.policyRouting) {
    const table = String(tableOf(desired.slot, network));
    if (!state.rules.some((rule) => rule.table === table && rule.from === `${desired.address}/32`)) {
      return fail(`rule 'from ${desired.address}/32 table ${table}' missing`);
    }
    const metric = metricOf(desired.slot, network);
    if (
      !state.routes.some(
        (route) =>
          route.table === table &&
          route.dst === desired.network &&
          route.dev === desired.name &&
          route.metric === metric,
      )
    ) {
      return fail(`route ${desired.network} in table ${table} missing`);
    }
  }
  if (!linkUp(link)) return fail(`link is not up (operstate ${link.operState})`);
  return undefined;
}

async function look(runner: CommandRunner): Promise<RuntimeState> {
  const [links, rules, routes] = await Promise.all([
    runner(['ip', '-j', 'addr', 'show']),
    runner(['ip', '-j', '-4', 'rule', 'show']),
    runner(['ip', '-j', '-4', 'route', 'show', 'table', 'all']),
  ]);
  return {
    links: parseLinks(links.stdout),
    rules: parseRules(rules.stdout),
    routes: parseRoutes(routes.stdout),
    sysctls: {},
  };
}

/** Runs every probe in order and returns the first failure (undefined = all passed). */
export async function runProbes(
  plan: Plan,
  network: NetworkOptions,
  options: ProbeOptions,
  deps: ProbeDeps,
): Promise<ProbeFailure | undefined> {
  // Links may take a moment to reach operstate UP: look again until the deadline.
  const deadline = deps.now() + options.timeoutMs;
  for (;;) {
    const state = await look(deps.runner);
    let failure: ProbeFailure | undefined;
    for (const entry of plan.configured) {
      failure = checkInterface(entry, state, network);
      if (failure !== undefined) break;
    }
    if (failure === undefined) {
      for (const orphan of plan.orphans) {
        const link = orphan.link;
        if (link === undefined) continue;
        const still = state.links.find((candidate) => candidate.ifindex === link.ifindex);
        if (still !== undefined && still.name === orphan.name) {
          failure = { errorType: ErrorType.system, reason: `orphan ${orphan.name} still holds its name` };
        }
      }
    }
    if (failure === undefined) break;
    if (deps.now() >= deadline) {
      return {
        ...failure,
        errorType: ErrorType.timeout,
        reason: `${failure.reason} after ${options.timeoutMs} ms`,
      };
    }
    await deps.sleep(options.intervalMs);
  }
  if (options.gateway) {
    for (const { desired } of plan.configured) {
      if (desired.gateway === undefined) continue;
      const seconds = String(Math.max(1, Math.ceil(options.timeoutMs / 1000)));
      const result = await deps.runner(
        ['ping', '-n', '-q', '-c', '1', '-W', seconds, '-I', desired.name, desired.gateway],
        {
          timeoutMs: options.timeoutMs + 1000,
        },
      );
      if (result.code === 127 || /exec of "ping" failed/.test(result.stderr)) {
        return {
          errorType: ErrorType.system,
          reason: `gateway probe needs 'ping' on the agent's PATH`,
          iface: desired.name,
        };
      }
      if (result.code !== 0) {
        return {
          errorType: result.code === 124 ? ErrorType.timeout : ErrorType.network,
          reason: `${desired.name}: gateway ${desired.gateway} not reachable (${(result.stderr || result.stdout).trim().split('\n').pop() ?? ''})`,
          iface: desired.name,
        };
      }
    }
  }
  if (options.apiServer !== undefined) {
    const { host, port } = options.apiServer;
    try {
      await deps.connect(host, port, options.timeoutMs);
    } catch (error) {
      return {
        errorType: ErrorType.network,
        reason: `API server ${host}:${port} not reachable: ${(error as Error).message}`,
      };
    }
  }
  for (const probe of deps.custom) {
    const failure = await probe({ plan, runner: deps.runner, options });
    if (failure !== undefined) return failure;
  }
  return undefined;
}
