// `multinic dev up|status|down`: a local control plane (etcd, kube-apiserver, controllers,
// scheduler, kwok with fake Nodes) plus MariaDB, as background processes recorded by pid in
// <dir>/state.json. `up` prints `export KUBECONFIG=<path>` as its last line.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { startControlPlane } from '../../dev/control-plane.js';
import { seedFixture } from '../../dev/openstack-real/seed.js';
import {
  instanceDir,
  readRunState,
  serviceStatuses,
  stopRealOpenStack,
  upRealOpenStack,
} from '../../dev/openstack-real/services.js';
import { generateFixture, sequentialId } from '../../openstack/simulator/fixture.js';
import { ControlPlaneError } from '../../dev/errors.js';
import { ensureImages } from '../../dev/images.js';
import { componentStatuses, readState, stopDevState } from '../../dev/state.js';
import { createLogger } from '../../observability/logger.js';

const USAGE = `usage: multinic dev <up|status|down> [options]

  up      start the control plane in the background (no-op when it is already running)
            --nodes N       fake kwok Nodes (default 3)
            --timeout S     seconds kube-apiserver may take to become ready (default 120)
            --openstack real  also run a real OpenStack (Keystone, Neutron, Glance, Placement, Nova with
                            the fake driver; installed from Debian on first use, then warm from the
                            cache) seeded with one VM per node; OS_* in the env file
            --openstack-sim also run the OpenStack simulator with one VM per node (nodes are then
                            node-0001.. with the VMs' server ids as systemUUIDs; OS_* in the env file)
            --real-node     also run one real node (containerd + kubelet in network namespace
                            mn-node-*) with the project's image (tools/image/build.sh, cached)
  status  show each component's pid and health (exit 1 when one is not healthy, 3 when not running)
  down    stop exactly the recorded processes and delete the directory

common:   --dir D         state directory (default $MULTINIC_DEV_DIR or ~/.cache/multinic/dev)`;

interface DevArgs {
  command: string | undefined;
  dir: string;
  nodes: number;
  timeoutS: number;
  openstackSim: boolean;
  openstackReal: boolean;
  realNode: boolean;
}

function parse(args: string[], env: NodeJS.ProcessEnv): DevArgs | string {
  const out: DevArgs = {
    command: undefined,
    dir: env['MULTINIC_DEV_DIR'] ?? join(env['HOME'] ?? homedir(), '.cache', 'multinic', 'dev'),
    nodes: 3,
    timeoutS: 120,
    openstackSim: false,
    openstackReal: false,
    realNode: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? (arg.split(/=(.*)/s) as [string, string])
        : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    const number = (name: string, min: number, max: number): number | string => {
      const text = value();
      const parsed = Number(text);
      return Number.isInteger(parsed) && parsed >= min && parsed <= max
        ? parsed
        : `${name} must be an integer ${min}..${max}, got '${text ?? ''}'`;
    };
    if (flag === '--dir') {
      const dir = value();
      if (dir === undefined || dir === '') return '--dir needs a value';
      out.dir = dir;
    } else if (flag === '--nodes') {
      const n = number('--nodes', 0, 1000);
      if (typeof n === 'string') return n;
      out.nodes = n;
    } else if (flag === '--timeout') {
      const n = number('--timeout', 1, 3600);
      if (typeof n === 'string') return n;
      out.timeoutS = n;
    } else if (flag === '--openstack-sim' && inline === undefined) {
      out.openstackSim = true;
    } else if (flag === '--openstack') {
      const kind = value();
      if (kind === 'real') out.openstackReal = true;
      else if (kind === 'sim') out.openstackSim = true;
      else return `--openstack must be 'real' or 'sim', got '${kind ?? ''}'`;
    } else if (flag === '--real-node' && inline === undefined) {
      out.realNode = true;
    } else if (flag === '-h' || flag === '--help') {
      out.command = 'help';
    } else if (!flag.startsWith('-') && out.command === undefined) {
      out.command = flag;
    } else {
      return `unknown argument '${arg}'`;
    }
  }
  out.dir = resolve(out.dir);
  return out;
}

async function up(args: DevArgs): Promise<number> {
  const existing = readState(args.dir);
  if (existing !== undefined) {
    const statuses = await componentStatuses(existing);
    if (statuses.every((s) => s.alive)) {
      console.log(`dev: already running (${args.dir}); \`multinic dev down\` stops it`);
      console.log(`export KUBECONFIG=${existing.kubeconfigPath}`);
      return 0;
    }
    console.log('dev: a previous control plane is partly gone; stopping what is left of it');
    await stopDevState(existing);
    rmSync(args.dir, { recursive: true, force: true });
  }
  const started = Date.now();
  const logger = createLogger({ level: process.env['MULTINIC_LOG_LEVEL'] === 'debug' ? 'debug' : 'warn' });
  let realOs: RealOpenStackDev | undefined;
  try {
    if (args.openstackReal && args.openstackSim)
      throw new Error('--openstack real and --openstack-sim exclude each other');
    if (args.openstackReal) realOs = await upRealForDev(args.nodes);
    const images = args.realNode ? await ensureImages(process.env, (line) => console.log(line)) : undefined;
    if (images !== undefined)
      console.log(`dev: images ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    const controlPlane = await startControlPlane({
      dataDir: args.dir,
      removeDataDirOnStop: true,
      detached: true,
      nodes: realOs?.nodes ?? args.nodes,
      timeouts: { apiServerMs: args.timeoutS * 1000 },
      ...(args.openstackSim ? { openstackSim: {} } : {}),
      ...(images === undefined ? {} : { realNode: { images } }),
      logger,
    });
    for (const component of controlPlane.state.components) {
      console.log(
        `dev: ${component.name.padEnd(24)} pid ${String(component.pid).padEnd(8)} log ${component.logPath}`,
      );
    }
    for (const node of controlPlane.nodes)
      console.log(`dev: node ${node.name} systemUUID ${node.systemUUID}`);
    const real = controlPlane.realNode;
    if (real !== undefined) {
      console.log(
        `dev: real node ${real.name} systemUUID ${real.systemUUID} InternalIP ${real.nodeAddress} ` +
          `(netns ${real.netns}, API server also on ${real.hostAddress}); Ready ${real.readySeconds.toFixed(1)}s after the kubelet started`,
      );
      if (images !== undefined) console.log(`dev: image ${images.image} (imagePullPolicy: IfNotPresent)`);
    }
    console.log(
      `dev: api server ${controlPlane.apiServerUrl}; MariaDB ${controlPlane.mariadbUrl ?? '(none)'}`,
    );
    if (controlPlane.openstackSimUrl !== undefined) {
      const url = controlPlane.openstackSimUrl;
      console.log(
        `dev: OpenStack simulator ${url} (Keystone ${url}/identity, admin/secret, project sim-project)`,
      );
    }
    if (realOs !== undefined) {
      for (const [name, value] of Object.entries(realOs.env)) controlPlane.setEnv(name, value);
      writeFileSync(join(args.dir, REAL_OPENSTACK_FILE), realOs.stateDir + '\n');
      console.log(
        `dev: real OpenStack ${realOs.env['OS_AUTH_URL'] ?? ''} (user ${realOs.env['OS_USERNAME'] ?? ''}, ` +
          `project ${realOs.env['OS_PROJECT_NAME'] ?? ''}; credentials in the env file)`,
      );
    }
    console.log(
      `dev: up in ${((Date.now() - started) / 1000).toFixed(1)}s; env file ${controlPlane.envFilePath}`,
    );
    console.log(`export KUBECONFIG=${controlPlane.kubeconfigPath}`);
    return 0;
  } catch (error) {
    console.error(`dev up: ${error instanceof Error ? error.message : String(error)}`);
    if (realOs !== undefined) await stopRealOpenStack(realOs.stateDir).catch(() => undefined);
    if (error instanceof ControlPlaneError && existsSync(join(args.dir, 'logs'))) {
      console.error(`dev up: logs kept in ${join(args.dir, 'logs')}`);
    }
    return 1;
  }
}

async function status(args: DevArgs): Promise<number> {
  const state = readState(args.dir);
  if (state === undefined) {
    console.log(`dev: not running (no state in ${args.dir})`);
    return 3;
  }
  const statuses = await componentStatuses(state);
  for (const s of statuses) {
    const health = !s.alive ? 'NOT RUNNING' : s.healthy ? 'healthy' : 'UNHEALTHY';
    console.log(
      `${s.name.padEnd(24)} pid ${String(s.pid).padEnd(8)} ${health.padEnd(12)} ${s.healthy ? '' : s.detail}`,
    );
  }
  let realHealthy = true;
  const realDir = realOpenStackDir(args.dir);
  if (realDir !== undefined) {
    const run = readRunState(realDir);
    if (run === undefined) {
      realHealthy = false;
      console.log(`real OpenStack NOT RUNNING (${realDir})`);
    } else {
      let total = 0;
      for (const s of serviceStatuses(run)) {
        total += s.rssBytes;
        realHealthy &&= s.alive;
        console.log(
          `openstack ${s.name.padEnd(14)} pid ${String(s.pid).padEnd(8)} ${(s.alive ? 'running' : 'NOT RUNNING').padEnd(12)} rss ${mib(s.rssBytes)}`,
        );
      }
      console.log(`real OpenStack ${run.authUrl}: ${mib(total)} resident in total`);
    }
  }
  console.log(
    `api server ${state.apiServerUrl}; nodes ${state.nodes.map((n) => n.name).join(', ') || '(none)'}`,
  );
  console.log(`export KUBECONFIG=${state.kubeconfigPath}`);
  return statuses.every((s) => s.alive && s.healthy) && realHealthy ? 0 : 1;
}

async function down(args: DevArgs): Promise<number> {
  const state = readState(args.dir);
  if (state === undefined) {
    console.log(`dev: nothing to stop (no state in ${args.dir})`);
    return 0;
  }
  await stopDevState(state);
  const realDir = realOpenStackDir(args.dir);
  if (realDir !== undefined) {
    const stopped = await stopRealOpenStack(realDir);
    console.log(
      `dev: stopped real OpenStack ${stopped.map((s) => `${s.name} (${s.pid})`).join(', ')}; kept warm in ${realDir}`,
    );
  }
  rmSync(args.dir, { recursive: true, force: true });
  console.log(
    `dev: stopped ${state.components.map((c) => `${c.name} (${c.pid})`).join(', ')}; removed ${args.dir}`,
  );
  return 0;
}

/** Names the real OpenStack's state directory inside a dev directory (absent without one). */
const REAL_OPENSTACK_FILE = 'openstack-real';

function realOpenStackDir(dir: string): string | undefined {
  const path = join(dir, REAL_OPENSTACK_FILE);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

interface RealOpenStackDev {
  stateDir: string;
  nodes: Array<{ name: string; systemUUID: string }>;
  env: Record<string, string>;
}

/**
 * Instance `dev` of the real OpenStack (warm after its first start: it keeps its databases in
 * the cache directory), seeded with one VM per node with 3 ports each, like the simulator's
 * generated fixture; the fake Nodes carry the real server ids as systemUUIDs.
 */
async function upRealForDev(nodes: number): Promise<RealOpenStackDev> {
  const stateDir = instanceDir('dev');
  const fixture = generateFixture({
    vms: nodes,
    portsPerVm: 3,
    username: 'multinic-dev',
    projectName: 'multinic-dev',
  });
  const log = (line: string): void => console.log(`dev: ${line}`);
  const { run } = await upRealOpenStack({ instance: 'dev', stateDir, log });
  try {
    const seed = await seedFixture(run, stateDir, fixture, { log });
    const user = fixture.users[0];
    const project = fixture.projects[0];
    return {
      stateDir,
      nodes: Array.from({ length: nodes }, (_, i) => ({
        name: `node-${String(i + 1).padStart(4, '0')}`,
        systemUUID: seed.mapping.servers[sequentialId('5e', i + 1)] ?? '',
      })),
      env: {
        OS_AUTH_URL: run.authUrl,
        OS_USERNAME: user?.name ?? '',
        OS_PASSWORD: user?.password ?? '',
        OS_PROJECT_NAME: project?.name ?? '',
        OS_PROJECT_ID: seed.mapping.projects[project?.id ?? ''] ?? '',
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        MULTINIC_OPENSTACK_REAL_STATE: stateDir,
      },
    };
  } catch (error) {
    await stopRealOpenStack(stateDir).catch(() => undefined);
    throw error;
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = parse(argv, process.env);
  if (typeof args === 'string') {
    console.error(`dev: ${args}\n\n${USAGE}`);
    return 2;
  }
  switch (args.command) {
    case 'up':
      return up(args);
    case 'status':
      return status(args);
    case 'down':
      return down(args);
    case 'help':
      console.log(USAGE);
      return 0;
    default:
      console.error(
        args.command === undefined ? USAGE : `dev: unknown sub-command '${args.command}'\n\n${USAGE}`,
      );
      return 2;
  }
}
