// A controller that starts before MariaDB is up (the internal MariaDB of a fresh install still
// initialising) waits for it, not ready meanwhile, and creates its database when it is missing,
// like `multinic db migrate` does. Real parts: the API server, MariaDB behind a TCP proxy that
// refuses connections until the test lets them through.
import type { KubernetesObject } from '@kubernetes/client-node';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../../src/api/crds.js';
import { parseControllerConfig } from '../../../src/controller/config.js';
import { runController } from '../../../src/controller/run.js';
import { schemaVersion } from '../../../src/db/migrate.js';
import { createDatabase, quoteId } from '../../../src/db/pool.js';
import { MIGRATIONS } from '../../../src/db/schema.js';
import { KubeHttp } from '../../../src/kube/http.js';
import { createLogger } from '../../../src/observability/logger.js';
import { adminClients, applyManifests, useNamespace, waitFor } from '../../support/kube.js';
import { MARIADB_URL, connectServer, uniqueDatabaseName } from '../../support/mariadb.js';
import { TcpProxy } from './tcp-proxy.js';

const ns = useNamespace('db-start');
const name = uniqueDatabaseName('mnstart');
let proxy: TcpProxy;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function readyz(port: number): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz?verbose`);
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  await applyManifests(crdManifests() as KubernetesObject[]);
  const upstream = new URL(MARIADB_URL);
  proxy = new TcpProxy(upstream.hostname, Number(upstream.port || 3306));
  await proxy.start();
});

afterAll(async () => {
  await proxy?.stop();
  const server = await connectServer();
  await server.query('test.drop_database', `DROP DATABASE IF EXISTS ${quoteId(name)}`);
  await server.close();
});

describe('controller start-up', () => {
  it('item 14: waits for MariaDB that is not up yet (not ready meanwhile), then creates the missing database and migrates it', async () => {
    proxy.cut();
    const url = new URL(MARIADB_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    url.pathname = `/${name}`;
    const healthPort = await freePort();
    const config = parseControllerConfig(
      {
        POD_NAMESPACE: ns.name,
        WATCH_NAMESPACE: ns.name,
        DATABASE_URL: url.toString(),
        HEALTH_PORT: String(healthPort),
        INVENTORY_ENABLED: 'false',
        LEADER_ELECTION: 'false',
      },
      'database-start-test',
    );
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    let settled: string | undefined;
    const running = runController({
      http: new KubeHttp(adminClients().kc),
      logger: createLogger({ level: 'error' }, { role: 'controller' }),
      config,
      stopped,
    }).then(
      (code) => (settled = `exited ${code}`),
      (error: unknown) => (settled = `failed: ${(error as Error).message}`),
    );
    try {
      // Not ready while MariaDB refuses connections, for longer than a single connect's retries.
      const notReady = await waitFor(
        async () => {
          const answer = await readyz(healthPort);
          return answer?.status === 503 && /database/.test(answer.body) ? answer : undefined;
        },
        { what: '/readyz 503 naming the database', timeout: 20_000 },
      );
      expect(notReady.body).toMatch(/database.*not created or migrated yet/);
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(settled).toBeUndefined();
      expect((await readyz(healthPort))?.status).toBe(503);

      proxy.restore();
      const direct = createDatabase(
        { ...config.database!, host: url.hostname, port: proxy.port, database: name },
        { maxAttempts: 1 },
      );
      try {
        await waitFor(
          async () => ((await schemaVersion(direct).catch(() => 0)) === MIGRATIONS.length ? true : undefined),
          { what: `database ${name} created and migrated`, timeout: 60_000 },
        );
      } finally {
        await direct.close();
      }
      const ready = await waitFor(
        async () => {
          const answer = await readyz(healthPort);
          return answer !== undefined && !/database.*(not created|fail)/i.test(answer.body)
            ? answer
            : undefined;
        },
        { what: '/readyz database check passing', timeout: 30_000 },
      );
      expect(ready.body).not.toMatch(/not created or migrated/);
      expect(settled).toBeUndefined();
    } finally {
      stop();
      await running;
    }
    expect(settled).toBe('exited 0');
  });
});
