import { describe, expect, it } from 'vitest';
import { parseControllerConfig } from '../../../src/controller/config.js';

describe('parseControllerConfig', () => {
  it('defaults to the pod namespace, leader election, and no database (so no inventory)', () => {
    const config = parseControllerConfig({ POD_NAMESPACE: 'multinic-system', POD_NAME: 'ctl-0' }, 'host');
    expect(config).toMatchObject({
      namespace: 'multinic-system',
      nodeConfigNamespace: 'multinic-system',
      healthPort: 8082,
      leaderElection: true,
      leaseName: 'multinic-controller',
    });
    expect(config.watchNamespace).toBe('multinic-system');
    expect(parseControllerConfig({ WATCH_NAMESPACE: '*' }, 'h').watchNamespace).toBeUndefined();
    expect(config.database).toBeUndefined();
    expect(config.inventory).toBeUndefined();
    expect(config.identity).toMatch(/^ctl-0-/);
  });
  it('builds the database from DB_* variables and serves the inventory on :18081', () => {
    const config = parseControllerConfig(
      { DB_HOST: 'mariadb', DB_USER: 'multinic', DB_PASSWORD_FILE: '/p' },
      'host',
    );
    expect(config.database).toEqual({
      host: 'mariadb',
      port: 3306,
      database: 'multinic',
      user: 'multinic',
      passwordFile: '/p',
    });
    expect(config.inventory).toEqual({ host: '0.0.0.0', port: 18081 });
  });
  it('reads DATABASE_URL with a password file and the construct variables', () => {
    const config = parseControllerConfig(
      {
        POD_NAMESPACE: 'mn',
        NODE_CR_NAMESPACE: 'nodes',
        MULTINIC_OPERATOR_NAME: 'main',
        DATABASE_URL: 'mysql://multinic@mariadb.mn.svc:3306/multinic?passwordFile=/etc/db/password',
        INVENTORY_ADDR: '127.0.0.1:9000',
        VIOLA_ENDPOINT: 'http://viola:8080',
      },
      'host',
    );
    expect(config).toMatchObject({
      nodeConfigNamespace: 'nodes',
      operator: { namespace: 'mn', name: 'main' },
      database: { host: 'mariadb.mn.svc', user: 'multinic', passwordFile: '/etc/db/password' },
      inventory: { host: '127.0.0.1', port: 9000 },
      violaEndpoint: 'http://viola:8080',
    });
  });
  it('reads the security opt-ins and the database wait, all off or default unless set', () => {
    expect(parseControllerConfig({}, 'h')).toMatchObject({
      insecureKubeconfigExec: false,
      allowedEndpointHosts: [],
      databaseWaitMs: 300_000,
    });
    expect(
      parseControllerConfig(
        {
          INSECURE_KUBECONFIG_EXEC: 'true',
          ALLOWED_ENDPOINT_HOSTS: 'contrabass.example.com, keystone.example.com:5000,,',
          DATABASE_WAIT_SECONDS: '30',
        },
        'h',
      ),
    ).toMatchObject({
      insecureKubeconfigExec: true,
      allowedEndpointHosts: ['contrabass.example.com', 'keystone.example.com:5000'],
      databaseWaitMs: 30_000,
    });
  });
  it('names every bad variable', () => {
    expect(() => parseControllerConfig({ HEALTH_PORT: 'x', INVENTORY_ADDR: 'nope' }, 'h')).toThrow(
      /HEALTH_PORT.*INVENTORY_ADDR|INVENTORY_ADDR.*HEALTH_PORT/,
    );
  });
  it('switches the inventory off', () => {
    expect(
      parseControllerConfig({ DB_HOST: 'db', INVENTORY_ENABLED: 'false' }, 'h').inventory,
    ).toBeUndefined();
  });
});
