import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupIntegrityError,
  FutureSchemaError,
  backup,
  pruneBackups,
  readManifest,
  restore,
  verify,
} from '../../../src/db/backup.js';
import type { BackupManifest, BackupResult } from '../../../src/db/backup.js';
import { createDatabase, quoteId } from '../../../src/db/pool.js';
import { createRepositories, persistConfigSnapshot } from '../../../src/db/repositories.js';
import { SCHEMA_VERSION } from '../../../src/db/schema.js';
import { serverConfig, uniqueDatabaseName, useDatabase } from '../../support/mariadb.js';
import { snapshot } from './fixtures.js';

const test = useDatabase();
const repos = createRepositories();
let directory = '';
let made: BackupResult;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'multinic-backup-'));
  await persistConfigSnapshot(test.pool, repos, snapshot(50, 4, 2));
  made = await backup(test.pool, { directory, now: () => new Date('2026-11-23T01:00:00.000Z') });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function databasesLike(prefix: string): Promise<string[]> {
  const rows = await test.server.select<{ name: string }>(
    'test',
    'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?',
    [`${prefix}%`],
  );
  return rows.map((row) => row.name);
}

async function dropDatabase(name: string): Promise<void> {
  await test.server.query('test', `DROP DATABASE IF EXISTS ${quoteId(name)}`);
}

/** Writes a variant of the backup (dump bytes and manifest edits) under a new name. */
async function variant(
  name: string,
  dump: Buffer,
  edit: (manifest: BackupManifest) => void,
): Promise<string> {
  const manifest = JSON.parse(await readFile(made.manifestPath, 'utf8')) as BackupManifest;
  const dumpFile = `${name}.sql.gz`;
  await writeFile(join(directory, dumpFile), dump);
  manifest.dump = {
    file: dumpFile,
    bytes: dump.length,
    sha256: createHash('sha256').update(dump).digest('hex'),
  };
  edit(manifest);
  const path = join(directory, `${name}.manifest.json`);
  await writeFile(path, JSON.stringify(manifest));
  return path;
}

describe('backup', () => {
  it('writes a gzip dump and a manifest (schema version, row counts, checksums, digest), both 0600', async () => {
    const { manifest } = made;
    expect(manifest).toMatchObject({
      format: 'multinic-db-backup/1',
      database: test.name,
      schemaVersion: SCHEMA_VERSION,
      createdAt: '2026-11-23T01:00:00.000Z',
      tool: { name: 'mariadb-dump' },
      checksumAlgorithm: 'sha256-xor64/1',
    });
    expect(manifest.tool.version).toMatch(/Distrib|Ver/);
    expect(manifest.tables['multi_interface']).toEqual({
      rows: 200,
      checksum: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(manifest.tables['schema_migrations']?.rows).toBe(SCHEMA_VERSION);
    const dump = await readFile(made.dumpPath);
    expect(gunzipSync(dump).toString()).toMatch(/-- Dump completed/);
    expect(manifest.dump.sha256).toBe(createHash('sha256').update(dump).digest('hex'));
    expect((await stat(made.dumpPath)).mode & 0o777).toBe(0o600);
    expect((await stat(made.manifestPath)).mode & 0o777).toBe(0o600);
  });

  it('gives mariadb-dump the password in a 0600 defaults file, never in argv or env', async () => {
    const user = `mnbk_${Date.now().toString(36)}`;
    const password = `mnpw-${Date.now()}"\\x`;
    await test.server.query('test', `CREATE USER ${quoteId(user)}@'%' IDENTIFIED BY ?`, [password]);
    await test.server.query('test', `GRANT ALL ON ${quoteId(test.name)}.* TO ${quoteId(user)}@'%'`);
    const secrets = await mkdtemp(join(tmpdir(), 'multinic-secret-'));
    const passwordFile = join(secrets, 'password');
    await writeFile(passwordFile, password + '\n');
    const spy = join(secrets, 'spy.sh');
    const log = join(secrets, 'spy.log');
    await writeFile(
      spy,
      `#!/bin/sh\nfor a in "$@"; do echo "ARG $a"; done >> ${log}\nenv >> ${log}\n` +
        `case "$1" in --defaults-extra-file=*) f="\${1#--defaults-extra-file=}"; echo "MODE $(stat -c %a "$f")" >> ${log};; esac\n` +
        'exec mariadb-dump "$@"\n',
    );
    await chmod(spy, 0o755);
    const db = createDatabase({ ...test.config, user, passwordFile });
    try {
      const result = await backup(db, { directory: secrets, tool: 'mariadb-dump', dumpCommand: spy });
      expect(result.manifest.tables['multi_interface']?.rows).toBe(200);
      const seen = await readFile(log, 'utf8');
      expect(seen).toMatch(/^ARG --defaults-extra-file=/);
      expect(seen).toContain('MODE 600');
      expect(seen).not.toContain(password);
      expect(seen).not.toContain('mnpw-');
    } finally {
      await db.close();
      await test.server.query('test', `DROP USER ${quoteId(user)}@'%'`);
      await rm(secrets, { recursive: true, force: true });
    }
  });

  it('falls back to a native snapshot dump when the data changed while mariadb-dump ran', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multinic-racing-'));
    const host = test.config.host;
    const writer = join(dir, 'dump-while-writing.sh');
    await writeFile(
      writer,
      `#!/bin/sh\nmariadb -u${test.config.user} -h${host} -P${test.config.port} ${test.name} ` +
        `-e "UPDATE multi_interface SET netplan_success = 1 - netplan_success ORDER BY id LIMIT 1"\n` +
        'exec mariadb-dump "$@"\n',
    );
    await chmod(writer, 0o755);
    try {
      const raced = await backup(test.pool, { directory: dir, dumpCommand: writer });
      expect(raced.manifest.tool.name).toBe('native');
      const target = uniqueDatabaseName('mnraced');
      try {
        const restored = await restore(serverConfig(), { from: raced.manifestPath, database: target });
        expect(restored.tables).toEqual(raced.manifest.tables);
        expect((await verify(test.pool, raced.manifest)).ok).toBe(true);
      } finally {
        await dropDatabase(target);
      }
    } finally {
      await test.pool.execute(
        'test',
        'UPDATE multi_interface SET netplan_success = 1 - netplan_success ORDER BY id LIMIT 1',
      );
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps only the newest N backups of the database (retention)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multinic-retention-'));
    try {
      for (const hour of [2, 3, 4]) {
        await backup(test.pool, {
          directory: dir,
          retention: 2,
          now: () => new Date(`2026-11-23T0${hour}:00:00.000Z`),
        });
      }
      expect((await readdir(dir)).sort()).toEqual([
        `multinic-${test.name}-20261123T030000000Z.manifest.json`,
        `multinic-${test.name}-20261123T030000000Z.sql.gz`,
        `multinic-${test.name}-20261123T040000000Z.manifest.json`,
        `multinic-${test.name}-20261123T040000000Z.sql.gz`,
      ]);
      expect(await pruneBackups(dir, 1, test.name)).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes a native dump (no mariadb-dump) that restores to the same checksums', async () => {
    const native = await backup(test.pool, {
      directory,
      tool: 'native',
      now: () => new Date('2026-11-23T05:00:00.000Z'),
    });
    expect(native.manifest.tool.name).toBe('native');
    expect(native.manifest.tables).toEqual(made.manifest.tables);
    const target = uniqueDatabaseName('mnrestore');
    try {
      const restored = await restore(serverConfig(), { from: native.dumpPath, database: target });
      expect(restored.tables).toEqual(made.manifest.tables);
    } finally {
      await dropDatabase(target);
    }
  });
});

describe('restore', () => {
  it('restores into a new named database and verify passes there', async () => {
    const target = uniqueDatabaseName('mnrestore');
    try {
      const result = await restore(serverConfig(), { from: made.manifestPath, database: target });
      expect(result.tables).toEqual(made.manifest.tables);
      const db = createDatabase({ ...test.config, database: target });
      try {
        expect((await verify(db, made.manifest)).ok).toBe(true);
      } finally {
        await db.close();
      }
      expect(await databasesLike(`${target}__restore`)).toEqual([]);
    } finally {
      await dropDatabase(target);
    }
  });

  it('refuses a non-empty target unless replace, which moves the old tables aside atomically', async () => {
    await expect(restore(serverConfig(), { from: made.manifestPath })).rejects.toThrow(
      `target database '${test.name}' is not empty`,
    );
    const result = await restore(serverConfig(), { from: made.manifestPath, replace: true });
    expect(result.replacedInto).toMatch(new RegExp(`^${test.name}__replaced_`));
    expect((await verify(test.pool, made.manifest)).ok).toBe(true);
    await dropDatabase(result.replacedInto ?? '');
  });

  it('refuses a dump from a newer schema version with a clear message, touching nothing', async () => {
    const future = await variant('future', await readFile(made.dumpPath), (manifest) => {
      manifest.schemaVersion = SCHEMA_VERSION + 1;
    });
    const target = uniqueDatabaseName('mnfuture');
    const attempt = restore(serverConfig(), { from: future, database: target });
    await expect(attempt).rejects.toThrow(FutureSchemaError);
    await expect(restore(serverConfig(), { from: future, database: target })).rejects.toThrow(
      `has schema version ${SCHEMA_VERSION + 1}, newer than this multinic's ${SCHEMA_VERSION}`,
    );
    expect(await databasesLike(target)).toEqual([]);
  });

  it('refuses a dump whose schema_migrations says it is newer even if the manifest does not', async () => {
    const sql = gunzipSync(await readFile(made.dumpPath)).toString();
    const bumped = sql.replace(
      /INSERT INTO `schema_migrations` VALUES\n?\(1,/,
      (match) =>
        `${match.slice(0, -3)}(${SCHEMA_VERSION + 1},'future','${'0'.repeat(64)}','2030-01-01 00:00:00.000'),\n(1,`,
    );
    expect(bumped).not.toBe(sql);
    const path = await variant('future-inside', gzipSync(bumped), () => undefined);
    const target = uniqueDatabaseName('mnfuture');
    await expect(restore(serverConfig(), { from: path, database: target })).rejects.toThrow(
      FutureSchemaError,
    );
    expect(await databasesLike(target)).toEqual([]);
  });

  it('fails on a truncated dump file before touching anything (digest check)', async () => {
    const dump = await readFile(made.dumpPath);
    const path = join(directory, 'truncated.sql.gz');
    await writeFile(path, dump.subarray(0, Math.floor(dump.length / 2)));
    const manifest = JSON.parse(await readFile(made.manifestPath, 'utf8')) as BackupManifest;
    manifest.dump.file = 'truncated.sql.gz';
    await writeFile(join(directory, 'truncated.manifest.json'), JSON.stringify(manifest));
    const target = uniqueDatabaseName('mntrunc');
    await expect(restore(serverConfig(), { from: path, database: target })).rejects.toThrow(
      /does not match its manifest .* truncated or corrupt/,
    );
    expect(await databasesLike(target)).toEqual([]);
  });

  it('leaves no half-restored database when the gzip stream itself is cut (digest check off)', async () => {
    const dump = await readFile(made.dumpPath);
    const path = await variant('cut-gzip', dump.subarray(0, Math.floor(dump.length * 0.7)), () => undefined);
    const target = uniqueDatabaseName('mntrunc');
    await expect(
      restore(serverConfig(), { from: path, database: target, checkDigest: false }),
    ).rejects.toThrow(BackupIntegrityError);
    expect(await databasesLike(target)).toEqual([]);
  });

  it('leaves no half-restored database when the SQL ends early inside a valid gzip', async () => {
    const sql = gunzipSync(await readFile(made.dumpPath)).toString();
    const cut = sql.slice(0, sql.indexOf('INSERT INTO `multi_interface`') + 2000);
    const path = await variant('cut-sql', gzipSync(cut), () => undefined);
    const target = uniqueDatabaseName('mntrunc');
    await expect(restore(serverConfig(), { from: path, database: target })).rejects.toThrow(
      /incomplete|does not match the manifest/,
    );
    expect(await databasesLike(target)).toEqual([]);
  });

  it('reads the manifest from the dump path too, and rejects a file that is not a manifest', async () => {
    expect((await readManifest(made.dumpPath)).manifest.database).toBe(test.name);
    const bogus = join(directory, 'bogus.manifest.json');
    await writeFile(bogus, '{"format":"other"}');
    await expect(readManifest(bogus)).rejects.toThrow('is not a multinic-db-backup/1 manifest');
  });
});
