import { describe, expect, it } from 'vitest';
import type { LinkState, RuntimeState } from '../../../src/agent/observe.js';
import { planLinkRestore, planRoutingRestore, restoreDifferences } from '../../../src/agent/restore.js';

function link(ifindex: number, name: string, extra: Partial<LinkState> = {}): LinkState {
  return {
    ifindex,
    name,
    mac: `fa:16:3e:00:00:0${ifindex}`,
    mtu: 1500,
    adminUp: true,
    lowerUp: true,
    operState: 'UP',
    altnames: [],
    addresses: [],
    ...extra,
  };
}

const TABLES = ['100', '101'];

describe('rollback planning', () => {
  const before: RuntimeState = {
    links: [
      link(3, 'ens4', { addresses: [{ local: '198.51.100.7', prefixlen: 24, noprefixroute: false }] }),
      link(4, 'ens5', { adminUp: false, operState: 'DOWN' }),
    ],
    rules: [],
    routes: [
      {
        table: 'main',
        dst: '198.51.100.0/24',
        dev: 'ens4',
        protocol: 'kernel',
        scope: 'link',
        prefsrc: '198.51.100.7',
      },
    ],
    sysctls: { 'net.ipv4.conf.ens4.rp_filter': '0' },
  };
  const after: RuntimeState = {
    links: [
      link(3, 'multinic0', {
        mtu: 1450,
        altnames: ['ens4'],
        addresses: [{ local: '192.168.50.11', prefixlen: 24, noprefixroute: true }],
      }),
      link(4, 'multinic1', { altnames: ['ens5'] }),
    ],
    rules: [{ priority: 32765, from: '192.168.50.11/32', table: '100' }],
    routes: [
      {
        table: '100',
        dst: '192.168.50.0/24',
        dev: 'multinic0',
        metric: 100,
        prefsrc: '192.168.50.11',
        scope: 'link',
      },
    ],
    sysctls: { 'net.ipv4.conf.multinic0.rp_filter': '2' },
  };

  it('restores names (through temporary names), MTU, addresses, admin state, altnames and sysctls', () => {
    expect(planLinkRestore(before, after, [3, 4]).map((step) => step.argv.join(' '))).toEqual([
      'ip link property del dev multinic0 altname ens4',
      'ip link property del dev multinic1 altname ens5',
      'ip link set dev multinic0 down',
      'ip link set dev multinic0 name mnr3',
      'ip link set dev multinic1 down',
      'ip link set dev multinic1 name mnr4',
      'ip link set dev mnr3 name ens4',
      'ip link set dev mnr4 name ens5',
      'ip link set dev ens4 mtu 1500',
      'ip addr del 192.168.50.11/24 dev ens4',
      'ip addr add 198.51.100.7/24 dev ens4',
      'ip link set dev ens4 up',
      'sysctl -w net.ipv4.conf.ens4.rp_filter=0',
    ]);
  });

  it('restores rules and routes of its tables and of the touched links', () => {
    const relinked: RuntimeState = {
      ...after,
      links: before.links,
      routes: [...after.routes, { table: 'main', dst: '10.9.9.0/24', dev: 'eth0' }],
    };
    expect(
      planRoutingRestore(before, relinked, new Set(['ens4', 'ens5']), TABLES).map((step) =>
        step.argv.join(' '),
      ),
    ).toEqual([
      'ip rule del priority 32765 from 192.168.50.11/32 table 100',
      'ip route del 192.168.50.0/24 dev multinic0 table 100 metric 100',
      'ip route replace 198.51.100.0/24 dev ens4 table main src 198.51.100.7 proto kernel scope link',
    ]);
  });

  it('reports every remaining difference, and none when the state is back', () => {
    expect(restoreDifferences(before, before, [3, 4], TABLES)).toEqual([]);
    const differences = restoreDifferences(before, after, [3, 4], TABLES);
    expect(differences[0]).toMatch(/^link ens4: was/);
    expect(differences.some((line) => line.includes('ip rule del priority 32765'))).toBe(true);
  });
});
