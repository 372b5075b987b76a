// Logical backup, restore and verification of the MultiNic database.
//
// backup  A consistent dump (mariadb-dump --single-transaction when installed, otherwise a
//         native dump taken in one consistent-snapshot transaction), gzip-compressed, written
//         as `<name>.sql.gz.partial` and renamed when complete, plus `<name>.manifest.json`
//         (schema version, per-table row counts and order-independent checksums, dump digest).
//         The password reaches mariadb-dump through a 0600 defaults file, never argv or env.
// restore Loads the dump into a scratch database, checks it against the manifest, then moves
//         its tables into the target with one atomic RENAME TABLE. A truncated or corrupt dump,
//         or one from a newer schema, fails before the target is touched.
// verify  Compares a live database with a manifest.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  access,
  chmod,
  constants,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import mysql from 'mysql2/promise';
import type { Connection, ConnectionOptions, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { resolvePassword, withDatabase } from './config.js';
import type { DatabaseConfig } from './config.js';
import { schemaVersion } from './migrate.js';
import { createDatabase, quoteId } from './pool.js';
import type { Database, Sql, SqlValue } from './pool.js';
import { SCHEMA_VERSION } from './schema.js';

export const MANIFEST_FORMAT = 'multinic-db-backup/1';
export const CHECKSUM_ALGORITHM = 'sha256-xor64/1';
const NATIVE_TRAILER = '-- multinic native dump completed';
const MARIADB_TRAILER = /^-- Dump completed/;

export interface TableSummary {
  rows: number;
  /** Order-independent: XOR over rows of the first 64 bits of SHA-256(hex of every column). */
  checksum: string;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  database: string;
  schemaVersion: number;
  createdAt: string;
  tool: { name: 'mariadb-dump' | 'native'; version: string };
  server: { version: string };
  dump: { file: string; bytes: number; sha256: string };
  checksumAlgorithm: typeof CHECKSUM_ALGORITHM;
  tables: Record<string, TableSummary>;
  durationMs: number;
}

export interface BackupOptions {
  /** Directory for dump and manifest (created if missing). */
  directory: string;
  /** Keep this many newest backups of this database in `directory`; older ones are deleted. @default - keep all */
  retention?: number;
  /** @default 'auto' (mariadb-dump when found on PATH, else native) */
  tool?: 'auto' | 'mariadb-dump' | 'native';
  /** Path of mariadb-dump. @default - `mariadb-dump` or `mysqldump` from PATH */
  dumpCommand?: string;
  /** @default - the wall clock */
  now?: () => Date;
  /** @default silentLogger */
  logger?: Logger;
}

export interface BackupResult {
  manifest: BackupManifest;
  dumpPath: string;
  manifestPath: string;
  /** Files deleted by retention. */
  pruned: string[];
}

export interface RestoreOptions {
  /** Manifest file, or the dump file with its manifest next to it (`x.sql.gz` -> `x.manifest.json`). */
  from: string;
  /** Database to restore into. @default - the manifest's database */
  database?: string;
  /**
   * Replace a non-empty target: its tables move to `<target>__replaced_<time>` in the same atomic
   * rename. Without it, a non-empty target is refused. @default false
   */
  replace?: boolean;
  /** Check the dump's size and SHA-256 against the manifest first. @default true */
  checkDigest?: boolean;
  /** @default - the wall clock */
  now?: () => Date;
  /** @default silentLogger */
  logger?: Logger;
}

export interface RestoreResult {
  database: string;
  schemaVersion: number;
  tables: Record<string, TableSummary>;
  /** Where the replaced tables went (only with `replace`). */
  replacedInto?: string;
  durationMs: number;
}

export interface TableDifference {
  table: string;
  expected: TableSummary | null;
  actual: TableSummary | null;
}

export interface VerifyResult {
  ok: boolean;
  schemaVersion: { expected: number; actual: number };
  differences: TableDifference[];
}

/** A dump made by a newer multinic (higher schema version) than this one. */
export class FutureSchemaError extends Error {
  override name = 'FutureSchemaError';
}

/** The dump or manifest is unusable (truncated, corrupt, not matching). */
export class BackupIntegrityError extends Error {
  override name = 'BackupIntegrityError';
}

// ---------------------------------------------------------------------------------------------
// Table summaries

/** Base tables of the session's current database. */
export async function listTables(sql: Sql): Promise<string[]> {
  const rows = await sql.select<{ name: string }>(
    'backup.tables',
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
  );
  return rows.map((row) => row.name);
}

async function columnsOf(sql: Sql, table: string): Promise<string[]> {
  const rows = await sql.select<{ name: string }>(
    'backup.columns',
    `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return rows.map((row) => row.name);
}

/** Row count and checksum of one table (the session must use UTC: TIMESTAMPs hash as text). */
export async function summarizeTable(sql: Sql, table: string): Promise<TableSummary> {
  const columns = await columnsOf(sql, table);
  const row = columns.map((column) => `IFNULL(HEX(${quoteId(column)}), '-')`).join(', ');
  const [result] = await sql.select<{ n: number | string; x: string | null }>(
    'backup.checksum',
    `SELECT COUNT(*) AS n,
       LPAD(HEX(BIT_XOR(CAST(CONV(LEFT(SHA2(CONCAT_WS(',', ${row}), 256), 16), 16, 10) AS UNSIGNED))), 16, '0') AS x
     FROM ${quoteId(table)}`,
  );
  return { rows: Number(result?.n ?? 0), checksum: (result?.x ?? '0'.repeat(16)).toLowerCase() };
}

/** Summaries of every base table of the session's database. */
export async function summarizeDatabase(sql: Sql): Promise<Record<string, TableSummary>> {
  const out: Record<string, TableSummary> = {};
  for (const table of await listTables(sql)) out[table] = await summarizeTable(sql, table);
  return out;
}

function sameSummaries(a: Record<string, TableSummary>, b: Record<string, TableSummary>): boolean {
  return compareSummaries(a, b).length === 0;
}

function compareSummaries(
  expected: Record<string, TableSummary>,
  actual: Record<string, TableSummary>,
): TableDifference[] {
  const differences: TableDifference[] = [];
  for (const table of [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort()) {
    const want = expected[table] ?? null;
    const have = actual[table] ?? null;
    if (want === null || have === null || want.rows !== have.rows || want.checksum !== have.checksum) {
      differences.push({ table, expected: want, actual: have });
    }
  }
  return differences;
}

/** Human summary of differences, for error messages. */
export function describeDifferences(differences: readonly TableDifference[]): string {
  return differences
    .map(({ table, expected, actual }) => {
      if (expected === null) return `${table}: not in the manifest`;
      if (actual === null) return `${table}: missing`;
      return `${table}: rows ${actual.rows} (expected ${expected.rows}), checksum ${actual.checksum} (expected ${expected.checksum})`;
    })
    .join('; ');
}

// ---------------------------------------------------------------------------------------------
// Backup

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

async function findExecutable(names: readonly string[]): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

async function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}: ${err.trim()}`)),
    );
  });
}

function optionFileValue(value: string): string {
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

/** Writes a 0600 client defaults file in a private temp dir; returns its path and a cleanup. */
async function defaultsFile(config: DatabaseConfig, password: string | undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'multinic-db-'));
  await chmod(dir, 0o700);
  const path = join(dir, 'client.cnf');
  const lines = [
    '[client]',
    `user=${optionFileValue(config.user)}`,
    `host=${optionFileValue(config.host)}`,
    `port=${config.port}`,
    'protocol=TCP',
  ];
  if (password !== undefined && password !== '') lines.push(`password=${optionFileValue(password)}`);
  await writeFile(path, lines.join('\n') + '\n', { mode: 0o600 });
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function consistentSummaries(
  db: Database,
): Promise<{ version: number; tables: Record<string, TableSummary> }> {
  return db.withSession(async (session) => {
    await session.query('backup.snapshot', 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await session.query('backup.snapshot', 'START TRANSACTION WITH CONSISTENT SNAPSHOT');
    try {
      return { version: await schemaVersion(session), tables: await summarizeDatabase(session) };
    } finally {
      await session.query('backup.snapshot', 'COMMIT');
    }
  });
}

async function dumpWithMariadbDump(
  command: string,
  config: DatabaseConfig,
  partialPath: string,
): Promise<void> {
  const defaults = await defaultsFile(config, await resolvePassword(config));
  try {
    const child = spawn(
      command,
      [
        `--defaults-extra-file=${defaults.path}`,
        '--single-transaction',
        '--quick',
        '--hex-blob',
        '--skip-lock-tables',
        '--no-tablespaces',
        '--default-character-set=utf8mb4',
        '--tz-utc',
        config.database,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
    await pipeline(child.stdout, createGzip(), createWriteStream(partialPath, { mode: 0o600 }));
    const code = await exited;
    if (code !== 0) throw new Error(`${basename(command)} failed (exit ${code}): ${stderr.trim()}`);
  } finally {
    await defaults.cleanup();
  }
}

/** Opens one raw connection that returns values exactly as stored (for the native dump). */
async function rawConnection(config: DatabaseConfig): Promise<Connection> {
  const options: ConnectionOptions = {
    host: config.host,
    port: config.port,
    user: config.user,
    database: config.database,
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4',
  };
  const password = await resolvePassword(config);
  if (password !== undefined) options.password = password;
  const connection = await mysql.createConnection(options);
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

/** Native dump: schema and rows from one consistent snapshot; summaries from the same snapshot. */
async function dumpNative(
  config: DatabaseConfig,
  partialPath: string,
  now: Date,
): Promise<{ version: number; tables: Record<string, TableSummary> }> {
  const connection = await rawConnection(config);
  try {
    await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const session = rawSql(connection);
    const tables = await listTables(session);
    const summaries: Record<string, TableSummary> = {};
    for (const table of tables) summaries[table] = await summarizeTable(session, table);
    const version = await schemaVersion(session);
    async function* lines(): AsyncGenerator<string> {
      yield `-- multinic native dump of ${config.database} at ${now.toISOString()}\n`;
      yield "SET NAMES utf8mb4;\nSET TIME_ZONE='+00:00';\nSET FOREIGN_KEY_CHECKS=0;\nSET UNIQUE_CHECKS=0;\n";
      yield "SET SQL_MODE='NO_AUTO_VALUE_ON_ZERO';\n";
      for (const table of tables) {
        const [created] = await connection.query<RowDataPacket[]>(`SHOW CREATE TABLE ${quoteId(table)}`);
        const ddl = String(created[0]?.['Create Table'] ?? '');
        yield `DROP TABLE IF EXISTS ${quoteId(table)};\n${ddl};\n`;
        const columns = await columnsOf(session, table);
        const columnList = columns.map(quoteId).join(',');
        const pageSize = 1000;
        for (let offset = 0; ; offset += pageSize) {
          const [rows] = await connection.query<RowDataPacket[]>({
            sql: `SELECT ${columnList} FROM ${quoteId(table)} ORDER BY 1 LIMIT ${pageSize} OFFSET ${offset}`,
            rowsAsArray: true,
          });
          if (rows.length === 0) break;
          const values = (rows as unknown as unknown[][]).map(
            (row) => `(${row.map((v) => connection.escape(v)).join(',')})`,
          );
          yield `INSERT INTO ${quoteId(table)} (${columnList}) VALUES\n${values.join(',\n')};\n`;
          if (rows.length < pageSize) break;
        }
      }
      yield `SET FOREIGN_KEY_CHECKS=1;\nSET UNIQUE_CHECKS=1;\n${NATIVE_TRAILER} ${now.toISOString()}\n`;
    }
    await pipeline(Readable.from(lines()), createGzip(), createWriteStream(partialPath, { mode: 0o600 }));
    await connection.query('COMMIT');
    return { version, tables: summaries };
  } finally {
    await connection.end();
  }
}

function rawSql(connection: Connection): Sql {
  return {
    async select<T extends object>(_operation: string, sql: string, params?: readonly SqlValue[]) {
      const [rows] = await connection.query<RowDataPacket[]>(sql, [...(params ?? [])]);
      return rows as unknown as T[];
    },
    async execute(_operation, sql, params) {
      const [result] = await connection.query<ResultSetHeader>(sql, [...(params ?? [])]);
      return { affectedRows: result.affectedRows, insertId: result.insertId };
    },
    async query(_operation, sql, params) {
      const [result] = await connection.query(sql, [...(params ?? [])]);
      return result;
    },
  };
}

/**
 * Writes a compressed dump and its manifest into `options.directory`, then applies retention.
 * The manifest always describes exactly the dumped data: with mariadb-dump the summaries are
 * taken before and after the dump and must agree (otherwise the native dump, which shares its
 * snapshot with the summaries, is used).
 */
export async function backup(db: Database, options: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const now = (options.now ?? (() => new Date()))();
  const logger = options.logger ?? silentLogger;
  const config = db.config;
  await mkdir(options.directory, { recursive: true, mode: 0o700 });
  const base = `multinic-${config.database}-${stamp(now)}`;
  const dumpPath = join(options.directory, `${base}.sql.gz`);
  const partialPath = `${dumpPath}.partial`;
  const manifestPath = join(options.directory, `${base}.manifest.json`);
  const [server] = await db.select<{ v: string }>('backup.version', 'SELECT VERSION() AS v');
  const tool = options.tool ?? 'auto';
  const dumpCommand =
    tool === 'native'
      ? undefined
      : (options.dumpCommand ?? (await findExecutable(['mariadb-dump', 'mysqldump'])));
  if (tool === 'mariadb-dump' && dumpCommand === undefined) {
    throw new Error(
      'mariadb-dump (or mysqldump) is not on PATH; install mariadb-client or use --tool native',
    );
  }
  let used: BackupManifest['tool'] | undefined;
  let content: { version: number; tables: Record<string, TableSummary> } | undefined;
  try {
    if (dumpCommand !== undefined) {
      const before = await consistentSummaries(db);
      await dumpWithMariadbDump(dumpCommand, config, partialPath);
      const after = await consistentSummaries(db);
      if (before.version === after.version && sameSummaries(before.tables, after.tables)) {
        const version = (await run(dumpCommand, ['--version'])).trim();
        used = { name: 'mariadb-dump', version };
        content = after;
      } else {
        logger.info('database changed during mariadb-dump; taking a native snapshot dump instead');
      }
    }
    if (content === undefined) {
      content = await dumpNative(config, partialPath, now);
      used = { name: 'native', version: `multinic ${process.env['npm_package_version'] ?? '0.1.0'}` };
    }
    await rename(partialPath, dumpPath);
  } catch (error) {
    await rm(partialPath, { force: true });
    throw error;
  }
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    database: config.database,
    schemaVersion: content.version,
    createdAt: now.toISOString(),
    tool: used ?? { name: 'native', version: 'unknown' },
    server: { version: server?.v ?? 'unknown' },
    dump: {
      file: basename(dumpPath),
      bytes: (await stat(dumpPath)).size,
      sha256: await sha256File(dumpPath),
    },
    checksumAlgorithm: CHECKSUM_ALGORITHM,
    tables: content.tables,
    durationMs: Date.now() - started,
  };
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  const pruned =
    options.retention === undefined
      ? []
      : await pruneBackups(options.directory, options.retention, config.database);
  logger.info('backup written', {
    dump: dumpPath,
    tables: Object.keys(manifest.tables).length,
    pruned: pruned.length,
  });
  return { manifest, dumpPath, manifestPath, pruned };
}

/** Deletes all but the `keep` newest backups of `database` in `directory`; returns deleted paths. */
export async function pruneBackups(directory: string, keep: number, database: string): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1)
    throw new Error(`retention must be a positive integer, got ${keep}`);
  const prefix = `multinic-${database}-`;
  const pattern = /^(\d{8}T\d{9}Z)\.manifest\.json$/;
  const stamps = (await readdir(directory))
    .filter((file) => file.startsWith(prefix) && pattern.test(file.slice(prefix.length)))
    .map((file) => file.slice(prefix.length, -'.manifest.json'.length))
    .sort()
    .reverse();
  const deleted: string[] = [];
  for (const old of stamps.slice(keep)) {
    for (const suffix of ['.sql.gz', '.manifest.json']) {
      const path = join(directory, `${prefix}${old}${suffix}`);
      await rm(path, { force: true });
      deleted.push(path);
    }
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// Restore

/** Reads and checks a manifest (given the manifest or its dump file). */
export async function readManifest(
  from: string,
): Promise<{ manifest: BackupManifest; manifestPath: string; dumpPath: string }> {
  const manifestPath = from.endsWith('.sql.gz') ? from.slice(0, -'.sql.gz'.length) + '.manifest.json' : from;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new BackupIntegrityError(
      `cannot read backup manifest '${manifestPath}': ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const manifest = parsed as Partial<BackupManifest>;
  if (manifest.format !== MANIFEST_FORMAT) {
    throw new BackupIntegrityError(
      `'${manifestPath}' is not a ${MANIFEST_FORMAT} manifest (format ${String(manifest.format)})`,
    );
  }
  if (
    typeof manifest.schemaVersion !== 'number' ||
    typeof manifest.database !== 'string' ||
    manifest.dump === undefined ||
    manifest.tables === undefined
  ) {
    throw new BackupIntegrityError(
      `manifest '${manifestPath}' lacks schemaVersion, database, dump or tables`,
    );
  }
  return {
    manifest: manifest as BackupManifest,
    manifestPath,
    dumpPath: join(dirname(manifestPath), manifest.dump.file),
  };
}

function assertKnownSchema(version: number, where: string): void {
  if (version > SCHEMA_VERSION) {
    throw new FutureSchemaError(
      `${where} has schema version ${version}, newer than this multinic's ${SCHEMA_VERSION}; ` +
        'restore it with the multinic version that made it (or newer)',
    );
  }
}

/** Yields the SQL statements of a gzip dump (mariadb-dump or native format). */
async function* dumpStatements(path: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let statement = '';
  let completed = false;
  const gunzip = createReadStream(path).pipe(createGunzip());
  const take = function* (line: string): Generator<string> {
    if (MARIADB_TRAILER.test(line) || line.startsWith(NATIVE_TRAILER)) completed = true;
    if (statement === '' && (line.trim() === '' || line.startsWith('--') || line.startsWith('/*M!999999')))
      return;
    statement += statement === '' ? line : '\n' + line;
    if (line.trimEnd().endsWith(';')) {
      const text = statement;
      statement = '';
      if (/^(USE|CREATE DATABASE)\b/i.test(text)) return;
      yield text;
    }
  };
  try {
    for await (const chunk of gunzip) {
      carry += decoder.write(chunk as Buffer);
      let newline = carry.indexOf('\n');
      while (newline !== -1) {
        yield* take(carry.slice(0, newline));
        carry = carry.slice(newline + 1);
        newline = carry.indexOf('\n');
      }
    }
  } catch (error) {
    throw new BackupIntegrityError(
      `dump '${path}' cannot be decompressed (truncated or corrupt): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  carry += decoder.end();
  if (carry !== '') yield* take(carry);
  if (statement.trim() !== '' || !completed) {
    throw new BackupIntegrityError(
      `dump '${path}' is incomplete: it ends before the dump tool's completion marker`,
    );
  }
}

async function tablesOf(server: Database, database: string): Promise<string[]> {
  const rows = await server.select<{ name: string }>(
    'restore.tables',
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
    [database],
  );
  return rows.map((row) => row.name);
}

/**
 * Restores a backup into `options.database` (default: the manifest's) on the server `config`
 * points at. The target must be empty or absent unless `replace`. Nothing is visible in the
 * target until the dump loaded completely and matched its manifest; then one RENAME TABLE
 * moves every table in at once.
 */
export async function restore(config: DatabaseConfig, options: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const logger = options.logger ?? silentLogger;
  const now = (options.now ?? (() => new Date()))();
  const { manifest, dumpPath } = await readManifest(options.from);
  assertKnownSchema(manifest.schemaVersion, `backup '${manifest.dump.file}'`);
  if (options.checkDigest !== false) {
    const size = await stat(dumpPath).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0)
      throw new BackupIntegrityError(`dump file '${dumpPath}' named by the manifest does not exist`);
    if (size !== manifest.dump.bytes || (await sha256File(dumpPath)) !== manifest.dump.sha256) {
      throw new BackupIntegrityError(
        `dump file '${dumpPath}' does not match its manifest (${size} bytes, expected ${manifest.dump.bytes}; ` +
          'SHA-256 differs): it is truncated or corrupt',
      );
    }
  }
  const target = options.database ?? manifest.database;
  const scratch = `${target.slice(0, 40)}__restore_${randomBytes(4).toString('hex')}`;
  const server = createDatabase(withDatabase(config, ''), { connectionLimit: 2, maxAttempts: 1 });
  let loader: Database | undefined;
  try {
    const existing = await tablesOf(server, target);
    if (existing.length > 0 && options.replace !== true) {
      throw new Error(
        `target database '${target}' is not empty (${existing.length} tables: ${existing.slice(0, 5).join(', ')}); ` +
          'restore into an empty or new database (--database NAME), or pass --replace',
      );
    }
    await server.query(
      'restore.create',
      `CREATE DATABASE ${quoteId(scratch)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
    loader = createDatabase(withDatabase(config, scratch), { connectionLimit: 1, maxAttempts: 1 });
    let statements = 0;
    await loader.withSession(async (session) => {
      for await (const statement of dumpStatements(dumpPath)) {
        await session.query('restore.load', statement);
        statements += 1;
      }
    });
    const loaded = await loader.withSession(async (session) => ({
      version: await schemaVersion(session),
      tables: await summarizeDatabase(session),
    }));
    await loader.close();
    loader = undefined;
    assertKnownSchema(loaded.version, `backup '${manifest.dump.file}' (its schema_migrations table)`);
    const differences = compareSummaries(manifest.tables, loaded.tables);
    if (differences.length > 0 || loaded.version !== manifest.schemaVersion) {
      throw new BackupIntegrityError(
        `restored data does not match the manifest: ${describeDifferences(differences) || `schema version ${loaded.version}`}`,
      );
    }
    logger.info('dump loaded and verified in scratch database', { scratch, statements });

    await server.query(
      'restore.create',
      `CREATE DATABASE IF NOT EXISTS ${quoteId(target)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
    const renames: string[] = [];
    let replacedInto: string | undefined;
    const current = await tablesOf(server, target);
    if (current.length > 0) {
      if (options.replace !== true)
        throw new Error(`target database '${target}' was filled during the restore`);
      replacedInto = `${target.slice(0, 40)}__replaced_${stamp(now).slice(0, 15)}`;
      await server.query('restore.create', `CREATE DATABASE IF NOT EXISTS ${quoteId(replacedInto)}`);
      for (const table of current) {
        renames.push(`${quoteId(target)}.${quoteId(table)} TO ${quoteId(replacedInto)}.${quoteId(table)}`);
      }
    }
    for (const table of Object.keys(loaded.tables)) {
      renames.push(`${quoteId(scratch)}.${quoteId(table)} TO ${quoteId(target)}.${quoteId(table)}`);
    }
    await server.withSession(async (session) => {
      // Open transactions on the target hold metadata locks; wait for them, but not forever.
      await session.query('restore.swap', 'SET SESSION lock_wait_timeout = 120');
      await session.query('restore.swap', `RENAME TABLE ${renames.join(', ')}`);
    });
    const result: RestoreResult = {
      database: target,
      schemaVersion: loaded.version,
      tables: loaded.tables,
      durationMs: Date.now() - started,
    };
    if (replacedInto !== undefined) result.replacedInto = replacedInto;
    return result;
  } finally {
    if (loader !== undefined) await loader.close();
    await server
      .query('restore.cleanup', `DROP DATABASE IF EXISTS ${quoteId(scratch)}`)
      .catch((error: unknown) => {
        logger.warn('could not drop the scratch database', { scratch, error });
      });
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Verify

/** Compares the live database `db` points at with a manifest. */
export async function verify(db: Database, manifest: BackupManifest): Promise<VerifyResult> {
  const live = await consistentSummaries(db);
  const differences = compareSummaries(manifest.tables, live.tables);
  return {
    ok: differences.length === 0 && live.version === manifest.schemaVersion,
    schemaVersion: { expected: manifest.schemaVersion, actual: live.version },
    differences,
  };
}
