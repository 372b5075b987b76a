// `credentials`: secrets the controller must keep (e.g. OpenStack credentials resolved from a
// vendor source), stored only as AES-256-GCM ciphertexts bound to their name (crypto.ts).
import { toDate } from './batch.js';
import { DecryptionError } from './crypto.js';
import type { CredentialCipher } from './crypto.js';
import type { Sql } from './pool.js';

export interface CredentialRepositoryOptions {
  cipher: CredentialCipher;
  /** @default - the wall clock */
  now?: () => Date;
}

export interface CredentialInfo {
  name: string;
  keyId: string;
  createdAt: Date | null;
  modifiedAt: Date | null;
}

interface DbCredential {
  name: string;
  key_id: string;
  ciphertext: Buffer;
  created_at: Date | null;
  modified_at: Date | null;
}

export class CredentialRepository {
  private readonly cipher: CredentialCipher;
  private readonly now: () => Date;

  constructor(options: CredentialRepositoryOptions) {
    this.cipher = options.cipher;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Stores `secret` under `name`; returns 0 without writing when the stored value already
   * decrypts to the same secret with the current key, 1 otherwise.
   */
  async put(sql: Sql, name: string, secret: string): Promise<number> {
    const [row] = await this.fetch(sql, name);
    if (row !== undefined && row.key_id === this.cipher.keyId && this.decryptsTo(row, secret)) return 0;
    const now = this.now();
    const ciphertext = this.cipher.encrypt(secret, name);
    await sql.execute(
      'credentials.put',
      `INSERT INTO credentials (name, key_id, ciphertext, created_at, modified_at) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE key_id = VALUES(key_id), ciphertext = VALUES(ciphertext),
         modified_at = VALUES(modified_at), deleted_at = NULL`,
      [name, this.cipher.keyId, ciphertext, now, now],
    );
    return 1;
  }

  /** Stores a JSON-serialisable value (see `put`). */
  async putJson(sql: Sql, name: string, value: unknown): Promise<number> {
    return this.put(sql, name, JSON.stringify(value));
  }

  /** The decrypted secret, or undefined when absent or deleted. Throws DecryptionError on tampering. */
  async get(sql: Sql, name: string): Promise<string | undefined> {
    const [row] = await this.fetch(sql, name);
    return row === undefined
      ? undefined
      : this.cipher.decrypt(Buffer.from(row.ciphertext), name).toString('utf8');
  }

  async getJson<T>(sql: Sql, name: string): Promise<T | undefined> {
    const text = await this.get(sql, name);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /** Soft-deletes and wipes the ciphertext; returns 1 when a row changed. */
  async remove(sql: Sql, name: string): Promise<number> {
    const now = this.now();
    const result = await sql.execute(
      'credentials.remove',
      `UPDATE credentials SET deleted_at = ?, modified_at = ?, ciphertext = x'' WHERE name = ? AND deleted_at IS NULL`,
      [now, now, name],
    );
    return result.affectedRows;
  }

  async list(sql: Sql): Promise<CredentialInfo[]> {
    const rows = await sql.select<DbCredential>(
      'credentials.list',
      'SELECT name, key_id, created_at, modified_at FROM credentials WHERE deleted_at IS NULL ORDER BY name',
    );
    return rows.map((row) => ({
      name: row.name,
      keyId: row.key_id,
      createdAt: toDate(row.created_at),
      modifiedAt: toDate(row.modified_at),
    }));
  }

  /** Re-encrypts values made with an older key (after a key rotation); returns how many. */
  async reencrypt(sql: Sql): Promise<number> {
    const rows = await sql.select<DbCredential>(
      'credentials.stale',
      'SELECT name, key_id, ciphertext FROM credentials WHERE deleted_at IS NULL AND key_id <> ?',
      [this.cipher.keyId],
    );
    for (const row of rows) {
      await this.put(
        sql,
        row.name,
        this.cipher.decrypt(Buffer.from(row.ciphertext), row.name).toString('utf8'),
      );
    }
    return rows.length;
  }

  // A stored value that no longer authenticates is simply replaced by the new secret.
  private decryptsTo(row: DbCredential, secret: string): boolean {
    try {
      return this.cipher.decrypt(Buffer.from(row.ciphertext), row.name).toString('utf8') === secret;
    } catch (error) {
      if (error instanceof DecryptionError) return false;
      throw error;
    }
  }

  private fetch(sql: Sql, name: string): Promise<DbCredential[]> {
    return sql.select<DbCredential>(
      'credentials.get',
      'SELECT name, key_id, ciphertext, created_at, modified_at FROM credentials WHERE name = ? AND deleted_at IS NULL',
      [name],
    );
  }
}
