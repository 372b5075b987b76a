// NodeConfigStore (no database) with a target that cannot be observed (Viola): a node the config
// empties keeps its delivered hash until the empty node config was delivered, so a failed empty
// POST is planned again at the next sync.
import { describe, expect, it } from 'vitest';

import { planDelivery } from '../../../src/controller/plan.js';
import type { DesiredNode } from '../../../src/controller/plan.js';
import { NodeConfigStore } from '../../../src/controller/store.js';
import type { ConfigSnapshot } from '../../../src/db/repositories.js';

const owner = { namespace: 'ns', name: 'cfg' };

function snapshot(nodes: Array<{ id: string; name: string }>, keepEmptiedNodes: boolean): ConfigSnapshot {
  return {
    owner,
    subnets: [],
    nodes: nodes.map((node) => ({ nodeId: node.id, nodeName: node.name })),
    interfaces: nodes.map((node, index) => ({
      portId: `port-${node.id}`,
      subnetId: 'subnet-1',
      macAddress: `fa:16:3e:00:00:0${index}`,
      nodeId: node.id,
      nodeName: node.name,
      interfaceIndex: 0,
    })),
    keepEmptiedNodes,
  };
}

/** What the reconciler does for Viola: stored hashes of the previous nodes plus pending removals. */
async function deliveredView(store: NodeConfigStore): Promise<Map<string, string | null>> {
  const previous = await store.interfaces(owner, undefined);
  const nodeIds = [...new Set(previous.flatMap((row) => (row.nodeId === null ? [] : [row.nodeId])))];
  const rows = await store.delivered(nodeIds);
  for (const [name, row] of await store.pendingRemovals(owner)) if (!rows.has(name)) rows.set(name, row);
  return new Map([...rows].map(([name, row]) => [name, row.hash]));
}

describe('NodeConfigStore removals (Viola)', () => {
  const a = { id: 'vm-a', name: 'node-a' };
  const b = { id: 'vm-b', name: 'node-b' };
  const desiredA = { nodeName: 'node-a', hash: 'hash-a' } as DesiredNode;

  it('keeps an emptied node until its removal is recorded, so a failed empty POST is retried', async () => {
    const store = new NodeConfigStore();
    await store.persist(snapshot([a, b], true));
    await store.recordDeliveries([
      { nodeId: a.id, hash: 'hash-a' },
      { nodeId: b.id, hash: 'hash-b' },
    ]);

    // Sync 1: node-b loses its last port; the empty POST fails (no recordRemovals).
    expect(planDelivery([desiredA], await deliveredView(store)).remove).toEqual(['node-b']);
    await store.persist(snapshot([a], true));

    // Sync 2: node-b is still to be removed.
    expect(planDelivery([desiredA], await deliveredView(store))).toMatchObject({
      apply: [],
      remove: ['node-b'],
    });
    await store.persist(snapshot([a], true));
    await store.recordRemovals([b.id]);

    // Sync 3: delivered; nothing left to send.
    expect(planDelivery([desiredA], await deliveredView(store))).toMatchObject({ apply: [], remove: [] });
    expect(await store.pendingRemovals(owner)).toEqual(new Map());
  });

  it('forgets the pending removal when the node gets a port again', async () => {
    const store = new NodeConfigStore();
    await store.persist(snapshot([a, b], true));
    await store.recordDeliveries([{ nodeId: b.id, hash: 'hash-b' }]);
    await store.persist(snapshot([a], true));
    expect([...(await store.pendingRemovals(owner)).keys()]).toEqual(['node-b']);
    await store.persist(snapshot([a, b], true));
    expect(await store.pendingRemovals(owner)).toEqual(new Map());
    expect((await store.delivered([b.id])).get('node-b')?.hash).toBe('hash-b');
  });

  it('without keepEmptiedNodes an emptied node is forgotten at once (observable targets)', async () => {
    const store = new NodeConfigStore();
    await store.persist(snapshot([a, b], false));
    await store.recordDeliveries([{ nodeId: b.id, hash: 'hash-b' }]);
    await store.persist(snapshot([a], false));
    expect(await store.delivered([b.id])).toEqual(new Map());
    expect(await store.pendingRemovals(owner)).toEqual(new Map());
  });

  it('finds a node emptied by its port moving to another node (by the config VM ids)', async () => {
    const store = new NodeConfigStore();
    await store.persist(snapshot([a, b], true));
    await store.recordDeliveries([
      { nodeId: a.id, hash: 'hash-a' },
      { nodeId: b.id, hash: 'hash-b' },
    ]);
    // Both ports on node-a now; node-b is empty though no port of the config was removed.
    const moved = snapshot([a, b], true);
    const both: ConfigSnapshot = {
      ...moved,
      nodes: [{ nodeId: a.id, nodeName: a.name }],
      interfaces: moved.interfaces.map((i, index) => ({
        ...i,
        nodeId: a.id,
        nodeName: a.name,
        interfaceIndex: index,
      })),
    };
    await store.persist(both);
    expect([...(await store.pendingRemovals(owner, [a.id, b.id])).keys()]).toEqual(['node-b']);
    await store.recordRemovals([b.id]);
    expect(await store.pendingRemovals(owner, [a.id, b.id])).toEqual(new Map());
    // A node that still has an active interface is never a pending removal.
    expect(await store.pendingRemovals(owner, [a.id])).toEqual(new Map());
  });
});
