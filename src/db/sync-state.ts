// `cr_state`: the spec hash of each OpenstackConfig's last *successful* sync. The controller
// records it only after the sync committed, so a failed sync is retried.
import { toDate } from './batch.js';
import type { ConfigRef, RepositoryOptions } from './batch.js';
import type { Sql } from './pool.js';

export interface SyncState {
  specHash: string;
  lastUpdated: Date | null;
}

export class SyncStateRepository {
  private readonly now: () => Date;

  constructor(options: RepositoryOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  async get(sql: Sql, owner: ConfigRef): Promise<SyncState | undefined> {
    const [row] = await sql.select<{ spec_hash: string; last_updated: Date | null }>(
      'sync_state.get',
      'SELECT spec_hash, last_updated FROM cr_state WHERE cr_namespace = ? AND cr_name = ?',
      [owner.namespace, owner.name],
    );
    return row === undefined ? undefined : { specHash: row.spec_hash, lastUpdated: toDate(row.last_updated) };
  }

  /** Records the hash of a successful sync; 0 when it was already recorded. */
  async record(sql: Sql, owner: ConfigRef, specHash: string): Promise<number> {
    const result = await sql.execute(
      'sync_state.record',
      `INSERT INTO cr_state (cr_namespace, cr_name, spec_hash, last_updated) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE last_updated = IF(spec_hash <=> VALUES(spec_hash), last_updated, VALUES(last_updated)),
         spec_hash = VALUES(spec_hash)`,
      [owner.namespace, owner.name, specHash, this.now()],
    );
    return result.affectedRows > 0 ? 1 : 0;
  }

  /** Forgets a config (it was deleted). */
  async remove(sql: Sql, owner: ConfigRef): Promise<number> {
    const result = await sql.execute(
      'sync_state.remove',
      'DELETE FROM cr_state WHERE cr_namespace = ? AND cr_name = ?',
      [owner.namespace, owner.name],
    );
    return result.affectedRows;
  }
}
