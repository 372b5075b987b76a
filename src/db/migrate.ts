// Applies pending migrations under a MariaDB advisory lock (GET_LOCK), so two controller
// replicas starting together cannot migrate at once: the second waits, then finds nothing to do.
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { withDatabase } from './config.js';
import type { DatabaseConfig } from './config.js';
import { createDatabase, isTransientError, quoteId } from './pool.js';
import type { Database, Sql } from './pool.js';
import { MIGRATIONS, MIGRATIONS_TABLE, migrationChecksum } from './schema.js';
import type { Migration } from './schema.js';

export interface MigrateOptions {
  /** @default MIGRATIONS */
  migrations?: readonly Migration[];
  /** How long to wait for another replica's migration. @default 60 */
  lockTimeoutSeconds?: number;
  /** @default - the wall clock */
  now?: () => Date;
  /** @default silentLogger */
  logger?: Logger;
}

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was current). */
  applied: number[];
  /** Schema version after the call. */
  version: number;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at TIMESTAMP(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** Thrown when the database was migrated by a newer multinic or a recorded migration differs. */
export class SchemaMismatchError extends Error {
  override name = 'SchemaMismatchError';
}

function validate(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migrations must be numbered 1..n in order; #${index} has version ${migration.version}`,
      );
    }
  });
}

/** The migrations recorded in the database (empty when it has never been migrated). */
export async function appliedMigrations(sql: Sql): Promise<AppliedMigration[]> {
  const tables = await sql.select<{ n: number }>(
    'migrations.inspect',
    'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [MIGRATIONS_TABLE],
  );
  if (Number(tables[0]?.n ?? 0) === 0) return [];
  const rows = await sql.select<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'migrations.list',
    `SELECT version, name, checksum, applied_at FROM ${MIGRATIONS_TABLE} ORDER BY version`,
  );
  return rows.map((row) => ({
    version: row.version,
    name: row.name,
    checksum: row.checksum,
    appliedAt: row.applied_at,
  }));
}

/** Highest applied version, 0 for an empty database. */
export async function schemaVersion(sql: Sql): Promise<number> {
  const applied = await appliedMigrations(sql);
  return applied.at(-1)?.version ?? 0;
}

/**
 * Brings the schema to the newest version. Idempotent: a current database gets no statement
 * but the checks. Refuses (SchemaMismatchError) a database migrated by a newer build, or one
 * whose recorded checksum of an applied migration differs from this build's.
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = options.migrations ?? MIGRATIONS;
  validate(migrations);
  const lockTimeout = options.lockTimeoutSeconds ?? 60;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  return db.withSession(async (session) => {
    const lockName = `multinic.migrate.${db.config.database}`;
    const [lock] = await session.select<{ got: number | null }>(
      'migrations.lock',
      'SELECT GET_LOCK(?, ?) AS got',
      [lockName, lockTimeout],
    );
    if (Number(lock?.got ?? 0) !== 1) {
      throw new Error(`another process holds the migration lock '${lockName}' for more than ${lockTimeout}s`);
    }
    try {
      await session.query('migrations.ddl', CREATE_MIGRATIONS_TABLE);
      const applied = await appliedMigrations(session);
      const newest = migrations.at(-1)?.version ?? 0;
      for (const record of applied) {
        if (record.version > newest) {
          throw new SchemaMismatchError(
            `database '${db.config.database}' has schema version ${record.version} ('${record.name}'), newer than ` +
              `this multinic's ${newest}; upgrade multinic (migrations are forward-only)`,
          );
        }
        const known = migrations[record.version - 1];
        if (known !== undefined && migrationChecksum(known) !== record.checksum) {
          throw new SchemaMismatchError(
            `migration ${record.version} ('${record.name}') was applied with checksum ${record.checksum}, ` +
              `this build has ${migrationChecksum(known)}; released migrations must not change`,
          );
        }
      }
      const done = new Set(applied.map((record) => record.version));
      const result: number[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        logger.info('applying migration', { version: migration.version, name: migration.name });
        for (const statement of migration.statements) await session.query('migrations.ddl', statement);
        await session.execute(
          'migrations.record',
          `INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
          [migration.version, migration.name, migrationChecksum(migration), now()],
        );
        result.push(migration.version);
      }
      return { applied: result, version: newest };
    } finally {
      await session.select('migrations.unlock', 'SELECT RELEASE_LOCK(?) AS released', [lockName]);
    }
  });
}

/**
 * Creates `config.database` (utf8mb4) when it does not exist; true when it created it. Needs
 * the CREATE privilege on the server; a database created by an operator or DBA is left as is.
 */
export async function ensureDatabase(config: DatabaseConfig): Promise<boolean> {
  const server = createDatabase(withDatabase(config, ''), { connectionLimit: 1 });
  try {
    const rows = await server.select<{ name: string }>(
      'migrations.inspect',
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [config.database],
    );
    if (rows.length > 0) return false;
    await server.query(
      'migrations.create_database',
      `CREATE DATABASE IF NOT EXISTS ${quoteId(config.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
    return true;
  } finally {
    await server.close();
  }
}

export interface PrepareDatabaseOptions extends MigrateOptions {
  /** Give up (throw the last error) after this long. @default 300_000 */
  deadlineMs?: number;
  /** First retry delay; doubles up to `maxDelayMs`. @default 500 */
  baseDelayMs?: number;
  /** @default 10_000 */
  maxDelayMs?: number;
  /** @default setTimeout (cut short by `signal`) */
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic clock in ms. @default performance.now */
  clock?: () => number;
  /** Stops the retries (the last error is thrown). */
  signal?: AbortSignal;
}

export interface PrepareDatabaseResult extends MigrateResult {
  /** True when this call created the database. */
  createdDatabase: boolean;
  /** Attempts made (1 when the server was there at once). */
  attempts: number;
}

/**
 * What a starting controller (and `multinic db migrate`) does before using MariaDB: create the
 * database when it is missing, then migrate. A server that is not up yet (connection refused or
 * lost, the internal MariaDB still initialising) is waited for with capped exponential backoff
 * until `deadlineMs`; any other error (access denied, a schema from a newer build) fails at once.
 */
export async function prepareDatabase(
  db: Database,
  options: PrepareDatabaseOptions = {},
): Promise<PrepareDatabaseResult> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? (() => performance.now());
  const signal = options.signal;
  const sleep =
    options.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      }));
  const deadline = clock() + (options.deadlineMs ?? 300_000);
  let delay = options.baseDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      const createdDatabase = await ensureDatabase(db.config);
      if (createdDatabase) logger.info('created the database', { database: db.config.database });
      const result = await migrate(db, options);
      return { ...result, createdDatabase, attempts: attempt };
    } catch (error) {
      const left = deadline - clock();
      if (!isTransientError(error) || left <= 0 || signal?.aborted === true) throw error;
      const wait = Math.min(delay, left);
      logger.warn('database not reachable yet; retrying', {
        attempt,
        retryInMs: Math.round(wait),
        error: (error as Error).message,
      });
      await sleep(wait);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 10_000);
    }
  }
}
