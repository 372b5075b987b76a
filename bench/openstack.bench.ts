// OpenStack discovery against the simulator with 2 ms latency per call:
// 1,000 VMs × 4 ports, by id and by name, cold (token issuance included) and warm, plus a
// naive per-VM baseline. Targets: ≤ ⌈VMs/50⌉ port-list calls and one token issuance.
import { discoverPorts } from '../src/openstack/discovery.js';
import { listPorts } from '../src/openstack/networking/v2/ports.js';
import { getServer } from '../src/openstack/compute/v2/servers.js';
import { mapBounded } from '../src/openstack/pagination.js';
import { OpenStackSession } from '../src/openstack/session.js';
import { TokenCache } from '../src/openstack/identity/v3/token-cache.js';
import { generateFixture, parseFixture, sequentialId } from '../src/openstack/simulator/fixture.js';
import { startSimulator } from '../src/openstack/simulator/server.js';

const VMS = Number(process.env['BENCH_VMS'] ?? 1000);
const PORTS = 4;
const LATENCY_MS = 2;

const fixture = parseFixture(generateFixture({ vms: VMS, portsPerVm: PORTS }));
const sim = await startSimulator({ fixture, latencyMs: LATENCY_MS });
const user = fixture.users[0];
const project = fixture.projects[0];
if (user === undefined || project === undefined) throw new Error('generated fixture lacks a user or project');
const credentials = {
  authUrl: sim.authUrl,
  username: user.name,
  userDomainName: 'Default',
  password: user.password,
  projectId: project.id,
};
const vmIds = Array.from({ length: VMS }, (_, i) => sequentialId('5e', i + 1));
const vmNames = Array.from({ length: VMS }, (_, i) => `vm-${String(i + 1).padStart(4, '0')}`);
const subnetIds = [sequentialId('5b', 2), sequentialId('5b', 3), sequentialId('5b', 4)];

interface Figure {
  name: string;
  ms: number;
  requests: number;
  portLists: number;
  tokens: number;
  ports: number;
}
const figures: Figure[] = [];

async function measure(name: string, session: OpenStackSession, fn: () => Promise<number>): Promise<Figure> {
  sim.state.resetRequests();
  const before = sim.state.tokenIssuances();
  const started = performance.now();
  const ports = await fn();
  const ms = performance.now() - started;
  const counts = sim.state.requestCounts();
  const figure = {
    name,
    ms,
    requests: Object.values(counts).reduce((a, b) => a + b, 0),
    portLists: counts['network.ports.list'] ?? 0,
    tokens: sim.state.tokenIssuances() - before,
    ports,
  };
  figures.push(figure);
  console.log(
    `${name.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  requests ${String(figure.requests).padStart(5)}  ` +
      `port-lists ${String(figure.portLists).padStart(4)}  tokens ${figure.tokens}  ports ${ports}`,
  );
  console.log(`  by route: ${JSON.stringify(counts)}`);
  return figure;
}

const session = new OpenStackSession({ credentials, tokenCache: new TokenCache() });
console.log(`OpenStack discovery: ${VMS} VMs × ${PORTS} ports, ${LATENCY_MS} ms simulated latency per call`);
const cold = await measure(
  'discoverPorts by id (cold)',
  session,
  async () => (await discoverPorts(session, { vmIds, subnetIds })).ports.length,
);
await measure(
  'discoverPorts by id (warm token)',
  session,
  async () => (await discoverPorts(session, { vmIds, subnetIds })).ports.length,
);
await measure(
  'discoverPorts by name (warm)',
  session,
  async () => (await discoverPorts(session, { vmNames, subnetIds })).ports.length,
);
const naive = await measure('naive: one port-list + GET per VM', session, async () => {
  const per = await mapBounded(vmIds, 16, async (id) => {
    await getServer(session, id);
    return (await listPorts(session, { deviceIds: [id] })).length;
  });
  return per.reduce((a, b) => a + b, 0);
});
await session.close();
await sim.stop();

const target = Math.ceil(VMS / 50);
console.log(
  `\nport-list calls: ${cold.portLists} (target ≤ ${target}); token issuances (cold): ${cold.tokens} (target 1)`,
);
console.log(
  `ratio naive/discoverPorts: requests ×${(naive.requests / cold.requests).toFixed(2)}, ` +
    `port-list calls ×${(naive.portLists / Math.max(1, cold.portLists)).toFixed(0)}, wall time ×${(naive.ms / cold.ms).toFixed(2)}`,
);
if (cold.portLists > target || cold.tokens !== 1 || cold.ports !== VMS * PORTS) {
  console.error('openstack bench: target missed');
  process.exitCode = 1;
}
