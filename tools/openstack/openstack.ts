// A real OpenStack on 127.0.0.1 for tests, benchmarks and the playground:
//
//   npx tsx tools/openstack/openstack.ts install                       Debian packages + unpacked service debs only
//   npx tsx tools/openstack/openstack.ts up     [--instance dev] [--vms 3 | --fixture f.json] [--state DIR]
//   npx tsx tools/openstack/openstack.ts status [--instance dev]      pids, RSS, URLs
//   npx tsx tools/openstack/openstack.ts stop   [--instance dev]      stop the services, keep the databases (warm)
//   npx tsx tools/openstack/openstack.ts down   [--instance dev]      stop, drop the databases and user, delete state
//
// State: ${MULTINIC_CACHE_DIR:-~/.cache/multinic}/openstack/instance-<name>/ (or --state).
// Databases: mnos_<instance>_* on the machine's MariaDB, with a user of their own.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateFixture, type SimulatorFixtureInput } from '../../src/openstack/simulator/fixture.js';
import { readSeedRecord, seedFixture } from '../../src/dev/openstack-real/seed.js';
import { ensureInstalled } from '../../src/dev/openstack-real/install.js';
import {
  downRealOpenStack,
  openstackCacheRoot,
  instanceDir,
  readRunState,
  serviceStatuses,
  stopRealOpenStack,
  upRealOpenStack,
} from '../../src/dev/openstack-real/services.js';

const USAGE =
  'usage: openstack.ts <install|up|status|stop|down> [--instance NAME] [--state DIR] [--vms N | --fixture FILE]';

function parse(argv: string[]): {
  command: string;
  instance: string;
  stateDir: string;
  fixture: SimulatorFixtureInput;
} {
  let command = '';
  let instance = 'dev';
  let stateDir: string | undefined;
  let fixture: SimulatorFixtureInput = generateFixture({ vms: 3, portsPerVm: 3 });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--instance') instance = value();
    else if (arg === '--state') stateDir = resolve(value());
    else if (arg === '--vms') fixture = generateFixture({ vms: Number(value()), portsPerVm: 3 });
    else if (arg === '--fixture')
      fixture = JSON.parse(readFileSync(value(), 'utf8')) as SimulatorFixtureInput;
    else if (!arg.startsWith('-') && command === '') command = arg;
    else throw new Error(`unknown argument '${arg}'\n${USAGE}`);
  }
  return { command, instance, stateDir: stateDir ?? instanceDir(instance), fixture };
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  switch (args.command) {
    case 'up': {
      const started = Date.now();
      // A CLI process exits right away: the services then belong to nobody, and the next `up`
      // (or a test run) adopts them.
      const { run, reused } = await upRealOpenStack({ instance: args.instance, stateDir: args.stateDir });
      if (reused) console.log(`openstack[${args.instance}]: already running, reused`);
      const seed = await seedFixture(run, args.stateDir, args.fixture);
      console.log(
        `openstack[${args.instance}]: ${seed.seeded ? `seeded in ${seed.seconds.toFixed(1)}s` : 'fixture already seeded'}; ` +
          `up in ${((Date.now() - started) / 1000).toFixed(1)}s (${run.bringUp.fresh ? 'fresh' : 'warm'})`,
      );
      console.log(`OS_AUTH_URL=${run.authUrl}`);
      console.log(`state: ${args.stateDir} (run.json: admin credentials, seed.json: fixture id -> real id)`);
      return 0;
    }
    case 'install': {
      const started = Date.now();
      const result = await ensureInstalled(openstackCacheRoot(), (line) => console.log(`openstack: ${line}`));
      console.log(
        `openstack: installed in ${((Date.now() - started) / 1000).toFixed(1)}s` +
          `${result.installed.length > 0 ? ` (apt-get: ${result.installed.join(' ')})` : ' (all present)'}; services in ${result.pkgRoot}`,
      );
      return 0;
    }
    case 'status': {
      const run = readRunState(args.stateDir);
      if (run === undefined) {
        console.log(`openstack[${args.instance}]: not running (${args.stateDir})`);
        return 3;
      }
      let total = 0;
      const statuses = serviceStatuses(run);
      for (const s of statuses) {
        total += s.rssBytes;
        console.log(
          `${s.name.padEnd(16)} pid ${String(s.pid).padEnd(8)} ${s.alive ? 'running' : 'NOT RUNNING'}  rss ${mib(s.rssBytes)}`,
        );
      }
      console.log(
        `total rss ${mib(total)}; keystone ${run.authUrl}; nova ${run.endpoints.compute}; neutron ${run.endpoints.network}`,
      );
      const seed = readSeedRecord(args.stateDir);
      console.log(
        `seeded: ${seed === undefined ? 'no' : `${Object.keys(seed.mapping.servers).length} servers, ${Object.keys(seed.mapping.ports).length} ports`}`,
      );
      return statuses.every((s) => s.alive) ? 0 : 1;
    }
    case 'stop': {
      const stopped = await stopRealOpenStack(args.stateDir);
      console.log(
        `openstack[${args.instance}]: stopped ${stopped.map((s) => `${s.name} (${s.pid})`).join(', ') || 'nothing'}`,
      );
      return 0;
    }
    case 'down': {
      const stopped = await downRealOpenStack(args.stateDir);
      console.log(
        `openstack[${args.instance}]: stopped ${stopped.map((s) => `${s.name} (${s.pid})`).join(', ') || 'nothing'}; ` +
          `dropped its databases; removed ${args.stateDir}`,
      );
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`openstack: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
