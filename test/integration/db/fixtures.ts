// Deterministic rows for the repository, drill and backup tests.
import type { ConfigRef } from '../../../src/db/batch.js';
import type { InterfaceRecord } from '../../../src/db/interfaces.js';
import type { NodeRecord } from '../../../src/db/nodes.js';
import type { ConfigSnapshot } from '../../../src/db/repositories.js';
import type { SubnetRecord } from '../../../src/db/subnets.js';

/** A UUID-shaped id that encodes `kind` (1 hex digit) and `n`. */
export function uuid(kind: number, n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${kind.toString(16)}0000000-0000-4000-8000-${hex}`;
}

export function mac(n: number): string {
  const hex = n.toString(16).padStart(6, '0');
  return `fa:16:3e:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

export const OWNER: ConfigRef = { namespace: 'multinic-system', name: 'biz-data-a' };

export function subnet(n: number): SubnetRecord {
  return { subnetId: uuid(1, n), subnetName: `data-${n}`, cidr: `10.${n}.0.0/16`, networkId: uuid(2, n) };
}

export function node(n: number): NodeRecord {
  return {
    nodeId: uuid(3, n),
    nodeName: `worker-${n}`,
    serverName: `worker-${n}`,
    providerId: 'openstack-a',
  };
}

/** Port `p` (0-based) of node `n`: slot p, on subnet p % subnets. */
export function port(n: number, p: number, subnets = 1): InterfaceRecord {
  const id = n * 10 + p;
  return {
    portId: uuid(4, id),
    subnetId: uuid(1, p % subnets),
    networkId: uuid(2, p % subnets),
    macAddress: mac(id),
    nodeId: uuid(3, n),
    nodeName: `worker-${n}`,
    interfaceIndex: p,
    address: `10.${p % subnets}.${Math.floor(n / 250)}.${(n % 250) + 1}`,
    mtu: 1450,
  };
}

/** A config with `nodes` nodes of `portsPerNode` ports each, over `subnets` subnets. */
export function snapshot(
  nodes: number,
  portsPerNode: number,
  subnets = 1,
  owner: ConfigRef = OWNER,
): ConfigSnapshot {
  const nodeRecords = Array.from({ length: nodes }, (_, n) => node(n));
  return {
    owner,
    subnets: Array.from({ length: subnets }, (_, s) => subnet(s)),
    nodes: nodeRecords,
    interfaces: nodeRecords.flatMap((_, n) =>
      Array.from({ length: portsPerNode }, (_, p) => port(n, p, subnets)),
    ),
    createdAt: new Date('2026-01-12T03:00:00.000Z'),
  };
}
