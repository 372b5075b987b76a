// The repositories together, and the one write path of a controller sync: subnets and nodes
// first (foreign keys), then the config's interfaces, then nodes left without any port.
import type { ConfigRef, RepositoryOptions, UpsertCounts } from './batch.js';
import { CredentialRepository } from './credentials.js';
import type { CredentialCipher } from './crypto.js';
import { InterfaceRepository } from './interfaces.js';
import type { InterfaceRecord, SlotConflict, SyncResult } from './interfaces.js';
import { NodeRepository } from './nodes.js';
import type { NodeRecord } from './nodes.js';
import type { Database } from './pool.js';
import { SubnetRepository } from './subnets.js';
import type { SubnetRecord } from './subnets.js';
import { SyncStateRepository } from './sync-state.js';

export interface Repositories {
  subnets: SubnetRepository;
  nodes: NodeRepository;
  interfaces: InterfaceRepository;
  syncState: SyncStateRepository;
  /** Present when a cipher was given. */
  credentials?: CredentialRepository;
}

export function createRepositories(
  options: RepositoryOptions & { cipher?: CredentialCipher } = {},
): Repositories {
  const { cipher, ...common } = options;
  const repositories: Repositories = {
    subnets: new SubnetRepository(common),
    nodes: new NodeRepository(common),
    interfaces: new InterfaceRepository(common),
    syncState: new SyncStateRepository(common),
  };
  if (cipher !== undefined) {
    const credentialOptions = common.now === undefined ? { cipher } : { cipher, now: common.now };
    repositories.credentials = new CredentialRepository(credentialOptions);
  }
  return repositories;
}

/** The snapshot would give two active ports on one node the same slot; nothing was written. */
export class SlotConflictError extends Error {
  override name = 'SlotConflictError';
  constructor(readonly conflicts: readonly SlotConflict[]) {
    super(
      'two active ports would share an interface slot: ' +
        conflicts
          .map((c) => `node ${c.nodeId} multinic${c.interfaceIndex}: ports ${c.portIds.join(', ')}`)
          .join('; '),
    );
  }
}

export interface ConfigSnapshot {
  owner: ConfigRef;
  subnets: readonly SubnetRecord[];
  nodes: readonly NodeRecord[];
  interfaces: readonly InterfaceRecord[];
  /** Stored as `created_at` of rows inserted now (the OpenstackConfig's creation time). */
  createdAt?: Date;
  /**
   * Leave nodes this sync empties active, with their delivered hash, instead of soft-deleting
   * them: for targets that cannot be observed (Viola) the removal is recorded only once the
   * empty node config was delivered (`nodes.softDeleteEmpty` then), so a failed delivery is
   * retried. @default false
   */
  keepEmptiedNodes?: boolean;
}

export interface ConfigSyncResult {
  subnets: UpsertCounts;
  nodes: UpsertCounts;
  interfaces: SyncResult;
  /** Node ids soft-deleted because their last active port went away. */
  emptiedNodes: string[];
  /** Rows written in total; 0 means the database already matched the snapshot. */
  writes: number;
}

/**
 * Persists one OpenstackConfig's discovered state in a single transaction (retried on
 * deadlock or lost connection; every step is idempotent). Ports the config no longer has are
 * soft-deleted; nodes left without any active port are soft-deleted too. Throws
 * SlotConflictError (and writes nothing) when two active ports on a node would share a slot.
 */
export async function persistConfigSnapshot(
  db: Database,
  repositories: Repositories,
  snapshot: ConfigSnapshot,
): Promise<ConfigSyncResult> {
  return db.withTransaction(
    async (tx) => {
      const subnets = await repositories.subnets.upsert(tx, snapshot.subnets, snapshot.createdAt);
      const nodes = await repositories.nodes.upsert(tx, snapshot.nodes, snapshot.createdAt);
      const before = await tx.select<{ attached_node_id: string }>(
        'interfaces.owned_nodes',
        `SELECT DISTINCT attached_node_id FROM multi_interface
         WHERE cr_namespace = ? AND cr_name = ? AND deleted_at IS NULL AND attached_node_id IS NOT NULL`,
        [snapshot.owner.namespace, snapshot.owner.name],
      );
      const interfaces = await repositories.interfaces.syncConfig(
        tx,
        snapshot.owner,
        snapshot.interfaces,
        snapshot.createdAt,
      );
      const touched = new Set(before.map((row) => row.attached_node_id));
      const emptiedNodes =
        snapshot.keepEmptiedNodes === true ? [] : await repositories.nodes.softDeleteEmpty(tx, [...touched]);
      const clashes = await repositories.interfaces.slotConflicts(
        tx,
        snapshot.nodes.map((node) => node.nodeId),
      );
      if (clashes.length > 0) throw new SlotConflictError(clashes);
      const writes =
        subnets.inserted +
        subnets.updated +
        nodes.inserted +
        nodes.updated +
        interfaces.inserted +
        interfaces.updated +
        interfaces.removed.length +
        emptiedNodes.length;
      return { subnets, nodes, interfaces, emptiedNodes, writes };
    },
    { operation: 'sync_config' },
  );
}

/** Finalizer path: soft-deletes all rows of a deleted config and the nodes it leaves empty. */
export async function removeConfig(
  db: Database,
  repositories: Repositories,
  owner: ConfigRef,
): Promise<{ removed: string[]; emptiedNodes: string[] }> {
  return db.withTransaction(
    async (tx) => {
      const nodes = await tx.select<{ attached_node_id: string }>(
        'interfaces.owned_nodes',
        `SELECT DISTINCT attached_node_id FROM multi_interface
         WHERE cr_namespace = ? AND cr_name = ? AND deleted_at IS NULL AND attached_node_id IS NOT NULL`,
        [owner.namespace, owner.name],
      );
      const removed = await repositories.interfaces.softDeleteConfig(tx, owner);
      const emptiedNodes = await repositories.nodes.softDeleteEmpty(
        tx,
        nodes.map((row) => row.attached_node_id),
      );
      await repositories.syncState.remove(tx, owner);
      return { removed, emptiedNodes };
    },
    { operation: 'remove_config' },
  );
}
