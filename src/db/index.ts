// The database adapter's public surface: pool, migrations, repositories, credential
// encryption, backup/restore/verify. Role folders import from here.
export {
  DEFAULT_DATABASE_URL,
  describeDatabase,
  parseDatabaseUrl,
  redactDatabaseUrl,
  resolvePassword,
  withDatabase,
} from './config.js';
export type { DatabaseConfig } from './config.js';
export { createDatabase, isConnectionError, isTransientError, quoteId } from './pool.js';
export type { Database, DatabaseOptions, Sql, SqlValue, TransactionOptions, WriteResult } from './pool.js';
export { DATA_TABLES, MIGRATIONS, SCHEMA_VERSION, migrationChecksum } from './schema.js';
export type { Migration } from './schema.js';
export { SchemaMismatchError, appliedMigrations, ensureDatabase, migrate, schemaVersion } from './migrate.js';
export type { AppliedMigration, MigrateOptions, MigrateResult } from './migrate.js';
export { DecryptionError, createCredentialCipher, keyIdOf, loadKey, parseKey } from './crypto.js';
export type { CredentialCipher } from './crypto.js';
export { writes } from './batch.js';
export type { ConfigRef, RepositoryOptions, UpsertCounts } from './batch.js';
export { SubnetRepository } from './subnets.js';
export type { SubnetRecord, SubnetRow } from './subnets.js';
export { NodeRepository } from './nodes.js';
export type { NodeFilter, NodeRecord, NodeRow } from './nodes.js';
export { InterfaceRepository } from './interfaces.js';
export type {
  AgentResult,
  InterfaceFilter,
  InterfaceRecord,
  InterfaceRow,
  OwnershipConflict,
  SlotConflict,
  SyncResult,
} from './interfaces.js';
export { CredentialRepository } from './credentials.js';
export type { CredentialInfo, CredentialRepositoryOptions } from './credentials.js';
export { SyncStateRepository } from './sync-state.js';
export type { SyncState } from './sync-state.js';
export {
  SlotConflictError,
  createRepositories,
  persistConfigSnapshot,
  removeConfig,
} from './repositories.js';
export type { ConfigSnapshot, ConfigSyncResult, Repositories } from './repositories.js';
export {
  BackupIntegrityError,
  FutureSchemaError,
  backup,
  describeDifferences,
  pruneBackups,
  readManifest,
  restore,
  summarizeDatabase,
  verify,
} from './backup.js';
export type {
  BackupManifest,
  BackupOptions,
  BackupResult,
  RestoreOptions,
  RestoreResult,
  TableSummary,
  VerifyResult,
} from './backup.js';
