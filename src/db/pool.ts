// The MariaDB connection pool every role uses. It adds to mysql2 what a controller needs:
// - prepared statements for parameterised calls (bulk multi-row ones are escaped client-side), each timed in
//   `multinic_database_operation_duration_seconds{operation,status}`;
// - `withTransaction(fn)`, retried with capped exponential backoff on deadlocks, lock-wait
//   timeouts and lost connections (MariaDB restarted mid-transaction), so `fn` must be idempotent;
// - credential rotation: when a new connection is refused (ER_ACCESS_DENIED) the password file
//   is re-read; if it changed, a new pool takes over for new work while the old pool drains:
//   its connections finish the transactions they are in and are closed when released.
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, PoolOptions, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { CALL_DURATION_BUCKETS, gauge, histogram } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { describeDatabase, parseDatabaseUrl, resolvePassword } from './config.js';
import type { DatabaseConfig } from './config.js';

export type SqlValue = string | number | bigint | boolean | Date | Buffer | null;

/** What a write reports. `affectedRows` counts rows that really changed (see `createDatabase`). */
export interface WriteResult {
  affectedRows: number;
  insertId: number;
}

/** One way to talk SQL: the pool (auto-commit, retried) or one transaction's connection. */
export interface Sql {
  /** A prepared SELECT; rows as plain objects. `operation` is the metric label (low cardinality). */
  select<T extends object = Record<string, unknown>>(
    operation: string,
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<T[]>;
  /** A prepared INSERT/UPDATE/DELETE. */
  execute(operation: string, sql: string, params?: readonly SqlValue[]): Promise<WriteResult>;
  /** Text protocol, for statements MariaDB cannot prepare (some DDL, LOCK, dump replay). */
  query(operation: string, sql: string, params?: readonly SqlValue[]): Promise<unknown>;
}

export interface TransactionOptions {
  /** Metric label of the whole transaction. @default 'transaction' */
  operation?: string;
  /** Attempts before the last error is thrown. @default - the database's `maxAttempts` */
  maxAttempts?: number;
}

export interface Database extends Sql {
  /** Where this pool points (the password is never kept here when it comes from a file). */
  readonly config: DatabaseConfig;
  /** Runs `fn` in one transaction; commits, or rolls back and rethrows. Retried on transient errors. */
  withTransaction<T>(fn: (tx: Sql) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs `fn` on one session without a transaction (advisory locks, consistent snapshots). */
  withSession<T>(fn: (session: Sql) => Promise<T>): Promise<T>;
  /** Re-reads the password; true when it changed and new connections now use it. */
  reloadCredentials(): Promise<boolean>;
  ping(): Promise<void>;
  /** Closes every pool once its connections are released. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** @default 10 */
  connectionLimit?: number;
  /** Attempts for a transaction or statement that fails transiently. @default 5 */
  maxAttempts?: number;
  /** First retry delay; doubles up to `maxBackoffMs`. @default 100 */
  baseBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** @default - setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Reads the password file. @default - fs.readFile */
  readFile?: (path: string) => Promise<string>;
  /** @default silentLogger */
  logger?: Logger;
}

const operationDuration = histogram<'operation' | 'status'>({
  name: 'multinic_database_operation_duration_seconds',
  help: 'Duration of MariaDB statements and transactions',
  labelNames: ['operation', 'status'],
  buckets: CALL_DURATION_BUCKETS,
});

// Every open pool (including draining ones after a rotation) counts towards the gauge.
const openPools = new Set<Pool>();
gauge({
  name: 'multinic_active_db_connections',
  help: 'Open MariaDB connections held by this process',
  collect() {
    let total = 0;
    for (const pool of openPools) total += openConnections(pool);
    this.set(total);
  },
});

function openConnections(pool: Pool): number {
  // mysql2 does not expose the count; the core pool keeps its connections in `_allConnections`.
  const core = (pool as unknown as { pool?: { _allConnections?: { length: number } } }).pool;
  return core?._allConnections?.length ?? 0;
}

const TRANSIENT_CODES = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_CON_COUNT_ERROR',
]);
// CR_SERVER_GONE_ERROR, CR_SERVER_LOST, ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED, deadlock, lock wait.
const TRANSIENT_ERRNOS = new Set([2006, 2013, 1053, 1927, 1213, 1205]);

interface MysqlError {
  code?: string;
  errno?: number;
  fatal?: boolean;
  message?: string;
}

function asMysqlError(error: unknown): MysqlError {
  return typeof error === 'object' && error !== null ? (error as MysqlError) : {};
}

/** The connection is unusable afterwards (it must be destroyed, not returned to the pool). */
export function isConnectionError(error: unknown): boolean {
  const e = asMysqlError(error);
  if (e.fatal === true) return true;
  return (
    (e.code !== undefined && TRANSIENT_CODES.has(e.code) && !e.code.startsWith('ER_LOCK')) ||
    // The session's database was dropped (e.g. restored from a backup): a new connection selects it again.
    e.errno === 1046 ||
    e.errno === 2006 ||
    e.errno === 2013 ||
    /closed state|Connection lost/i.test(e.message ?? '')
  );
}

/** Worth retrying the whole transaction: deadlock, lock-wait timeout, lost or refused connection. */
export function isTransientError(error: unknown): boolean {
  const e = asMysqlError(error);
  return (
    (e.code !== undefined && TRANSIENT_CODES.has(e.code)) ||
    (e.errno !== undefined && TRANSIENT_ERRNOS.has(e.errno)) ||
    isConnectionError(error)
  );
}

function isAuthError(error: unknown): boolean {
  const e = asMysqlError(error);
  return e.code === 'ER_ACCESS_DENIED_ERROR' || e.errno === 1045;
}

function toParams(params: readonly SqlValue[] | undefined): SqlValue[] {
  return params === undefined ? [] : params.map((value) => (value === undefined ? null : value));
}

// Multi-row statements (hundreds of parameters) are escaped client-side by mysql2 instead of
// prepared: a prepare costs a round trip plus one metadata packet per parameter, and chunk
// sizes vary, so such a statement is rarely reused (no-change resync of 4,000 rows: 459 ms
// prepared, 179 ms escaped, same machine).
const MAX_PREPARED_PARAMS = 64;

function bulk(values: readonly SqlValue[]): boolean {
  return values.length > MAX_PREPARED_PARAMS;
}

function sessionSql(conn: PoolConnection): Sql {
  return {
    async select<T extends object>(operation: string, sql: string, params?: readonly SqlValue[]) {
      return timed(operation, async () => {
        const values = toParams(params);
        const [rows] = bulk(values)
          ? await conn.query<RowDataPacket[]>(sql, values)
          : await conn.execute<RowDataPacket[]>(sql, values);
        return rows as unknown as T[];
      });
    },
    async execute(operation, sql, params) {
      return timed(operation, async () => {
        const values = toParams(params);
        const [result] = bulk(values)
          ? await conn.query<ResultSetHeader>(sql, values)
          : await conn.execute<ResultSetHeader>(sql, values);
        return { affectedRows: result.affectedRows, insertId: result.insertId };
      });
    },
    async query(operation, sql, params) {
      return timed(operation, async () => {
        const [result] = await conn.query(sql, toParams(params));
        return result;
      });
    },
  };
}

async function timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  const end = operationDuration.startTimer({ operation });
  try {
    const result = await fn();
    end({ status: 'ok' });
    return result;
  } catch (error) {
    end({ status: 'error' });
    throw error;
  }
}

interface Slot {
  pool: Pool;
  leases: number;
  draining: boolean;
  password: string | undefined;
}

interface Lease {
  conn: PoolConnection;
  slot: Slot;
}

/**
 * Opens a pool (lazily: nothing connects until the first statement). Sessions use UTC and
 * utf8mb4, and report affected rows as *changed* rows (no CLIENT_FOUND_ROWS), so an upsert
 * that changes nothing reports 0.
 */
export function createDatabase(target: DatabaseConfig | string, options: DatabaseOptions = {}): Database {
  const config = typeof target === 'string' ? parseDatabaseUrl(target) : target;
  const publicConfig: DatabaseConfig = { ...config };
  if (config.passwordFile !== undefined) delete publicConfig.password;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseBackoffMs = options.baseBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const logger = (options.logger ?? silentLogger).child({ database: describeDatabase(config) });
  const readFile = options.readFile;

  let current: Slot | undefined;
  let opening: Promise<Slot> | undefined;
  let reloading: Promise<boolean> | undefined;
  const draining = new Set<Slot>();
  let closed = false;

  const readPassword = () =>
    readFile === undefined ? resolvePassword(config) : resolvePassword(config, readFile);

  function openSlot(password: string | undefined): Slot {
    const poolOptions: PoolOptions = {
      host: config.host,
      port: config.port,
      user: config.user,
      connectionLimit: options.connectionLimit ?? 10,
      waitForConnections: true,
      queueLimit: 0,
      enableKeepAlive: true,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      timezone: 'Z',
      charset: 'utf8mb4',
      supportBigNumbers: true,
      decimalNumbers: true,
      flags: ['-FOUND_ROWS'],
    };
    if (password !== undefined) poolOptions.password = password;
    // An empty name means a server-level pool (creating and dropping databases).
    if (config.database !== '') poolOptions.database = config.database;
    const pool = mysql.createPool(poolOptions);
    // Runs before the connection is handed out: mysql2 queues commands in order.
    pool.pool.on('connection', (connection) => {
      connection.query("SET time_zone = '+00:00'", () => undefined);
    });
    openPools.add(pool);
    return { pool, leases: 0, draining: false, password };
  }

  async function currentSlot(): Promise<Slot> {
    if (closed) throw new Error('database pool is closed');
    if (current !== undefined) return current;
    opening ??= readPassword().then((password) => {
      current = openSlot(password);
      return current;
    });
    try {
      return await opening;
    } finally {
      opening = undefined;
    }
  }

  function retire(slot: Slot): void {
    slot.draining = true;
    draining.add(slot);
    if (slot.leases === 0) void endSlot(slot);
  }

  async function endSlot(slot: Slot): Promise<void> {
    draining.delete(slot);
    openPools.delete(slot.pool);
    await slot.pool.end().catch((error: unknown) => logger.debug('closing old pool failed', { error }));
  }

  async function reloadCredentials(): Promise<boolean> {
    reloading ??= (async () => {
      const slot = await currentSlot();
      const password = await readPassword();
      if (password === slot.password) return false;
      logger.info('database password changed; new connections use the new one, old ones drain');
      current = openSlot(password);
      retire(slot);
      return true;
    })();
    try {
      return await reloading;
    } finally {
      reloading = undefined;
    }
  }

  async function acquire(): Promise<Lease> {
    const slot = await currentSlot();
    try {
      const conn = await slot.pool.getConnection();
      slot.leases += 1;
      return { conn, slot };
    } catch (error) {
      if (!isAuthError(error)) throw error;
      // Another caller may have swapped pools already; otherwise re-read the Secret.
      if (current !== slot || (await reloadCredentials())) {
        const fresh = await currentSlot();
        const conn = await fresh.pool.getConnection();
        fresh.leases += 1;
        return { conn, slot: fresh };
      }
      throw new Error(
        `MariaDB refused user '${config.user}' at ${config.host}:${config.port} (password re-read, unchanged): ` +
          (error as Error).message,
        { cause: error },
      );
    }
  }

  function release(lease: Lease, broken: boolean): void {
    if (broken) lease.conn.destroy();
    else lease.conn.release();
    lease.slot.leases -= 1;
    if (lease.slot.draining && lease.slot.leases === 0) void endSlot(lease.slot);
  }

  function backoff(attempt: number): number {
    return Math.min(maxBackoffMs, baseBackoffMs * 2 ** attempt);
  }

  async function withRetry<T>(
    operation: string,
    attempts: number,
    body: (conn: PoolConnection) => Promise<T>,
    onError?: (conn: PoolConnection) => Promise<void>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      let lease: Lease | undefined;
      let broken = false;
      try {
        lease = await acquire();
        return await body(lease.conn);
      } catch (error) {
        broken = isConnectionError(error);
        if (lease !== undefined && !broken && onError !== undefined) {
          await onError(lease.conn).catch(() => {
            broken = true;
          });
        }
        if (!isTransientError(error) || attempt + 1 >= attempts || closed) throw error;
        const delay = backoff(attempt);
        logger.warn('transient database error; retrying', {
          operation,
          attempt: attempt + 1,
          delayMs: delay,
          error,
        });
        await sleep(delay);
      } finally {
        if (lease !== undefined) release(lease, broken);
      }
    }
  }

  const database: Database = {
    config: publicConfig,
    select(operation, sql, params) {
      return withRetry(operation, maxAttempts, (conn) => sessionSql(conn).select(operation, sql, params));
    },
    execute(operation, sql, params) {
      return withRetry(operation, maxAttempts, (conn) => sessionSql(conn).execute(operation, sql, params));
    },
    query(operation, sql, params) {
      return withRetry(operation, maxAttempts, (conn) => sessionSql(conn).query(operation, sql, params));
    },
    withTransaction(fn, transactionOptions = {}) {
      const operation = transactionOptions.operation ?? 'transaction';
      return withRetry(
        operation,
        transactionOptions.maxAttempts ?? maxAttempts,
        (conn) =>
          timed(operation, async () => {
            await conn.beginTransaction();
            const result = await fn(sessionSql(conn));
            await conn.commit();
            return result;
          }),
        (conn) => conn.rollback(),
      );
    },
    async withSession(fn) {
      const lease = await acquire();
      let broken = false;
      try {
        return await fn(sessionSql(lease.conn));
      } catch (error) {
        broken = isConnectionError(error);
        throw error;
      } finally {
        release(lease, broken);
      }
    },
    reloadCredentials,
    async ping() {
      await withRetry('ping', 1, (conn) => conn.ping());
    },
    async close() {
      closed = true;
      const slots = [...draining];
      if (current !== undefined) slots.push(current);
      current = undefined;
      await Promise.all(slots.map((slot) => endSlot(slot)));
    },
  };
  return database;
}

/** Quotes an identifier (table, database) for SQL text. */
export function quoteId(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}
