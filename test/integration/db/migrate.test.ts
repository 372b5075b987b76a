import { describe, expect, it } from 'vitest';
import { migrate, appliedMigrations, schemaVersion, SchemaMismatchError } from '../../../src/db/migrate.js';
import { createDatabase } from '../../../src/db/pool.js';
import { MIGRATIONS, SCHEMA_VERSION, migrationChecksum } from '../../../src/db/schema.js';
import type { Migration } from '../../../src/db/schema.js';
import { useDatabase } from '../../support/mariadb.js';

const fresh = useDatabase({ migrate: false });

async function tableNames(): Promise<string[]> {
  const rows = await fresh.pool.select<{ name: string }>(
    'test',
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`,
  );
  return rows.map((row) => row.name);
}

describe('migrate', () => {
  it('creates the unified schema and records every migration with its checksum', async () => {
    const result = await migrate(fresh.pool, { now: () => new Date('2026-11-23T10:00:00.000Z') });
    expect(result).toEqual({ applied: MIGRATIONS.map((m) => m.version), version: SCHEMA_VERSION });
    expect(await tableNames()).toEqual([
      'credentials',
      'cr_state',
      'multi_interface',
      'multi_subnet',
      'node_table',
      'schema_migrations',
    ]);
    const applied = await appliedMigrations(fresh.pool);
    expect(applied).toEqual(
      MIGRATIONS.map((m) => ({
        version: m.version,
        name: m.name,
        checksum: migrationChecksum(m),
        appliedAt: new Date('2026-11-23T10:00:00.000Z'),
      })),
    );
  });

  it('is idempotent: a second run applies nothing and changes no record', async () => {
    const before = await appliedMigrations(fresh.pool);
    const result = await migrate(fresh.pool, { now: () => new Date('2030-01-01T00:00:00.000Z') });
    expect(result.applied).toEqual([]);
    expect(await appliedMigrations(fresh.pool)).toEqual(before);
  });

  it('applies only pending migrations, in order', async () => {
    const extra: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'test column',
      statements: ['ALTER TABLE multi_subnet ADD COLUMN IF NOT EXISTS test_note VARCHAR(20) NULL'],
    };
    const result = await migrate(fresh.pool, { migrations: [...MIGRATIONS, extra] });
    expect(result).toEqual({ applied: [SCHEMA_VERSION + 1], version: SCHEMA_VERSION + 1 });
    expect(await schemaVersion(fresh.pool)).toBe(SCHEMA_VERSION + 1);
  });

  it('refuses a database migrated by a newer build, naming both versions', async () => {
    await expect(migrate(fresh.pool)).rejects.toThrow(SchemaMismatchError);
    await expect(migrate(fresh.pool)).rejects.toThrow(
      `has schema version ${SCHEMA_VERSION + 1} ('test column'), newer than this multinic's ${SCHEMA_VERSION}`,
    );
  });

  it('refuses when an applied migration was edited afterwards', async () => {
    const edited: Migration[] = MIGRATIONS.map((m) => ({ ...m, statements: [...m.statements, 'SELECT 1'] }));
    const extra: Migration = { version: SCHEMA_VERSION + 1, name: 'test column', statements: [] };
    await expect(migrate(fresh.pool, { migrations: [...edited, extra] })).rejects.toThrow(
      /migration 1 \('unified schema'\) was applied with checksum [0-9a-f]{64}, this build has/,
    );
  });
});

describe('concurrent migrate', () => {
  const racing = useDatabase({ migrate: false });

  it('serialises replicas on the advisory lock: the schema is applied exactly once', async () => {
    const replicas = [0, 1, 2, 3].map(() => createDatabase(racing.config, { connectionLimit: 2 }));
    try {
      const results = await Promise.all(replicas.map((db) => migrate(db)));
      const applied = results.flatMap((result) => result.applied);
      expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.version));
      expect(results.every((result) => result.version === SCHEMA_VERSION)).toBe(true);
      const rows = await racing.pool.select<{ n: number }>(
        'test',
        'SELECT COUNT(*) AS n FROM schema_migrations',
      );
      expect(Number(rows[0]?.n)).toBe(MIGRATIONS.length);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
    }
  });
});
