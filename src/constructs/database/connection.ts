// How a pod reaches the controller's database: env vars (`DB_*`, `DATABASE_URL` in the form
// src/db/config.ts parses) and the password Secret mounted as a file. No password in env.
import type { EnvVar, Volume, VolumeMount } from 'cdk8s-plus-28/lib/imports/k8s.js';
import { checkDnsSubdomain, checkInt, checkNonEmpty } from '../common/validate.js';

/** Where the database is and which Secret holds its password. */
export interface DatabaseConnection {
  /** Host name of the MariaDB service. */
  readonly host: string;
  /** TCP port. @default 3306 */
  readonly port?: number;
  /** Schema name. @default 'multinic' */
  readonly database?: string;
  /** User name (ignored when `userKey` is set). @default 'multinic' */
  readonly user?: string;
  /** Secret (same namespace) with the password; mounted as a file, never put in env. */
  readonly secretName: string;
  /** Key of the password in the Secret. @default 'password' */
  readonly passwordKey?: string;
  /**
   * Key in the same Secret holding the user name (external databases).
   * @default - the literal `user`
   */
  readonly userKey?: string;
}

/** Directory the database password Secret is mounted at (file `password`). */
export const DB_SECRET_MOUNT = '/var/run/secrets/multinic/db';
export const DB_PASSWORD_FILE = `${DB_SECRET_MOUNT}/password`;

export function checkConnection(who: string, db: DatabaseConnection): void {
  checkNonEmpty(who, 'database.host', db.host);
  checkInt(who, 'database.port', db.port ?? 3306, 1, 65535);
  checkNonEmpty(who, 'database.database', db.database ?? 'multinic');
  checkNonEmpty(who, 'database.user', db.user ?? 'multinic');
  checkDnsSubdomain(who, 'database.secretName', db.secretName);
}

/** `mysql://<user>@host:port/database?passwordFile=...`; the user is `$(DB_USER)` when it comes from the Secret. */
export function databaseUrl(db: DatabaseConnection): string {
  const user = db.userKey !== undefined ? '$(DB_USER)' : encodeURIComponent(db.user ?? 'multinic');
  const database = encodeURIComponent(db.database ?? 'multinic');
  return `mysql://${user}@${db.host}:${db.port ?? 3306}/${database}?passwordFile=${encodeURIComponent(DB_PASSWORD_FILE)}`;
}

/** `DB_HOST`, `DB_PORT`, `DB_NAME`, `DB_USER`, `DB_PASSWORD_FILE` and `DATABASE_URL` (in that order: `$(DB_USER)` expands). */
export function databaseEnv(db: DatabaseConnection): EnvVar[] {
  return [
    { name: 'DB_HOST', value: db.host },
    { name: 'DB_PORT', value: String(db.port ?? 3306) },
    { name: 'DB_NAME', value: db.database ?? 'multinic' },
    db.userKey !== undefined
      ? { name: 'DB_USER', valueFrom: { secretKeyRef: { name: db.secretName, key: db.userKey } } }
      : { name: 'DB_USER', value: db.user ?? 'multinic' },
    { name: 'DB_PASSWORD_FILE', value: DB_PASSWORD_FILE },
    { name: 'DATABASE_URL', value: databaseUrl(db) },
  ];
}

export function databaseVolume(db: DatabaseConnection): Volume {
  return {
    name: 'db-credentials',
    secret: {
      secretName: db.secretName,
      items: [{ key: db.passwordKey ?? 'password', path: 'password' }],
      defaultMode: 0o440,
    },
  };
}

export function databaseMount(): VolumeMount {
  return { name: 'db-credentials', mountPath: DB_SECRET_MOUNT, readOnly: true };
}
