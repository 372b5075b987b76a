import { describe, expect, it } from 'vitest';
import { buildProviders, buildRecords } from '../../../src/controller/inventory.js';
import type { InterfaceRow, NodeRow } from '../../../src/db/index.js';

const t = (s: string): Date => new Date(s);
const node = (id: string, name: string, provider: string | null, extra: Partial<NodeRow> = {}): NodeRow => ({
  id: 1,
  nodeId: id,
  nodeName: name,
  serverName: name,
  providerId: provider,
  status: 'active',
  deliveredHash: `hash-${name}`,
  deliveredAt: t('2026-01-12T03:13:01.482Z'),
  createdAt: null,
  modifiedAt: t('2026-01-12T03:10:00Z'),
  deletedAt: null,
  interfaceCount: 1,
  ...extra,
});
const row = (
  port: string,
  nodeId: string,
  slot: number,
  extra: Partial<InterfaceRow> = {},
): InterfaceRow => ({
  id: 1,
  portId: port,
  subnetId: 'sub',
  networkId: 'net',
  macAddress: 'fa:16:3e:00:00:01',
  nodeId,
  nodeName: null,
  owner: { namespace: 'ns', name: 'cfg' },
  interfaceIndex: slot,
  interfaceName: `multinic${slot}`,
  address: '10.0.0.1',
  mtu: 1450,
  cidr: '10.0.0.0/24',
  status: 'active',
  netplanSuccess: false,
  netplanResultAt: null,
  createdAt: null,
  modifiedAt: null,
  deletedAt: null,
  ...extra,
});

describe('inventory records (the earlier inventory shapes)', () => {
  it('builds one record per node with interfaces by slot, id always present', () => {
    const [record] = buildRecords(
      [node('vm-1', 'biz-worker-1', 'p1')],
      [
        row('b', 'vm-1', 2),
        row('a', 'vm-1', 0),
        row('gone', 'vm-1', 1, { deletedAt: t('2026-01-01T00:00:00Z') }),
      ],
    );
    expect(record).toEqual({
      providerId: 'p1',
      nodeName: 'biz-worker-1',
      instanceId: 'vm-1',
      config: {
        nodeName: 'biz-worker-1',
        instanceId: 'vm-1',
        interfaces: [
          {
            id: 0,
            portId: 'a',
            name: 'multinic0',
            macAddress: 'fa:16:3e:00:00:01',
            address: '10.0.0.1',
            cidr: '10.0.0.0/24',
            mtu: 1450,
            deviceId: 'vm-1',
            networkId: 'net',
            subnetId: 'sub',
          },
          {
            id: 2,
            portId: 'b',
            name: 'multinic2',
            macAddress: 'fa:16:3e:00:00:01',
            address: '10.0.0.1',
            cidr: '10.0.0.0/24',
            mtu: 1450,
            deviceId: 'vm-1',
            networkId: 'net',
            subnetId: 'sub',
          },
        ],
      },
      lastConfigHash: 'hash-biz-worker-1',
      updatedAt: '2026-01-12T03:13:01.482000Z',
    });
  });

  it('groups providers sorted by id, nodes by name, skipping nodes without provider', () => {
    const body = buildProviders([
      node('vm-3', 'w-b', 'p2'),
      node('vm-2', 'w-b', 'p1', { interfaceCount: 3, deliveredAt: t('2026-01-13T00:00:00Z') }),
      node('vm-1', 'w-a', 'p1'),
      node('vm-4', 'orphan', null),
      node('vm-5', 'deleted', 'p1', { deletedAt: t('2026-01-01T00:00:00Z') }),
    ]);
    expect(body.providers.map((p) => [p.providerId, p.nodeCount, p.updatedAt])).toEqual([
      ['p1', 2, '2026-01-13T00:00:00.000000Z'],
      ['p2', 1, '2026-01-12T03:13:01.482000Z'],
    ]);
    expect(body.providers[0]?.nodes.map((n) => [n.nodeName, n.instanceId, n.interfaceCount])).toEqual([
      ['w-a', 'vm-1', 1],
      ['w-b', 'vm-2', 3],
    ]);
  });
});
