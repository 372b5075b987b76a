// The MariaDB the tests and `multinic dev` use: the machine's own server on 127.0.0.1:3306
// (or MULTINIC_MARIADB_URL). Started with start-stop-daemon when it is installed but down;
// a clear message when it is not installed. It is shared, so it is never stopped here.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { ControlPlaneError } from './errors.js';

export const DEFAULT_MARIADB_URL = 'mysql://root@127.0.0.1:3306';
const MARIADBD = '/usr/sbin/mariadbd';

export type CommandRunner = (command: string, args: readonly string[]) => Promise<void>;

const execFileAsync = promisify(execFile);
const runCommand: CommandRunner = async (command, args) => {
  await execFileAsync(command, [...args], { timeout: 30_000 });
};

export interface EnsureMariaDbOptions {
  /** @default process.env.MULTINIC_MARIADB_URL or mysql://root@127.0.0.1:3306 */
  url?: string;
  /** Start the local server when it does not answer. @default true */
  start?: boolean;
  /** @default 30000 */
  timeoutMs?: number;
  /** @default - runs the command */
  run?: CommandRunner;
  sleep?: (ms: number) => Promise<void>;
}

export interface MariaDbStatus {
  url: string;
  /** True when this call started the server. */
  started: boolean;
}

/** Resolves when `SELECT`-level connectivity works; rejects with the driver's message. */
export async function pingMariaDb(url: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 3000 });
  try {
    await connection.ping();
  } finally {
    await connection.end();
  }
}

async function answers(url: string): Promise<string | undefined> {
  try {
    await pingMariaDb(url);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function isLocal(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}

/** Makes sure MariaDB answers at the URL, starting the local server when allowed. */
export async function ensureMariaDb(options: EnsureMariaDbOptions = {}): Promise<MariaDbStatus> {
  const url = options.url ?? process.env['MULTINIC_MARIADB_URL'] ?? DEFAULT_MARIADB_URL;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const first = await answers(url);
  if (first === undefined) return { url, started: false };
  if (options.start === false || !isLocal(url) || !/ECONNREFUSED|connect/i.test(first)) {
    throw new ControlPlaneError(`MariaDB at ${url} does not answer (${first})`);
  }
  if (!existsSync(MARIADBD)) {
    throw new ControlPlaneError(
      `MariaDB is not installed (${MARIADBD} missing) and ${url} does not answer; run tools/provision.sh ` +
        `or apt-get install mariadb-server`,
    );
  }
  const run = options.run ?? runCommand;
  try {
    await run('install', ['-d', '-o', 'mysql', '-g', 'mysql', '/run/mysqld']);
  } catch {
    // the directory may exist already or the mysql user may be named differently; mariadbd will say
  }
  try {
    await run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', MARIADBD]);
  } catch (error) {
    throw new ControlPlaneError(
      `could not start MariaDB with start-stop-daemon (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  let last = first;
  for (let waited = 0; waited < timeoutMs; waited += 500) {
    await sleep(500);
    const error = await answers(url);
    if (error === undefined) return { url, started: true };
    last = error;
  }
  throw new ControlPlaneError(
    `MariaDB was started but ${url} did not answer within ${timeoutMs / 1000}s (${last})`,
  );
}
