// Where the controller keeps what it allocated and delivered. `MariaDbStore` is the product
// (tables: slots, agent results, delivered hashes, spec hashes, soft deletes).
// `NodeConfigStore` is for installations without a database (`database.mode: none`): the
// allocation is read back from the delivered MultiNicNodeConfigs (or, for Viola, kept in
// memory), spec hashes live in memory, and there is no inventory.
import { persistConfigSnapshot, removeConfig } from '../db/repositories.js';
import type { ConfigSnapshot, Repositories } from '../db/repositories.js';
import type { Database } from '../db/pool.js';
import { interfaceSlot } from '../api/multinic-node-config.js';
import { mapBounded } from '../openstack/pagination.js';
import type { ObservedNodeConfig } from './delivery.js';
import type { PortResult } from './plan.js';

export interface Owner {
  namespace: string;
  name: string;
}

export interface StoredInterface {
  portId: string;
  nodeId: string | null;
  nodeName: string | null;
  slot: number | null;
  netplanSuccess: boolean;
}

export interface PersistResult {
  /** Rows written; 0 = nothing changed. */
  writes: number;
  /** Ports another OpenstackConfig manages (left untouched). */
  conflicts: Array<{ portId: string; owner: Owner }>;
}

export interface SyncStore {
  readonly kind: 'mariadb' | 'memory';
  /** Spec hash of the last successful sync; '' when none. */
  recordedHash(owner: Owner): Promise<string>;
  recordHash(owner: Owner, hash: string): Promise<void>;
  /** The config's active interfaces (the previous allocation). `observed`: what the target holds. */
  interfaces(
    owner: Owner,
    observed: ReadonlyMap<string, ObservedNodeConfig> | undefined,
  ): Promise<StoredInterface[]>;
  /** Hashes delivered to a target that cannot be observed (Viola), by node name. */
  delivered(nodeIds: readonly string[]): Promise<Map<string, { hash: string; nodeId: string }>>;
  /**
   * Delivered nodes left without any active interface whose empty node config has not been
   * delivered yet (persisted with `keepEmptiedNodes`), by node name: a removal that failed is sent
   * again. Found however they got emptied: nodes that had a (now removed) port of the config, and
   * `nodeIds` (the config's VMs), e.g. a node whose port moved to another node of the config.
   */
  pendingRemovals(
    owner: Owner,
    nodeIds?: readonly string[],
  ): Promise<Map<string, { hash: string; nodeId: string }>>;
  persist(snapshot: ConfigSnapshot): Promise<PersistResult>;
  recordDeliveries(nodes: ReadonlyArray<{ nodeId: string; hash: string }>): Promise<void>;
  /** The empty node configs of these nodes were delivered: soft-delete them (if still empty). */
  recordRemovals(nodeIds: readonly string[]): Promise<void>;
  recordResults(results: readonly PortResult[]): Promise<void>;
  /** Finalizer: soft-delete everything of the config. */
  remove(owner: Owner): Promise<void>;
}

export class MariaDbStore implements SyncStore {
  readonly kind = 'mariadb' as const;
  constructor(
    private readonly db: Database,
    private readonly repositories: Repositories,
  ) {}

  async recordedHash(owner: Owner): Promise<string> {
    return (await this.repositories.syncState.get(this.db, owner))?.specHash ?? '';
  }

  async recordHash(owner: Owner, hash: string): Promise<void> {
    await this.repositories.syncState.record(this.db, owner, hash);
  }

  async interfaces(owner: Owner): Promise<StoredInterface[]> {
    return (await this.repositories.interfaces.list(this.db, { owner })).map((row) => ({
      portId: row.portId,
      nodeId: row.nodeId,
      nodeName: row.nodeName,
      slot: row.interfaceIndex,
      netplanSuccess: row.netplanSuccess,
    }));
  }

  async delivered(nodeIds: readonly string[]): Promise<Map<string, { hash: string; nodeId: string }>> {
    const rows = await this.repositories.nodes.getMany(this.db, nodeIds);
    return new Map(
      rows
        .filter((row) => row.deletedAt === null)
        .map((row) => [row.nodeName, { hash: row.deliveredHash ?? '', nodeId: row.nodeId }]),
    );
  }

  async pendingRemovals(
    owner: Owner,
    nodeIds: readonly string[] = [],
  ): Promise<Map<string, { hash: string; nodeId: string }>> {
    type Row = { attached_node_id: string; attached_node_name: string; delivered_hash: string };
    const EMPTY = `n.deleted_at IS NULL AND n.delivered_hash IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM multi_interface a
                           WHERE a.attached_node_id = n.attached_node_id AND a.deleted_at IS NULL)`;
    const rows = await this.db.select<Row>(
      'nodes.pending_removals',
      `SELECT DISTINCT n.attached_node_id, n.attached_node_name, n.delivered_hash
         FROM node_table n JOIN multi_interface i ON i.attached_node_id = n.attached_node_id
        WHERE i.cr_namespace = ? AND i.cr_name = ? AND i.deleted_at IS NOT NULL AND ${EMPTY}`,
      [owner.namespace, owner.name],
    );
    // The config's own VMs: a node emptied because its port moved to another node keeps no
    // removed interface row, so it is found by id.
    const unique = [...new Set(nodeIds)];
    for (let at = 0; at < unique.length; at += 1000) {
      const part = unique.slice(at, at + 1000);
      rows.push(
        ...(await this.db.select<Row>(
          'nodes.pending_removals_by_id',
          `SELECT n.attached_node_id, n.attached_node_name, n.delivered_hash FROM node_table n
            WHERE n.attached_node_id IN (${part.map(() => '?').join(', ')}) AND ${EMPTY}`,
          part,
        )),
      );
    }
    return new Map(
      rows.map((row) => [row.attached_node_name, { hash: row.delivered_hash, nodeId: row.attached_node_id }]),
    );
  }

  async persist(snapshot: ConfigSnapshot): Promise<PersistResult> {
    const result = await persistConfigSnapshot(this.db, this.repositories, snapshot);
    return { writes: result.writes, conflicts: result.interfaces.conflicts };
  }

  async recordDeliveries(nodes: ReadonlyArray<{ nodeId: string; hash: string }>): Promise<void> {
    await mapBounded(nodes, 8, (node) =>
      this.repositories.nodes.recordDelivery(this.db, node.nodeId, node.hash),
    );
  }

  async recordRemovals(nodeIds: readonly string[]): Promise<void> {
    if (nodeIds.length > 0) await this.repositories.nodes.softDeleteEmpty(this.db, nodeIds);
  }

  async recordResults(results: readonly PortResult[]): Promise<void> {
    if (results.length > 0) await this.repositories.interfaces.recordAgentResults(this.db, results);
  }

  async remove(owner: Owner): Promise<void> {
    await removeConfig(this.db, this.repositories, owner);
  }
}

/** No database: the delivered node configs are the record (Viola: process memory). */
export class NodeConfigStore implements SyncStore {
  readonly kind = 'memory' as const;
  private readonly hashes = new Map<string, string>();
  private readonly snapshots = new Map<string, StoredInterface[]>();
  private readonly deliveredHashes = new Map<string, { nodeName: string; hash: string }>();
  /** Owner key -> node ids emptied (`keepEmptiedNodes`) whose removal is not delivered yet. */
  private readonly emptied = new Map<string, Set<string>>();

  recordedHash(owner: Owner): Promise<string> {
    return Promise.resolve(this.hashes.get(key(owner)) ?? '');
  }

  recordHash(owner: Owner, hash: string): Promise<void> {
    this.hashes.set(key(owner), hash);
    return Promise.resolve();
  }

  interfaces(
    owner: Owner,
    observed: ReadonlyMap<string, ObservedNodeConfig> | undefined,
  ): Promise<StoredInterface[]> {
    if (observed === undefined) return Promise.resolve(this.snapshots.get(key(owner)) ?? []);
    const out: StoredInterface[] = [];
    for (const node of observed.values()) {
      const spec = node.object?.spec;
      if (spec === undefined) continue;
      for (const iface of spec.interfaces) {
        if (iface.portId === undefined) continue;
        out.push({
          portId: iface.portId,
          nodeId: spec.instanceId ?? null,
          nodeName: node.nodeName,
          slot: interfaceSlot(iface),
          netplanSuccess: false,
        });
      }
    }
    return Promise.resolve(out);
  }

  delivered(nodeIds: readonly string[]): Promise<Map<string, { hash: string; nodeId: string }>> {
    const out = new Map<string, { hash: string; nodeId: string }>();
    for (const nodeId of nodeIds) {
      const entry = this.deliveredHashes.get(nodeId);
      if (entry !== undefined) out.set(entry.nodeName, { hash: entry.hash, nodeId });
    }
    return Promise.resolve(out);
  }

  pendingRemovals(
    owner: Owner,
    nodeIds: readonly string[] = [],
  ): Promise<Map<string, { hash: string; nodeId: string }>> {
    const out = new Map<string, { hash: string; nodeId: string }>();
    const active = new Set(
      [...this.snapshots.values()].flat().flatMap((row) => (row.nodeId === null ? [] : [row.nodeId])),
    );
    for (const nodeId of [...(this.emptied.get(key(owner)) ?? []), ...nodeIds]) {
      const entry = this.deliveredHashes.get(nodeId);
      if (entry !== undefined && !active.has(nodeId)) out.set(entry.nodeName, { hash: entry.hash, nodeId });
    }
    return Promise.resolve(out);
  }

  persist(snapshot: ConfigSnapshot): Promise<PersistResult> {
    const names = new Map(snapshot.nodes.map((node) => [node.nodeId, node.nodeName]));
    const wanted = new Set(snapshot.nodes.map((node) => node.nodeId));
    const emptied = this.emptied.get(key(snapshot.owner)) ?? new Set<string>();
    for (const nodeId of wanted) emptied.delete(nodeId);
    for (const nodeId of [...this.deliveredHashes.keys()]) {
      const before = this.snapshots.get(key(snapshot.owner))?.some((row) => row.nodeId === nodeId) ?? false;
      if (!before || wanted.has(nodeId)) continue;
      if (snapshot.keepEmptiedNodes === true) emptied.add(nodeId);
      else this.deliveredHashes.delete(nodeId);
    }
    if (emptied.size > 0) this.emptied.set(key(snapshot.owner), emptied);
    else this.emptied.delete(key(snapshot.owner));
    this.snapshots.set(
      key(snapshot.owner),
      snapshot.interfaces.map((i) => ({
        portId: i.portId,
        nodeId: i.nodeId,
        nodeName: i.nodeId === null ? null : (names.get(i.nodeId) ?? null),
        slot: i.interfaceIndex ?? null,
        netplanSuccess: false,
      })),
    );
    return Promise.resolve({ writes: 0, conflicts: [] });
  }

  recordDeliveries(nodes: ReadonlyArray<{ nodeId: string; hash: string }>): Promise<void> {
    for (const node of nodes) {
      const nodeName =
        [...this.snapshots.values()].flat().find((row) => row.nodeId === node.nodeId)?.nodeName ??
        node.nodeId;
      this.deliveredHashes.set(node.nodeId, { nodeName, hash: node.hash });
    }
    return Promise.resolve();
  }

  recordRemovals(nodeIds: readonly string[]): Promise<void> {
    for (const nodeId of nodeIds) {
      this.deliveredHashes.delete(nodeId);
      for (const set of this.emptied.values()) set.delete(nodeId);
    }
    return Promise.resolve();
  }

  recordResults(): Promise<void> {
    return Promise.resolve();
  }

  remove(owner: Owner): Promise<void> {
    for (const row of this.snapshots.get(key(owner)) ?? [])
      if (row.nodeId !== null) this.deliveredHashes.delete(row.nodeId);
    for (const nodeId of this.emptied.get(key(owner)) ?? []) this.deliveredHashes.delete(nodeId);
    this.emptied.delete(key(owner));
    this.snapshots.delete(key(owner));
    this.hashes.delete(key(owner));
    return Promise.resolve();
  }
}

function key(owner: Owner): string {
  return `${owner.namespace}/${owner.name}`;
}
