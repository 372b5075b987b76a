import { describe, expect, it } from 'vitest';
import {
  parseAgentInput,
  parseCidr,
  validateInterfaces,
  type AgentInterfaceInput,
} from '../../../src/agent/input.js';
import { WORKER1_INTERFACES } from './fixtures.js';

const good: AgentInterfaceInput = {
  id: 0,
  macAddress: 'fa:16:3e:4a:10:01',
  address: '192.168.50.11',
  cidr: '192.168.50.0/24',
  mtu: 1450,
};

describe('validateInterfaces (agent-side rules)', () => {
  it('accepts biz-worker-1 and keeps id, slot, lower-cased MAC and network', () => {
    const { valid, failures } = validateInterfaces(WORKER1_INTERFACES);
    expect(failures).toEqual([]);
    expect(
      valid.map((iface) => [iface.id, iface.slot, iface.name, iface.mac, iface.network, iface.prefix]),
    ).toEqual([
      [0, 0, 'multinic0', 'fa:16:3e:4a:10:01', '192.168.50.0/24', 24],
      [1, 1, 'multinic1', 'fa:16:3e:4a:10:02', '10.20.30.0/24', 24],
    ]);
  });

  it.each([
    ['name overrides id', { ...good, id: 4, name: 'multinic7' }, 'multinic7'],
    ['id when name is absent (not position + 1)', { ...good, id: 0 }, 'multinic0'],
    [
      'position when id and name are absent',
      { macAddress: good.macAddress, address: '192.168.50.11', cidr: '192.168.50.0/24', mtu: 1500 },
      'multinic0',
    ],
    ['cidr given as address/prefix', { ...good, cidr: '192.168.50.11/24' }, 'multinic0'],
  ])('slot: %s', (_title, entry, name) => {
    const { valid } = validateInterfaces([entry as AgentInterfaceInput]);
    expect(valid[0]?.name).toBe(name);
    expect(valid[0]?.network).toBe('192.168.50.0/24');
  });

  it.each([
    ['bad MAC', { ...good, macAddress: 'fa:16:3e:4a:10' }, 'invalid MAC address'],
    ['name outside the pattern', { ...good, name: 'eth1' }, "'name' must be multinic0..multinic9"],
    ['slot 10', { ...good, name: 'multinic10' }, 'interface index must be 0..9, got 10'],
    ['missing address', { ...good, address: undefined }, "'address' is required"],
    ['IPv6 address', { ...good, address: 'fd00::1' }, "'address' must be an IPv4 address"],
    ['missing cidr', { ...good, cidr: undefined }, "'cidr' is required"],
    ['bad cidr', { ...good, cidr: '192.168.50.0/33' }, "'cidr' must be an IPv4 CIDR"],
    [
      'address outside cidr',
      { ...good, address: '10.0.0.1' },
      'address 10.0.0.1 is not inside 192.168.50.0/24',
    ],
    ['missing mtu', { ...good, mtu: undefined }, "'mtu' is required"],
    ['mtu too small', { ...good, mtu: 67 }, "'mtu' must be 68..65536, got 67"],
    [
      'gateway outside cidr',
      { ...good, gateway: '10.0.0.1' },
      "'gateway' must be an IPv4 address inside 192.168.50.0/24",
    ],
  ])('rejects %s with a validation failure naming the problem', (_title, entry, message) => {
    const { valid, failures } = validateInterfaces([
      JSON.parse(JSON.stringify(entry)) as AgentInterfaceInput,
    ]);
    expect(valid).toEqual([]);
    expect(failures[0]?.errorType).toBe('validation');
    expect(failures[0]?.reason).toContain(message);
    expect(failures[0]?.mac).toBe(entry.macAddress.toLowerCase());
  });

  it('rejects the second of two entries with the same MAC or the same slot, keeps the first', () => {
    const { valid, failures } = validateInterfaces([
      good,
      { ...good, id: 1, macAddress: 'FA:16:3E:4A:10:01' },
      { ...good, macAddress: 'fa:16:3e:4a:10:03' },
    ]);
    expect(valid.map((iface) => iface.mac)).toEqual(['fa:16:3e:4a:10:01']);
    expect(failures.map((failure) => failure.reason)).toEqual([
      '[VALIDATION] duplicate MAC address fa:16:3e:4a:10:01',
      '[VALIDATION] duplicate interface name multinic0',
    ]);
  });
});

describe('parseAgentInput', () => {
  it('reads a spec', () => {
    expect(parseAgentInput(JSON.stringify({ nodeName: 'n', interfaces: [good] })).interfaces).toHaveLength(1);
  });
  it('reads a whole MultiNicNodeConfig and falls back to metadata.name', () => {
    const input = parseAgentInput(
      JSON.stringify({ metadata: { name: 'biz-worker-1' }, spec: { nodeName: '', interfaces: [good] } }),
    );
    expect(input.nodeName).toBe('biz-worker-1');
  });
  it('names the bad field', () => {
    expect(() => parseAgentInput('{"nodeName":"n","interfaces":[{"id":0}]}')).toThrow(
      /interfaces\.0\.macAddress/,
    );
    expect(() => parseAgentInput('{')).toThrow(/not valid JSON/);
  });
});

describe('parseCidr', () => {
  it.each([
    ['192.168.50.0/24', { network: '192.168.50.0/24', prefix: 24 }],
    ['192.168.50.77/26', { network: '192.168.50.64/26', prefix: 26 }],
    ['0.0.0.0/0', { network: '0.0.0.0/0', prefix: 0 }],
    ['10.0.0.1/32', { network: '10.0.0.1/32', prefix: 32 }],
    ['10.0.0/8', undefined],
    ['10.0.0.0', undefined],
  ])('%s', (cidr, expected) => expect(parseCidr(cidr)).toEqual(expected));
});
