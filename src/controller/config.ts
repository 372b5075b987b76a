// The controller process's configuration: one zod schema over the environment the
// MultiNicController construct sets (plus the earlier controller's names), parsed once at start-up.
import { z } from 'zod';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from '../db/config.js';
import type { DatabaseConfig } from '../db/config.js';

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label')
  .max(63);
const port = z.coerce.number().int().min(0).max(65535);

export const controllerEnvSchema = z.object({
  POD_NAMESPACE: dnsLabel.optional(),
  POD_NAME: z.string().optional(),
  NODE_CR_NAMESPACE: dnsLabel.optional(),
  WATCH_NAMESPACE: z.union([dnsLabel, z.literal('*')]).optional(),
  MULTINIC_OPERATOR_NAME: z.string().min(1).optional(),
  DATABASE_URL: z.string().optional(),
  DB_HOST: z.string().optional(),
  DB_PORT: port.optional(),
  DB_NAME: z.string().optional(),
  DB_USER: z.string().optional(),
  DB_PASSWORD_FILE: z.string().optional(),
  VIOLA_ENDPOINT: z.string().url().optional(),
  INVENTORY_ENABLED: z.enum(['true', 'false']).default('true'),
  INVENTORY_ADDR: z
    .string()
    .regex(/^[^:]*:\d+$/, 'must be host:port or :port')
    .default(':18081'),
  TRIGGER_TOKEN_FILE: z.string().optional(),
  HEALTH_PORT: port.default(8082),
  WORKERS: z.coerce.number().int().min(1).max(64).default(4),
  LEADER_ELECTION: z.enum(['true', 'false']).default('true'),
  LEASE_NAME: z.string().default('multinic-controller'),
  MIGRATE: z.enum(['true', 'false']).default('true'),
  INSECURE_KUBECONFIG_EXEC: z.enum(['true', 'false']).default('false'),
  ALLOWED_ENDPOINT_HOSTS: z.string().default(''),
  DATABASE_WAIT_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
});

export interface ControllerConfig {
  namespace: string;
  nodeConfigNamespace: string;
  /** Namespace of the watched OpenstackConfigs; absent = all namespaces. */
  watchNamespace?: string;
  operator?: { namespace: string; name: string };
  /** Absent: no database (`database.mode: none`), node configs only, no inventory API. */
  database?: DatabaseConfig;
  violaEndpoint?: string;
  inventory?: { host: string; port: number };
  triggerTokenFile?: string;
  healthPort: number;
  workers: number;
  leaderElection: boolean;
  leaseName: string;
  identity: string;
  migrate: boolean;
  /** How long a start-up waits for MariaDB to come up before it fails (ms). */
  databaseWaitMs: number;
  /** Accept exec plugins in workload-cluster kubeconfigs (operator-level opt-in). */
  insecureKubeconfigExec: boolean;
  /** Hosts credentials and tokens may go to besides the Keystone catalog (`host`, `host:port`, `*.domain`). */
  allowedEndpointHosts: string[];
}

/** Parses the environment; throws an Error naming every bad variable. */
export function parseControllerConfig(env: NodeJS.ProcessEnv, hostname: string): ControllerConfig {
  const parsed = controllerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new Error(`controller configuration is invalid: ${problems}`);
  }
  const e = parsed.data;
  const namespace = e.POD_NAMESPACE ?? 'multinic-system';
  let database: DatabaseConfig | undefined;
  if (e.DATABASE_URL !== undefined && e.DATABASE_URL !== '') {
    database = parseDatabaseUrl(e.DATABASE_URL);
  } else if (e.DB_HOST !== undefined && e.DB_HOST !== '') {
    database = parseDatabaseUrl(DEFAULT_DATABASE_URL);
    database.host = e.DB_HOST;
    if (e.DB_PORT !== undefined) database.port = e.DB_PORT;
    if (e.DB_NAME !== undefined) database.database = e.DB_NAME;
    if (e.DB_USER !== undefined) database.user = e.DB_USER;
  }
  if (database !== undefined && e.DB_PASSWORD_FILE !== undefined && database.password === undefined) {
    database.passwordFile = e.DB_PASSWORD_FILE;
  }
  const config: ControllerConfig = {
    namespace,
    nodeConfigNamespace: e.NODE_CR_NAMESPACE ?? namespace,
    healthPort: e.HEALTH_PORT,
    workers: e.WORKERS,
    leaderElection: e.LEADER_ELECTION === 'true',
    leaseName: e.LEASE_NAME,
    identity: `${e.POD_NAME ?? hostname}-${Math.random().toString(36).slice(2, 8)}`,
    migrate: e.MIGRATE === 'true',
    databaseWaitMs: e.DATABASE_WAIT_SECONDS * 1000,
    insecureKubeconfigExec: e.INSECURE_KUBECONFIG_EXEC === 'true',
    allowedEndpointHosts: e.ALLOWED_ENDPOINT_HOSTS.split(',')
      .map((host) => host.trim())
      .filter((host) => host !== ''),
  };
  if (database !== undefined) config.database = database;
  // The construct grants a Role in the controller's namespace: watch it unless told otherwise ('*' = all).
  const watch = e.WATCH_NAMESPACE ?? namespace;
  if (watch !== '*') config.watchNamespace = watch;
  if (e.MULTINIC_OPERATOR_NAME !== undefined) config.operator = { namespace, name: e.MULTINIC_OPERATOR_NAME };
  if (e.VIOLA_ENDPOINT !== undefined) config.violaEndpoint = e.VIOLA_ENDPOINT;
  if (e.INVENTORY_ENABLED === 'true' && database !== undefined) {
    const [host = '', portText = '18081'] = e.INVENTORY_ADDR.split(/:(?=\d+$)/);
    config.inventory = { host: host === '' ? '0.0.0.0' : host, port: Number(portText) };
  }
  if (e.TRIGGER_TOKEN_FILE !== undefined) config.triggerTokenFile = e.TRIGGER_TOKEN_FILE;
  return config;
}
