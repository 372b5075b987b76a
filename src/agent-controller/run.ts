// Process wiring of `multinic agent-controller`: health server first (live at once, ready when
// leading with synced caches), Lease-based leader election, the controller while leading.
// Losing the lease stops the controller and ends the process (exit code 1) so that a fresh
// start re-syncs; SIGTERM releases the lease for a fast hand-over.
import { hostname } from 'node:os';
import { runWithLeadership } from '../kube/leader-election.js';
import type { KubeHttp } from '../kube/http.js';
import { enableProcessMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { startHealthServer } from '../observability/server.js';
import { parseAgentControllerConfig, type AgentControllerConfig } from './config.js';
import { AgentController } from './controller.js';

export interface RunAgentControllerOptions {
  http: KubeHttp;
  logger: Logger;
  config?: AgentControllerConfig;
  /** Resolves when the process should stop (signals). */
  stopped: Promise<void>;
}

export async function runAgentController(options: RunAgentControllerOptions): Promise<number> {
  const { http, logger } = options;
  const config = options.config ?? parseAgentControllerConfig(process.env, hostname());
  enableProcessMetrics();
  let controller: AgentController | undefined;
  // Health is served before the election starts, so a bad port fails before any Lease is taken.
  let isLeader = (): boolean => false;
  const server = await startHealthServer({
    port: config.healthPort,
    logger,
    readiness: {
      // Readiness never waits for leadership: a standby replica is Ready and takes the Lease when
      // the leader goes, so a rolling update of a one-replica Deployment can complete (the new
      // pod must be Ready before the old one, holding the Lease, is stopped).
      informers: () => !isLeader() || controller?.hasSynced() === true || 'caches not synced',
    },
  });
  const startController = (): void => {
    controller = new AgentController({
      http,
      logger,
      nodeConfigNamespace: config.nodeConfigNamespace,
      agentNamespace: config.agentNamespace,
      maxConcurrentNodes: config.maxConcurrentNodes,
      nodeSelector: config.nodeSelector,
      jobDefaults: config.jobDefaults,
      workers: config.workers,
    });
    controller
      .start()
      .catch((err: unknown) => logger.error('agent-controller failed to start', { error: err }));
  };
  const leadership = runWithLeadership({
    http,
    logger,
    lease: config.leaderElection
      ? { namespace: config.leaseNamespace, name: config.leaseName, identity: config.identity }
      : undefined,
    start: startController,
  });
  isLeader = () => leadership.isLeader();
  logger.info('agent-controller running', {
    nodeConfigNamespace: config.nodeConfigNamespace,
    agentNamespace: config.agentNamespace,
    maxConcurrentNodes: config.maxConcurrentNodes,
    leaderElection: config.leaderElection,
  });
  await Promise.race([options.stopped, leadership.lost]);
  const lost = leadership.hasLost();
  await controller?.stop();
  await leadership.stop();
  await server.close();
  if (lost) logger.error('lost leadership; exiting so that a new start re-syncs');
  return lost ? 1 : 0;
}
