// The real OpenStack's rendered configuration: everything on loopback on this run's ports,
// the instance's own databases and broker, nothing shared with the machine.
import { describe, expect, it } from 'vitest';
import {
  DATABASES,
  databaseUrl,
  renderConfigs,
  renderIni,
  type ConfigInput,
} from '../../../src/dev/openstack-real/config.js';

const input: ConfigInput = {
  dbPrefix: 'mnos_test_',
  dbHost: '127.0.0.1:3306',
  secrets: {
    dbUser: 'mnos_test',
    dbPassword: 'p@ss/word',
    adminUser: 'mnos-admin',
    adminPassword: 'admin-pw',
    servicePassword: 'service-pw',
  },
  ports: {
    epmd: 41001,
    rabbitmq: 41002,
    rabbitmqDist: 41003,
    keystone: 41004,
    placement: 41005,
    glance: 41006,
    neutron: 41007,
    nova: 41008,
  },
  etcDir: '/state/etc',
  dataDir: '/state/data',
  pkgRoot: '/cache/pkgroot',
  tokenCacheSeconds: 2,
};

describe('real OpenStack configuration', () => {
  const files = renderConfigs(input);

  it('renders INI sections in order', () => {
    expect(renderIni({ a: { x: 1, y: true }, b: {} })).toBe('[a]\nx = 1\ny = true\n\n[b]\n');
  });

  it('names only the instance databases, with the password URL-encoded', () => {
    expect(databaseUrl(input, 'nova_api')).toBe(
      'mysql+pymysql://mnos_test:p%40ss%2Fword@127.0.0.1:3306/mnos_test_nova_api?charset=utf8mb4',
    );
    const all = Object.values(files).join('\n');
    const named = [...all.matchAll(/@127\.0\.0\.1:3306\/(\w+)\?/g)].map((m) => m[1]);
    expect(new Set(named)).toEqual(
      new Set(DATABASES.filter((d) => d !== 'nova_cell0').map((d) => `mnos_test_${d}`)),
    );
  });

  it('binds every listener to 127.0.0.1 on the given ports and uses the private broker', () => {
    expect(files['rabbitmq.conf']).toContain('listeners.tcp.default = 127.0.0.1:41002');
    expect(files['rabbitmq.conf']).toContain('distribution.listener.port_range.min = 41003');
    expect(files['neutron/neutron.conf']).toMatch(/bind_host = 127\.0\.0\.1\nbind_port = 41007\n/);
    expect(files['glance/glance-api.conf']).toMatch(/bind_host = 127\.0\.0\.1\nbind_port = 41006\n/);
    expect(files['nova/nova.conf']).toContain(
      'osapi_compute_listen = 127.0.0.1\nosapi_compute_listen_port = 41008',
    );
    expect(files['nova/nova.conf']).toContain('transport_url = rabbit://guest:guest@127.0.0.1:41002/');
    expect(files['neutron/neutron.conf']).toContain('transport_url = fake://');
    expect(Object.values(files).join('\n')).not.toMatch(/:5672\b|:4369\b/);
  });

  it("points every service at this run's Keystone with a short token cache", () => {
    for (const file of [
      'neutron/neutron.conf',
      'nova/nova.conf',
      'glance/glance-api.conf',
      'placement/placement.conf',
    ]) {
      expect(files[file]).toContain('www_authenticate_uri = http://127.0.0.1:41004\n');
      expect(files[file]).toContain('token_cache_time = 2\n');
    }
  });

  it('keeps Nova from undoing seeded state: fake driver, no power sync, no cache heal, no quotas', () => {
    const nova = files['nova/nova.conf'] ?? '';
    expect(nova).toContain('compute_driver = fake.FakeDriver');
    expect(nova).toContain('sync_power_state_interval = -1');
    expect(nova).toContain('heal_instance_info_cache_interval = -1');
    expect(nova).toContain('[quota]\ninstances = -1');
    expect(nova).toContain('api_paste_config = /cache/pkgroot/usr/share/nova-common/api-paste.ini');
  });
});
