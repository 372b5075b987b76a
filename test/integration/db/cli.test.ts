import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/commands/db.js';
import { quoteId } from '../../../src/db/pool.js';
import { databaseUrl, uniqueDatabaseName, useDatabase } from '../../support/mariadb.js';

const test = useDatabase({ migrate: false });
let directory = '';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'multinic-cli-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `multinic db ...` in-process; returns the exit code and the JSON it printed. */
async function db(...args: string[]): Promise<{ code: number; output: unknown }> {
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await run(args);
  vi.restoreAllMocks();
  return { code, output: printed.length > 0 ? JSON.parse(printed.join('\n')) : undefined };
}

describe('multinic db', () => {
  it('migrate applies the schema once', async () => {
    expect(await db('migrate', '--url', test.url)).toEqual({ code: 0, output: { applied: [1], version: 1 } });
    expect(await db('migrate', '--url', test.url)).toEqual({ code: 0, output: { applied: [], version: 1 } });
  });

  it('migrate creates a database that does not exist yet', async () => {
    const name = uniqueDatabaseName('mncli');
    try {
      expect(await db('migrate', '--url', databaseUrl(name))).toEqual({
        code: 0,
        output: { applied: [1], version: 1, createdDatabase: name },
      });
    } finally {
      await test.server.query('test', `DROP DATABASE IF EXISTS ${quoteId(name)}`);
    }
  });

  it('backup, verify, restore into another database, verify there; verify fails after a change', async () => {
    await test.pool.execute(
      'test',
      "INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id) VALUES ('s1', 'data', '10.0.0.0/24', 'n1')",
    );
    const made = await db('backup', '--url', test.url, '--dir', directory, '--retention', '2');
    expect(made.code).toBe(0);
    const manifest = (made.output as { manifestPath: string }).manifestPath;
    expect((await readdir(directory)).length).toBe(2);

    expect((await db('verify', '--url', test.url, '--manifest', manifest)).code).toBe(0);

    const target = uniqueDatabaseName('mncli');
    try {
      const restored = await db(
        'restore',
        '--url',
        test.url,
        '--from',
        manifest,
        '--database',
        target,
        '--migrate',
      );
      expect(restored).toMatchObject({
        code: 0,
        output: { database: target, schemaVersion: 1, migrated: [] },
      });
      expect((await db('verify', '--url', databaseUrl(target), '--manifest', manifest)).code).toBe(0);
    } finally {
      await test.server.query('test', `DROP DATABASE IF EXISTS ${quoteId(target)}`);
    }

    await test.pool.execute('test', "UPDATE multi_subnet SET cidr = '10.0.1.0/24'");
    const differs = await db('verify', '--url', test.url, '--manifest', manifest);
    expect(differs.code).toBe(1);
    expect(differs.output).toMatchObject({ ok: false, differences: [{ table: 'multi_subnet' }] });
  });

  it('reads the password from --password-file', async () => {
    const file = join(directory, 'password');
    await writeFile(file, '\n');
    expect((await db('migrate', '--url', test.url, '--password-file', file)).code).toBe(0);
  });

  it('exits 2 on usage errors and 1 on failures', async () => {
    expect((await db()).code).toBe(2);
    expect((await db('explode')).code).toBe(2);
    expect((await db('restore', '--url', test.url)).code).toBe(2);
    expect((await db('backup', '--url', test.url, '--retention', '0')).code).toBe(2);
    expect((await db('verify', '--url', test.url, '--manifest', join(directory, 'missing.json'))).code).toBe(
      1,
    );
  });
});
