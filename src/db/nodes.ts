// `node_table`: one row per VM that has (or had) managed ports, keyed by the Nova server id.
// The node name may change (rename, metadata key): it is a plain indexed column, not a key.
import {
  DEFAULT_CHUNK_SIZE,
  assertUnique,
  chunk,
  emptyCounts,
  placeholders,
  toDate,
  valuesList,
} from './batch.js';
import type { RepositoryOptions, UpsertCounts } from './batch.js';
import type { Sql, SqlValue } from './pool.js';

export interface NodeRecord {
  /** Nova server UUID (= the node's SystemUUID / instance id). */
  nodeId: string;
  /** Kubernetes node name (metadata key > server name > VM id). */
  nodeName: string;
  /** Nova server name. @default null */
  serverName?: string | null;
  /** The OpenstackConfig's provider id (inventory API key). @default null */
  providerId?: string | null;
}

export interface NodeRow {
  id: number;
  nodeId: string;
  nodeName: string;
  serverName: string | null;
  providerId: string | null;
  status: string;
  /** Hash of the node config last delivered successfully (null: never). */
  deliveredHash: string | null;
  deliveredAt: Date | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  deletedAt: Date | null;
  /** Active (not soft-deleted) interfaces on this node. */
  interfaceCount: number;
}

export interface NodeFilter {
  providerId?: string;
  nodeName?: string;
  nodeId?: string;
  /** @default false */
  includeDeleted?: boolean;
}

interface DbNode {
  id: number;
  attached_node_id: string;
  attached_node_name: string;
  server_name: string | null;
  provider_id: string | null;
  status: string;
  delivered_hash: string | null;
  delivered_at: Date | null;
  created_at: Date | null;
  modified_at: Date | null;
  deleted_at: Date | null;
  interface_count: number | string;
}

const SELECT = `SELECT n.id, n.attached_node_id, n.attached_node_name, n.server_name, n.provider_id, n.status,
  n.delivered_hash, n.delivered_at, n.created_at, n.modified_at, n.deleted_at,
  (SELECT COUNT(*) FROM multi_interface i WHERE i.attached_node_id = n.attached_node_id AND i.deleted_at IS NULL)
    AS interface_count
  FROM node_table n`;

function fromDb(row: DbNode): NodeRow {
  return {
    id: row.id,
    nodeId: row.attached_node_id,
    nodeName: row.attached_node_name,
    serverName: row.server_name,
    providerId: row.provider_id,
    status: row.status,
    deliveredHash: row.delivered_hash,
    deliveredAt: toDate(row.delivered_at),
    createdAt: toDate(row.created_at),
    modifiedAt: toDate(row.modified_at),
    deletedAt: toDate(row.deleted_at),
    interfaceCount: Number(row.interface_count),
  };
}

const CHANGED = `NOT (attached_node_name <=> VALUES(attached_node_name) AND server_name <=> VALUES(server_name)
  AND provider_id <=> VALUES(provider_id) AND deleted_at IS NULL)`;

export class NodeRepository {
  private readonly now: () => Date;
  private readonly chunkSize: number;

  constructor(options: RepositoryOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  /** Inserts new nodes, updates changed ones (reviving soft-deleted ones), skips unchanged ones. */
  async upsert(sql: Sql, nodes: readonly NodeRecord[], createdAt?: Date): Promise<UpsertCounts> {
    assertUnique(nodes, (node) => node.nodeId, 'node id');
    const counts = emptyCounts();
    const now = this.now();
    for (const part of chunk(nodes, this.chunkSize)) {
      const existing = new Map(
        (
          await this.getMany(
            sql,
            part.map((node) => node.nodeId),
          )
        ).map((row) => [row.nodeId, row]),
      );
      const pending = part.filter((node) => {
        const row = existing.get(node.nodeId);
        if (row === undefined) {
          counts.inserted += 1;
          return true;
        }
        const same =
          row.deletedAt === null &&
          row.nodeName === node.nodeName &&
          row.serverName === (node.serverName ?? null) &&
          row.providerId === (node.providerId ?? null);
        counts[same ? 'unchanged' : 'updated'] += 1;
        return !same;
      });
      if (pending.length === 0) continue;
      const params: SqlValue[] = [];
      for (const node of pending) {
        params.push(
          node.nodeId,
          node.nodeName,
          node.serverName ?? null,
          node.providerId ?? null,
          createdAt ?? now,
          now,
        );
      }
      await sql.execute(
        'nodes.upsert',
        `INSERT INTO node_table (attached_node_id, attached_node_name, server_name, provider_id, created_at, modified_at)
         VALUES ${valuesList(pending.length, 6)}
         ON DUPLICATE KEY UPDATE
           modified_at = IF(${CHANGED}, VALUES(modified_at), modified_at),
           attached_node_name = VALUES(attached_node_name), server_name = VALUES(server_name),
           provider_id = VALUES(provider_id), status = 'active', deleted_at = NULL`,
        params,
      );
    }
    return counts;
  }

  async get(sql: Sql, nodeId: string): Promise<NodeRow | undefined> {
    return (await this.getMany(sql, [nodeId]))[0];
  }

  async getMany(sql: Sql, nodeIds: readonly string[]): Promise<NodeRow[]> {
    const out: NodeRow[] = [];
    for (const part of chunk(nodeIds, this.chunkSize)) {
      const rows = await sql.select<DbNode>(
        'nodes.get',
        `${SELECT} WHERE n.attached_node_id IN (${placeholders(part.length)})`,
        part,
      );
      out.push(...rows.map(fromDb));
    }
    return out;
  }

  /** Nodes sorted by provider id, then name (the inventory API's order). */
  async list(sql: Sql, filter: NodeFilter = {}): Promise<NodeRow[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.includeDeleted !== true) where.push('n.deleted_at IS NULL');
    if (filter.providerId !== undefined) {
      where.push('n.provider_id = ?');
      params.push(filter.providerId);
    }
    if (filter.nodeName !== undefined) {
      where.push('n.attached_node_name = ?');
      params.push(filter.nodeName);
    }
    if (filter.nodeId !== undefined) {
      where.push('n.attached_node_id = ?');
      params.push(filter.nodeId);
    }
    const rows = await sql.select<DbNode>(
      'nodes.list',
      `${SELECT} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY n.provider_id, n.attached_node_name, n.attached_node_id`,
      params,
    );
    return rows.map(fromDb);
  }

  /**
   * Records that the node config with `hash` was delivered; 0 when that hash was already
   * recorded (so a no-change resync writes nothing).
   */
  async recordDelivery(sql: Sql, nodeId: string, hash: string | null): Promise<number> {
    const now = this.now();
    const result = await sql.execute(
      'nodes.record_delivery',
      `UPDATE node_table SET delivered_hash = ?, delivered_at = ?
       WHERE attached_node_id = ? AND NOT (delivered_hash <=> ?)`,
      [hash, now, nodeId, hash],
    );
    return result.affectedRows;
  }

  /**
   * Soft-deletes nodes without any active interface (optionally only among `nodeIds`) and
   * clears their delivered hash; returns the node ids it deleted.
   */
  async softDeleteEmpty(sql: Sql, nodeIds?: readonly string[]): Promise<string[]> {
    const candidates =
      nodeIds === undefined
        ? (
            await sql.select<{ attached_node_id: string }>(
              'nodes.empty',
              `SELECT n.attached_node_id FROM node_table n WHERE n.deleted_at IS NULL AND NOT EXISTS
                 (SELECT 1 FROM multi_interface i WHERE i.attached_node_id = n.attached_node_id AND i.deleted_at IS NULL)`,
            )
          ).map((row) => row.attached_node_id)
        : [...nodeIds];
    const deleted: string[] = [];
    const now = this.now();
    for (const part of chunk(candidates, this.chunkSize)) {
      const rows = await sql.select<{ attached_node_id: string }>(
        'nodes.empty',
        `SELECT n.attached_node_id FROM node_table n WHERE n.deleted_at IS NULL
           AND n.attached_node_id IN (${placeholders(part.length)}) AND NOT EXISTS
           (SELECT 1 FROM multi_interface i WHERE i.attached_node_id = n.attached_node_id AND i.deleted_at IS NULL)`,
        part,
      );
      const ids = rows.map((row) => row.attached_node_id);
      if (ids.length === 0) continue;
      await sql.execute(
        'nodes.soft_delete',
        `UPDATE node_table SET deleted_at = ?, modified_at = ?, status = 'deleted', delivered_hash = NULL
         WHERE deleted_at IS NULL AND attached_node_id IN (${placeholders(ids.length)})`,
        [now, now, ...ids],
      );
      deleted.push(...ids);
    }
    return deleted;
  }
}
