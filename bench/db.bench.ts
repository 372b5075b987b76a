// MariaDB figures: repository upsert throughput (first sync and no-change resync of 1,000 VMs x
// 4 ports), and backup/restore wall time at 10k and 100k interface rows (the RTO figure).
// Needs MariaDB at MULTINIC_MARIADB_URL or mysql://root@127.0.0.1:3306; uses scratch databases.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup, restore, verify } from '../src/db/backup.js';
import { parseDatabaseUrl, withDatabase } from '../src/db/config.js';
import { migrate } from '../src/db/migrate.js';
import { createDatabase, quoteId } from '../src/db/pool.js';
import type { Database } from '../src/db/pool.js';
import { createRepositories, persistConfigSnapshot } from '../src/db/repositories.js';
import type { ConfigSnapshot } from '../src/db/repositories.js';
import { registry } from '../src/observability/metrics.js';

const url = new URL(process.env['MULTINIC_MARIADB_URL'] ?? 'mysql://root@127.0.0.1:3306');
url.pathname = '/x';
const server = withDatabase(parseDatabaseUrl(url.toString()), '');

function uuid(kind: number, n: number): string {
  return `${kind.toString(16)}0000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function snapshot(vms: number, portsPerVm: number): ConfigSnapshot {
  return {
    owner: { namespace: 'bench', name: 'config' },
    subnets: [0, 1].map((s) => ({
      subnetId: uuid(1, s),
      subnetName: `s${s}`,
      cidr: `10.${s}.0.0/16`,
      networkId: uuid(2, s),
    })),
    nodes: Array.from({ length: vms }, (_, n) => ({
      nodeId: uuid(3, n),
      nodeName: `vm-${n}`,
      providerId: 'bench',
    })),
    interfaces: Array.from({ length: vms * portsPerVm }, (_, i) => {
      const n = Math.floor(i / portsPerVm);
      const p = i % portsPerVm;
      const hex = i.toString(16).padStart(6, '0');
      return {
        portId: uuid(4, i),
        subnetId: uuid(1, p % 2),
        networkId: uuid(2, p % 2),
        macAddress: `fa:16:3e:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4)}`,
        nodeId: uuid(3, n),
        nodeName: `vm-${n}`,
        interfaceIndex: p,
        address: `10.${p % 2}.${Math.floor(n / 250)}.${(n % 250) + 1}`,
        mtu: 1450,
      };
    }),
  };
}

async function statements(): Promise<number> {
  const metric = await registry.getSingleMetric('multinic_database_operation_duration_seconds')?.get();
  return (metric?.values ?? [])
    .filter(
      (v) =>
        (v as { metricName?: string }).metricName === 'multinic_database_operation_duration_seconds_count',
    )
    .filter((v) => !['sync_config', 'transaction'].includes(String(v.labels['operation'])))
    .reduce((sum, v) => sum + v.value, 0);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function scratch(admin: Database, label: string): Promise<{ name: string; db: Database }> {
  const name = `mnbench_${label}_${randomBytes(3).toString('hex')}`;
  await admin.query('bench', `CREATE DATABASE ${quoteId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const db = createDatabase(withDatabase(server, name));
  await migrate(db);
  return { name, db };
}

const admin = createDatabase(server, { maxAttempts: 1 });
const created: string[] = [];
const directory = await mkdtemp(join(tmpdir(), 'multinic-bench-'));
try {
  await admin.ping().catch((error: unknown) => {
    throw new Error(`MariaDB at ${url.host} is unreachable: ${(error as Error).message}`);
  });
  const repos = createRepositories();

  // Upsert throughput: 1,000 VMs x 4 ports.
  {
    const { name, db } = await scratch(admin, 'upsert');
    created.push(name);
    const data = snapshot(1000, 4);
    const s0 = await statements();
    const first = await timed(() => persistConfigSnapshot(db, repos, data));
    const s1 = await statements();
    const again = await timed(() => persistConfigSnapshot(db, repos, data));
    const s2 = await statements();
    console.log('upsert (1,000 VMs x 4 ports = 4,000 interface rows, one transaction each):');
    console.log(
      `  first sync      ${first.ms.toFixed(0).padStart(6)} ms  ${((4000 / first.ms) * 1000).toFixed(0).padStart(6)} rows/s  ` +
        `writes ${first.value.writes}  SQL statements ${s1 - s0}`,
    );
    console.log(
      `  no-change sync  ${again.ms.toFixed(0).padStart(6)} ms  ${((4000 / again.ms) * 1000).toFixed(0).padStart(6)} rows/s  ` +
        `writes ${again.value.writes}  SQL statements ${s2 - s1}`,
    );
    console.log(`  resync / first-sync time ratio: ${(again.ms / first.ms).toFixed(2)}`);
    await db.close();
  }

  // Backup / restore wall time (RTO) at 10k and 100k interface rows.
  for (const [label, vms] of [
    ['10k', 1000],
    ['100k', 10000],
  ] as const) {
    const { name, db } = await scratch(admin, label);
    created.push(name);
    const load = await timed(() => persistConfigSnapshot(db, repos, snapshot(vms, 10)));
    console.log(
      `\n${label} interface rows (${vms} VMs x 10 ports): loaded through the repositories in ${load.ms.toFixed(0)} ms`,
    );
    for (const tool of ['mariadb-dump', 'native'] as const) {
      const made = await timed(() => backup(db, { directory, tool }));
      const target = `${name}_r${tool === 'native' ? 'n' : 'm'}`;
      created.push(target);
      const back = await timed(() => restore(server, { from: made.value.manifestPath, database: target }));
      const restoredDb = createDatabase(withDatabase(server, target));
      const check = await verify(restoredDb, made.value.manifest);
      await restoredDb.close();
      console.log(
        `  ${tool.padEnd(12)} backup ${made.ms.toFixed(0).padStart(6)} ms (${(made.value.manifest.dump.bytes / 1024).toFixed(0)} KiB gz)` +
          `  restore (RTO: load, check, swap) ${back.ms.toFixed(0).padStart(6)} ms  verify ${check.ok ? 'ok' : 'FAILED'}` +
          `  restore/backup ratio ${(back.ms / made.ms).toFixed(1)}`,
      );
    }
    await db.close();
  }
} finally {
  for (const name of created) await admin.query('bench', `DROP DATABASE IF EXISTS ${quoteId(name)}`);
  await admin.close();
  await rm(directory, { recursive: true, force: true });
}
