import { describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_OPTIONS } from '../../../src/agent/options.js';
import { plan } from '../../../src/agent/plan.js';
import { runProbes, type ProbeDeps } from '../../../src/agent/probe.js';
import type { CommandResult, CommandRunner } from '../../../src/agent/system.js';
import { desired } from './fixtures.js';

// The state `ip -j` shows after biz-worker-1's multinic0 was configured.
const LINKS = (operstate: string, mtu = 1450) =>
  JSON.stringify([
    {
      ifindex: 3,
      ifname: 'multinic0',
      flags: ['BROADCAST', 'MULTICAST', 'UP', ...(operstate === 'UP' ? ['LOWER_UP'] : [])],
      mtu,
      operstate,
      link_type: 'ether',
      address: 'fa:16:3e:4a:10:01',
      addr_info: [
        { family: 'inet', local: '192.168.50.11', prefixlen: 24, scope: 'global', noprefixroute: true },
      ],
    },
  ]);
const RULES = JSON.stringify([{ priority: 32765, src: '192.168.50.11', table: '100' }]);
const ROUTES = JSON.stringify([
  { dst: '192.168.50.0/24', dev: 'multinic0', table: '100', metric: 100, prefsrc: '192.168.50.11' },
]);

/** A scripted runner: answers `ip -j` with the given states in turn, and `ping` with pingResult. */
function scripted(
  linkStates: string[],
  pingResult: CommandResult = { code: 0, stdout: '', stderr: '' },
): { runner: CommandRunner; calls: string[] } {
  const calls: string[] = [];
  let looks = 0;
  const runner: CommandRunner = async (argv) => {
    calls.push(argv.join(' '));
    if (argv[0] === 'ping') return pingResult;
    if (argv.includes('addr'))
      return { code: 0, stdout: linkStates[Math.min(looks++, linkStates.length - 1)] ?? '[]', stderr: '' };
    if (argv.includes('rule')) return { code: 0, stdout: RULES, stderr: '' };
    return { code: 0, stdout: ROUTES, stderr: '' };
  };
  return { runner, calls };
}

function thePlan() {
  const [iface] = desired([
    {
      id: 0,
      name: 'multinic0',
      macAddress: 'fa:16:3e:4a:10:01',
      address: '192.168.50.11',
      cidr: '192.168.50.0/24',
      mtu: 1450,
      gateway: '192.168.50.1',
    },
  ]);
  const runtime = {
    links: [
      {
        ifindex: 3,
        name: 'ens4',
        mac: 'fa:16:3e:4a:10:01',
        mtu: 1500,
        adminUp: false,
        lowerUp: false,
        operState: 'DOWN',
        altnames: [],
        addresses: [],
      },
    ],
    rules: [],
    routes: [],
    sysctls: {},
  };
  return plan({
    backend: 'netplan',
    desired: [iface!],
    invalid: [],
    runtime,
    files: new Map(),
    network: DEFAULT_NETWORK_OPTIONS,
  });
}

function deps(runner: CommandRunner): ProbeDeps & { clock: { t: number } } {
  const clock = { t: 0 };
  return {
    runner,
    now: () => clock.t,
    sleep: async (ms) => {
      clock.t += ms;
    },
    connect: async () => undefined,
    custom: [],
    clock,
  };
}

const probeOptions = { timeoutMs: 1000, intervalMs: 100, gateway: false };

describe('runProbes', () => {
  it('waits (on the injected clock) until the link is up', async () => {
    const { runner } = scripted([LINKS('DOWN'), LINKS('DOWN'), LINKS('UP')]);
    const d = deps(runner);
    await expect(runProbes(thePlan(), DEFAULT_NETWORK_OPTIONS, probeOptions, d)).resolves.toBeUndefined();
    expect(d.clock.t).toBe(200);
  });

  it('reports a timeout when the link never comes up', async () => {
    const { runner } = scripted([LINKS('DOWN')]);
    await expect(runProbes(thePlan(), DEFAULT_NETWORK_OPTIONS, probeOptions, deps(runner))).resolves.toEqual({
      errorType: 'timeout',
      reason: 'multinic0: link is not up (operstate DOWN) after 1000 ms',
      iface: 'multinic0',
    });
  });

  it('reports a wrong MTU', async () => {
    const { runner } = scripted([LINKS('UP', 1500)]);
    const failure = await runProbes(thePlan(), DEFAULT_NETWORK_OPTIONS, probeOptions, deps(runner));
    expect(failure?.reason).toBe('multinic0: MTU is 1500, expected 1450 after 1000 ms');
  });

  it('pings the gateway through the interface when asked to', async () => {
    const { runner, calls } = scripted([LINKS('UP')], {
      code: 1,
      stdout: '1 packets transmitted, 0 received, 100% packet loss',
      stderr: '',
    });
    const failure = await runProbes(
      thePlan(),
      DEFAULT_NETWORK_OPTIONS,
      { ...probeOptions, gateway: true },
      deps(runner),
    );
    expect(calls).toContain('ping -n -q -c 1 -W 1 -I multinic0 192.168.50.1');
    expect(failure).toMatchObject({
      errorType: 'network',
      reason: expect.stringContaining('gateway 192.168.50.1 not reachable'),
    });
  });

  it('says so when ping is missing', async () => {
    const { runner } = scripted([LINKS('UP')], { code: 127, stdout: '', stderr: 'ping: not found' });
    const failure = await runProbes(
      thePlan(),
      DEFAULT_NETWORK_OPTIONS,
      { ...probeOptions, gateway: true },
      deps(runner),
    );
    expect(failure?.reason).toBe("gateway probe needs 'ping' on the agent's PATH");
  });

  it('checks the API server with a TCP connect and runs custom probes last', async () => {
    const { runner } = scripted([LINKS('UP')]);
    const d = { ...deps(runner), connect: async () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const failure = await runProbes(
      thePlan(),
      DEFAULT_NETWORK_OPTIONS,
      { ...probeOptions, apiServer: { host: '10.96.0.1', port: 443 } },
      d,
    );
    expect(failure?.reason).toBe('API server 10.96.0.1:443 not reachable: connect ECONNREFUSED');
    const custom = {
      ...deps(runner),
      custom: [async () => ({ errorType: 'network' as const, reason: 'custom' })],
    };
    expect((await runProbes(thePlan(), DEFAULT_NETWORK_OPTIONS, probeOptions, custom))?.reason).toBe(
      'custom',
    );
  });
});
