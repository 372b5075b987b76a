import { describe, expect, it } from 'vitest';
import {
  SlotConflictError,
  createRepositories,
  persistConfigSnapshot,
  removeConfig,
} from '../../../src/db/repositories.js';
import { useDatabase } from '../../support/mariadb.js';
import { OWNER, node, port, snapshot, subnet, uuid } from './fixtures.js';

const test = useDatabase();
let clock = new Date('2026-11-23T10:00:00.000Z');
const tick = (): Date => {
  clock = new Date(clock.getTime() + 1000);
  return clock;
};
const repos = createRepositories({ now: () => clock });

describe('persistConfigSnapshot', () => {
  it('inserts subnets, nodes and interfaces on the first sync and reports the writes', async () => {
    tick();
    const result = await persistConfigSnapshot(test.pool, repos, snapshot(3, 2));
    expect(result.subnets).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect(result.nodes).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
    expect(result.interfaces).toMatchObject({
      inserted: 6,
      updated: 0,
      unchanged: 0,
      revived: 0,
      removed: [],
      conflicts: [],
    });
    expect(result.writes).toBe(10);
    const rows = await repos.interfaces.list(test.pool, { nodeName: 'worker-1' });
    expect(
      rows.map((row) => [row.interfaceName, row.macAddress, row.cidr, row.mtu, row.netplanSuccess]),
    ).toEqual([
      ['multinic0', 'fa:16:3e:00:00:0a', '10.0.0.0/16', 1450, false],
      ['multinic1', 'fa:16:3e:00:00:0b', '10.0.0.0/16', 1450, false],
    ]);
    expect(rows[0]?.createdAt).toEqual(new Date('2026-01-12T03:00:00.000Z'));
  });

  it('writes nothing when nothing changed', async () => {
    tick();
    const result = await persistConfigSnapshot(test.pool, repos, snapshot(3, 2));
    expect(result.writes).toBe(0);
    expect(result.interfaces).toMatchObject({ inserted: 0, updated: 0, unchanged: 6 });
  });

  it('keeps netplan_success and ids across resyncs; resets it only for a port whose config changed', async () => {
    const before = await repos.interfaces.list(test.pool, {});
    const results = before.map((row) => ({ portId: row.portId, success: true }));
    expect(await repos.interfaces.recordAgentResults(test.pool, results)).toBe(6);
    expect(await repos.interfaces.recordAgentResults(test.pool, results)).toBe(0);

    tick();
    const base = snapshot(3, 2);
    const target = base.interfaces[0];
    if (target === undefined) throw new Error('fixture');
    const changed = { ...base, interfaces: [{ ...target, mtu: 9000 }, ...base.interfaces.slice(1)] };
    const result = await persistConfigSnapshot(test.pool, repos, changed);
    expect(result.interfaces).toMatchObject({ inserted: 0, updated: 1, unchanged: 5 });
    expect(result.writes).toBe(1);

    const after = await repos.interfaces.list(test.pool, {});
    expect(after.map((row) => row.id)).toEqual(before.map((row) => row.id));
    expect(after.filter((row) => !row.netplanSuccess).map((row) => row.portId)).toEqual([target.portId]);
    expect(after.find((row) => row.portId === target.portId)?.modifiedAt).toEqual(clock);
    expect(after.find((row) => row.portId !== target.portId)?.modifiedAt).not.toEqual(clock);
  });

  it('soft-deletes a detached port, soft-deletes a node left empty, and revives both on reappearance', async () => {
    tick();
    const without = snapshot(3, 2);
    without.interfaces = without.interfaces.filter((record) => record.nodeName !== 'worker-2');
    without.nodes = without.nodes.filter((record) => record.nodeName !== 'worker-2');
    const removed = await persistConfigSnapshot(test.pool, repos, without);
    expect(removed.interfaces.removed.sort()).toEqual([port(2, 0).portId, port(2, 1).portId].sort());
    expect(removed.emptiedNodes).toEqual([node(2).nodeId]);
    expect(await repos.interfaces.list(test.pool, { nodeName: 'worker-2' })).toEqual([]);
    const deleted = await repos.interfaces.list(test.pool, { nodeName: 'worker-2', includeDeleted: true });
    expect(deleted.map((row) => [row.status, row.deletedAt])).toEqual([
      ['deleted', clock],
      ['deleted', clock],
    ]);
    expect((await repos.nodes.get(test.pool, node(2).nodeId))?.deletedAt).toEqual(clock);
    const ids = deleted.map((row) => row.id);

    tick();
    const back = await persistConfigSnapshot(test.pool, repos, snapshot(3, 2));
    expect(back.interfaces).toMatchObject({ inserted: 0, revived: 2, updated: 2 });
    expect(back.nodes.updated).toBe(1);
    const revived = await repos.interfaces.list(test.pool, { nodeName: 'worker-2' });
    expect(revived.map((row) => [row.id, row.status, row.deletedAt, row.netplanSuccess])).toEqual([
      [ids[0], 'active', null, false],
      [ids[1], 'active', null, false],
    ]);
    expect((await repos.nodes.get(test.pool, node(2).nodeId))?.deletedAt).toBeNull();
  });

  it('never takes over a port another config manages, and reports it', async () => {
    tick();
    const other = { namespace: 'multinic-system', name: 'biz-data-b' };
    const stolen = port(0, 0);
    const result = await persistConfigSnapshot(test.pool, repos, {
      owner: other,
      subnets: [subnet(0)],
      nodes: [node(0)],
      interfaces: [{ ...stolen, mtu: 1 }],
    });
    expect(result.interfaces.conflicts).toEqual([{ portId: stolen.portId, owner: OWNER }]);
    const row = await repos.interfaces.get(test.pool, stolen.portId);
    expect(row?.owner).toEqual(OWNER);
    expect(row?.mtu).toBe(1450);
  });

  it('refuses a snapshot that gives two active ports on one node the same slot, writing nothing', async () => {
    tick();
    const base = snapshot(3, 2);
    const clash = { ...port(1, 2), interfaceIndex: 0 };
    const attempt = persistConfigSnapshot(test.pool, repos, {
      ...base,
      interfaces: [...base.interfaces, clash],
    });
    await expect(attempt).rejects.toThrow(SlotConflictError);
    await expect(
      persistConfigSnapshot(test.pool, repos, { ...base, interfaces: [...base.interfaces, clash] }),
    ).rejects.toThrow(`node ${node(1).nodeId} multinic0: ports`);
    expect(await repos.interfaces.get(test.pool, clash.portId)).toBeUndefined();
  });

  it('answers the inventory queries: by node, by instance, by config, with filters, and node summaries', async () => {
    expect((await repos.interfaces.list(test.pool, { nodeId: node(1).nodeId })).length).toBe(2);
    expect((await repos.interfaces.list(test.pool, { owner: OWNER })).length).toBe(6);
    expect((await repos.interfaces.list(test.pool, { owner: { namespace: OWNER.namespace } })).length).toBe(
      6,
    );
    expect((await repos.interfaces.list(test.pool, { netplanSuccess: true })).length).toBe(3);
    expect(
      (await repos.interfaces.list(test.pool, { subnetId: uuid(1, 0), limit: 2, offset: 1 })).length,
    ).toBe(2);
    const nodes = await repos.nodes.list(test.pool, { providerId: 'openstack-a' });
    expect(nodes.map((row) => [row.nodeName, row.interfaceCount])).toEqual([
      ['worker-0', 2],
      ['worker-1', 2],
      ['worker-2', 2],
    ]);
    expect(await repos.interfaces.summary(test.pool, OWNER)).toEqual({ nodes: 3, interfaces: 6, pending: 3 });
  });

  it('ignores a stale agent result (observed before the row last changed) and results for deleted rows', async () => {
    const target = port(0, 0);
    const row = await repos.interfaces.get(test.pool, target.portId);
    const staleTime = new Date((row?.modifiedAt ?? clock).getTime() - 500);
    expect(await repos.interfaces.recordAgentResult(test.pool, target.portId, true, staleTime)).toBe(0);
    expect(await repos.interfaces.recordAgentResult(test.pool, target.portId, true, tick())).toBe(1);
    expect(await repos.interfaces.recordAgentResult(test.pool, uuid(4, 99999), true)).toBe(0);
  });

  it('records deliveries once per hash', async () => {
    expect(await repos.nodes.recordDelivery(test.pool, node(0).nodeId, 'a'.repeat(64))).toBe(1);
    expect(await repos.nodes.recordDelivery(test.pool, node(0).nodeId, 'a'.repeat(64))).toBe(0);
    expect((await repos.nodes.get(test.pool, node(0).nodeId))?.deliveredHash).toBe('a'.repeat(64));
  });

  it('records the spec hash of a successful sync once', async () => {
    expect(await repos.syncState.get(test.pool, OWNER)).toBeUndefined();
    expect(await repos.syncState.record(test.pool, OWNER, 'f'.repeat(64))).toBe(1);
    expect(await repos.syncState.record(test.pool, OWNER, 'f'.repeat(64))).toBe(0);
    expect((await repos.syncState.get(test.pool, OWNER))?.specHash).toBe('f'.repeat(64));
  });

  it('removeConfig soft-deletes every row of the config and the nodes it leaves empty', async () => {
    tick();
    const result = await removeConfig(test.pool, repos, OWNER);
    expect(result.removed.length).toBe(6);
    expect(result.emptiedNodes.sort()).toEqual([node(0).nodeId, node(1).nodeId, node(2).nodeId].sort());
    expect(await repos.interfaces.list(test.pool, {})).toEqual([]);
    expect(await repos.syncState.get(test.pool, OWNER)).toBeUndefined();
    expect(await repos.subnets.softDeleteUnused(test.pool)).toEqual([subnet(0).subnetId]);
  });

  it('lets another config adopt a soft-deleted port', async () => {
    tick();
    const other = { namespace: 'multinic-system', name: 'biz-data-b' };
    const result = await persistConfigSnapshot(test.pool, repos, {
      owner: other,
      subnets: [subnet(0)],
      nodes: [node(0)],
      interfaces: [port(0, 0)],
    });
    expect(result.interfaces).toMatchObject({ revived: 1, conflicts: [] });
    expect((await repos.interfaces.get(test.pool, port(0, 0).portId))?.owner).toEqual(other);
  });
});
