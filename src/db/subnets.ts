// `multi_subnet`: one row per Neutron subnet ever synced, keyed by subnet id.
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

export interface SubnetRecord {
  subnetId: string;
  subnetName: string;
  /** Network form, e.g. `192.168.50.0/24`. */
  cidr: string;
  networkId: string;
}

export interface SubnetRow extends SubnetRecord {
  id: number;
  status: string;
  createdAt: Date | null;
  modifiedAt: Date | null;
  deletedAt: Date | null;
}

interface DbSubnet {
  id: number;
  subnet_id: string;
  subnet_name: string;
  cidr: string;
  network_id: string;
  status: string;
  created_at: Date | null;
  modified_at: Date | null;
  deleted_at: Date | null;
}

const COLUMNS = 'id, subnet_id, subnet_name, cidr, network_id, status, created_at, modified_at, deleted_at';

function fromDb(row: DbSubnet): SubnetRow {
  return {
    id: row.id,
    subnetId: row.subnet_id,
    subnetName: row.subnet_name,
    cidr: row.cidr,
    networkId: row.network_id,
    status: row.status,
    createdAt: toDate(row.created_at),
    modifiedAt: toDate(row.modified_at),
    deletedAt: toDate(row.deleted_at),
  };
}

const CHANGED = `NOT (subnet_name <=> VALUES(subnet_name) AND cidr <=> VALUES(cidr)
  AND network_id <=> VALUES(network_id) AND deleted_at IS NULL)`;

export class SubnetRepository {
  private readonly now: () => Date;
  private readonly chunkSize: number;

  constructor(options: RepositoryOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  /**
   * Inserts new subnets, updates changed ones (reviving soft-deleted ones), and does not write
   * unchanged ones. `createdAt` is used for rows inserted now (spec: the OpenstackConfig's
   * creation time).
   */
  async upsert(sql: Sql, subnets: readonly SubnetRecord[], createdAt?: Date): Promise<UpsertCounts> {
    assertUnique(subnets, (subnet) => subnet.subnetId, 'subnet id');
    const counts = emptyCounts();
    const now = this.now();
    for (const part of chunk(subnets, this.chunkSize)) {
      const existing = new Map(
        (
          await this.getMany(
            sql,
            part.map((subnet) => subnet.subnetId),
          )
        ).map((row) => [row.subnetId, row]),
      );
      const pending = part.filter((subnet) => {
        const row = existing.get(subnet.subnetId);
        if (row === undefined) {
          counts.inserted += 1;
          return true;
        }
        const same =
          row.deletedAt === null &&
          row.subnetName === subnet.subnetName &&
          row.cidr === subnet.cidr &&
          row.networkId === subnet.networkId;
        counts[same ? 'unchanged' : 'updated'] += 1;
        return !same;
      });
      if (pending.length === 0) continue;
      const params: SqlValue[] = [];
      for (const subnet of pending) {
        params.push(subnet.subnetId, subnet.subnetName, subnet.cidr, subnet.networkId, createdAt ?? now, now);
      }
      await sql.execute(
        'subnets.upsert',
        `INSERT INTO multi_subnet (subnet_id, subnet_name, cidr, network_id, created_at, modified_at)
         VALUES ${valuesList(pending.length, 6)}
         ON DUPLICATE KEY UPDATE
           modified_at = IF(${CHANGED}, VALUES(modified_at), modified_at),
           subnet_name = VALUES(subnet_name), cidr = VALUES(cidr), network_id = VALUES(network_id),
           status = 'active', deleted_at = NULL`,
        params,
      );
    }
    return counts;
  }

  async get(sql: Sql, subnetId: string): Promise<SubnetRow | undefined> {
    return (await this.getMany(sql, [subnetId]))[0];
  }

  async getMany(sql: Sql, subnetIds: readonly string[]): Promise<SubnetRow[]> {
    const out: SubnetRow[] = [];
    for (const part of chunk(subnetIds, this.chunkSize)) {
      const rows = await sql.select<DbSubnet>(
        'subnets.get',
        `SELECT ${COLUMNS} FROM multi_subnet WHERE subnet_id IN (${placeholders(part.length)})`,
        part,
      );
      out.push(...rows.map(fromDb));
    }
    return out;
  }

  async list(sql: Sql, filter: { includeDeleted?: boolean } = {}): Promise<SubnetRow[]> {
    const rows = await sql.select<DbSubnet>(
      'subnets.list',
      `SELECT ${COLUMNS} FROM multi_subnet ${filter.includeDeleted === true ? '' : 'WHERE deleted_at IS NULL'} ORDER BY subnet_id`,
    );
    return rows.map(fromDb);
  }

  /** Soft-deletes subnets no active interface uses any more; returns their ids. */
  async softDeleteUnused(sql: Sql): Promise<string[]> {
    const rows = await sql.select<{ subnet_id: string }>(
      'subnets.unused',
      `SELECT s.subnet_id FROM multi_subnet s WHERE s.deleted_at IS NULL AND NOT EXISTS
         (SELECT 1 FROM multi_interface i WHERE i.subnet_id = s.subnet_id AND i.deleted_at IS NULL)`,
    );
    const ids = rows.map((row) => row.subnet_id);
    const now = this.now();
    for (const part of chunk(ids, this.chunkSize)) {
      await sql.execute(
        'subnets.soft_delete',
        `UPDATE multi_subnet SET deleted_at = ?, modified_at = ?, status = 'deleted'
         WHERE deleted_at IS NULL AND subnet_id IN (${placeholders(part.length)})`,
        [now, now, ...part],
      );
    }
    return ids;
  }
}
