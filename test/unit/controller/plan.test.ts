import { describe, expect, it } from 'vitest';
import {
  agentResultsOf,
  canonicalJson,
  desiredNodes,
  downPortHash,
  downRetryDue,
  filterPorts,
  nextDownRetryState,
  nextPollDelay,
  nodeConfigSpec,
  parseNeutronTime,
  planDelivery,
  planNodeInterfaces,
  planSync,
  resolveNodeName,
  specHash,
} from '../../../src/controller/plan.js';
import type { CandidateInterface } from '../../../src/controller/plan.js';
import type { Port, Server } from '../../../src/openstack/index.js';
import { parseMultiNicNodeConfigSpec } from '../../../src/api/multinic-node-config.js';

const mac = (n: number): string => `fa:16:3e:00:00:${n.toString(16).padStart(2, '0')}`;
const cand = (n: number, extra: Partial<CandidateInterface> = {}): CandidateInterface => ({
  portId: `port-${String(n).padStart(2, '0')}`,
  macAddress: mac(n),
  address: `10.0.0.${n}`,
  cidr: '10.0.0.0/24',
  mtu: 1450,
  subnetId: 'subnet-a',
  networkId: 'net-a',
  subnetOrder: 0,
  status: 'ACTIVE',
  ...extra,
});
const slots = (allocation: ReturnType<typeof planNodeInterfaces>): Record<string, string> =>
  Object.fromEntries(allocation.interfaces.map((i) => [i.portId, i.name]));

describe('planNodeInterfaces (sticky multinicN slots)', () => {
  const cases: Array<{
    title: string;
    previous: Array<[string, number]>;
    candidates: CandidateInterface[];
    expected: Record<string, string>;
    overflow?: string[];
  }> = [
    {
      title: 'first allocation follows subnet rank, then MAC',
      previous: [],
      candidates: [cand(3), cand(1, { subnetOrder: 1 }), cand(2)],
      expected: { 'port-02': 'multinic0', 'port-03': 'multinic1', 'port-01': 'multinic2' },
    },
    {
      title: 'a new port whose MAC sorts first takes the lowest free slot; existing names stay',
      previous: [
        ['port-05', 0],
        ['port-06', 1],
      ],
      candidates: [cand(5), cand(6), cand(1)],
      expected: { 'port-05': 'multinic0', 'port-06': 'multinic1', 'port-01': 'multinic2' },
    },
    {
      title: 'a removed port frees its slot for the next new port, others keep theirs',
      previous: [
        ['port-05', 0],
        ['port-06', 1],
        ['port-07', 2],
      ],
      candidates: [cand(5), cand(7), cand(9)],
      expected: { 'port-05': 'multinic0', 'port-09': 'multinic1', 'port-07': 'multinic2' },
    },
    {
      title: 'removals alone never renumber',
      previous: [
        ['port-05', 3],
        ['port-06', 7],
      ],
      candidates: [cand(6)],
      expected: { 'port-06': 'multinic7' },
    },
    {
      title: 'two ports claiming one slot: the better-ranked keeps it, the other moves',
      previous: [
        ['port-02', 0],
        ['port-01', 0],
      ],
      candidates: [cand(2), cand(1)],
      expected: { 'port-01': 'multinic0', 'port-02': 'multinic1' },
    },
    {
      title: 'an out-of-range previous slot is re-allocated',
      previous: [['port-01', 12]],
      candidates: [cand(1)],
      expected: { 'port-01': 'multinic0' },
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const allocation = planNodeInterfaces(new Map(c.previous), c.candidates);
      expect(slots(allocation)).toEqual(c.expected);
      expect(allocation.overflow.map((o) => o.portId)).toEqual(c.overflow ?? []);
    });
  }

  it('reports the 11th port as overflow instead of dropping it silently', () => {
    const candidates = Array.from({ length: 11 }, (_, i) => cand(i + 1));
    const allocation = planNodeInterfaces(new Map(), candidates);
    expect(allocation.interfaces.map((i) => i.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `multinic${i}`),
    );
    expect(allocation.overflow.map((o) => o.portId)).toEqual(['port-11']);
  });

  it('keeps ten sticky ports even when a better-ranked port arrives', () => {
    const previous = new Map(
      Array.from(
        { length: 10 },
        (_, i) => [`port-${String(i + 10).padStart(2, '0')}`, i] as [string, number],
      ),
    );
    const candidates = [
      ...Array.from({ length: 10 }, (_, i) => cand(i + 10, { subnetOrder: 1 })),
      cand(1, { subnetOrder: 0 }),
    ];
    const allocation = planNodeInterfaces(previous, candidates);
    expect(allocation.interfaces).toHaveLength(10);
    expect(allocation.interfaces.every((i) => i.subnetOrder === 1)).toBe(true);
    expect(allocation.overflow.map((o) => o.portId)).toEqual(['port-01']);
  });
});

describe('filterPorts', () => {
  const port = (id: string, status: string, created?: string): Port => ({
    id,
    name: '',
    network_id: 'n',
    mac_address: mac(1),
    status,
    device_id: 'vm',
    fixed_ips: [],
    ...(created !== undefined ? { created_at: created } : {}),
  });
  it('keeps ACTIVE and DOWN by default, case-insensitively, and ports without status', () => {
    const result = filterPorts([port('a', 'ACTIVE'), port('b', 'down'), port('c', 'BUILD'), port('d', '')], {
      allowedStatuses: ['ACTIVE', 'DOWN'],
    });
    expect(result.kept.map((p) => p.id)).toEqual(['a', 'b', 'd']);
    expect(result.dropped).toEqual([{ port: expect.objectContaining({ id: 'c' }), reason: 'status' }]);
  });
  it("'*' disables the status filter", () => {
    expect(filterPorts([port('c', 'ERROR')], { allowedStatuses: ['*'] }).kept).toHaveLength(1);
  });
  it('drops ports created before the baseline and ports without a parseable time', () => {
    const result = filterPorts(
      [
        port('old', 'ACTIVE', '2026-01-12T02:59:59Z'),
        port('same', 'ACTIVE', '2026-01-12T03:00:00.000000'),
        port('new', 'ACTIVE', '2026-01-12T03:00:01+00:00'),
        port('none', 'ACTIVE'),
      ],
      { allowedStatuses: ['ACTIVE'], baseline: new Date('2026-01-12T03:00:00Z') },
    );
    expect(result.kept.map((p) => p.id)).toEqual(['same', 'new']);
    expect(result.dropped.map((d) => [d.port.id, d.reason])).toEqual([
      ['old', 'createdBeforeBaseline'],
      ['none', 'createdAtUnknown'],
    ]);
  });
  it('parses Neutron time formats', () => {
    expect(parseNeutronTime('2026-01-12T03:10:05')?.toISOString()).toBe('2026-01-12T03:10:05.000Z');
    expect(parseNeutronTime('2026-01-12T03:10:05.5+01:00')?.toISOString()).toBe('2026-01-12T02:10:05.500Z');
    expect(parseNeutronTime('yesterday')).toBeUndefined();
  });
});

describe('resolveNodeName', () => {
  const server: Server = {
    id: 'vm-1',
    name: ' worker-1 ',
    metadata: { 'k8s-node-name': ' node-a ', blank: ' ' },
  };
  it('prefers the metadata key, then the server name, then the VM id', () => {
    expect(resolveNodeName(server, 'vm-1', 'k8s-node-name')).toBe('node-a');
    expect(resolveNodeName(server, 'vm-1', 'blank')).toBe('worker-1');
    expect(resolveNodeName(server, 'vm-1')).toBe('worker-1');
    expect(resolveNodeName({ id: 'vm-1', name: '' }, 'vm-1')).toBe('vm-1');
    expect(resolveNodeName(undefined, 'vm-1', 'k8s-node-name')).toBe('vm-1');
  });
});

describe('planSync', () => {
  const subnets = [
    { id: 'sub-b', name: 'b', network_id: 'net-b', cidr: '10.2.0.0/24' },
    { id: 'sub-a', name: 'a', network_id: 'net-a', cidr: '10.1.0.0/24' },
  ];
  const networks = [
    { id: 'net-a', name: 'a', mtu: 1450 },
    { id: 'net-b', name: 'b', mtu: 9000 },
  ];
  const servers: Server[] = [
    { id: 'vm-1', name: 'w1', metadata: { node: 'node-1' } },
    { id: 'vm-2', name: 'w2', metadata: {} },
  ];
  const port = (
    id: string,
    vm: string,
    net: string,
    subnet: string,
    ip: string,
    m: number,
    status = 'ACTIVE',
  ): Port => ({
    id,
    name: '',
    network_id: net,
    mac_address: mac(m).toUpperCase(),
    status,
    device_id: vm,
    fixed_ips: [{ subnet_id: subnet, ip_address: ip }],
    created_at: '2026-01-12T03:10:05Z',
  });
  const ports: Port[] = [
    port('p1', 'vm-1', 'net-a', 'sub-a', '10.1.0.11', 1),
    port('p2', 'vm-1', 'net-b', 'sub-b', '10.2.0.11', 2, 'DOWN'),
    port('p3', 'vm-2', 'net-a', 'sub-a', '10.1.0.12', 3),
    port('mgmt', 'vm-2', 'net-m', 'sub-m', '192.168.0.2', 4),
    port('wrong-net', 'vm-2', 'net-x', 'sub-a', '10.1.0.99', 5),
  ];
  const plan = planSync({
    vmRefs: ['vm-1', 'vm-2'],
    servers,
    ports,
    subnets,
    networks,
    previous: [],
    allowedStatuses: ['ACTIVE', 'DOWN'],
    nodeNameMetadataKey: 'node',
  });
  it('builds one node per VM with interfaces, MTU from the network, address and subnet CIDR', () => {
    expect(
      plan.nodes.map((n) => [
        n.nodeName,
        n.interfaces.map((i) => [i.name, i.portId, i.address, i.cidr, i.mtu, i.macAddress]),
      ]),
    ).toEqual([
      [
        'node-1',
        [
          ['multinic0', 'p2', '10.2.0.11', '10.2.0.0/24', 9000, mac(2)],
          ['multinic1', 'p1', '10.1.0.11', '10.1.0.0/24', 1450, mac(1)],
        ],
      ],
      ['w2', [['multinic0', 'p3', '10.1.0.12', '10.1.0.0/24', 1450, mac(3)]]],
    ]);
  });
  it('skips ports on no target subnet or on another network, and lists DOWN ports', () => {
    expect(plan.offTarget.sort()).toEqual(['mgmt', 'wrong-net']);
    expect(plan.downPortIds).toEqual(['p2']);
  });
  it('the node config spec passes the MultiNicNodeConfig schema and always carries id', () => {
    const [first] = desiredNodes(plan);
    expect(first?.spec.interfaces[0]).toEqual({
      id: 0,
      name: 'multinic0',
      portId: 'p2',
      macAddress: mac(2),
      address: '10.2.0.11',
      cidr: '10.2.0.0/24',
      mtu: 9000,
    });
    expect(() => parseMultiNicNodeConfigSpec({ ...first?.spec, instanceId: undefined })).not.toThrow();
  });
  it('reports two VMs resolving to one node name', () => {
    const clash = planSync({
      vmRefs: ['vm-1', 'vm-2'],
      servers: [
        { id: 'vm-1', name: 'same' },
        { id: 'vm-2', name: 'same' },
      ],
      ports,
      subnets,
      networks,
      previous: [],
      allowedStatuses: ['*'],
    });
    expect(clash.nameClashes).toEqual([{ nodeName: 'same', vmIds: ['vm-1', 'vm-2'] }]);
  });
});

describe('delivery diff', () => {
  const node = (name: string, ports: number[]) =>
    desiredNodes({
      nodes: [
        {
          nodeId: `id-${name}`,
          nodeName: name,
          serverName: name,
          overflow: [],
          interfaces: ports.map((n, slot) => ({ ...cand(n), slot, name: `multinic${slot}` })),
        },
      ],
    })[0]!;
  it('applies new and changed nodes, removes nodes no longer desired, skips unchanged', () => {
    const a = node('a', [1]);
    const b = node('b', [2]);
    const c = node('c', [3]);
    const plan = planDelivery(
      [a, b, c],
      new Map([
        ['a', a.hash],
        ['b', 'old'],
        ['gone', 'x'],
      ]),
    );
    expect(plan.apply.map((n) => n.nodeName)).toEqual(['b', 'c']);
    expect(plan.remove).toEqual(['gone']);
  });
  it('forces unchanged nodes listed for a DOWN-port retry', () => {
    const a = node('a', [1]);
    expect(planDelivery([a], new Map([['a', a.hash]]), new Set(['a'])).apply).toHaveLength(1);
  });
  it('hashes specs like the agent-controller (keys sorted)', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: undefined }] })).toBe('{"a":[{"d":1}],"b":1}');
    const spec = nodeConfigSpec({ nodeName: 'n', nodeId: 'i', interfaces: [] });
    expect(specHash(spec)).toBe(specHash({ interfaces: [], instanceId: 'i', nodeName: 'n' }));
  });
});

describe('DOWN-port retry and polling', () => {
  const timing = { fastMs: 20_000, slowMs: 120_000, fastRetryMax: 2 };
  const t0 = Date.parse('2026-01-12T03:00:00Z');
  it('hashes the sorted ids; empty when none', () => {
    expect(downPortHash([])).toBe('');
    expect(downPortHash(['b', 'a'])).toBe(downPortHash(['a', 'b']));
  });
  it('is due at once for a new set, then every fast interval, then slow after the budget', () => {
    const hash = downPortHash(['p']);
    expect(downRetryDue(hash, undefined, t0, timing)).toEqual({ due: true });
    let state = nextDownRetryState(hash, undefined, new Date(t0), 2);
    expect(state.fastAttempts).toBe(1);
    expect(downRetryDue(hash, state, t0 + 5_000, timing)).toEqual({ due: false, waitMs: 15_000 });
    expect(downRetryDue(hash, state, t0 + 20_000, timing).due).toBe(true);
    state = nextDownRetryState(hash, state, new Date(t0 + 20_000), 2);
    state = nextDownRetryState(hash, state, new Date(t0 + 40_000), 2);
    expect(state.fastAttempts).toBe(2);
    expect(downRetryDue(hash, state, t0 + 60_000, timing)).toEqual({ due: false, waitMs: 100_000 });
    expect(downRetryDue('', state, t0, timing)).toEqual({ due: false });
  });
  it('polls fast inside the window after a change, slow after it, never past a DOWN retry', () => {
    const poll = { fastMs: 20_000, slowMs: 120_000, fastWindowMs: 180_000 };
    expect(nextPollDelay(t0 + 60_000, t0, poll)).toBe(20_000);
    expect(nextPollDelay(t0 + 200_000, t0, poll)).toBe(120_000);
    expect(nextPollDelay(t0, undefined, poll, 5_000)).toBe(5_000);
    expect(nextPollDelay(t0, t0, { ...poll, fastWindowMs: 0 })).toBe(120_000);
  });
});

describe('agentResultsOf', () => {
  const spec = nodeConfigSpec({
    nodeName: 'n',
    nodeId: 'i',
    interfaces: [
      { ...cand(1), slot: 0, name: 'multinic0' },
      { ...cand(2), slot: 1, name: 'multinic1' },
    ],
  });
  it('maps Configured/Failed interface statuses to port results for the current spec only', () => {
    const status = {
      observedSpecHash: specHash(spec),
      interfaceStatuses: [
        { macAddress: mac(1), status: 'Configured' },
        { macAddress: mac(2).toUpperCase(), status: 'Failed' },
        { macAddress: mac(9), status: 'Configured' },
      ],
    };
    expect(agentResultsOf(spec, status)).toEqual([
      { portId: 'port-01', success: true },
      { portId: 'port-02', success: false },
    ]);
    expect(agentResultsOf(spec, { ...status, observedSpecHash: 'stale' })).toEqual([]);
  });
});
