import { describe, expect, it } from 'vitest';
import { parseLinks, parseRoutes, parseRules, parseSysctls } from '../../../src/agent/observe.js';

// Captured from iproute2 6.1 inside a test namespace.
const ADDR = `[{"ifindex":3,"link":"vB","ifname":"multinic0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"qdisc":"noqueue","operstate":"UP","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether","address":"FA:16:3E:00:00:01","broadcast":"ff:ff:ff:ff:ff:ff","altnames":["vA"],"addr_info":[{"family":"inet","local":"10.0.0.5","prefixlen":24,"scope":"global","noprefixroute":true,"label":"multinic0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::f816:3eff:fe00:1","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]},{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"operstate":"UNKNOWN","link_type":"loopback","address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]}]`;
const RULES = `[{"priority":0,"src":"all","table":"local"},{"priority":32765,"src":"10.0.0.5","table":"100"},{"priority":200,"src":"10.1.0.0","srclen":16,"table":"101"},{"priority":32766,"src":"all","table":"main"}]`;
const ROUTES = `[{"dst":"10.0.0.0/24","dev":"multinic0","table":"100","scope":"link","prefsrc":"10.0.0.5","metric":100,"flags":[]},{"dst":"default","gateway":"172.16.0.1","dev":"eth0","flags":[]},{"type":"local","dst":"10.0.0.5","dev":"multinic0","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.0.0.5","flags":[]}]`;

describe('ip -j parsers', () => {
  it('links: lower-cased MAC, flags, altnames, IPv4 global addresses only', () => {
    const [nic, lo] = parseLinks(ADDR);
    expect(nic).toEqual({
      ifindex: 3,
      name: 'multinic0',
      mac: 'fa:16:3e:00:00:01',
      mtu: 1450,
      adminUp: true,
      lowerUp: true,
      operState: 'UP',
      altnames: ['vA'],
      addresses: [{ local: '10.0.0.5', prefixlen: 24, noprefixroute: true }],
    });
    expect(lo).toMatchObject({ name: 'lo', mac: '', addresses: [] });
  });

  it('rules: /32 when srclen is absent', () => {
    expect(parseRules(RULES).map((rule) => `${rule.priority} ${rule.from} ${rule.table}`)).toEqual([
      '0 all local',
      '32765 10.0.0.5/32 100',
      '200 10.1.0.0/16 101',
      '32766 all main',
    ]);
  });

  it('routes: table main when absent, unicast type dropped', () => {
    expect(parseRoutes(ROUTES)).toEqual([
      { table: '100', dst: '10.0.0.0/24', dev: 'multinic0', metric: 100, prefsrc: '10.0.0.5', scope: 'link' },
      { table: 'main', dst: 'default', dev: 'eth0', gateway: '172.16.0.1' },
      {
        table: 'local',
        dst: '10.0.0.5',
        dev: 'multinic0',
        prefsrc: '10.0.0.5',
        protocol: 'kernel',
        scope: 'host',
        type: 'local',
      },
    ]);
  });

  it('sysctl output', () => {
    expect(parseSysctls('net.ipv4.conf.a.rp_filter = 2\nnet.ipv4.conf.a.arp_ignore = 0\n')).toEqual({
      'net.ipv4.conf.a.rp_filter': '2',
      'net.ipv4.conf.a.arp_ignore': '0',
    });
  });
});
