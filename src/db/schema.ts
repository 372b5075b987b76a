// The versioned schema. Migrations are forward-only and append-only: a released migration is
// never edited (its checksum is recorded and checked), a change is a new version. Every
// statement is idempotent (IF NOT EXISTS), so a migration interrupted half-way can run again.
import { createHash } from 'node:crypto';

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/**
 * Version 1, the unified schema (the earlier controllers' tables plus what they lacked):
 * - `node_table.attached_node_name` is indexed, not UNIQUE: a renamed or reused VM name must not
 *   break inserts, so `multi_interface` has no foreign key on the name either;
 * - `multi_interface` carries what the agent reads (`address`, `mtu`), the sticky slot
 *   (`interface_index`, `interface_name`), the owning OpenstackConfig, and the time of the last
 *   agent result; a port has one row for its whole life (soft delete, revive), keyed by `port_id`;
 * - `cr_state` records the spec hash of the last *successful* sync (so a failed one is retried);
 * - `credentials` holds AES-256-GCM ciphertexts only (see crypto.ts).
 * Times are TIMESTAMP(3) in UTC, written from the controller's clock.
 */
const V1_UNIFIED_SCHEMA: Migration = {
  version: 1,
  name: 'unified schema',
  statements: [
    `CREATE TABLE IF NOT EXISTS multi_subnet (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  subnet_id VARCHAR(36) NOT NULL,
  subnet_name VARCHAR(255) NOT NULL,
  cidr VARCHAR(64) NOT NULL,
  network_id VARCHAR(36) NOT NULL,
  status VARCHAR(50) NOT NULL DEFAULT 'active',
  created_at TIMESTAMP(3) NULL DEFAULT NULL,
  modified_at TIMESTAMP(3) NULL DEFAULT NULL,
  deleted_at TIMESTAMP(3) NULL DEFAULT NULL,
  UNIQUE KEY uq_multi_subnet_subnet_id (subnet_id)
) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS node_table (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  attached_node_id VARCHAR(36) NOT NULL,
  attached_node_name VARCHAR(255) NOT NULL,
  server_name VARCHAR(255) NULL DEFAULT NULL,
  provider_id VARCHAR(255) NULL DEFAULT NULL,
  status VARCHAR(50) NOT NULL DEFAULT 'active',
  delivered_hash CHAR(64) NULL DEFAULT NULL,
  delivered_at TIMESTAMP(3) NULL DEFAULT NULL,
  created_at TIMESTAMP(3) NULL DEFAULT NULL,
  modified_at TIMESTAMP(3) NULL DEFAULT NULL,
  deleted_at TIMESTAMP(3) NULL DEFAULT NULL,
  UNIQUE KEY uq_node_table_node_id (attached_node_id),
  KEY ix_node_table_node_name (attached_node_name),
  KEY ix_node_table_provider (provider_id, attached_node_name)
) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS multi_interface (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  port_id VARCHAR(36) NOT NULL,
  subnet_id VARCHAR(36) NOT NULL,
  network_id VARCHAR(36) NULL DEFAULT NULL,
  macaddress VARCHAR(17) NOT NULL,
  attached_node_id VARCHAR(36) NULL DEFAULT NULL,
  attached_node_name VARCHAR(255) NULL DEFAULT NULL,
  cr_namespace VARCHAR(253) NOT NULL,
  cr_name VARCHAR(253) NOT NULL,
  interface_index TINYINT UNSIGNED NULL DEFAULT NULL,
  interface_name VARCHAR(15) NULL DEFAULT NULL,
  address VARCHAR(45) NULL DEFAULT NULL,
  mtu INT NULL DEFAULT 1500,
  status VARCHAR(50) NOT NULL DEFAULT 'active',
  netplan_success TINYINT(1) NOT NULL DEFAULT 0,
  netplan_result_at TIMESTAMP(3) NULL DEFAULT NULL,
  created_at TIMESTAMP(3) NULL DEFAULT NULL,
  modified_at TIMESTAMP(3) NULL DEFAULT NULL,
  deleted_at TIMESTAMP(3) NULL DEFAULT NULL,
  UNIQUE KEY uq_multi_interface_port_id (port_id),
  KEY ix_multi_interface_owner (cr_namespace, cr_name, deleted_at),
  KEY ix_multi_interface_node_name (attached_node_name, deleted_at),
  KEY ix_multi_interface_node_id (attached_node_id, deleted_at),
  KEY ix_multi_interface_subnet (subnet_id),
  CONSTRAINT fk_multi_interface_subnet FOREIGN KEY (subnet_id) REFERENCES multi_subnet (subnet_id),
  CONSTRAINT fk_multi_interface_node FOREIGN KEY (attached_node_id) REFERENCES node_table (attached_node_id)
) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS cr_state (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  cr_namespace VARCHAR(253) NOT NULL,
  cr_name VARCHAR(253) NOT NULL,
  spec_hash VARCHAR(64) NOT NULL,
  last_updated TIMESTAMP(3) NULL DEFAULT NULL,
  UNIQUE KEY uq_cr_state (cr_namespace, cr_name)
) ${TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS credentials (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  key_id CHAR(8) NOT NULL,
  ciphertext VARBINARY(16384) NOT NULL,
  created_at TIMESTAMP(3) NULL DEFAULT NULL,
  modified_at TIMESTAMP(3) NULL DEFAULT NULL,
  deleted_at TIMESTAMP(3) NULL DEFAULT NULL,
  UNIQUE KEY uq_credentials_name (name)
) ${TABLE_OPTIONS}`,
  ],
};

/** Every migration this build knows, in version order. */
export const MIGRATIONS: readonly Migration[] = [V1_UNIFIED_SCHEMA];

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** The tables the repositories own (the order is safe for foreign keys when loading). */
export const DATA_TABLES = [
  'multi_subnet',
  'node_table',
  'multi_interface',
  'cr_state',
  'credentials',
] as const;

export const MIGRATIONS_TABLE = 'schema_migrations';

/** SHA-256 over the normalised statements: whitespace changes do not count, anything else does. */
export function migrationChecksum(migration: Migration): string {
  const hash = createHash('sha256');
  for (const statement of migration.statements)
    hash.update(statement.replace(/\s+/g, ' ').trim()).update('\n');
  return hash.digest('hex');
}
