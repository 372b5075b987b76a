// The recovery drill of issue 9: 10,000 interface rows through the controller's repositories ->
// backup -> drop the database -> restore -> verify -> the controller resumes on its old pool
// with no duplicate rows and no lost netplan_success values.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backup, restore, verify } from '../../../src/db/backup.js';
import type { BackupResult } from '../../../src/db/backup.js';
import { quoteId } from '../../../src/db/pool.js';
import { createRepositories, persistConfigSnapshot } from '../../../src/db/repositories.js';
import { serverConfig, useDatabase } from '../../support/mariadb.js';
import { OWNER, snapshot } from './fixtures.js';

const test = useDatabase();
const repos = createRepositories();
const data = snapshot(1000, 10, 2);
let directory = '';
let made: BackupResult | undefined;

afterAll(async () => {
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

async function count(sql: string): Promise<number> {
  const [row] = await test.pool.select<{ n: number | string }>('test', sql);
  return Number(row?.n);
}

describe('recovery drill', () => {
  it('loads 10,000 interface rows through the repositories and records agent results', async () => {
    const first = await persistConfigSnapshot(test.pool, repos, data);
    expect(first.interfaces.inserted).toBe(10_000);
    const even = data.interfaces
      .filter((_, index) => index % 2 === 0)
      .map((r) => ({ portId: r.portId, success: true }));
    expect(await repos.interfaces.recordAgentResults(test.pool, even)).toBe(5000);
  });

  it('backs up, survives dropping the database, restores, and verifies row counts and checksums', async () => {
    directory = await mkdtemp(join(tmpdir(), 'multinic-drill-'));
    made = await backup(test.pool, { directory, retention: 3 });
    expect(made.manifest.tables['multi_interface']?.rows).toBe(10_000);
    expect(made.manifest.tables['node_table']?.rows).toBe(1000);

    await test.server.query('test.drop', `DROP DATABASE ${quoteId(test.name)}`);
    const restored = await restore(serverConfig(), { from: made.manifestPath });
    expect(restored.database).toBe(test.name);
    expect(restored.tables).toEqual(made.manifest.tables);

    const check = await verify(test.pool, made.manifest);
    expect(check).toEqual({ ok: true, schemaVersion: { expected: 1, actual: 1 }, differences: [] });
  });

  it('lets the controller resume on its old pool: no duplicates, no lost netplan_success, 0 writes on resync', async () => {
    const resync = await persistConfigSnapshot(test.pool, repos, data);
    expect(resync.writes).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM multi_interface')).toBe(10_000);
    expect(await count('SELECT COUNT(DISTINCT port_id) AS n FROM multi_interface')).toBe(10_000);
    expect(await count('SELECT COUNT(*) AS n FROM multi_interface WHERE netplan_success = 1')).toBe(5000);

    const shrink = await persistConfigSnapshot(test.pool, repos, {
      ...data,
      interfaces: data.interfaces.slice(0, -1),
    });
    expect(shrink.interfaces.removed).toHaveLength(1);
    expect(shrink.writes).toBe(1);
    expect((await repos.interfaces.summary(test.pool, OWNER)).interfaces).toBe(9999);
  });

  it('shows a live change as a verify difference', async () => {
    if (made === undefined) throw new Error('backup step did not run');
    const check = await verify(test.pool, made.manifest);
    expect(check.ok).toBe(false);
    expect(check.differences.map((d) => d.table)).toEqual(['multi_interface']);
  });
});
