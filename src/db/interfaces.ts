// `multi_interface`: one row per managed Neutron port for the port's whole life, keyed by port
// id. A sync never deletes and re-inserts (the earlier controller did): new ports are
// inserted, changed ones updated, unchanged ones not written at all, and ports gone from a
// config are soft-deleted (revived if they come back). `netplan_success` (the agent's result)
// is reset to 0 only when what the agent configures changed: subnet, network, MAC, node,
// slot/name, address or MTU, or when the row comes back from soft deletion.
import {
  DEFAULT_CHUNK_SIZE,
  assertUnique,
  chunk,
  emptyCounts,
  placeholders,
  toDate,
  valuesList,
} from './batch.js';
import type { ConfigRef, RepositoryOptions, UpsertCounts } from './batch.js';
import type { Sql, SqlValue } from './pool.js';

export interface InterfaceRecord {
  portId: string;
  subnetId: string;
  /** @default null */
  networkId?: string | null;
  /** `aa:bb:cc:dd:ee:ff` (stored as given; pass lowercase). */
  macAddress: string;
  /** Nova server id (must exist in `node_table`, or null). */
  nodeId: string | null;
  nodeName: string | null;
  /** Sticky slot 0..9 (`multinicN`), owned by the controller. @default null */
  interfaceIndex?: number | null;
  /** @default - `multinic<interfaceIndex>` when an index is given, else null */
  interfaceName?: string | null;
  /** IPv4/IPv6 address on the subnet. @default null */
  address?: string | null;
  /** Network MTU. @default null */
  mtu?: number | null;
}

export interface InterfaceRow {
  id: number;
  portId: string;
  subnetId: string;
  networkId: string | null;
  macAddress: string;
  nodeId: string | null;
  nodeName: string | null;
  owner: ConfigRef;
  interfaceIndex: number | null;
  interfaceName: string | null;
  address: string | null;
  mtu: number | null;
  /** The subnet's CIDR (joined from `multi_subnet`). */
  cidr: string | null;
  status: string;
  netplanSuccess: boolean;
  netplanResultAt: Date | null;
  createdAt: Date | null;
  modifiedAt: Date | null;
  deletedAt: Date | null;
}

export interface InterfaceFilter {
  nodeName?: string;
  nodeId?: string;
  /** Rows of one OpenstackConfig (`name` omitted: all configs of the namespace). */
  owner?: { namespace: string; name?: string };
  subnetId?: string;
  portIds?: readonly string[];
  netplanSuccess?: boolean;
  /** @default false */
  includeDeleted?: boolean;
  limit?: number;
  offset?: number;
}

/** A port another OpenstackConfig already manages: left untouched and reported. */
export interface OwnershipConflict {
  portId: string;
  owner: ConfigRef;
}

/** Two active ports on one node with the same slot. */
export interface SlotConflict {
  nodeId: string;
  interfaceIndex: number;
  portIds: string[];
}

export interface SyncResult extends UpsertCounts {
  /** Rows that came back from soft deletion (included in `updated`). */
  revived: number;
  /** Port ids soft-deleted because the config no longer has them. */
  removed: string[];
  conflicts: OwnershipConflict[];
}

export interface AgentResult {
  portId: string;
  success: boolean;
  /**
   * When the agent observed the configuration it reports on. A result older than the row's
   * last change is stale (it reports on the previous configuration) and is ignored.
   */
  observedAt?: Date;
}

interface DbInterface {
  id: number;
  port_id: string;
  subnet_id: string;
  network_id: string | null;
  macaddress: string;
  attached_node_id: string | null;
  attached_node_name: string | null;
  cr_namespace: string;
  cr_name: string;
  interface_index: number | null;
  interface_name: string | null;
  address: string | null;
  mtu: number | null;
  cidr: string | null;
  status: string;
  netplan_success: number;
  netplan_result_at: Date | null;
  created_at: Date | null;
  modified_at: Date | null;
  deleted_at: Date | null;
}

const SELECT = `SELECT i.id, i.port_id, i.subnet_id, i.network_id, i.macaddress, i.attached_node_id,
  i.attached_node_name, i.cr_namespace, i.cr_name, i.interface_index, i.interface_name, i.address, i.mtu,
  s.cidr, i.status, i.netplan_success, i.netplan_result_at, i.created_at, i.modified_at, i.deleted_at
  FROM multi_interface i LEFT JOIN multi_subnet s ON s.subnet_id = i.subnet_id`;

function fromDb(row: DbInterface): InterfaceRow {
  return {
    id: row.id,
    portId: row.port_id,
    subnetId: row.subnet_id,
    networkId: row.network_id,
    macAddress: row.macaddress,
    nodeId: row.attached_node_id,
    nodeName: row.attached_node_name,
    owner: { namespace: row.cr_namespace, name: row.cr_name },
    interfaceIndex: row.interface_index,
    interfaceName: row.interface_name,
    address: row.address,
    mtu: row.mtu,
    cidr: row.cidr,
    status: row.status,
    netplanSuccess: Number(row.netplan_success) === 1,
    netplanResultAt: toDate(row.netplan_result_at),
    createdAt: toDate(row.created_at),
    modifiedAt: toDate(row.modified_at),
    deletedAt: toDate(row.deleted_at),
  };
}

interface Normalised {
  portId: string;
  subnetId: string;
  networkId: string | null;
  macAddress: string;
  nodeId: string | null;
  nodeName: string | null;
  interfaceIndex: number | null;
  interfaceName: string | null;
  address: string | null;
  mtu: number | null;
}

function normalise(record: InterfaceRecord): Normalised {
  const index = record.interfaceIndex ?? null;
  if (index !== null && (!Number.isInteger(index) || index < 0 || index > 255)) {
    throw new Error(`port ${record.portId}: interfaceIndex must be an integer 0..255, got ${index}`);
  }
  return {
    portId: record.portId,
    subnetId: record.subnetId,
    networkId: record.networkId ?? null,
    macAddress: record.macAddress,
    nodeId: record.nodeId,
    nodeName: record.nodeName,
    interfaceIndex: index,
    interfaceName: record.interfaceName ?? (index === null ? null : `multinic${index}`),
    address: record.address ?? null,
    mtu: record.mtu ?? null,
  };
}

function sameConfig(row: InterfaceRow, record: Normalised): boolean {
  return (
    row.subnetId === record.subnetId &&
    row.networkId === record.networkId &&
    row.macAddress === record.macAddress &&
    row.nodeId === record.nodeId &&
    row.nodeName === record.nodeName &&
    row.interfaceIndex === record.interfaceIndex &&
    row.interfaceName === record.interfaceName &&
    row.address === record.address &&
    row.mtu === record.mtu
  );
}

// The config columns whose change means the agent must re-apply (netplan_success back to 0).
const CONFIG_COLUMNS = [
  'subnet_id',
  'network_id',
  'macaddress',
  'attached_node_id',
  'attached_node_name',
  'interface_index',
  'interface_name',
  'address',
  'mtu',
] as const;
// May this statement touch the row: it is ours, or it was soft-deleted (a port moved configs).
const MAY_WRITE =
  '(deleted_at IS NOT NULL OR (cr_namespace = VALUES(cr_namespace) AND cr_name = VALUES(cr_name)))';
const CONFIG_CHANGED = `(deleted_at IS NOT NULL OR NOT (${CONFIG_COLUMNS.map((c) => `${c} <=> VALUES(${c})`).join(' AND ')}))`;
// MariaDB evaluates ON DUPLICATE KEY UPDATE assignments left to right, each seeing the columns
// already assigned: the result and time columns are decided first (on the old values), the
// owner and `deleted_at` last (MAY_WRITE reads them).
const UPSERT_SQL = (rows: number): string => `INSERT INTO multi_interface
  (port_id, subnet_id, network_id, macaddress, attached_node_id, attached_node_name, cr_namespace, cr_name,
   interface_index, interface_name, address, mtu, status, netplan_success, created_at, modified_at)
  VALUES ${valuesList(rows, 16)}
  ON DUPLICATE KEY UPDATE
    netplan_success = IF(${MAY_WRITE} AND ${CONFIG_CHANGED}, 0, netplan_success),
    netplan_result_at = IF(${MAY_WRITE} AND ${CONFIG_CHANGED}, NULL, netplan_result_at),
    modified_at = IF(${MAY_WRITE} AND ${CONFIG_CHANGED}, VALUES(modified_at), modified_at),
    ${CONFIG_COLUMNS.map((c) => `${c} = IF(${MAY_WRITE}, VALUES(${c}), ${c})`).join(',\n    ')},
    status = IF(${MAY_WRITE}, 'active', status),
    cr_name = IF(deleted_at IS NOT NULL, VALUES(cr_name), cr_name),
    cr_namespace = IF(deleted_at IS NOT NULL, VALUES(cr_namespace), cr_namespace),
    deleted_at = IF(deleted_at IS NOT NULL AND cr_namespace = VALUES(cr_namespace) AND cr_name = VALUES(cr_name),
                    NULL, deleted_at)`;

export class InterfaceRepository {
  private readonly now: () => Date;
  private readonly chunkSize: number;

  constructor(options: RepositoryOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  /**
   * Makes the config's active rows exactly `records`: soft-deletes its ports that are not in
   * `records` (first, so their slots are free), then upserts the rest. Ports active under another
   * config are reported in `conflicts` and not touched. Run it inside `withTransaction`, after
   * upserting the subnets and nodes the records refer to (foreign keys).
   */
  async syncConfig(
    sql: Sql,
    owner: ConfigRef,
    records: readonly InterfaceRecord[],
    createdAt?: Date,
  ): Promise<SyncResult> {
    assertUnique(records, (record) => record.portId, 'port id');
    const wanted = new Set(records.map((record) => record.portId));
    const active = await sql.select<{ port_id: string }>(
      'interfaces.owned',
      'SELECT port_id FROM multi_interface WHERE cr_namespace = ? AND cr_name = ? AND deleted_at IS NULL',
      [owner.namespace, owner.name],
    );
    const removed = active.map((row) => row.port_id).filter((portId) => !wanted.has(portId));
    await this.softDelete(sql, owner, removed);
    const result = await this.upsert(sql, owner, records, createdAt);
    return { ...result, removed };
  }

  /** Inserts or updates the rows of `owner` (no removal). */
  async upsert(
    sql: Sql,
    owner: ConfigRef,
    records: readonly InterfaceRecord[],
    createdAt?: Date,
  ): Promise<Omit<SyncResult, 'removed'>> {
    assertUnique(records, (record) => record.portId, 'port id');
    const counts = emptyCounts();
    let revived = 0;
    const conflicts: OwnershipConflict[] = [];
    const now = this.now();
    for (const part of chunk(records.map(normalise), this.chunkSize)) {
      const existing = new Map(
        (await this.list(sql, { portIds: part.map((record) => record.portId), includeDeleted: true })).map(
          (row) => [row.portId, row],
        ),
      );
      const pending = part.filter((record) => {
        const row = existing.get(record.portId);
        if (row === undefined) {
          counts.inserted += 1;
          return true;
        }
        const ours = row.owner.namespace === owner.namespace && row.owner.name === owner.name;
        if (row.deletedAt === null && !ours) {
          conflicts.push({ portId: record.portId, owner: row.owner });
          return false;
        }
        if (row.deletedAt !== null) {
          revived += 1;
          counts.updated += 1;
          return true;
        }
        const same = sameConfig(row, record);
        counts[same ? 'unchanged' : 'updated'] += 1;
        return !same;
      });
      if (pending.length === 0) continue;
      const params: SqlValue[] = [];
      for (const record of pending) {
        params.push(
          record.portId,
          record.subnetId,
          record.networkId,
          record.macAddress,
          record.nodeId,
          record.nodeName,
          owner.namespace,
          owner.name,
          record.interfaceIndex,
          record.interfaceName,
          record.address,
          record.mtu,
          'active',
          0,
          createdAt ?? now,
          now,
        );
      }
      await sql.execute('interfaces.upsert', UPSERT_SQL(pending.length), params);
    }
    return { ...counts, revived, conflicts };
  }

  /** Soft-deletes the given ports of `owner`; returns how many rows changed. */
  async softDelete(sql: Sql, owner: ConfigRef, portIds: readonly string[]): Promise<number> {
    let changed = 0;
    const now = this.now();
    for (const part of chunk(portIds, this.chunkSize)) {
      const result = await sql.execute(
        'interfaces.soft_delete',
        `UPDATE multi_interface SET deleted_at = ?, modified_at = ?, status = 'deleted'
         WHERE cr_namespace = ? AND cr_name = ? AND deleted_at IS NULL AND port_id IN (${placeholders(part.length)})`,
        [now, now, owner.namespace, owner.name, ...part],
      );
      changed += result.affectedRows;
    }
    return changed;
  }

  /** Soft-deletes every active row of `owner` (the OpenstackConfig is being deleted). */
  async softDeleteConfig(sql: Sql, owner: ConfigRef): Promise<string[]> {
    const rows = await sql.select<{ port_id: string }>(
      'interfaces.owned',
      'SELECT port_id FROM multi_interface WHERE cr_namespace = ? AND cr_name = ? AND deleted_at IS NULL',
      [owner.namespace, owner.name],
    );
    const portIds = rows.map((row) => row.port_id);
    await this.softDelete(sql, owner, portIds);
    return portIds;
  }

  async get(sql: Sql, portId: string): Promise<InterfaceRow | undefined> {
    return (await this.list(sql, { portIds: [portId], includeDeleted: true }))[0];
  }

  /** Rows matching every given filter, ordered by node name, slot, port id. */
  async list(sql: Sql, filter: InterfaceFilter = {}): Promise<InterfaceRow[]> {
    if (filter.portIds !== undefined) {
      const out: InterfaceRow[] = [];
      for (const part of chunk(filter.portIds, this.chunkSize)) {
        out.push(...(await this.listWhere(sql, { ...filter, portIds: part })));
      }
      return out;
    }
    return this.listWhere(sql, filter);
  }

  private async listWhere(sql: Sql, filter: InterfaceFilter): Promise<InterfaceRow[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (clause: string, ...values: SqlValue[]): void => {
      where.push(clause);
      params.push(...values);
    };
    if (filter.includeDeleted !== true) add('i.deleted_at IS NULL');
    if (filter.nodeName !== undefined) add('i.attached_node_name = ?', filter.nodeName);
    if (filter.nodeId !== undefined) add('i.attached_node_id = ?', filter.nodeId);
    if (filter.owner !== undefined) {
      add('i.cr_namespace = ?', filter.owner.namespace);
      if (filter.owner.name !== undefined) add('i.cr_name = ?', filter.owner.name);
    }
    if (filter.subnetId !== undefined) add('i.subnet_id = ?', filter.subnetId);
    if (filter.netplanSuccess !== undefined) add('i.netplan_success = ?', filter.netplanSuccess ? 1 : 0);
    if (filter.portIds !== undefined) {
      if (filter.portIds.length === 0) return [];
      add(`i.port_id IN (${placeholders(filter.portIds.length)})`, ...filter.portIds);
    }
    let page = '';
    if (filter.limit !== undefined) {
      // LIMIT takes literals here: mysql2 sends numbers as DOUBLE to prepared statements.
      page = ` LIMIT ${Math.max(0, Math.trunc(filter.limit))} OFFSET ${Math.max(0, Math.trunc(filter.offset ?? 0))}`;
    }
    const rows = await sql.select<DbInterface>(
      'interfaces.list',
      `${SELECT} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY i.attached_node_name, i.interface_index, i.port_id${page}`,
      params,
    );
    return rows.map(fromDb);
  }

  /**
   * Writes the agent's result for one port: 1 when `netplan_success` changed, 0 when it already
   * had that value, the row is soft-deleted or unknown, or the result is stale (see AgentResult).
   */
  async recordAgentResult(sql: Sql, portId: string, success: boolean, observedAt?: Date): Promise<number> {
    const result: AgentResult = { portId, success };
    if (observedAt !== undefined) result.observedAt = observedAt;
    return this.recordAgentResults(sql, [result]);
  }

  /** `recordAgentResult` for many ports; returns the number of rows changed. */
  async recordAgentResults(sql: Sql, results: readonly AgentResult[]): Promise<number> {
    let changed = 0;
    const now = this.now();
    for (const success of [true, false]) {
      const plain = results
        .filter((r) => r.success === success && r.observedAt === undefined)
        .map((r) => r.portId);
      for (const part of chunk(plain, this.chunkSize)) {
        const result = await sql.execute(
          'interfaces.agent_result',
          `UPDATE multi_interface SET netplan_success = ?, netplan_result_at = ?
           WHERE deleted_at IS NULL AND netplan_success <> ? AND port_id IN (${placeholders(part.length)})`,
          [success ? 1 : 0, now, success ? 1 : 0, ...part],
        );
        changed += result.affectedRows;
      }
    }
    for (const item of results.filter((r) => r.observedAt !== undefined)) {
      const result = await sql.execute(
        'interfaces.agent_result',
        `UPDATE multi_interface SET netplan_success = ?, netplan_result_at = ?
         WHERE deleted_at IS NULL AND netplan_success <> ? AND port_id = ? AND (modified_at IS NULL OR modified_at <= ?)`,
        [item.success ? 1 : 0, now, item.success ? 1 : 0, item.portId, item.observedAt ?? now],
      );
      changed += result.affectedRows;
    }
    return changed;
  }

  /**
   * Active rows that share a node and a slot (two NICs would get one `multinicN`), among
   * `nodeIds`. The schema cannot enforce this with a unique key: ON DUPLICATE KEY UPDATE would
   * then update the *other* port's row on a slot clash instead of failing.
   */
  async slotConflicts(sql: Sql, nodeIds: readonly string[]): Promise<SlotConflict[]> {
    const out: SlotConflict[] = [];
    for (const part of chunk(nodeIds, this.chunkSize)) {
      const rows = await sql.select<{ attached_node_id: string; interface_index: number; ports: string }>(
        'interfaces.slot_conflicts',
        `SELECT attached_node_id, interface_index, GROUP_CONCAT(port_id ORDER BY port_id) AS ports
         FROM multi_interface
         WHERE deleted_at IS NULL AND interface_index IS NOT NULL
           AND attached_node_id IN (${placeholders(part.length)})
         GROUP BY attached_node_id, interface_index HAVING COUNT(*) > 1`,
        part,
      );
      for (const row of rows) {
        out.push({
          nodeId: row.attached_node_id,
          interfaceIndex: row.interface_index,
          portIds: row.ports.split(','),
        });
      }
    }
    return out;
  }

  /** Per-config summary for status: nodes, active interfaces, and those not applied yet. */
  async summary(sql: Sql, owner: ConfigRef): Promise<{ nodes: number; interfaces: number; pending: number }> {
    const [row] = await sql.select<{
      nodes: number | string;
      interfaces: number | string;
      pending: number | string | null;
    }>(
      'interfaces.summary',
      `SELECT COUNT(DISTINCT attached_node_id) AS nodes, COUNT(*) AS interfaces,
              SUM(netplan_success = 0) AS pending
       FROM multi_interface WHERE cr_namespace = ? AND cr_name = ? AND deleted_at IS NULL`,
      [owner.namespace, owner.name],
    );
    return {
      nodes: Number(row?.nodes ?? 0),
      interfaces: Number(row?.interfaces ?? 0),
      pending: Number(row?.pending ?? 0),
    };
  }
}
