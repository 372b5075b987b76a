// One sync's OpenStack reads on both targets, side by side: the simulator (in-process, no added
// latency) and the real Keystone/Neutron/Nova (brought up as instance `bench`, warm after the
// first run), each holding the same generated 50-VM fixture (3 ports per VM). For 3 VMs and for
// all 50: VMs by id vs by name (names: one anchored request per name vs one paged listing),
// requests per sync (counted on the client side, so the same way on both) and wall time.
//   npm run bench -- openstack-targets          (BENCH_VMS=50, BENCH_RUNS=3)
import { discoverPorts, type DiscoverPortsOptions } from '../src/openstack/discovery.js';
import { requestDuration } from '../src/openstack/http.js';
import { TokenCache } from '../src/openstack/identity/v3/token-cache.js';
import { OpenStackSession } from '../src/openstack/session.js';
import type { KeystoneCredentials } from '../src/openstack/credentials.js';
import { generateFixture, parseFixture, sequentialId } from '../src/openstack/simulator/fixture.js';
import { startSimulator } from '../src/openstack/simulator/server.js';
import { seedFixture } from '../src/dev/openstack-real/seed.js';
import { stopRealOpenStack, upRealOpenStack, instanceDir } from '../src/dev/openstack-real/services.js';

const VMS = Number(process.env['BENCH_VMS'] ?? 50);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const fixtureInput = generateFixture({ vms: VMS, portsPerVm: 3 });
const fixture = parseFixture(fixtureInput);
const user = fixture.users[0];
const project = fixture.projects[0];
if (user === undefined || project === undefined) throw new Error('generated fixture lacks a user or project');

async function requestsSoFar(): Promise<number> {
  const values = (await requestDuration.get()).values;
  return values
    .filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))
    .reduce((sum, v) => sum + v.value, 0);
}

interface Row {
  target: string;
  vms: number;
  lookup: string;
  requests: number;
  medianMs: number;
  ports: number;
}
const rows: Row[] = [];

async function measure(
  targetName: string,
  credentials: KeystoneCredentials,
  id: (fixtureId: string) => string,
): Promise<void> {
  // A loaded two-core machine can take longer than the default 30 s for one Nova listing.
  const session = new OpenStackSession({
    credentials,
    tokenCache: new TokenCache(),
    http: { timeoutMs: 180_000 },
  });
  await session.token();
  const subnetIds = [id(sequentialId('5b', 2)), id(sequentialId('5b', 3))];
  for (const vms of [3, VMS]) {
    const vmIds = Array.from({ length: vms }, (_, i) => id(sequentialId('5e', i + 1)));
    const vmNames = Array.from({ length: vms }, (_, i) => `vm-${String(i + 1).padStart(4, '0')}`);
    const cases: Array<[string, DiscoverPortsOptions]> = [
      ['by id', { vmIds, subnetIds }],
      ['by name, per-name', { vmNames, subnetIds, nameLookup: 'per-name' }],
      ['by name, listing', { vmNames, subnetIds, nameLookup: 'list' }],
    ];
    for (const [lookup, options] of cases) {
      const times: number[] = [];
      let requests = 0;
      let ports = 0;
      for (let run = 0; run < RUNS; run++) {
        const before = await requestsSoFar();
        const started = performance.now();
        const result = await discoverPorts(session, options);
        times.push(performance.now() - started);
        requests = (await requestsSoFar()) - before;
        ports = result.ports.length;
        if (result.servers.length !== vms) {
          throw new Error(`${targetName} ${lookup}: found ${result.servers.length} of ${vms} VMs`);
        }
      }
      times.sort((a, b) => a - b);
      const row = {
        target: targetName,
        vms,
        lookup,
        requests,
        medianMs: times[Math.floor(times.length / 2)] ?? 0,
        ports,
      };
      rows.push(row);
      console.log(
        `${targetName.padEnd(10)} ${String(vms).padStart(3)} VMs  ${lookup.padEnd(18)} ` +
          `requests ${String(requests).padStart(4)}  median ${row.medianMs.toFixed(0).padStart(6)} ms  ports ${ports}`,
      );
    }
  }
  await session.close();
}

console.log(
  `OpenStack discovery per sync on both targets: ${VMS}-VM fixture, 3 ports per VM, ${RUNS} runs each`,
);
const sim = await startSimulator({ fixture });
await measure(
  'simulator',
  {
    authUrl: sim.authUrl,
    username: user.name,
    userDomainName: 'Default',
    password: user.password,
    projectId: project.id,
  },
  (fixtureId) => fixtureId,
);
await sim.stop();

const stateDir = instanceDir('bench');
const started = Date.now();
const { run } = await upRealOpenStack({ instance: 'bench', stateDir });
try {
  const seed = await seedFixture(run, stateDir, fixtureInput);
  console.log(
    `real OpenStack ready in ${((Date.now() - started) / 1000).toFixed(1)}s ` +
      `(${run.bringUp.fresh ? 'fresh' : 'warm'}, seeding ${seed.seeded ? `${seed.seconds.toFixed(1)}s` : 'kept'})`,
  );
  const all = { ...seed.mapping.servers, ...seed.mapping.subnets };
  await measure(
    'real',
    {
      authUrl: run.keystoneUrl,
      username: user.name,
      userDomainName: 'Default',
      password: user.password,
      projectId: seed.mapping.projects[project.id] ?? '',
    },
    (fixtureId) => {
      const real = all[fixtureId];
      if (real === undefined) throw new Error(`no real id for ${fixtureId}`);
      return real;
    },
  );
} finally {
  await stopRealOpenStack(stateDir);
}

console.log('\nside by side (requests per sync / median wall time):');
for (const vms of [3, VMS]) {
  for (const lookup of ['by id', 'by name, per-name', 'by name, listing']) {
    const cell = (target: string): string => {
      const row = rows.find((r) => r.target === target && r.vms === vms && r.lookup === lookup);
      return row === undefined ? '-' : `${row.requests} req / ${row.medianMs.toFixed(0)} ms`;
    };
    console.log(
      `${String(vms).padStart(3)} VMs ${lookup.padEnd(18)} simulator ${cell('simulator').padEnd(20)} real ${cell('real')}`,
    );
  }
}
