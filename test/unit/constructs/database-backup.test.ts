import { describe, expect, it } from 'vitest';
import { DatabaseBackup } from '../../../src/constructs/database/database-backup.js';
import { all, containers, dig, find, podSpec, render } from './support.js';

const database = { host: 'db.ns.svc', secretName: 'db-credentials' };

describe('DatabaseBackup', () => {
  it('runs `multinic db backup` restricted, with the password from a file and a PVC for the dumps', () => {
    const manifests = render(
      (scope) => new DatabaseBackup(scope, 'b', { database, timeZone: 'Europe/Berlin' }),
    );
    const cron = find(manifests, 'CronJob', 'multinic-db-backup');
    expect(dig(cron, 'spec')).toMatchObject({
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Forbid',
    });
    const container = containers(cron)[0]!;
    expect(container.args?.slice(0, 2)).toEqual(['db', 'backup']);
    expect(container.args).toContain('7');
    expect(JSON.stringify(container)).not.toMatch(/password"?:/i);
    expect(container.volumeMounts).toContainEqual({
      name: 'db-credentials',
      mountPath: '/var/run/secrets/multinic/db',
      readOnly: true,
    });
    expect(podSpec(cron).securityContext).toMatchObject({ runAsNonRoot: true, fsGroup: 1000 });
    expect(
      dig(
        find(manifests, 'PersistentVolumeClaim', 'multinic-db-backups'),
        'spec',
        'resources',
        'requests',
        'storage',
      ),
    ).toBe('10Gi');
  });

  it('writes into an existing claim when given one', () => {
    const manifests = render(
      (scope) => new DatabaseBackup(scope, 'b', { database, existingClaim: 'nfs-backups' }),
    );
    expect(all(manifests, 'PersistentVolumeClaim')).toEqual([]);
    expect(podSpec(find(manifests, 'CronJob')).volumes).toContainEqual({
      name: 'backups',
      persistentVolumeClaim: { claimName: 'nfs-backups' },
    });
  });

  it('keeps the CronJob name within 52 characters', () => {
    const manifests = render(
      (scope) => new DatabaseBackup(scope, 'b', { database, instance: 'a'.repeat(50) }),
    );
    expect(find(manifests, 'CronJob').metadata.name.length).toBeLessThanOrEqual(52);
  });
});
