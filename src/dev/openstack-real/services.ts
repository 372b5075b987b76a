// Bringing a real OpenStack (Keystone, Placement, Glance, Neutron with ML2 and no agents, Nova
// with the fake virt driver, a private RabbitMQ node) up and down on 127.0.0.1.
//
// One instance = one state directory + databases named `mnos_<instance>_*` on the machine's
// MariaDB with its own user and random password. `stop` ends exactly the recorded process
// groups and keeps the databases, keys and secrets, so the next `up` is warm: no schema syncs,
// no bootstrap, only new ports written into the configs, the catalog and Nova's cell mapping.
// `down` also drops the instance's databases and user and deletes the state directory.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { ControlPlaneError, tailFile } from '../errors.js';
import { ensureMariaDb, DEFAULT_MARIADB_URL } from '../mariadb.js';
import { freePorts } from '../ports.js';
import { isAlive, ownerAlive, spawnComponent, stopProcess, type ComponentRecord } from '../processes.js';
import { AdminApi } from './admin-api.js';
import {
  DATABASES,
  PORT_KEYS,
  databaseUrl,
  renderConfigs,
  transportUrl,
  type InstanceSecrets,
  type ServiceName,
  type ServicePorts,
} from './config.js';
import { ensureInstalled, PYTHON, SYSTEM_PATH } from './install.js';

const execFileAsync = promisify(execFile);

/** `${MULTINIC_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/multinic}/openstack` */
export function openstackCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root =
    env['MULTINIC_CACHE_DIR'] ??
    join(env['XDG_CACHE_HOME'] ?? join(env['HOME'] ?? homedir(), '.cache'), 'multinic');
  return join(root, 'openstack');
}

/** The default state directory of an instance. */
export function instanceDir(instance: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(openstackCacheRoot(env), `instance-${instance}`);
}

export interface RealOpenStackOptions {
  /** Names the databases (`mnos_<instance>_keystone`, ...) and the default state directory. */
  instance: string;
  /** @default instanceDir(instance) */
  stateDir?: string;
  /** Root URL of the MariaDB that gets the instance's databases. @default MULTINIC_MARIADB_URL or root@127.0.0.1:3306 */
  mariadbUrl?: string;
  /** Seconds keystonemiddleware trusts a validated token. @default 2 */
  tokenCacheSeconds?: number;
  /** The process that owns the running services: a later `up` from another live process refuses. @default process.pid */
  ownerPid?: number;
  /** Progress lines (`openstack: <step> 12.3s`). @default console.log */
  log?: (line: string) => void;
}

export interface ServiceRecord extends ComponentRecord {
  name: ServiceName;
}

/** What `up` leaves in `<stateDir>/run.json` while the services run. */
export interface RunState {
  version: 1;
  instance: string;
  /** Database name prefix (`mnos_<instance>_`). */
  dbPrefix: string;
  ownerPid: number;
  startedAt: string;
  ports: ServicePorts;
  keystoneUrl: string;
  /** Keystone's auth URL for clients (`…/v3`). */
  authUrl: string;
  endpoints: { compute: string; network: string; image: string; placement: string };
  admin: { username: string; password: string; projectName: string; userDomainName: string };
  services: ServiceRecord[];
  /** Seconds keystonemiddleware trusts a validated token (revocations show after this long). */
  tokenCacheSeconds: number;
  /** Seconds per bring-up step, and whether the databases were synced now (fresh). */
  bringUp: { fresh: boolean; totalSeconds: number; steps: Array<{ step: string; seconds: number }> };
}

interface PersistedSecrets extends InstanceSecrets {
  version: 1;
  dbPrefix: string;
}

interface SyncedMarker {
  version: 1;
  pkgRoot: string;
  dbPrefix: string;
  /** Steps done once per database set. */
  done: string[];
}

const readJson = <T>(path: string): T | undefined =>
  existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
const writeJson = (path: string, value: unknown): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
};

export function readRunState(stateDir: string): RunState | undefined {
  return readJson<RunState>(join(stateDir, 'run.json'));
}

function validInstance(instance: string): string {
  if (!/^[a-z][a-z0-9]{0,15}$/.test(instance)) {
    throw new ControlPlaneError(`OpenStack instance name must match [a-z][a-z0-9]{0,15}, got '${instance}'`);
  }
  return instance;
}

/** A step logger: prints `openstack[<instance>]: <what> (<elapsed>s)` as each step ends. */
class Steps {
  readonly started = Date.now();
  readonly steps: Array<{ step: string; seconds: number }> = [];
  constructor(
    private readonly prefix: string,
    private readonly log: (line: string) => void,
  ) {}
  async run<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const result = await fn();
    const seconds = (Date.now() - t0) / 1000;
    this.steps.push({ step, seconds });
    this.log(`${this.prefix}: ${step} ${seconds.toFixed(1)}s (total ${this.total().toFixed(1)}s)`);
    return result;
  }
  total(): number {
    return (Date.now() - this.started) / 1000;
  }
}

/** Resident memory of a process group (uwsgi and RabbitMQ fork workers), bytes. */
export function groupRss(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const match = /VmRSS:\s+(\d+) kB/.exec(status);
      if (match?.[1] !== undefined) total += Number(match[1]) * 1024;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

export interface ServiceStatus {
  name: ServiceName;
  pid: number;
  alive: boolean;
  rssBytes: number;
  logPath: string;
}

export function serviceStatuses(run: RunState): ServiceStatus[] {
  return run.services.map((s) => {
    const alive = isAlive(s);
    return { name: s.name, pid: s.pid, alive, rssBytes: alive ? groupRss(s.pid) : 0, logPath: s.logPath };
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function httpAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until true; a service that exits or stays silent fails with its log tail. */
async function waitFor(
  service: ServiceRecord & { exit?: () => unknown },
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(service)) {
      throw new ControlPlaneError(
        `${service.name} exited while starting; log: ${service.logPath}`,
        service.name,
        tailFile(service.logPath, 30),
      );
    }
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new ControlPlaneError(
        `${service.name} not ready within ${timeoutMs / 1000}s; log: ${service.logPath}`,
        service.name,
        tailFile(service.logPath, 30),
      );
    }
    await sleep(500);
  }
}

interface Layout {
  stateDir: string;
  etcDir: string;
  dataDir: string;
  logDir: string;
}

function layout(stateDir: string): Layout {
  return {
    stateDir,
    etcDir: join(stateDir, 'etc'),
    dataDir: join(stateDir, 'data'),
    logDir: join(stateDir, 'log'),
  };
}

/** Runs a one-shot command (db syncs, keystone-manage); output goes to `<logDir>/<name>.log`. */
async function runTool(
  dirs: Layout,
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const logPath = join(dirs.logDir, `${name}.log`);
  try {
    const { stdout, stderr } = await execFileAsync(command, [...args], {
      cwd: dirs.stateDir,
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', HOME: dirs.stateDir, ...env },
    });
    writeFileSync(logPath, stdout + stderr);
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    writeFileSync(logPath, (e.stdout ?? '') + (e.stderr ?? '') + `\n${e.message}\n`);
    throw new ControlPlaneError(`${name} failed; log: ${logPath}`, name, tailFile(logPath, 30));
  }
}

function rootConnection(url: string): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: url, connectTimeout: 5000, multipleStatements: false });
}

function dbHostOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname === 'localhost' ? '127.0.0.1' : parsed.hostname}:${parsed.port || '3306'}`;
}

/** Creates the instance's user and databases when missing; true when every database already has tables. */
async function ensureDatabases(rootUrl: string, prefix: string, secrets: InstanceSecrets): Promise<boolean> {
  const db = await rootConnection(rootUrl);
  try {
    for (const host of ['127.0.0.1', 'localhost']) {
      await db.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [
        secrets.dbUser,
        host,
        secrets.dbPassword,
      ]);
      await db.query('ALTER USER ?@? IDENTIFIED BY ?', [secrets.dbUser, host, secrets.dbPassword]);
    }
    let populated = true;
    for (const name of DATABASES) {
      const database = `${prefix}${name}`;
      await db.query(
        `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
      );
      for (const host of ['127.0.0.1', 'localhost']) {
        await db.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO ?@?`, [secrets.dbUser, host]);
      }
      const [rows] = await db.query(
        'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ?',
        [database],
      );
      if (Number((rows as Array<{ n: number }>)[0]?.n ?? 0) === 0) populated = false;
    }
    return populated;
  } finally {
    await db.end();
  }
}

/** Drops exactly the instance's databases and user. */
async function dropDatabases(rootUrl: string, prefix: string, user: string): Promise<void> {
  const db = await rootConnection(rootUrl);
  try {
    for (const name of DATABASES) await db.query(`DROP DATABASE IF EXISTS \`${prefix}${name}\``);
    for (const host of ['127.0.0.1', 'localhost']) await db.query('DROP USER IF EXISTS ?@?', [user, host]);
  } finally {
    await db.end();
  }
}

function loadSecrets(stateDir: string, instance: string): PersistedSecrets {
  const path = join(stateDir, 'secrets.json');
  const existing = readJson<PersistedSecrets>(path);
  if (existing !== undefined) return existing;
  const random = (): string => randomBytes(18).toString('base64url');
  const secrets: PersistedSecrets = {
    version: 1,
    dbPrefix: `mnos_${instance}_`,
    dbUser: `mnos_${instance}`,
    dbPassword: random(),
    adminUser: 'mnos-admin',
    adminPassword: random(),
    servicePassword: random(),
  };
  writeJson(path, secrets);
  return secrets;
}

const UWSGI_ARGS = [
  '--plugin',
  'python3',
  '--master',
  '--processes',
  '1',
  '--threads',
  '4',
  '--enable-threads',
  '--die-on-term',
  '--lazy-apps',
  '--buffer-size',
  '65535',
  '--need-app',
  '--thunder-lock',
];

/** Finds Erlang's epmd (Debian ships /usr/bin/epmd as a link into erts). */
function epmdBinary(): string {
  if (existsSync('/usr/bin/epmd')) return '/usr/bin/epmd';
  const erts = readdirSync('/usr/lib/erlang').find((d) => d.startsWith('erts-'));
  if (erts === undefined) throw new ControlPlaneError('epmd not found (is rabbitmq-server installed?)');
  return `/usr/lib/erlang/${erts}/bin/epmd`;
}

interface ServiceSpec {
  name: ServiceName;
  binary: string;
  args: string[];
  env?: Record<string, string>;
}

function serviceSpecs(dirs: Layout, pkgRoot: string, ports: ServicePorts, instance: string): ServiceSpec[] {
  const etc = dirs.etcDir;
  const bin = (script: string): string => join(pkgRoot, 'usr/bin', script);
  const nova = (script: string): ServiceSpec => ({
    name: script as ServiceName,
    binary: PYTHON,
    args: [bin(script), '--config-file', `${etc}/nova/nova.conf`],
  });
  const rabbitHome = join(dirs.dataDir, 'rabbitmq');
  return [
    {
      // A private epmd on its own port: the machine's shared one (4369) is never touched.
      name: 'epmd',
      binary: epmdBinary(),
      args: ['-port', String(ports.epmd), '-address', '127.0.0.1'],
    },
    {
      name: 'rabbitmq',
      binary: '/usr/lib/rabbitmq/bin/rabbitmq-server',
      args: [],
      env: {
        HOME: rabbitHome,
        RABBITMQ_NODENAME: `mnos-${instance}@localhost`,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(ports.rabbitmq),
        RABBITMQ_DIST_PORT: String(ports.rabbitmqDist),
        ERL_EPMD_ADDRESS: '127.0.0.1',
        ERL_EPMD_PORT: String(ports.epmd),
        RABBITMQ_MNESIA_BASE: join(rabbitHome, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dirs.logDir, 'rabbitmq'),
        RABBITMQ_PID_FILE: join(rabbitHome, 'beam.pid'),
        RABBITMQ_CONFIG_FILE: join(etc, 'rabbitmq'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(etc, 'rabbitmq-plugins'),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1} +S 1:1',
      },
    },
    {
      name: 'keystone',
      binary: '/usr/bin/uwsgi',
      args: [
        ...UWSGI_ARGS,
        '--http11-socket',
        `127.0.0.1:${ports.keystone}`,
        '--wsgi-file',
        '/usr/bin/keystone-wsgi-public',
        '--env',
        `OS_KEYSTONE_CONFIG_DIR=${etc}/keystone`,
        '--env',
        'OS_KEYSTONE_CONFIG_FILES=keystone.conf',
      ],
    },
    {
      name: 'placement',
      binary: '/usr/bin/uwsgi',
      args: [
        ...UWSGI_ARGS,
        '--http11-socket',
        `127.0.0.1:${ports.placement}`,
        '--wsgi-file',
        '/usr/bin/placement-api',
        '--env',
        `OS_PLACEMENT_CONFIG_DIR=${etc}/placement`,
      ],
    },
    {
      name: 'glance',
      binary: PYTHON,
      args: [bin('glance-api'), '--config-file', `${etc}/glance/glance-api.conf`],
    },
    {
      name: 'neutron',
      binary: PYTHON,
      args: [
        bin('neutron-server'),
        '--config-file',
        `${etc}/neutron/neutron.conf`,
        '--config-file',
        `${etc}/neutron/ml2_conf.ini`,
      ],
    },
    nova('nova-api'),
    nova('nova-conductor'),
    nova('nova-scheduler'),
    nova('nova-compute'),
  ];
}

function startService(dirs: Layout, spec: ServiceSpec, healthUrl: string): ServiceRecord {
  const running = spawnComponent({
    name: spec.name,
    binary: spec.binary,
    args: spec.args,
    logPath: join(dirs.logDir, `${spec.name}.log`),
    healthUrl,
    cwd: dirs.stateDir,
    env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', HOME: dirs.stateDir, ...spec.env },
  });
  const { exit: _exit, ...record } = running;
  void _exit;
  return { ...record, name: spec.name };
}

/** Stops exactly the recorded services, leaves first (the broker and epmd last). */
export async function stopServices(services: readonly ServiceRecord[]): Promise<void> {
  const waves: ServiceName[][] = [
    ['nova-compute', 'nova-scheduler', 'nova-conductor', 'nova-api', 'glance', 'neutron', 'placement'],
    ['keystone', 'rabbitmq'],
    ['epmd'],
  ];
  for (const wave of waves) {
    await Promise.all(
      services.filter((s) => wave.includes(s.name)).map((s) => stopProcess(s, { graceMs: 10_000 })),
    );
  }
}

export interface UpResult {
  run: RunState;
  stateDir: string;
  /** An instance already running for this owner was reused. */
  reused: boolean;
}

/**
 * Starts the instance (installing and syncing what is missing). Refuses when the instance is
 * running for another live process; services left by a dead owner are stopped first.
 */
export async function upRealOpenStack(options: RealOpenStackOptions): Promise<UpResult> {
  const instance = validInstance(options.instance);
  const stateDir = options.stateDir ?? instanceDir(instance);
  const dirs = layout(stateDir);
  const log = options.log ?? ((line: string) => console.log(line));
  const ownerPid = options.ownerPid ?? process.pid;
  const tokenCacheSeconds = options.tokenCacheSeconds ?? 2;
  const steps = new Steps(`openstack[${instance}]`, log);

  const previous = readRunState(stateDir);
  if (previous !== undefined) {
    const alive = previous.services.filter((s) => isAlive(s));
    if (
      alive.length === previous.services.length &&
      (previous.ownerPid === ownerPid || !ownerAlive(previous.ownerPid))
    ) {
      if (previous.ownerPid !== ownerPid) writeJson(join(stateDir, 'run.json'), { ...previous, ownerPid });
      return { run: { ...previous, ownerPid }, stateDir, reused: true };
    }
    if (alive.length > 0 && ownerAlive(previous.ownerPid) && previous.ownerPid !== ownerPid) {
      throw new ControlPlaneError(
        `OpenStack instance '${instance}' (${stateDir}) is in use by process ${previous.ownerPid}; ` +
          `stop it with tools/openstack/openstack.ts stop --instance ${instance}`,
      );
    }
    await steps.run('stop leftovers of an earlier run', () => stopServices(previous.services));
    rmSync(join(stateDir, 'run.json'), { force: true });
  }

  for (const dir of [dirs.etcDir, dirs.dataDir, dirs.logDir])
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const sub of ['lock/nova', 'lock/neutron', 'lock/glance', 'glance/images', 'nova', 'rabbitmq']) {
    mkdirSync(join(dirs.dataDir, sub), { recursive: true });
  }

  const cacheRoot = openstackCacheRoot();
  const install = await steps.run('install (apt packages, unpacked service debs)', () =>
    ensureInstalled(cacheRoot, (line) => log(`openstack[${instance}]: ${line}`)),
  );
  const pkgRoot = install.pkgRoot;
  const rootUrl =
    (
      await steps.run('MariaDB', () =>
        ensureMariaDb(options.mariadbUrl === undefined ? {} : { url: options.mariadbUrl }),
      )
    ).url ?? DEFAULT_MARIADB_URL;
  const secrets = loadSecrets(stateDir, instance);
  const markerPath = join(stateDir, 'synced.json');
  let marker = readJson<SyncedMarker>(markerPath);
  const populated = await steps.run('databases and user', () =>
    ensureDatabases(rootUrl, secrets.dbPrefix, secrets),
  );
  if (
    marker === undefined ||
    !populated ||
    marker.pkgRoot !== pkgRoot ||
    marker.dbPrefix !== secrets.dbPrefix
  ) {
    if (populated || marker !== undefined) {
      // Half-synced or synced by other package versions: start the databases over.
      await dropDatabases(rootUrl, secrets.dbPrefix, secrets.dbUser);
      await ensureDatabases(rootUrl, secrets.dbPrefix, secrets);
    }
    marker = { version: 1, pkgRoot, dbPrefix: secrets.dbPrefix, done: [] };
    writeJson(markerPath, marker);
    rmSync(join(stateDir, 'seed.json'), { force: true });
  }
  const fresh = !marker.done.includes('synced');
  const markDone = (step: string): void => {
    if (!marker.done.includes(step)) marker.done.push(step);
    writeJson(markerPath, marker);
  };

  const portList = await freePorts(PORT_KEYS.length);
  const ports = Object.fromEntries(
    PORT_KEYS.map((key, i) => [key, portList[i] ?? 0]),
  ) as unknown as ServicePorts;
  const configInput = {
    dbPrefix: secrets.dbPrefix,
    dbHost: dbHostOf(rootUrl),
    secrets,
    ports,
    etcDir: dirs.etcDir,
    dataDir: dirs.dataDir,
    pkgRoot,
    tokenCacheSeconds,
  };
  for (const [relative, content] of Object.entries(renderConfigs(configInput))) {
    const path = join(dirs.etcDir, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode: 0o600 });
  }
  const keystoneUrl = `http://127.0.0.1:${ports.keystone}`;
  const endpoints = {
    compute: `http://127.0.0.1:${ports.nova}/v2.1`,
    network: `http://127.0.0.1:${ports.neutron}`,
    image: `http://127.0.0.1:${ports.glance}`,
    placement: `http://127.0.0.1:${ports.placement}`,
  };
  const specs = new Map(serviceSpecs(dirs, pkgRoot, ports, instance).map((s) => [s.name, s]));
  const services: ServiceRecord[] = [];
  const runState: RunState = {
    version: 1,
    instance,
    dbPrefix: secrets.dbPrefix,
    ownerPid,
    startedAt: new Date().toISOString(),
    ports,
    keystoneUrl,
    authUrl: `${keystoneUrl}/v3`,
    endpoints,
    admin: {
      username: secrets.adminUser,
      password: secrets.adminPassword,
      projectName: 'admin',
      userDomainName: 'Default',
    },
    services,
    tokenCacheSeconds,
    bringUp: { fresh, totalSeconds: 0, steps: steps.steps },
  };
  const persist = (): void => writeJson(join(stateDir, 'run.json'), runState);
  const start = (name: ServiceName, healthUrl = ''): ServiceRecord => {
    const spec = specs.get(name);
    if (spec === undefined) throw new Error(`no spec for ${name}`);
    const record = startService(dirs, spec, healthUrl);
    services.push(record);
    persist();
    return record;
  };

  try {
    // The broker starts in the background while the databases are synced.
    const epmd = start('epmd');
    await waitFor(epmd, () => tcpOpen(ports.epmd), 10_000);
    const rabbit = start('rabbitmq');
    const rabbitReady = waitFor(rabbit, () => tcpOpen(ports.rabbitmq), 180_000);
    rabbitReady.catch(() => undefined);

    const kc = ['--config-file', `${dirs.etcDir}/keystone/keystone.conf`];
    const nc = ['--config-file', `${dirs.etcDir}/nova/nova.conf`];
    const cellDbUrl = (db: 'nova' | 'nova_cell0'): string => databaseUrl(configInput, db);
    if (fresh) {
      await steps.run('schema syncs (keystone, neutron, glance, placement, nova)', () =>
        Promise.all([
          (async () => {
            if (!existsSync(join(dirs.etcDir, 'keystone/fernet-keys/0'))) {
              for (const what of ['fernet_setup', 'credential_setup']) {
                await runTool(dirs, `keystone-${what}`, '/usr/bin/keystone-manage', [
                  ...kc,
                  what,
                  '--keystone-user',
                  'root',
                  '--keystone-group',
                  'root',
                ]);
              }
            }
            await runTool(dirs, 'keystone-db-sync', '/usr/bin/keystone-manage', [...kc, 'db_sync']);
          })(),
          runTool(dirs, 'neutron-db-manage', PYTHON, [
            join(pkgRoot, 'usr/bin/neutron-db-manage'),
            '--config-file',
            `${dirs.etcDir}/neutron/neutron.conf`,
            '--config-file',
            `${dirs.etcDir}/neutron/ml2_conf.ini`,
            'upgrade',
            'heads',
          ]),
          runTool(dirs, 'glance-db-sync', PYTHON, [
            join(pkgRoot, 'usr/bin/glance-manage'),
            '--config-file',
            `${dirs.etcDir}/glance/glance-api.conf`,
            'db_sync',
          ]),
          runTool(dirs, 'placement-db-sync', '/usr/bin/placement-manage', [
            '--config-file',
            `${dirs.etcDir}/placement/placement.conf`,
            'db',
            'sync',
          ]),
          (async () => {
            const manage = join(pkgRoot, 'usr/bin/nova-manage');
            await runTool(dirs, 'nova-api-db-sync', PYTHON, [manage, ...nc, 'api_db', 'sync']);
            await runTool(dirs, 'nova-map-cell0', PYTHON, [
              manage,
              ...nc,
              'cell_v2',
              'map_cell0',
              '--database_connection',
              cellDbUrl('nova_cell0'),
            ]);
            await runTool(dirs, 'nova-create-cell1', PYTHON, [
              manage,
              ...nc,
              'cell_v2',
              'create_cell',
              '--name',
              'cell1',
              '--transport-url',
              transportUrl(ports),
              '--database_connection',
              cellDbUrl('nova'),
            ]);
            await runTool(dirs, 'nova-db-sync', PYTHON, [manage, ...nc, 'db', 'sync']);
          })(),
        ]),
      );
      markDone('synced');
    }
    // cell1 stores the broker URL; this run's broker listens on a new port.
    await steps.run("point nova cell1 at this run's broker", async () => {
      const db = await rootConnection(rootUrl);
      try {
        await db.query(
          `UPDATE \`${secrets.dbPrefix}nova_api\`.cell_mappings SET transport_url = ?, database_connection = ? WHERE name = 'cell1'`,
          [transportUrl(ports), cellDbUrl('nova')],
        );
      } finally {
        await db.end();
      }
    });

    if (marker.done.includes('service-users')) {
      // Warm: this run's ports go into the catalog before Keystone serves it.
      await steps.run("catalog endpoints to this run's ports", () =>
        updateEndpointsSql(rootUrl, secrets.dbPrefix, keystoneUrl, endpoints),
      );
    }
    const keystone = start('keystone', `${keystoneUrl}/v3`);
    // Conductor and scheduler need the databases, the broker and their Keystone user (which a
    // fresh instance gets only after the bootstrap below).
    const startNovaBackground = (): Promise<readonly [ServiceRecord, ServiceRecord]> => {
      const started = rabbitReady.then(() => [start('nova-conductor'), start('nova-scheduler')] as const);
      started.catch(() => undefined);
      return started;
    };
    let novaBackground = marker.done.includes('service-users') ? startNovaBackground() : undefined;
    await steps.run('keystone up', () => waitFor(keystone, () => httpAnswers(`${keystoneUrl}/v3`), 180_000));
    if (!marker.done.includes('bootstrap')) {
      await steps.run('keystone bootstrap', () =>
        runTool(dirs, 'keystone-bootstrap', '/usr/bin/keystone-manage', [
          ...kc,
          'bootstrap',
          '--bootstrap-username',
          secrets.adminUser,
          '--bootstrap-password',
          secrets.adminPassword,
          '--bootstrap-region-id',
          'RegionOne',
          '--bootstrap-admin-url',
          `${keystoneUrl}/v3/`,
          '--bootstrap-internal-url',
          `${keystoneUrl}/v3/`,
          '--bootstrap-public-url',
          `${keystoneUrl}/v3/`,
        ]),
      );
      markDone('bootstrap');
    }
    const api = new AdminApi(keystoneUrl, {
      username: secrets.adminUser,
      password: secrets.adminPassword,
      projectName: 'admin',
    });
    if (!marker.done.includes('service-users')) {
      await steps.run('keystone catalog and service users', () =>
        ensureCatalog(api, keystoneUrl, endpoints, secrets.servicePassword, true),
      );
      markDone('service-users');
    }
    novaBackground ??= startNovaBackground();

    const placement = start('placement', `${endpoints.placement}/`);
    const glance = start('glance', `${endpoints.image}/`);
    const neutron = start('neutron', `${endpoints.network}/`);
    await steps.run('broker up', () => rabbitReady);
    const novaApi = start('nova-api', `http://127.0.0.1:${ports.nova}/`);
    const [conductor, scheduler] = await novaBackground;
    // nova-compute registers its resource provider in Placement, which must answer first.
    await steps.run('placement up', () =>
      waitFor(placement, () => httpAnswers(`${endpoints.placement}/`), 300_000),
    );
    const compute = start('nova-compute');
    const since = Date.now() - 5_000;
    await steps.run('glance, neutron, nova-api up', () =>
      Promise.all([
        waitFor(glance, () => httpAnswers(`${endpoints.image}/`), 300_000),
        waitFor(neutron, () => httpAnswers(`${endpoints.network}/`), 300_000),
        waitFor(novaApi, () => httpAnswers(`http://127.0.0.1:${ports.nova}/`), 300_000),
      ]),
    );
    await steps.run('nova conductor, scheduler and compute reporting', () =>
      waitForNovaServices(api, endpoints.compute, since, [conductor, scheduler, compute]),
    );
    await steps.run('compute host mapped', () => waitForHypervisor(api, endpoints.compute, compute));
    if (!marker.done.includes('image-flavor')) {
      await steps.run('image tiny and flavor m1.tiny', () => ensureImageAndFlavor(api, endpoints));
      markDone('image-flavor');
    }
  } catch (error) {
    await stopServices(services).catch(() => undefined);
    rmSync(join(stateDir, 'run.json'), { force: true });
    throw error;
  }
  runState.bringUp = { fresh, totalSeconds: steps.total(), steps: steps.steps };
  persist();
  log(`openstack[${instance}]: ${fresh ? 'fresh' : 'warm'} bring-up took ${steps.total().toFixed(1)}s`);
  return { run: runState, stateDir, reused: false };
}

/** Points the catalog's endpoints at this run's ports, straight in Keystone's database. */
async function updateEndpointsSql(
  rootUrl: string,
  prefix: string,
  keystoneUrl: string,
  endpoints: RunState['endpoints'],
): Promise<void> {
  const urls: Record<string, string> = {
    identity: `${keystoneUrl}/v3/`,
    compute: endpoints.compute,
    network: endpoints.network,
    image: endpoints.image,
    placement: endpoints.placement,
  };
  const db = await rootConnection(rootUrl);
  try {
    for (const [type, url] of Object.entries(urls)) {
      await db.query(
        `UPDATE \`${prefix}keystone\`.endpoint e JOIN \`${prefix}keystone\`.service s ON s.id = e.service_id ` +
          'SET e.url = ? WHERE s.type = ?',
        [url, type],
      );
    }
  } finally {
    await db.end();
  }
}

/** Services, endpoints (this run's ports) and the service users. */
async function ensureCatalog(
  api: AdminApi,
  keystoneUrl: string,
  endpoints: RunState['endpoints'],
  servicePassword: string,
  createUsers: boolean,
): Promise<void> {
  const k = `${keystoneUrl}/v3`;
  const wanted: Array<{ type: string; name: string; url: string }> = [
    { type: 'identity', name: 'keystone', url: `${keystoneUrl}/v3/` },
    { type: 'compute', name: 'nova', url: endpoints.compute },
    { type: 'network', name: 'neutron', url: endpoints.network },
    { type: 'image', name: 'glance', url: endpoints.image },
    { type: 'placement', name: 'placement', url: endpoints.placement },
  ];
  const { services } = await api.get<{ services: Array<{ id: string; type: string }> }>(`${k}/services`);
  const { endpoints: existing } = await api.get<{
    endpoints: Array<{ id: string; service_id: string; interface: string; url: string }>;
  }>(`${k}/endpoints`);
  for (const want of wanted) {
    let service = services.find((s) => s.type === want.type);
    if (service === undefined) {
      service = (
        await api.post<{ service: { id: string; type: string } }>(`${k}/services`, {
          service: { type: want.type, name: want.name, enabled: true },
        })
      ).service;
    }
    for (const iface of ['public', 'internal', 'admin']) {
      const endpoint = existing.find((e) => e.service_id === service.id && e.interface === iface);
      if (endpoint === undefined) {
        await api.post(`${k}/endpoints`, {
          endpoint: {
            service_id: service.id,
            interface: iface,
            url: want.url,
            region_id: 'RegionOne',
            enabled: true,
          },
        });
      } else if (endpoint.url !== want.url) {
        await api.request(`${k}/endpoints/${endpoint.id}`, {
          method: 'PATCH',
          body: { endpoint: { url: want.url } },
        });
      }
    }
  }
  if (!createUsers) return;
  const roleId = async (name: string): Promise<string> => {
    const { roles } = await api.get<{ roles: Array<{ id: string }> }>(`${k}/roles?name=${name}`);
    const found = roles[0];
    if (found !== undefined) return found.id;
    return (await api.post<{ role: { id: string } }>(`${k}/roles`, { role: { name } })).role.id;
  };
  const admin = await roleId('admin');
  const serviceRole = await roleId('service');
  await roleId('member');
  await roleId('reader');
  const { projects } = await api.get<{ projects: Array<{ id: string }> }>(
    `${k}/projects?name=service&domain_id=default`,
  );
  const serviceProject =
    projects[0]?.id ??
    (
      await api.post<{ project: { id: string } }>(`${k}/projects`, {
        project: { name: 'service', domain_id: 'default' },
      })
    ).project.id;
  for (const name of ['nova', 'neutron', 'glance', 'placement']) {
    const { users } = await api.get<{ users: Array<{ id: string }> }>(
      `${k}/users?name=${name}&domain_id=default`,
    );
    let id = users[0]?.id;
    if (id === undefined) {
      id = (
        await api.post<{ user: { id: string } }>(`${k}/users`, {
          user: { name, password: servicePassword, domain_id: 'default', enabled: true },
        })
      ).user.id;
    } else {
      await api.request(`${k}/users/${id}`, {
        method: 'PATCH',
        body: { user: { password: servicePassword } },
      });
    }
    for (const role of [admin, serviceRole]) {
      await api.request(`${k}/projects/${serviceProject}/users/${id}/roles/${role}`, { method: 'PUT' });
    }
  }
}

interface NovaService {
  binary: string;
  state: string;
  status: string;
  updated_at: string | null;
}

async function waitForNovaServices(
  api: AdminApi,
  computeUrl: string,
  since: number,
  services: ServiceRecord[],
): Promise<void> {
  const binaries = ['nova-conductor', 'nova-scheduler', 'nova-compute'];
  const deadline = Date.now() + 300_000;
  for (;;) {
    for (const service of services) {
      if (!isAlive(service)) {
        throw new ControlPlaneError(
          `${service.name} exited while starting; log: ${service.logPath}`,
          service.name,
          tailFile(service.logPath, 30),
        );
      }
    }
    const { services: listed } = await api.get<{ services: NovaService[] }>(`${computeUrl}/os-services`);
    const fresh = binaries.filter((binary) =>
      listed.some(
        (s) =>
          s.binary === binary &&
          s.state === 'up' &&
          s.updated_at !== null &&
          Date.parse(`${s.updated_at}Z`) >= since,
      ),
    );
    if (fresh.length === binaries.length) return;
    if (Date.now() > deadline) {
      const late = services.find((s) => !fresh.includes(s.name)) ?? services[0];
      throw new ControlPlaneError(
        `nova services not reporting within 300s (up: ${fresh.join(', ') || 'none'})`,
        late?.name,
        late === undefined ? '' : tailFile(late.logPath, 30),
      );
    }
    await sleep(1000);
  }
}

async function waitForHypervisor(api: AdminApi, computeUrl: string, compute: ServiceRecord): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    // The scheduler maps new compute hosts every few seconds; the hypervisor shows once mapped.
    const result = await api.request<{ hypervisors: Array<{ state: string }> }>(
      `${computeUrl}/os-hypervisors`,
      {
        allow: [404],
      },
    );
    if ((result?.hypervisors ?? []).some((h) => h.state === 'up')) return;
    if (!isAlive(compute) || Date.now() > deadline) {
      throw new ControlPlaneError(
        'nova-compute never showed up as a hypervisor',
        'nova-compute',
        tailFile(compute.logPath, 30),
      );
    }
    await sleep(1000);
  }
}

async function ensureImageAndFlavor(api: AdminApi, endpoints: RunState['endpoints']): Promise<void> {
  const { images } = await api.get<{ images: Array<{ id: string; status: string }> }>(
    `${endpoints.image}/v2/images?name=tiny`,
  );
  for (const image of images.filter((i) => i.status !== 'active')) {
    await api.request(`${endpoints.image}/v2/images/${image.id}`, { method: 'DELETE', allow: [404] });
  }
  if (!images.some((i) => i.status === 'active')) {
    const image = await api.post<{ id: string }>(`${endpoints.image}/v2/images`, {
      name: 'tiny',
      disk_format: 'raw',
      container_format: 'bare',
      visibility: 'public',
    });
    await api.request(`${endpoints.image}/v2/images/${image.id}/file`, {
      method: 'PUT',
      body: new Uint8Array(1024) as unknown as string,
      headers: { 'content-type': 'application/octet-stream' },
    });
  }
  const flavor = await api.request(`${endpoints.compute}/flavors/m1.tiny`, { allow: [404] });
  if (flavor === undefined) {
    const { flavors } = await api.get<{ flavors: Array<{ name: string }> }>(`${endpoints.compute}/flavors`);
    if (!flavors.some((f) => f.name === 'm1.tiny')) {
      await api.post(`${endpoints.compute}/flavors`, {
        flavor: { name: 'm1.tiny', id: 'm1.tiny', ram: 64, vcpus: 1, disk: 1 },
      });
    }
  }
}

/** Stops the instance's services and keeps everything else (the next `up` is warm). */
export async function stopRealOpenStack(stateDir: string): Promise<ServiceRecord[]> {
  const run = readRunState(stateDir);
  if (run === undefined) return [];
  await stopServices(run.services);
  rmSync(join(stateDir, 'run.json'), { force: true });
  return run.services;
}

/** Stops the services, drops the instance's databases and user, and deletes its state directory. */
export async function downRealOpenStack(stateDir: string, mariadbUrl?: string): Promise<ServiceRecord[]> {
  const stopped = await stopRealOpenStack(stateDir);
  const secrets = readJson<PersistedSecrets>(join(stateDir, 'secrets.json'));
  if (secrets !== undefined) {
    const url = mariadbUrl ?? process.env['MULTINIC_MARIADB_URL'] ?? DEFAULT_MARIADB_URL;
    await dropDatabases(url, secrets.dbPrefix, secrets.dbUser);
  }
  rmSync(stateDir, { recursive: true, force: true });
  return stopped;
}
