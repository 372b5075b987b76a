// `multinic db migrate|backup|restore|verify`: the MariaDB lifecycle against any URL (the
// in-cluster database, an external one, the local one). The backup CronJob runs `db backup`.
// Results are printed as one JSON document on stdout; logs go to stderr.
import { parseArgs } from 'node:util';
import { createLogger } from '../../observability/logger.js';
import type { Logger } from '../../observability/logger.js';
import { backup, describeDifferences, readManifest, restore, verify } from '../../db/backup.js';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl, redactDatabaseUrl } from '../../db/config.js';
import type { DatabaseConfig } from '../../db/config.js';
import { ensureDatabase, migrate } from '../../db/migrate.js';
import { createDatabase } from '../../db/pool.js';

const USAGE = `usage: multinic db migrate|backup|restore|verify [options]

  --url URL              mysql://user@host:3306/database
                         (default: $MULTINIC_DB_URL or ${DEFAULT_DATABASE_URL})
  --password-file PATH   file holding the password, e.g. a mounted Secret
                         (default: $MULTINIC_DB_PASSWORD_FILE); never put a password in argv or env
migrate (creates the database when it does not exist):
  --lock-timeout SECONDS wait this long for another replica's migration (default 60)
backup:
  --dir DIR              where dumps and manifests go (default: $MULTINIC_BACKUP_DIR or ./backups)
  --retention N          keep the N newest backups of this database, delete older ones
  --tool NAME            auto | mariadb-dump | native (default auto)
restore:
  --from FILE            a backup's manifest (.manifest.json) or dump (.sql.gz)
  --database NAME        restore into this database (default: the one in the manifest);
                         it must be empty or absent unless --replace
  --replace              move a non-empty target's tables aside (<db>__replaced_<time>) atomically
  --migrate              apply pending schema migrations after restoring
verify:
  --manifest FILE        compare the --url database with this manifest (or its dump file)

exit code: 0 = done (verify: equal), 1 = failed (verify: differs), 2 = usage error`;

const OPTIONS = {
  url: { type: 'string' },
  'password-file': { type: 'string' },
  'lock-timeout': { type: 'string' },
  dir: { type: 'string' },
  retention: { type: 'string' },
  tool: { type: 'string' },
  from: { type: 'string' },
  database: { type: 'string' },
  replace: { type: 'boolean' },
  migrate: { type: 'boolean' },
  manifest: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${flag} must be a positive integer, got '${value}'`);
  return n;
}

function databaseConfig(
  url: string | undefined,
  passwordFile: string | undefined,
  logger: Logger,
): DatabaseConfig {
  const source = url ?? process.env['MULTINIC_DB_URL'] ?? DEFAULT_DATABASE_URL;
  const config = parseDatabaseUrl(source);
  if (config.password !== undefined) {
    logger.warn(
      'the database URL carries a password, which is visible in the process list; use --password-file',
      {
        url: redactDatabaseUrl(source),
      },
    );
  }
  const file = passwordFile ?? process.env['MULTINIC_DB_PASSWORD_FILE'];
  if (file !== undefined && file !== '') {
    config.passwordFile = file;
    delete config.password;
  }
  return config;
}

export async function run(args: string[]): Promise<number> {
  const logger = createLogger().child({ role: 'db' });
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`multinic db: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, ...extra] = positionals;
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  if (
    action === undefined ||
    extra.length > 0 ||
    !['migrate', 'backup', 'restore', 'verify'].includes(action)
  ) {
    console.error(`multinic db: expected one of migrate|backup|restore|verify\n\n${USAGE}`);
    return 2;
  }
  try {
    const config = databaseConfig(values.url, values['password-file'], logger);
    const print = (result: unknown): void => console.log(JSON.stringify(result, null, 2));
    switch (action) {
      case 'migrate': {
        const lockTimeoutSeconds = positiveInt(values['lock-timeout'], 'lock-timeout');
        const created = await ensureDatabase(config);
        const db = createDatabase(config, { logger });
        try {
          const result = await migrate(
            db,
            lockTimeoutSeconds === undefined ? { logger } : { logger, lockTimeoutSeconds },
          );
          print(created ? { ...result, createdDatabase: config.database } : result);
        } finally {
          await db.close();
        }
        return 0;
      }
      case 'backup': {
        const tool = values.tool ?? 'auto';
        if (tool !== 'auto' && tool !== 'mariadb-dump' && tool !== 'native') {
          throw new UsageError(`--tool must be auto, mariadb-dump or native, got '${tool}'`);
        }
        const retention = positiveInt(values.retention, 'retention');
        const directory = values.dir ?? process.env['MULTINIC_BACKUP_DIR'] ?? 'backups';
        const db = createDatabase(config, { logger });
        try {
          const result = await backup(db, {
            directory,
            tool,
            logger,
            ...(retention === undefined ? {} : { retention }),
          });
          print({
            ...result.manifest,
            dumpPath: result.dumpPath,
            manifestPath: result.manifestPath,
            pruned: result.pruned,
          });
        } finally {
          await db.close();
        }
        return 0;
      }
      case 'restore': {
        if (values.from === undefined) throw new UsageError('restore needs --from FILE');
        const result = await restore(config, {
          from: values.from,
          logger,
          replace: values.replace === true,
          ...(values.database === undefined ? {} : { database: values.database }),
        });
        let migrated: number[] = [];
        if (values.migrate === true) {
          const db = createDatabase({ ...config, database: result.database }, { logger });
          try {
            migrated = (await migrate(db, { logger })).applied;
          } finally {
            await db.close();
          }
        }
        print({ ...result, migrated });
        return 0;
      }
      case 'verify': {
        const from = values.manifest ?? values.from;
        if (from === undefined) throw new UsageError('verify needs --manifest FILE');
        const { manifest } = await readManifest(from);
        const db = createDatabase(config, { logger });
        try {
          const result = await verify(db, manifest);
          print(result);
          if (!result.ok) {
            logger.error('database differs from the backup manifest', {
              differences: describeDifferences(result.differences),
              schemaVersion: result.schemaVersion,
            });
          }
          return result.ok ? 0 : 1;
        } finally {
          await db.close();
        }
      }
      default:
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`multinic db: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    logger.error(`db ${action} failed`, { error: (error as Error).message });
    console.error(`multinic db ${action}: ${(error as Error).message}`);
    return 1;
  }
}
