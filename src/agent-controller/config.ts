// The agent-controller's configuration: one zod schema over the environment the
// MultiNicAgentController construct sets (plus the earlier agent-controller's names), parsed once at start-up.
import { z } from 'zod';
import { AGENT_JOB_DEFAULTS_ENV } from '../constructs/agent/agent-controller.js';
import type { AgentJobDefaults } from '../constructs/agent/agent-job.js';

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label')
  .max(63);

export const agentControllerEnvSchema = z.object({
  NODE_CR_NAMESPACE: dnsLabel.optional(),
  CONTROLLER_NAMESPACE: dnsLabel.optional(),
  POD_NAMESPACE: dnsLabel.optional(),
  POD_NAME: z.string().optional(),
  AGENT_NAMESPACE: dnsLabel.default('multinic-agent'),
  AGENT_MODE: z.enum(['job', 'daemonset']).default('job'),
  MAX_CONCURRENT_NODES: z.coerce.number().int().min(1).max(1000).default(1),
  AGENT_NODE_SELECTOR: json(z.record(z.string(), z.string())).optional(),
  [AGENT_JOB_DEFAULTS_ENV]: json(z.record(z.string(), z.unknown())).optional(),
  WORKERS: z.coerce.number().int().min(1).max(64).default(8),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8082),
  LEADER_ELECTION: z.enum(['true', 'false']).default('true'),
  LEASE_NAME: z.string().default('multinic-agent-controller'),
});

export interface AgentControllerConfig {
  nodeConfigNamespace: string;
  agentNamespace: string;
  leaseNamespace: string;
  identity: string;
  maxConcurrentNodes: number;
  nodeSelector: Record<string, string>;
  jobDefaults: AgentJobDefaults;
  workers: number;
  healthPort: number;
  leaderElection: boolean;
  leaseName: string;
}

/** Parses the environment; throws an Error that names every bad variable. */
export function parseAgentControllerConfig(env: NodeJS.ProcessEnv, hostname: string): AgentControllerConfig {
  const parsed = agentControllerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new Error(`agent-controller configuration is invalid: ${problems}`);
  }
  const e = parsed.data;
  if (e.AGENT_MODE === 'daemonset') {
    throw new Error("AGENT_MODE 'daemonset' is not supported by this agent-controller; use 'job'");
  }
  const nodeConfigNamespace =
    e.NODE_CR_NAMESPACE ?? e.CONTROLLER_NAMESPACE ?? e.POD_NAMESPACE ?? 'multinic-system';
  return {
    nodeConfigNamespace,
    agentNamespace: e.AGENT_NAMESPACE,
    leaseNamespace: e.POD_NAMESPACE ?? nodeConfigNamespace,
    identity: `${e.POD_NAME ?? hostname}-${Math.random().toString(16).slice(2, 8)}`,
    maxConcurrentNodes: e.MAX_CONCURRENT_NODES,
    nodeSelector: e.AGENT_NODE_SELECTOR ?? {},
    jobDefaults: (e[AGENT_JOB_DEFAULTS_ENV] ?? {}) as AgentJobDefaults,
    workers: e.WORKERS,
    healthPort: e.HEALTH_PORT,
    leaderElection: e.LEADER_ELECTION === 'true',
    leaseName: e.LEASE_NAME,
  };
}
