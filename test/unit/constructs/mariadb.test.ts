import { describe, expect, it } from 'vitest';
import { MariaDb, databaseSecretManifest } from '../../../src/constructs/database/mariadb.js';
import { all, containers, dig, envOf, find, podSpec, render } from './support.js';

describe('MariaDb', () => {
  const manifests = render((scope) => new MariaDb(scope, 'db', { instance: 'biz', namespace: 'ns1' }));
  const sts = find(manifests, 'StatefulSet', 'biz-mariadb');
  const container = containers(sts)[0]!;

  it('puts no password in env values, args or probes: files from the Secret instead', () => {
    const text = JSON.stringify(manifests);
    expect(text).not.toMatch(/-p[^a-z]|PASSWORD"[^}]*"value":"(?!\/)/);
    expect(envOf(container)).toMatchObject({
      MARIADB_ROOT_PASSWORD_FILE: '/etc/mariadb-credentials/root-password',
      MARIADB_PASSWORD_FILE: '/etc/mariadb-credentials/password',
      MARIADB_USER: 'multinic',
      MARIADB_DATABASE: 'multinic',
    });
    expect(dig(container, 'readinessProbe', 'exec', 'command')).toEqual([
      'healthcheck.sh',
      '--connect',
      '--innodb_initialized',
    ]);
    expect(dig(container, 'livenessProbe', 'exec', 'command')).toEqual([
      'healthcheck.sh',
      '--connect',
      '--innodb_initialized',
    ]);
    expect(dig(container, 'startupProbe', 'failureThreshold')).toBe(30);
  });

  it('renders no Secret unless given the values, and then in the expected shape', () => {
    expect(all(manifests, 'Secret')).toHaveLength(0);
    const withSecret = render(
      (scope) => new MariaDb(scope, 'db', { credentials: { rootPassword: 'r', password: 'p' } }),
    );
    expect(find(withSecret, 'Secret', 'multinic-db-credentials')).toMatchObject({
      stringData: { 'root-password': 'r', password: 'p', user: 'multinic', database: 'multinic' },
    });
    expect(
      databaseSecretManifest({ name: 's', namespace: 'n', rootPassword: 'r', password: 'p' }).stringData,
    ).toEqual({
      'root-password': 'r',
      password: 'p',
      user: 'multinic',
      database: 'multinic',
    });
  });

  it('keeps data in a PVC template of the requested size and StorageClass, retained on delete', () => {
    const sized = render(
      (scope) => new MariaDb(scope, 'db', { storageSize: '20Gi', storageClassName: 'fast' }),
    );
    const template = dig(find(sized, 'StatefulSet'), 'spec', 'volumeClaimTemplates', 0);
    expect(template.metadata.name).toBe('data');
    expect(template.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      resources: { requests: { storage: '20Gi' } },
    });
    expect(dig(sts, 'spec', 'persistentVolumeClaimRetentionPolicy')).toEqual({
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    expect(dig(sts, 'spec', 'replicas')).toBe(1);
  });

  it('runs restricted: non-root 999, seccomp, read-only root, no capabilities', () => {
    expect(podSpec(sts).securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 999,
      fsGroup: 999,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('has a headless Service for the StatefulSet and a client Service of the requested type and port', () => {
    expect(dig(find(manifests, 'Service', 'biz-mariadb-headless'), 'spec', 'clusterIP')).toBe('None');
    expect(dig(sts, 'spec', 'serviceName')).toBe('biz-mariadb-headless');
    const nodePort = render(
      (scope) => new MariaDb(scope, 'db', { service: { type: 'NodePort', port: 3307, nodePort: 30305 } }),
    );
    expect(dig(find(nodePort, 'Service', 'multinic-mariadb'), 'spec')).toMatchObject({
      type: 'NodePort',
      ports: [{ name: 'mysql', port: 3307, targetPort: 'mysql', nodePort: 30305, protocol: 'TCP' }],
    });
  });

  it('protects the single replica with a PodDisruptionBudget that still lets unhealthy pods go', () => {
    expect(dig(find(manifests, 'PodDisruptionBudget', 'biz-mariadb'), 'spec')).toMatchObject({
      minAvailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  it('exposes the host, port and Secret name clients use', () => {
    let db: MariaDb | undefined;
    render((scope) => {
      db = new MariaDb(scope, 'db', { instance: 'biz', namespace: 'ns1', service: { port: 3307 } });
    });
    expect(db?.host).toBe('biz-mariadb.ns1.svc');
    expect(db?.port).toBe(3307);
    expect(db?.credentialsSecretName).toBe('biz-db-credentials');
  });
});
