// Where the MariaDB is and how to log in. The password normally comes from a file (a mounted
// Secret) so that it never appears in argv, env values or specs, and so that a rotated Secret
// can be re-read without a restart.
import { readFile } from 'node:fs/promises';

export interface DatabaseConfig {
  host: string;
  /** @default 3306 */
  port: number;
  database: string;
  /** @default 'root' */
  user: string;
  /** A literal password (tests, local development). Prefer `passwordFile`. */
  password?: string;
  /** File holding the password (trailing newline ignored); re-read when a login is refused. */
  passwordFile?: string;
}

export const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/multinic';

/**
 * Parses `mysql://user[:password]@host[:port]/database[?passwordFile=/path]` (also `mariadb://`).
 * A database missing from the URL is `defaultDatabase`; throws a message naming the URL's problem.
 */
export function parseDatabaseUrl(url: string, defaultDatabase = 'multinic'): DatabaseConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `database URL '${redactDatabaseUrl(url)}' is not a URL; expected mysql://user@host:3306/database`,
    );
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new Error(`database URL scheme must be mysql: or mariadb:, got '${parsed.protocol}'`);
  }
  if (parsed.hostname === '') throw new Error('database URL has no host');
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || defaultDatabase;
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(database)) {
    throw new Error(`database name must be 1..64 of [A-Za-z0-9_$-], got '${database}'`);
  }
  const config: DatabaseConfig = {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    database,
    user: parsed.username === '' ? 'root' : decodeURIComponent(parsed.username),
  };
  if (parsed.password !== '') config.password = decodeURIComponent(parsed.password);
  const passwordFile = parsed.searchParams.get('passwordFile');
  if (passwordFile !== null && passwordFile !== '') config.passwordFile = passwordFile;
  return config;
}

/** The URL with any password replaced, for logs and error messages. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:[redacted]@');
}

/** A URL naming `config` without its password (for messages and manifests). */
export function describeDatabase(config: DatabaseConfig): string {
  return `mysql://${config.user}@${config.host}:${config.port}/${config.database}`;
}

/** The password to use now: the file's content (re-read on every call) or the literal one. */
export async function resolvePassword(
  config: DatabaseConfig,
  read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
): Promise<string | undefined> {
  if (config.passwordFile !== undefined) {
    try {
      return (await read(config.passwordFile)).replace(/\r?\n$/, '');
    } catch (error) {
      throw new Error(
        `cannot read database password file '${config.passwordFile}': ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return config.password;
}

/** `config` pointing at another database on the same server. */
export function withDatabase(config: DatabaseConfig, database: string): DatabaseConfig {
  return { ...config, database };
}
