import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, quoteId } from '../../../src/db/pool.js';
import { registry } from '../../../src/observability/metrics.js';
import { useDatabase } from '../../support/mariadb.js';

const test = useDatabase({ migrate: false });
const noSleep = async (): Promise<void> => undefined;

function gate(): { open: () => void; wait: Promise<void> } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

beforeAll(async () => {
  await test.pool.query('test', 'CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)');
  await test.pool.execute('test', 'INSERT INTO t VALUES (1, 0), (2, 0)');
});

describe('credential rotation', () => {
  const user = `mnrot_${Date.now().toString(36)}`;
  let secrets = '';

  beforeAll(async () => {
    secrets = await mkdtemp(join(tmpdir(), 'multinic-rot-'));
    await test.server.query('test', `CREATE USER ${quoteId(user)}@'%' IDENTIFIED BY 'first-password'`);
    await test.server.query('test', `GRANT ALL ON ${quoteId(test.name)}.* TO ${quoteId(user)}@'%'`);
  });
  afterAll(async () => {
    await test.server.query('test', `DROP USER IF EXISTS ${quoteId(user)}@'%'`);
    await rm(secrets, { recursive: true, force: true });
  });

  it('re-reads a rotated password file for new connections while a transaction in flight commits', async () => {
    const passwordFile = join(secrets, 'password');
    await writeFile(passwordFile, 'first-password\n');
    const db = createDatabase({ ...test.config, user, passwordFile }, { connectionLimit: 4 });
    try {
      expect(db.config.password).toBeUndefined();
      const inside = gate();
      const proceed = gate();
      const inFlight = db.withTransaction(async (tx) => {
        await tx.execute('test', 'UPDATE t SET v = v + 1 WHERE id = 1');
        inside.open();
        await proceed.wait;
        await tx.execute('test', 'UPDATE t SET v = v + 1 WHERE id = 1');
      });
      await inside.wait;

      await test.server.query('test', `ALTER USER ${quoteId(user)}@'%' IDENTIFIED BY 'second-password'`);
      await writeFile(passwordFile, 'second-password\n');
      // The only pooled connection is busy: this needs a new login, which the old password fails.
      const [row] = await db.select<{ who: string }>('test', 'SELECT CURRENT_USER() AS who');
      expect(row?.who).toBe(`${user}@%`);

      proceed.open();
      await inFlight;
      const [after] = await test.pool.select<{ v: number }>('test', 'SELECT v FROM t WHERE id = 1');
      expect(after?.v).toBe(2);
    } finally {
      await db.close();
    }
  });

  it('fails with a clear message when the password is wrong and the file did not change', async () => {
    const passwordFile = join(secrets, 'wrong');
    await writeFile(passwordFile, 'not-the-password');
    const db = createDatabase({ ...test.config, user, passwordFile });
    try {
      await expect(db.select('test', 'SELECT 1')).rejects.toThrow(
        `MariaDB refused user '${user}' at ${test.config.host}:${test.config.port} (password re-read, unchanged)`,
      );
    } finally {
      await db.close();
    }
  });
});

describe('withTransaction', () => {
  it('retries the transaction that lost a deadlock; both transactions take effect', async () => {
    const db = createDatabase(test.config, { connectionLimit: 4, sleep: noSleep });
    try {
      const bothLocked = { first: gate(), second: gate() };
      let attempts = 0;
      const cross = (a: number, b: number, mine: { open: () => void }, theirs: { wait: Promise<void> }) =>
        db.withTransaction(async (tx) => {
          attempts += 1;
          await tx.execute('test', 'UPDATE t SET v = v + 10 WHERE id = ?', [a]);
          mine.open();
          await theirs.wait;
          await tx.execute('test', 'UPDATE t SET v = v + 10 WHERE id = ?', [b]);
        });
      const [v1] = await db.select<{ v: number }>('test', 'SELECT v FROM t WHERE id = 1');
      const [v2] = await db.select<{ v: number }>('test', 'SELECT v FROM t WHERE id = 2');
      await Promise.all([
        cross(1, 2, bothLocked.first, bothLocked.second),
        cross(2, 1, bothLocked.second, bothLocked.first),
      ]);
      expect(attempts).toBe(3);
      const [w1] = await db.select<{ v: number }>('test', 'SELECT v FROM t WHERE id = 1');
      const [w2] = await db.select<{ v: number }>('test', 'SELECT v FROM t WHERE id = 2');
      expect([w1?.v, w2?.v]).toEqual([(v1?.v ?? 0) + 20, (v2?.v ?? 0) + 20]);
    } finally {
      await db.close();
    }
  });

  it('retries on a new connection when the server kills the connection mid-transaction', async () => {
    const db = createDatabase(test.config, { sleep: noSleep });
    try {
      let attempts = 0;
      await db.withTransaction(async (tx) => {
        attempts += 1;
        await tx.execute('test', 'UPDATE t SET v = 100 WHERE id = 1');
        if (attempts === 1) {
          const [me] = await tx.select<{ id: number }>('test', 'SELECT CONNECTION_ID() AS id');
          await test.server.query('test', `KILL ${Number(me?.id)}`);
        }
        await tx.execute('test', 'UPDATE t SET v = v + 1 WHERE id = 1');
      });
      expect(attempts).toBe(2);
      const [row] = await db.select<{ v: number }>('test', 'SELECT v FROM t WHERE id = 1');
      expect(row?.v).toBe(101);
    } finally {
      await db.close();
    }
  });

  it('rolls back and rethrows a non-transient error without retrying', async () => {
    let attempts = 0;
    await expect(
      test.pool.withTransaction(async (tx) => {
        attempts += 1;
        await tx.execute('test', 'UPDATE t SET v = -5 WHERE id = 2');
        await tx.execute('test', 'INSERT INTO t VALUES (1, 1)');
      }),
    ).rejects.toThrow(/Duplicate entry/);
    expect(attempts).toBe(1);
    const [row] = await test.pool.select<{ v: number }>('test', 'SELECT v FROM t WHERE id = 2');
    expect(row?.v).not.toBe(-5);
  });
});

describe('metrics', () => {
  it('times operations by name and status and counts open connections', async () => {
    await test.pool.select('metrics.probe', 'SELECT 1');
    await expect(test.pool.select('metrics.probe', 'SELECT * FROM missing_table')).rejects.toThrow();
    const text = await registry.metrics();
    expect(text).toMatch(
      /multinic_database_operation_duration_seconds_count\{operation="metrics.probe",status="ok"\} 1/,
    );
    expect(text).toMatch(
      /multinic_database_operation_duration_seconds_count\{operation="metrics.probe",status="error"\} 1/,
    );
    const open = /multinic_active_db_connections (\d+)/.exec(text);
    expect(Number(open?.[1])).toBeGreaterThan(0);
  });
});
