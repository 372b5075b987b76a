import { describe, expect, it } from 'vitest';
import {
  DatabaseBackup,
  type DatabaseBackupProps,
} from '../../../src/constructs/database/database-backup.js';
import { render } from './support.js';

const database = { host: 'db', secretName: 's' };

describe('DatabaseBackup validation', () => {
  it.each<[string, Partial<DatabaseBackupProps>, string]>([
    [
      'schedule',
      { schedule: 'every day' },
      "DatabaseBackup: 'schedule' must be a 5-field cron schedule such as '0 3 * * *' or an @-macro such as '@daily', got 'every day'",
    ],
    ['retention', { retention: 0 }, "DatabaseBackup: 'retention' must be an integer 1..1000, got 0"],
    ['storageSize', { storageSize: '10 GB' }, "DatabaseBackup: 'storageSize' must be a Kubernetes quantity"],
    [
      'timeZone',
      { timeZone: 'not a zone' },
      "DatabaseBackup: 'timeZone' must be an IANA time zone such as 'UTC' or 'Europe/Berlin', got 'not a zone'",
    ],
    [
      'existingClaim',
      { existingClaim: 'Claim' },
      "DatabaseBackup: 'existingClaim' must be a DNS-1123 subdomain",
    ],
    [
      'database.host',
      { database: { host: '', secretName: 's' } },
      "DatabaseBackup: 'database.host' must be a non-empty string, got ''",
    ],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(() => render((scope) => new DatabaseBackup(scope, 'b', { database, ...props }))).toThrow(message);
  });
});
