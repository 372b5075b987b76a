import { describe, expect, it } from 'vitest';
import { MultiNicController } from '../../../src/constructs/controller/multinic-controller.js';
import { containers, dig, envOf, find, podSpec, render } from './support.js';

const database = { host: 'biz-mariadb.ns1.svc', port: 3307, secretName: 'biz-db-credentials' };

describe('MultiNicController', () => {
  const manifests = render(
    (scope) => new MultiNicController(scope, 'c', { instance: 'biz', namespace: 'ns1', database }),
  );
  const deployment = find(manifests, 'Deployment', 'biz-controller');
  const container = containers(deployment)[0]!;

  it('runs `multinic controller` under its own ServiceAccount, not the operator one', () => {
    expect(container.args).toEqual(['controller']);
    expect(podSpec(deployment).serviceAccountName).toBe('biz-controller');
    find(manifests, 'ServiceAccount', 'biz-controller');
  });

  it('points at the database with the Service port and a password file, never a password', () => {
    const env = envOf(container);
    expect(env).toMatchObject({
      DB_HOST: 'biz-mariadb.ns1.svc',
      DB_PORT: '3307',
      DB_USER: 'multinic',
      DB_NAME: 'multinic',
      DB_PASSWORD_FILE: '/var/run/secrets/multinic/db/password',
      DATABASE_URL:
        'mysql://multinic@biz-mariadb.ns1.svc:3307/multinic?passwordFile=%2Fvar%2Frun%2Fsecrets%2Fmultinic%2Fdb%2Fpassword',
    });
    expect(
      dig(podSpec(deployment), 'volumes').find((v: { name: string }) => v.name === 'db-credentials').secret,
    ).toMatchObject({
      secretName: 'biz-db-credentials',
      items: [{ key: 'password', path: 'password' }],
    });
  });

  it('renders the endpoint allow-list and the kubeconfig exec opt-in into the env, and neither by default', () => {
    expect(envOf(container)).not.toHaveProperty('ALLOWED_ENDPOINT_HOSTS');
    expect(envOf(container)).not.toHaveProperty('INSECURE_KUBECONFIG_EXEC');
    const opted = render(
      (scope) =>
        new MultiNicController(scope, 'c', {
          instance: 'biz',
          namespace: 'ns1',
          allowedEndpoints: ['contrabass.example.com', 'keystone.example.com:5000', '*.os.example.com'],
          insecureKubeconfigExec: true,
        }),
    );
    expect(envOf(containers(find(opted, 'Deployment', 'biz-controller'))[0]!)).toMatchObject({
      ALLOWED_ENDPOINT_HOSTS: 'contrabass.example.com,keystone.example.com:5000,*.os.example.com',
      INSECURE_KUBECONFIG_EXEC: 'true',
    });
  });

  it('takes the user from the Secret when userKey is set (external databases)', () => {
    const external = render(
      (scope) => new MultiNicController(scope, 'c', { database: { ...database, userKey: 'username' } }),
    );
    const env = containers(find(external, 'Deployment'))[0]!.env!;
    expect(env.find((e) => e.name === 'DB_USER')).toEqual({
      name: 'DB_USER',
      valueFrom: { secretKeyRef: { name: 'biz-db-credentials', key: 'username' } },
    });
    expect(env.find((e) => e.name === 'DATABASE_URL')?.value).toMatch(/^mysql:\/\/\$\(DB_USER\)@/);
  });

  it('has no database settings without a database', () => {
    const none = render((scope) => new MultiNicController(scope, 'c'));
    expect(Object.keys(envOf(containers(find(none, 'Deployment'))[0]!))).not.toContain('DB_HOST');
  });

  it('holds only namespaced rules for what it calls', () => {
    const rules = dig(find(manifests, 'Role', 'biz-controller'), 'rules');
    const resources = rules.flatMap((r: { resources: string[] }) => r.resources);
    expect(resources).toEqual(
      expect.arrayContaining([
        'openstackconfigs',
        'openstackconfigs/status',
        'multinicnodeconfigs',
        'leases',
        'events',
        'secrets',
      ]),
    );
    expect(rules.find((r: { resources: string[] }) => r.resources.includes('secrets')).verbs).toEqual([
      'get',
    ]);
    expect(JSON.stringify(rules)).not.toContain('"*"');
  });

  it('gives the pod fsGroup 1000 so the non-root user can read the 0440 database password file', () => {
    expect(podSpec(deployment).securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
  });

  it('is restricted, read-only and probed on 8082', () => {
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(podSpec(deployment).securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(dig(container, 'livenessProbe', 'httpGet')).toEqual({
      path: '/healthz',
      port: 8082,
      scheme: 'HTTP',
    });
    expect(dig(container, 'readinessProbe', 'httpGet')).toEqual({
      path: '/readyz',
      port: 8082,
      scheme: 'HTTP',
    });
  });

  it('spreads replicas and applies resources', () => {
    const scaled = render(
      (scope) =>
        new MultiNicController(scope, 'c', {
          replicas: 3,
          resources: { requests: { cpu: '1' }, limits: { cpu: '2' } },
        }),
    );
    const d = find(scaled, 'Deployment');
    expect(dig(d, 'spec', 'replicas')).toBe(3);
    expect(podSpec(d).affinity).toBeDefined();
    expect(containers(d)[0]!.resources).toEqual({ requests: { cpu: '1' }, limits: { cpu: '2' } });
  });
});
