// The controller at scale against a real local control plane, real MariaDB and the OpenStack
// simulator with 2 ms per request: BENCH_VMS VMs × BENCH_PORTS ports (one management port that
// the subnet filter skips, the others on three target subnets).
//  (a) first sync: wall time, OpenStack calls, SQL statements, API-server writes, rows/s upserted;
//  (b) no-change resync: the same figures (target: 0 writes to the API server, 0 rows written);
//  (c) one port attached: the delta sync (1 node config written).
//   npx tsx bench/controller.bench.ts       (BENCH_VMS=1000, BENCH_PORTS=4, BENCH_LATENCY_MS=2)
import { crdManifests } from '../src/api/crds.js';
import { MULTINIC_NODE_CONFIG, OPENSTACK_CONFIG } from '../src/api/groups.js';
import { OpenstackConfigController } from '../src/controller/controller.js';
import { createDatabase, quoteId } from '../src/db/pool.js';
import { migrate } from '../src/db/migrate.js';
import { parseDatabaseUrl, withDatabase } from '../src/db/config.js';
import { createRepositories } from '../src/db/repositories.js';
import { startControlPlane } from '../src/dev/control-plane.js';
import { applyObject, createObject, listObjects } from '../src/kube/apply.js';
import { KubeHttp } from '../src/kube/http.js';
import { registry } from '../src/observability/metrics.js';
import { generateFixture, sequentialId } from '../src/openstack/simulator/fixture.js';
import { startOpenStackSim } from '../test/support/openstack-sim.js';

const VMS = Number(process.env['BENCH_VMS'] ?? 1000);
const PORTS = Number(process.env['BENCH_PORTS'] ?? 4);
const LATENCY = Number(process.env['BENCH_LATENCY_MS'] ?? 2);
const MARIADB = process.env['MULTINIC_MARIADB_URL'] ?? 'mysql://root@127.0.0.1:3306';

async function metricTotal(
  name: string,
  filter: (labels: Record<string, string | number | undefined>) => boolean = () => true,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const data = await metric.get();
  // Histograms: count the `_count` series; counters: their values.
  return data.values
    .filter((v) => {
      const metricName = (v as { metricName?: string }).metricName;
      return (metricName === undefined || metricName.endsWith('_count')) && filter(v.labels);
    })
    .reduce((sum, v) => sum + v.value, 0);
}

const SQL = 'multinic_database_operation_duration_seconds';
const isStatement = (labels: Record<string, string | number | undefined>): boolean =>
  !['sync_config', 'remove_config', 'transaction'].includes(String(labels['operation']));
const isWrite = (labels: Record<string, string | number | undefined>): boolean =>
  ['patch', 'post', 'put', 'delete'].includes(String(labels['verb']));

interface Figures {
  wallMs: number;
  openstack: number;
  sql: number;
  apiWrites: number;
  rowsWritten: number;
  phases: Record<string, number>;
}

const cp = await startControlPlane({ nodes: 1, mariadb: false });
const dbName = `mnbench_${Date.now().toString(36)}`;
const server = createDatabase(withDatabase(parseDatabaseUrl(`${MARIADB}/x`), ''), { connectionLimit: 2 });
const fixture = generateFixture({ vms: VMS, portsPerVm: PORTS, createdAt: '2099-01-01T00:00:00Z' });
const sim = await startOpenStackSim({ fixture, latencyMs: LATENCY });
let exitCode = 0;
try {
  await server.query(
    'bench.create',
    `CREATE DATABASE ${quoteId(dbName)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  );
  const db = createDatabase(parseDatabaseUrl(`${MARIADB}/${dbName}`), { connectionLimit: 10 });
  await migrate(db);
  const http = new KubeHttp(cp.adminKubeConfig);
  for (const crd of crdManifests()) await applyObject(http, crd as never, { fieldManager: 'bench' });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const namespace = 'bench';
  await createObject(http, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await createObject(http, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'openstack', namespace },
    stringData: {
      authURL: sim.authUrl,
      username: sim.credentials.username ?? '',
      password: sim.credentials.password,
      projectID: sim.credentials.projectId ?? '',
    },
  });
  const controller = new OpenstackConfigController({
    http,
    db,
    repositories: createRepositories(),
    nodeConfigNamespace: namespace,
    watchNamespace: namespace,
    events: false,
  });
  // Informers only: the bench drives the reconciler itself.
  controller.configs.start();
  controller.operators.start();
  controller.nodeConfigs.start();
  await Promise.all([
    controller.configs.waitForSync(),
    controller.operators.waitForSync(),
    controller.nodeConfigs.waitForSync(),
  ]);
  await createObject(http, {
    apiVersion: OPENSTACK_CONFIG.apiVersion,
    kind: OPENSTACK_CONFIG.kind,
    metadata: { name: 'bench', namespace },
    spec: {
      subnetIDs: Array.from({ length: PORTS - 1 }, (_, k) => sequentialId('5b', k + 2)),
      vmNames: Array.from({ length: VMS }, (_, v) => sequentialId('5e', v + 1)),
      credentials: { secretRef: { name: 'openstack' }, k8sProviderID: 'bench' },
      settings: { openstackNodeNameMetadataKey: 'k8s-node-name' },
      delivery: { namespace },
    },
  });
  const until = async (check: () => boolean | Promise<boolean>, what: string): Promise<void> => {
    const deadline = Date.now() + 120_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await until(() => controller.configs.get('bench', namespace) !== undefined, 'the config in the cache');
  const measure = async (label: string): Promise<Figures> => {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // informers catch up with our own writes
    const os0 = Object.values(sim.requestCounts()).reduce((a, b) => a + b, 0);
    const sql0 = await metricTotal(SQL, isStatement);
    const w0 = await metricTotal('multinic_kube_requests_total', isWrite);
    const since = new Date(Date.now() - 1);
    const started = performance.now();
    controller.reconciler.request(namespace, 'bench');
    const outcome = await controller.reconciler.reconcile(namespace, 'bench');
    const wallMs = performance.now() - started;
    if (outcome.result !== 'success' && outcome.result !== 'no_change')
      throw new Error(`${label}: ${JSON.stringify(outcome)}`);
    const sql = (await metricTotal(SQL, isStatement)) - sql0;
    const apiWrites = (await metricTotal('multinic_kube_requests_total', isWrite)) - w0;
    const openstack = Object.values(sim.requestCounts()).reduce((a, b) => a + b, 0) - os0;
    const [written] = await db.select<{ n: number }>(
      'bench.rows',
      'SELECT (SELECT COUNT(*) FROM multi_interface WHERE modified_at >= ?) + (SELECT COUNT(*) FROM node_table WHERE modified_at >= ? OR delivered_at >= ?) AS n',
      [since, since, since],
    );
    const figures: Figures = {
      wallMs,
      openstack,
      sql,
      apiWrites,
      rowsWritten: Number(written?.n ?? 0),
      phases: outcome.phasesMs ?? {},
    };
    console.log(
      `${label.padEnd(22)} wall ${figures.wallMs.toFixed(0).padStart(6)} ms | OpenStack calls ${String(figures.openstack).padStart(4)} | ` +
        `SQL statements ${String(figures.sql).padStart(5)} | API-server writes ${String(figures.apiWrites).padStart(5)} | ` +
        `rows written ${String(figures.rowsWritten).padStart(5)} | ` +
        `result ${outcome.result} | phases ${JSON.stringify(outcome.phasesMs ?? {})}`,
    );
    return figures;
  };
  console.log(
    `controller bench: ${VMS} VMs × ${PORTS} ports (${VMS * (PORTS - 1)} managed), simulator latency ${LATENCY} ms`,
  );
  const first = await measure('first sync');
  const persisted = await db.select<{ n: number }>(
    'bench.count',
    'SELECT COUNT(*) AS n FROM multi_interface WHERE deleted_at IS NULL',
  );
  const syncSeconds = await metricTotal(`${SQL}`, (l) => l['operation'] === 'sync_config');
  const configs = await listObjects(http, MULTINIC_NODE_CONFIG, { namespace });
  console.log(
    `  rows: ${persisted[0]?.n} interfaces, node configs: ${configs.length}, sync transactions: ${syncSeconds}`,
  );
  // Let the informers see our own writes, as they would before a timed resync.
  await until(
    () =>
      controller.nodeConfigs.list().length === VMS &&
      (controller.configs.get('bench', namespace)?.['status'] as { lastSyncedAt?: string } | undefined)
        ?.lastSyncedAt !== undefined,
    'informers to catch up',
  );
  const resync = await measure('no-change resync');
  const resync2 = await measure('no-change resync #2');
  sim.admin.addPort({
    network_id: sequentialId('4e', 2),
    mac_address: 'fa:16:3e:ff:ff:01',
    device_id: sequentialId('5e', 1),
    status: 'ACTIVE',
    fixed_ips: [{ subnet_id: sequentialId('5b', 2), ip_address: '10.1.250.1' }],
  });
  const delta = await measure('one port attached');
  console.log(
    `ratios: resync/first wall ${(resync.wallMs / first.wallMs).toFixed(2)}, OpenStack calls per VM (first) ${(first.openstack / VMS).toFixed(3)}, ` +
      `API writes per node (first) ${(first.apiWrites / VMS).toFixed(2)}, interface rows upserted/s in the sync transaction (first) ${((VMS * (PORTS - 1)) / ((first.phases['persist'] ?? first.wallMs) / 1000)).toFixed(0)}, ` +
      `node-config writes/s (first) ${(first.apiWrites / ((first.phases['deliver'] ?? first.wallMs) / 1000)).toFixed(1)}`,
  );
  // The first resync after a change writes the status once (Ready reason Synced -> NoChange).
  const ok =
    resync.apiWrites <= 1 &&
    resync2.apiWrites === 0 &&
    resync.rowsWritten === 0 &&
    resync2.rowsWritten === 0 &&
    delta.apiWrites >= 1;
  console.log(
    `steady no-change resync writes: API ${resync2.apiWrites}, rows ${resync2.rowsWritten} -> ${ok ? 'OK (target 0)' : 'NOT 0'}` +
      ` (first resync after the change: ${resync.apiWrites} status write, Synced -> NoChange)`,
  );
  if (!ok) exitCode = 1;
  await Promise.all([controller.configs.stop(), controller.operators.stop(), controller.nodeConfigs.stop()]);
  await controller.reconciler.close();
  await db.close();
} catch (err) {
  console.error('controller bench failed:', err);
  exitCode = 1;
} finally {
  await server.query('bench.drop', `DROP DATABASE IF EXISTS ${quoteId(dbName)}`).catch(() => undefined);
  await server.close();
  await sim.stop();
  await cp.stop();
}
process.exit(exitCode);
