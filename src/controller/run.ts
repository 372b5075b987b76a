// Process wiring of `multinic controller`: health server (live at once, ready when leading with
// synced caches and a reachable, migrated database), database preparation (create it when
// missing, migrate; a MariaDB that is not up yet is waited for until a deadline, not ready
// meanwhile, instead of crash-looping), the inventory API + webhook
// trigger on every replica (it reads MariaDB, so every replica answers the same), Lease-based leader election, and the
// controller while leading. Losing the lease ends the process (exit 1) so a fresh start re-syncs.
import { readFile } from 'node:fs/promises';
import { createDatabase } from '../db/pool.js';
import type { Database } from '../db/pool.js';
import { prepareDatabase } from '../db/migrate.js';
import { createRepositories } from '../db/repositories.js';
import { runWithLeadership } from '../kube/leader-election.js';
import type { KubeHttp } from '../kube/http.js';
import { enableProcessMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { startHealthServer } from '../observability/server.js';
import type { ControllerConfig } from './config.js';
import { OpenstackConfigController } from './controller.js';
import { startInventoryServer } from './inventory.js';
import type { InventoryServer } from './inventory.js';

export interface RunControllerOptions {
  http: KubeHttp;
  logger: Logger;
  config: ControllerConfig;
  /** Resolves when the process should stop (signals). */
  stopped: Promise<void>;
  /** @default - a pool on config.database */
  db?: Database;
}

export async function runController(options: RunControllerOptions): Promise<number> {
  const { http, logger, config } = options;
  enableProcessMetrics();
  const db =
    options.db ??
    (config.database !== undefined
      ? createDatabase(config.database, { logger, connectionLimit: 10 })
      : undefined);
  if (db === undefined) logger.warn('no database configured: node configs only, no inventory API');
  let prepared = db === undefined || !config.migrate;
  const repositories = createRepositories();
  let controller: OpenstackConfigController | undefined;
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
      database: async () => {
        if (!prepared) return 'database not created or migrated yet';
        await db?.ping();
        return true;
      },
    },
  });
  if (!prepared && db !== undefined) {
    const stopping = new AbortController();
    void options.stopped.then(() => stopping.abort());
    try {
      await prepareDatabase(db, { logger, deadlineMs: config.databaseWaitMs, signal: stopping.signal });
      prepared = true;
    } catch (error) {
      await server.close();
      if (options.db === undefined) await db.close();
      if (stopping.signal.aborted) return 0;
      throw error;
    }
  }
  let inventory: InventoryServer | undefined;
  if (config.inventory !== undefined && db !== undefined) {
    const tokenFile = config.triggerTokenFile;
    inventory = await startInventoryServer({
      db,
      repositories,
      port: config.inventory.port,
      host: config.inventory.host,
      logger,
      ...(tokenFile !== undefined
        ? {
            triggerToken: async () => (await readFile(tokenFile, 'utf8').catch(() => '')).trim() || undefined,
          }
        : {}),
      // Only the leader reconciles; a non-leader accepts nothing.
      onTrigger: (namespace, name) => controller?.trigger(namespace, name) ?? [],
    });
  }
  const startController = (): void => {
    controller = new OpenstackConfigController({
      http,
      ...(db !== undefined ? { db, repositories } : {}),
      nodeConfigNamespace: config.nodeConfigNamespace,
      workers: config.workers,
      logger,
      ...(config.watchNamespace !== undefined ? { watchNamespace: config.watchNamespace } : {}),
      ...(config.operator !== undefined ? { operator: config.operator } : {}),
      ...(config.violaEndpoint !== undefined ? { violaEndpoint: config.violaEndpoint } : {}),
      insecureKubeconfigExec: config.insecureKubeconfigExec,
      allowedEndpointHosts: config.allowedEndpointHosts,
    });
    controller.start().catch((err: unknown) => logger.error('controller failed to start', { error: err }));
  };
  const leadership = runWithLeadership({
    http,
    logger,
    lease: config.leaderElection
      ? { namespace: config.namespace, name: config.leaseName, identity: config.identity }
      : undefined,
    start: startController,
  });
  isLeader = () => leadership.isLeader();
  logger.info('controller running', {
    nodeConfigNamespace: config.nodeConfigNamespace,
    inventory: config.inventory,
    leaderElection: config.leaderElection,
  });
  await Promise.race([options.stopped, leadership.lost]);
  const lost = leadership.hasLost();
  await controller?.stop();
  await leadership.stop();
  await inventory?.close();
  await server.close();
  if (options.db === undefined) await db?.close();
  if (lost) logger.error('lost leadership; exiting so that a new start re-syncs');
  return lost ? 1 : 0;
}
