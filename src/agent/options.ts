// Run options of the agent: the network behaviour the earlier agent exposed (`NETWORK_*` variables,
// read once at start-up with one zod schema) and the probe settings of the transaction.
import { z } from 'zod';

const truthy = z
  .string()
  .transform((value) => ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase()));

export interface NetworkOptions {
  /** Per-NIC `ip rule` + routing table (symmetric routing). @default true */
  readonly policyRouting: boolean;
  /** Table of slot N = base + N. @default 100 */
  readonly tableBase: number;
  /** Route metric of slot N = base + N. @default 100 */
  readonly metricBase: number;
  /** Add addresses with `noprefixroute` (the subnet route lives in the NIC's table). @default true */
  readonly noPrefixRoute: boolean;
  /** `arp_ignore=1`, `arp_announce=2`. @default true */
  readonly arpSysctls: boolean;
  /** `rp_filter=2`. @default true */
  readonly rpFilterLoose: boolean;
}

export const DEFAULT_NETWORK_OPTIONS: NetworkOptions = {
  policyRouting: true,
  tableBase: 100,
  metricBase: 100,
  noPrefixRoute: true,
  arpSysctls: true,
  rpFilterLoose: true,
};

export interface ProbeOptions {
  /** Time each probe may take (link up, gateway, API server). @default 5000 */
  readonly timeoutMs: number;
  /** Pause between two looks while waiting for a link to come up. @default 100 */
  readonly intervalMs: number;
  /** Ping each interface's `gateway` (when it has one) through that interface. @default false */
  readonly gateway: boolean;
  /** TCP-connect to the API server after the change. @default - not probed */
  readonly apiServer?: { readonly host: string; readonly port: number };
}

export const DEFAULT_PROBE_OPTIONS: ProbeOptions = { timeoutMs: 5000, intervalMs: 100, gateway: false };

/** Agent settings from the environment (the earlier agent's names); unknown variables are ignored. */
export const AgentEnvSchema = z.object({
  NETWORK_POLICY_ROUTING_ENABLED: truthy.optional(),
  NETWORK_ROUTING_TABLE_BASE: z.coerce.number().int().min(1).max(4_000_000_000).optional(),
  NETWORK_ROUTE_METRIC: z.coerce.number().int().min(0).optional(),
  NETWORK_NOPREFIXROUTE: truthy.optional(),
  NETWORK_SET_ARP_SYSCTLS: truthy.optional(),
  NETWORK_SET_RP_FILTER_LOOSE: truthy.optional(),
  PREFLIGHT_ALLOW_UP: truthy.optional(),
  JOB_COMPLETE_ON_PARTIAL_FAILURE: truthy.optional(),
  AGENT_ACTION: z.enum(['', 'apply', 'cleanup']).optional(),
  PROBE_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
  PROBE_GATEWAY: truthy.optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  KUBERNETES_SERVICE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  PROBE_API_SERVER: truthy.optional(),
});
export type AgentEnv = z.infer<typeof AgentEnvSchema>;

export function networkOptionsFromEnv(env: AgentEnv): NetworkOptions {
  return {
    policyRouting: env.NETWORK_POLICY_ROUTING_ENABLED ?? DEFAULT_NETWORK_OPTIONS.policyRouting,
    tableBase: env.NETWORK_ROUTING_TABLE_BASE ?? DEFAULT_NETWORK_OPTIONS.tableBase,
    metricBase: env.NETWORK_ROUTE_METRIC ?? DEFAULT_NETWORK_OPTIONS.metricBase,
    noPrefixRoute: env.NETWORK_NOPREFIXROUTE ?? DEFAULT_NETWORK_OPTIONS.noPrefixRoute,
    arpSysctls: env.NETWORK_SET_ARP_SYSCTLS ?? DEFAULT_NETWORK_OPTIONS.arpSysctls,
    rpFilterLoose: env.NETWORK_SET_RP_FILTER_LOOSE ?? DEFAULT_NETWORK_OPTIONS.rpFilterLoose,
  };
}

export function probeOptionsFromEnv(env: AgentEnv): ProbeOptions {
  const apiServer =
    env.PROBE_API_SERVER === true && env.KUBERNETES_SERVICE_HOST !== undefined
      ? { host: env.KUBERNETES_SERVICE_HOST, port: env.KUBERNETES_SERVICE_PORT ?? 443 }
      : undefined;
  return {
    timeoutMs: env.PROBE_TIMEOUT_MS ?? DEFAULT_PROBE_OPTIONS.timeoutMs,
    intervalMs: DEFAULT_PROBE_OPTIONS.intervalMs,
    gateway: env.PROBE_GATEWAY ?? DEFAULT_PROBE_OPTIONS.gateway,
    ...(apiServer === undefined ? {} : { apiServer }),
  };
}

/** Routing table of a slot. */
export function tableOf(slot: number, options: NetworkOptions): number {
  return options.tableBase + slot;
}

/** Route metric of a slot. */
export function metricOf(slot: number, options: NetworkOptions): number {
  return options.metricBase + slot;
}
