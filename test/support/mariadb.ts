// `useDatabase()`: a uniquely named MariaDB database for one test file, created in beforeAll
// and dropped in afterAll. The server comes from MULTINIC_MARIADB_URL (set by the integration
// global setup) or mysql://root@127.0.0.1:3306. An unreachable server fails the tests loudly.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { parseDatabaseUrl, withDatabase } from '../../src/db/config.js';
import type { DatabaseConfig } from '../../src/db/config.js';
import { migrate } from '../../src/db/migrate.js';
import { createDatabase, quoteId } from '../../src/db/pool.js';
import type { Database, DatabaseOptions } from '../../src/db/pool.js';

export const MARIADB_URL = process.env['MULTINIC_MARIADB_URL'] ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  /** mysql://user@host:port/<name> */
  readonly url: string;
  readonly name: string;
  readonly config: DatabaseConfig;
  /** A pool on the test database (closed in afterAll). */
  readonly pool: Database;
  /** A pool on the server without a default database (CREATE/DROP DATABASE). */
  readonly server: Database;
}

export interface UseDatabaseOptions {
  /** Apply the schema migrations in beforeAll. @default true */
  migrate?: boolean;
  /** Options of the test pool. */
  pool?: DatabaseOptions;
}

/** The server URL with `database` as its path. */
export function databaseUrl(database: string): string {
  const url = new URL(MARIADB_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The server's config (no database). */
export function serverConfig(): DatabaseConfig {
  return withDatabase(parseDatabaseUrl(databaseUrl('x')), '');
}

export function uniqueDatabaseName(prefix = 'mntest'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** Connects to the server or throws a message that says how to start MariaDB. */
export async function connectServer(): Promise<Database> {
  const server = createDatabase(serverConfig(), { maxAttempts: 1, connectionLimit: 4 });
  try {
    await server.ping();
  } catch (error) {
    await server.close();
    throw new Error(
      `MariaDB at ${MARIADB_URL} is unreachable (${(error as Error).message}). Start it with ` +
        '`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd` or set MULTINIC_MARIADB_URL.',
      { cause: error },
    );
  }
  return server;
}

export function useDatabase(options: UseDatabaseOptions = {}): TestDatabase {
  const name = uniqueDatabaseName();
  let server: Database | undefined;
  let pool: Database | undefined;
  const config = withDatabase(serverConfig(), name);
  const handle: TestDatabase = {
    name,
    config,
    get url() {
      return databaseUrl(name);
    },
    get pool() {
      if (pool === undefined)
        throw new Error('useDatabase(): the pool exists only inside tests (after beforeAll)');
      return pool;
    },
    get server() {
      if (server === undefined)
        throw new Error('useDatabase(): the server exists only inside tests (after beforeAll)');
      return server;
    },
  };
  beforeAll(async () => {
    server = await connectServer();
    await server.query(
      'test.create_database',
      `CREATE DATABASE ${quoteId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
    pool = createDatabase(config, options.pool);
    if (options.migrate !== false) await migrate(pool);
  });
  afterAll(async () => {
    await pool?.close();
    if (server !== undefined) {
      await server.query('test.drop_database', `DROP DATABASE IF EXISTS ${quoteId(name)}`);
      await server.close();
    }
  });
  return handle;
}
