import { describe, expect, it } from 'vitest';
import type { InterfaceFailure } from '../../../src/agent/input.js';
import type { LinkState, RouteState, RuleState, RuntimeState } from '../../../src/agent/observe.js';
import { DEFAULT_NETWORK_OPTIONS } from '../../../src/agent/options.js';
import { plan, type PlanInput } from '../../../src/agent/plan.js';
import { renderNetplan } from '../../../src/agent/render.js';
import type { FileEntry } from '../../../src/agent/system.js';
import { desired } from './fixtures.js';

function link(ifindex: number, name: string, mac: string, extra: Partial<LinkState> = {}): LinkState {
  return {
    ifindex,
    name,
    mac,
    mtu: 1500,
    adminUp: false,
    lowerUp: false,
    operState: 'DOWN',
    altnames: [],
    addresses: [],
    ...extra,
  };
}

function state(
  links: LinkState[],
  rules: RuleState[] = [],
  routes: RouteState[] = [],
  sysctls: Record<string, string> = {},
): RuntimeState {
  return { links, rules, routes, sysctls };
}

const ETH0 = link(2, 'eth0', 'fa:16:3e:00:aa:01', {
  adminUp: true,
  lowerUp: true,
  operState: 'UP',
  addresses: [{ local: '172.16.0.21', prefixlen: 24, noprefixroute: false }],
});
const MAIN_ROUTES: RouteState[] = [
  { table: 'main', dst: 'default', gateway: '172.16.0.1', dev: 'eth0' },
  {
    table: 'main',
    dst: '172.16.0.0/24',
    dev: 'eth0',
    protocol: 'kernel',
    scope: 'link',
    prefsrc: '172.16.0.21',
  },
];

function input(runtime: RuntimeState, overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    backend: 'netplan',
    desired: desired(),
    invalid: [],
    runtime,
    files: new Map(),
    network: DEFAULT_NETWORK_OPTIONS,
    ...overrides,
  };
}

const argv = (result: ReturnType<typeof plan>): string[] => result.steps.map((step) => step.argv.join(' '));

/** The runtime after a successful apply of biz-worker-1 (as `ip -j` would show it). */
function configuredState(): RuntimeState {
  const sysctls: Record<string, string> = {};
  for (const name of ['multinic0', 'multinic1']) {
    Object.assign(sysctls, {
      [`net.ipv4.conf.${name}.rp_filter`]: '2',
      [`net.ipv4.conf.${name}.arp_ignore`]: '1',
      [`net.ipv4.conf.${name}.arp_announce`]: '2',
    });
  }
  const up = { adminUp: true, lowerUp: true, operState: 'UP' };
  return state(
    [
      ETH0,
      link(3, 'multinic0', 'fa:16:3e:4a:10:01', {
        ...up,
        mtu: 1450,
        altnames: ['ens4'],
        addresses: [{ local: '192.168.50.11', prefixlen: 24, noprefixroute: true }],
      }),
      link(4, 'multinic1', 'fa:16:3e:4a:10:02', {
        ...up,
        altnames: ['ens5'],
        addresses: [{ local: '10.20.30.11', prefixlen: 24, noprefixroute: true }],
      }),
    ],
    [
      { priority: 32765, from: '192.168.50.11/32', table: '100' },
      { priority: 32764, from: '10.20.30.11/32', table: '101' },
    ],
    [
      ...MAIN_ROUTES,
      {
        table: '100',
        dst: '192.168.50.0/24',
        dev: 'multinic0',
        metric: 100,
        prefsrc: '192.168.50.11',
        scope: 'link',
      },
      {
        table: '101',
        dst: '10.20.30.0/24',
        dev: 'multinic1',
        metric: 101,
        prefsrc: '10.20.30.11',
        scope: 'link',
      },
    ],
    sysctls,
  );
}

function configuredFiles(): Map<string, FileEntry> {
  return new Map(
    desired().map((iface) => {
      const file = renderNetplan(iface, DEFAULT_NETWORK_OPTIONS);
      return [file.path, { content: file.content, mode: file.mode }];
    }),
  );
}

describe('plan: first apply', () => {
  const runtime = state(
    [ETH0, link(3, 'ens4', 'fa:16:3e:4a:10:01'), link(4, 'ens5', 'FA:16:3E:4A:10:02'.toLowerCase())],
    [],
    MAIN_ROUTES,
  );
  const result = plan(input(runtime));

  it('renames by MAC, sets MTU and address, brings the link up, adds policy routing and sysctls', () => {
    // No 'ip route del <cidr>': with noprefixroute the kernel adds no prefix route to delete.
    expect(argv(result)).toEqual([
      'ip link set dev ens4 name multinic0',
      'ip link property add dev multinic0 altname ens4',
      'ip link set dev multinic0 mtu 1450',
      'ip addr replace 192.168.50.11/24 dev multinic0 noprefixroute',
      'ip link set dev multinic0 up',
      'ip link set dev ens5 name multinic1',
      'ip link property add dev multinic1 altname ens5',
      'ip addr replace 10.20.30.11/24 dev multinic1 noprefixroute',
      'ip link set dev multinic1 up',
      'ip rule add from 192.168.50.11/32 table 100',
      'ip route replace 192.168.50.0/24 dev multinic0 table 100 metric 100 src 192.168.50.11',
      'ip rule add from 10.20.30.11/32 table 101',
      'ip route replace 10.20.30.0/24 dev multinic1 table 101 metric 101 src 10.20.30.11',
      'sysctl -w net.ipv4.conf.multinic0.rp_filter=2 net.ipv4.conf.multinic0.arp_ignore=1 net.ipv4.conf.multinic0.arp_announce=2 ' +
        'net.ipv4.conf.multinic1.rp_filter=2 net.ipv4.conf.multinic1.arp_ignore=1 net.ipv4.conf.multinic1.arp_announce=2',
    ]);
  });

  it('falls back to down + rename when a live rename fails', () => {
    expect(result.steps[0]?.fallback?.map((step) => step.argv.join(' '))).toEqual([
      'ip link set dev ens4 down',
      'ip link set dev ens4 name multinic0',
    ]);
  });

  it('writes one 0600 file per interface and touches only the two matched links', () => {
    expect(result.files.map((change) => [change.path, change.before, change.after?.mode])).toEqual([
      ['/etc/netplan/90-multinic0.yaml', undefined, 0o600],
      ['/etc/netplan/91-multinic1.yaml', undefined, 0o600],
    ]);
    expect(result.touched).toEqual([3, 4]);
    expect(result.steps.some((step) => step.argv.includes('eth0'))).toBe(false);
  });
});

describe('plan: idempotence and changes', () => {
  it('plans nothing when the node already matches', () => {
    const result = plan(input(configuredState(), { files: configuredFiles() }));
    expect(result.steps).toEqual([]);
    expect(result.files).toEqual([]);
    expect(result.orphans).toEqual([]);
    expect(result.configured).toHaveLength(2);
  });

  it('an address change replaces the address, removes the old one and fixes rule and route', () => {
    const interfaces = desired().map((iface) => ({ ...iface }));
    interfaces[0] = { ...interfaces[0]!, address: '192.168.50.99' };
    const result = plan(input(configuredState(), { files: configuredFiles(), desired: interfaces }));
    expect(argv(result)).toEqual([
      'ip addr del 192.168.50.11/24 dev multinic0',
      'ip addr replace 192.168.50.99/24 dev multinic0 noprefixroute',
      'ip rule del priority 32765 from 192.168.50.11/32 table 100',
      'ip rule add from 192.168.50.99/32 table 100',
      'ip route del 192.168.50.0/24 dev multinic0 table 100 metric 100',
      'ip route replace 192.168.50.0/24 dev multinic0 table 100 metric 100 src 192.168.50.99',
    ]);
    expect(result.files.map((change) => change.path)).toEqual(['/etc/netplan/90-multinic0.yaml']);
  });

  it('an address added earlier without noprefixroute gets the flag and loses its main-table prefix route', () => {
    const runtime = configuredState();
    const links = runtime.links.map((entry) =>
      entry.name === 'multinic0'
        ? { ...entry, addresses: [{ local: '192.168.50.11', prefixlen: 24, noprefixroute: false }] }
        : entry,
    );
    const routes = [
      ...runtime.routes,
      {
        table: 'main',
        dst: '192.168.50.0/24',
        dev: 'multinic0',
        protocol: 'kernel',
        scope: 'link',
        prefsrc: '192.168.50.11',
      },
    ];
    const result = plan(input({ ...runtime, links, routes }, { files: configuredFiles() }));
    expect(argv(result)).toEqual([
      'ip addr replace 192.168.50.11/24 dev multinic0 noprefixroute',
      'ip route del 192.168.50.0/24 dev multinic0',
    ]);
    expect(result.steps[1]?.tolerate).toBe(true);
  });

  it('an MTU change is one command and one file', () => {
    const interfaces = desired().map((iface) => (iface.slot === 1 ? { ...iface, mtu: 9000 } : iface));
    const result = plan(input(configuredState(), { files: configuredFiles(), desired: interfaces }));
    expect(argv(result)).toEqual(['ip link set dev multinic1 mtu 9000']);
    expect(result.files.map((change) => change.path)).toEqual(['/etc/netplan/91-multinic1.yaml']);
  });

  it('a file with the wrong mode is rewritten', () => {
    const files = configuredFiles();
    const entry = files.get('/etc/netplan/90-multinic0.yaml')!;
    files.set('/etc/netplan/90-multinic0.yaml', { ...entry, mode: 0o644 });
    const result = plan(input(configuredState(), { files }));
    expect(result.files.map((change) => [change.path, change.before?.mode, change.after?.mode])).toEqual([
      ['/etc/netplan/90-multinic0.yaml', 0o644, 0o600],
    ]);
  });
});

describe('plan: orphans', () => {
  it('a removed MAC: its link is de-configured and gets its original name back, its file and routing go', () => {
    const [first] = desired();
    const result = plan(input(configuredState(), { files: configuredFiles(), desired: [first!] }));
    expect(argv(result)).toEqual([
      'ip rule del priority 32764 from 10.20.30.11/32 table 101',
      'ip route del 10.20.30.0/24 dev multinic1 table 101 metric 101',
      'ip addr del 10.20.30.11/24 dev multinic1',
      'ip link set dev multinic1 down',
      'ip link property del dev multinic1 altname ens5',
      'ip link set dev multinic1 name ens5',
    ]);
    expect(result.steps.every((step) => step.orphan === 'multinic1')).toBe(true);
    expect(result.files).toEqual([
      {
        path: '/etc/netplan/91-multinic1.yaml',
        before: configuredFiles().get('/etc/netplan/91-multinic1.yaml'),
        after: undefined,
      },
    ]);
    expect(result.orphans.map((orphan) => [orphan.name, orphan.link?.ifindex, orphan.files])).toEqual([
      ['multinic1', 4, ['/etc/netplan/91-multinic1.yaml']],
    ]);
  });

  it('an orphan link without an altname gets a name derived from its MAC', () => {
    const runtime = state([ETH0, link(7, 'multinic3', 'fa:16:3e:00:00:33')]);
    const result = plan(input(runtime, { desired: [] }));
    expect(argv(result)).toEqual(['ip link set dev multinic3 name mnxfa163e000033']);
  });

  it('cleanup (nothing desired) removes every file and link of ours and nothing else', () => {
    const result = plan(input(configuredState(), { files: configuredFiles(), desired: [] }));
    expect(result.orphans.map((orphan) => orphan.name)).toEqual(['multinic0', 'multinic1']);
    expect(result.files.every((change) => change.after === undefined)).toBe(true);
    expect(result.steps.some((step) => step.argv.includes('eth0'))).toBe(false);
  });

  it('files of an entry that failed validation are kept, not treated as orphans', () => {
    const invalid: InterfaceFailure[] = [
      {
        id: 1,
        mac: 'fa:16:3e:4a:10:02',
        name: 'multinic1',
        errorType: 'validation',
        reason: "[VALIDATION] 'mtu' is required",
      },
    ];
    const result = plan(
      input(configuredState(), { files: configuredFiles(), desired: [desired()[0]!], invalid }),
    );
    expect(result.steps).toEqual([]);
    expect(result.files).toEqual([]);
    expect(result.orphans).toEqual([]);
  });

  it('files not named like ours are never touched', () => {
    const files = new Map([['/etc/netplan/50-cloud-init.yaml', { content: 'network: {}', mode: 0o600 }]]);
    const result = plan(input(configuredState(), { files: new Map([...configuredFiles(), ...files]) }));
    expect(result.files).toEqual([]);
  });
});

describe('plan: preflight and names', () => {
  it('a missing MAC fails that interface with the reference reason, the other goes on', () => {
    const runtime = state([ETH0, link(3, 'ens4', 'fa:16:3e:4a:10:01')]);
    const result = plan(input(runtime));
    expect(result.configured.map((entry) => entry.desired.name)).toEqual(['multinic0']);
    expect(result.failures).toEqual([
      {
        id: 1,
        mac: 'fa:16:3e:4a:10:02',
        name: 'multinic1',
        errorType: 'validation',
        reason:
          '[VALIDATION] preflight: MAC not present on system: interface with MAC fa:16:3e:4a:10:02 not found',
      },
    ]);
  });

  it('an UP NIC with an address, routes or a master is refused unless allowed (preflight)', () => {
    const busy = link(3, 'ens4', 'fa:16:3e:4a:10:01', {
      adminUp: true,
      lowerUp: true,
      operState: 'UP',
      master: 'br0',
      addresses: [{ local: '192.0.2.1', prefixlen: 24, noprefixroute: false }],
    });
    const runtime = state(
      [ETH0, busy, link(4, 'ens5', 'fa:16:3e:4a:10:02')],
      [],
      [{ table: 'main', dst: 'default', dev: 'ens4', gateway: '192.0.2.254' }],
    );
    const refused = plan(input(runtime));
    expect(refused.preflightBlocks).toEqual(['has_ipv4', 'enslaved', 'default_route']);
    expect(refused.failures[0]?.reason).toBe(
      '[VALIDATION] preflight: ens4 (MAC fa:16:3e:4a:10:01) is up and in use (has_ipv4, enslaved, default_route)',
    );
    expect(plan(input(runtime, { preflightAllowUp: true })).failures).toEqual([]);
  });

  it('an UP NIC that is not in use is accepted', () => {
    const runtime = state([
      ETH0,
      link(3, 'ens4', 'fa:16:3e:4a:10:01', { adminUp: true, lowerUp: true, operState: 'UP' }),
      link(4, 'ens5', 'fa:16:3e:4a:10:02'),
    ]);
    expect(plan(input(runtime)).failures).toEqual([]);
  });

  it('two NICs that swap names go through a temporary name', () => {
    const runtime = state([
      ETH0,
      link(3, 'multinic1', 'fa:16:3e:4a:10:01'),
      link(4, 'multinic0', 'fa:16:3e:4a:10:02'),
    ]);
    const result = plan(input(runtime));
    expect(argv(result).slice(0, 5)).toEqual([
      'ip link set dev multinic0 down',
      'ip link set dev multinic0 name mntfa163e4a1002',
      'ip link set dev multinic1 name multinic0',
      'ip link set dev multinic0 mtu 1450',
      'ip addr replace 192.168.50.11/24 dev multinic0 noprefixroute',
    ]);
    expect(argv(result)).toContain('ip link set dev mntfa163e4a1002 name multinic1');
  });

  it('a name held by a NIC whose entry failed validation is not taken', () => {
    const runtime = state([
      ETH0,
      link(3, 'ens4', 'fa:16:3e:4a:10:01'),
      link(5, 'multinic0', 'fa:16:3e:00:00:99'),
    ]);
    const invalid: InterfaceFailure[] = [
      { id: 5, mac: 'fa:16:3e:00:00:99', name: 'multinic5', errorType: 'validation', reason: 'x' },
    ];
    const result = plan(input(runtime, { desired: [desired()[0]!], invalid }));
    expect(result.configured).toEqual([]);
    expect(result.failures[0]?.reason).toContain('multinic0 is held by the link with MAC fa:16:3e:00:00:99');
  });
});

describe('plan: other backends and options', () => {
  it('NetworkManager writes a keyfile and a .link per interface', () => {
    const runtime = state([ETH0, link(3, 'ens4', 'fa:16:3e:4a:10:01'), link(4, 'ens5', 'fa:16:3e:4a:10:02')]);
    const result = plan(input(runtime, { backend: 'networkmanager' }));
    expect(result.files.map((change) => change.path)).toEqual([
      '/etc/NetworkManager/system-connections/90-multinic0.nmconnection',
      '/etc/systemd/network/90-multinic0.link',
      '/etc/NetworkManager/system-connections/91-multinic1.nmconnection',
      '/etc/systemd/network/91-multinic1.link',
    ]);
  });

  it('without policy routing no rule or table route is added, and old ones are removed', () => {
    const network = { ...DEFAULT_NETWORK_OPTIONS, policyRouting: false, noPrefixRoute: false };
    const result = plan(input(configuredState(), { files: configuredFiles(), network }));
    const commands = argv(result);
    expect(commands).toContain('ip addr replace 192.168.50.11/24 dev multinic0');
    expect(commands).toContain('ip rule del priority 32765 from 192.168.50.11/32 table 100');
    expect(commands.some((command) => command.startsWith('ip rule add'))).toBe(false);
  });
});
