// Pure renderers of the real OpenStack services' configuration files. Everything listens on
// 127.0.0.1 on ports chosen per run; databases and the message broker are this instance's own.
// One worker per service: the machine has two cores and the tests need correctness, not throughput.

/** The services this module starts, in start order. */
export const SERVICE_NAMES = [
  'epmd',
  'rabbitmq',
  'keystone',
  'placement',
  'glance',
  'neutron',
  'nova-api',
  'nova-conductor',
  'nova-scheduler',
  'nova-compute',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** The listening ports of one run (all random, all on 127.0.0.1). */
export interface ServicePorts {
  epmd: number;
  rabbitmq: number;
  rabbitmqDist: number;
  keystone: number;
  placement: number;
  glance: number;
  neutron: number;
  nova: number;
}
export const PORT_KEYS: readonly (keyof ServicePorts)[] = [
  'epmd',
  'rabbitmq',
  'rabbitmqDist',
  'keystone',
  'placement',
  'glance',
  'neutron',
  'nova',
];

/** The databases of an instance (the names get the instance's prefix). */
export const DATABASES = [
  'keystone',
  'neutron',
  'placement',
  'glance',
  'nova_api',
  'nova',
  'nova_cell0',
] as const;
export type DatabaseName = (typeof DATABASES)[number];

/** Secrets that live as long as the instance's databases (kept in the state directory). */
export interface InstanceSecrets {
  dbUser: string;
  dbPassword: string;
  adminUser: string;
  adminPassword: string;
  servicePassword: string;
}

export interface ConfigInput {
  /** Database name prefix, e.g. `mnos_test_`. */
  dbPrefix: string;
  /** host:port of MariaDB. */
  dbHost: string;
  secrets: InstanceSecrets;
  ports: ServicePorts;
  /** Directory of the rendered files (`<stateDir>/etc`). */
  etcDir: string;
  /** Mutable data: locks, images, RabbitMQ's database. */
  dataDir: string;
  /** Where the service .debs were unpacked (their api-paste files are used as they are). */
  pkgRoot: string;
  /** Seconds keystonemiddleware trusts a validated token before asking Keystone again. */
  tokenCacheSeconds: number;
}

export function databaseUrl(
  input: Pick<ConfigInput, 'dbPrefix' | 'dbHost' | 'secrets'>,
  db: DatabaseName,
): string {
  const { dbUser, dbPassword } = input.secrets;
  return `mysql+pymysql://${dbUser}:${encodeURIComponent(dbPassword)}@${input.dbHost}/${input.dbPrefix}${db}?charset=utf8mb4`;
}

export function transportUrl(ports: Pick<ServicePorts, 'rabbitmq'>): string {
  return `rabbit://guest:guest@127.0.0.1:${ports.rabbitmq}/`;
}

type IniSections = Record<string, Record<string, string | number | boolean>>;

/** INI text; sections and keys in insertion order. */
export function renderIni(sections: IniSections): string {
  return (
    Object.entries(sections)
      .map(
        ([section, values]) =>
          `[${section}]\n` +
          Object.entries(values)
            .map(([key, value]) => `${key} = ${String(value)}\n`)
            .join(''),
      )
      .join('\n') + ''
  );
}

function keystoneUrl(ports: ServicePorts): string {
  return `http://127.0.0.1:${ports.keystone}`;
}

function authtoken(input: ConfigInput, user: string): Record<string, string | number | boolean> {
  return {
    www_authenticate_uri: keystoneUrl(input.ports),
    auth_url: keystoneUrl(input.ports),
    auth_type: 'password',
    project_domain_name: 'Default',
    user_domain_name: 'Default',
    project_name: 'service',
    username: user,
    password: input.secrets.servicePassword,
    service_token_roles_required: true,
    // Revocations become visible after this long: the tests expire tokens and wait it out.
    token_cache_time: input.tokenCacheSeconds,
  };
}

function passwordAuth(input: ConfigInput, user: string): Record<string, string> {
  return {
    auth_type: 'password',
    auth_url: `${keystoneUrl(input.ports)}/v3`,
    project_domain_name: 'Default',
    user_domain_name: 'Default',
    project_name: 'service',
    username: user,
    password: input.secrets.servicePassword,
    region_name: 'RegionOne',
  };
}

/** Every configuration file, keyed by its path relative to `etcDir`. */
export function renderConfigs(input: ConfigInput): Record<string, string> {
  const { ports, etcDir, dataDir, pkgRoot } = input;
  const lock = (service: string): Record<string, string> => ({ lock_path: `${dataDir}/lock/${service}` });
  const files: Record<string, string> = {};

  files['rabbitmq.conf'] =
    `listeners.tcp.default = 127.0.0.1:${ports.rabbitmq}\n` +
    `distribution.listener.interface = 127.0.0.1\n` +
    `distribution.listener.port_range.min = ${ports.rabbitmqDist}\n` +
    `distribution.listener.port_range.max = ${ports.rabbitmqDist}\n` +
    `log.console = true\nlog.file = false\n`;
  files['rabbitmq-plugins'] = '[].\n';

  files['keystone/keystone.conf'] = renderIni({
    database: { connection: databaseUrl(input, 'keystone') },
    token: { provider: 'fernet', expiration: 3600 },
    fernet_tokens: { key_repository: `${etcDir}/keystone/fernet-keys` },
    fernet_receipts: { key_repository: `${etcDir}/keystone/fernet-keys` },
    credential: { key_repository: `${etcDir}/keystone/credential-keys` },
    oslo_messaging_notifications: { driver: 'noop' },
  });

  files['placement/placement.conf'] = renderIni({
    DEFAULT: {},
    api: { auth_strategy: 'keystone' },
    keystone_authtoken: authtoken(input, 'placement'),
    placement_database: { connection: databaseUrl(input, 'placement') },
  });

  files['glance/glance-api.conf'] = renderIni({
    DEFAULT: {
      bind_host: '127.0.0.1',
      bind_port: ports.glance,
      workers: 1,
      enabled_backends: 'fs:file',
      transport_url: 'fake://',
    },
    database: { connection: databaseUrl(input, 'glance') },
    glance_store: { default_backend: 'fs' },
    fs: { filesystem_store_datadir: `${dataDir}/glance/images` },
    keystone_authtoken: authtoken(input, 'glance'),
    paste_deploy: {
      flavor: 'keystone',
      config_file: `${pkgRoot}/usr/share/glance-common/glance-api-paste.ini`,
    },
    oslo_concurrency: lock('glance'),
    oslo_messaging_notifications: { driver: 'noop' },
  });

  files['neutron/neutron.conf'] = renderIni({
    DEFAULT: {
      bind_host: '127.0.0.1',
      bind_port: ports.neutron,
      core_plugin: 'ml2',
      service_plugins: '',
      auth_strategy: 'keystone',
      api_workers: 1,
      rpc_workers: 0,
      rpc_state_report_workers: 0,
      api_paste_config: `${pkgRoot}/usr/share/neutron-common/api-paste.ini`,
      notify_nova_on_port_status_changes: false,
      notify_nova_on_port_data_changes: false,
      transport_url: 'fake://',
    },
    agent: { root_helper: 'true' },
    database: { connection: databaseUrl(input, 'neutron') },
    keystone_authtoken: authtoken(input, 'neutron'),
    quotas: { quota_network: -1, quota_subnet: -1, quota_port: -1 },
    oslo_concurrency: lock('neutron'),
    oslo_messaging_notifications: { driver: 'noop' },
  });
  files['neutron/ml2_conf.ini'] = renderIni({
    ml2: {
      type_drivers: 'flat,vlan',
      tenant_network_types: 'vlan',
      mechanism_drivers: '',
      extension_drivers: 'port_security',
    },
    ml2_type_flat: { flat_networks: '*' },
    ml2_type_vlan: { network_vlan_ranges: 'physnet1:100:199' },
  });

  files['nova/nova.conf'] = renderIni({
    DEFAULT: {
      transport_url: transportUrl(ports),
      enabled_apis: 'osapi_compute',
      osapi_compute_listen: '127.0.0.1',
      osapi_compute_listen_port: ports.nova,
      osapi_compute_workers: 1,
      my_ip: '127.0.0.1',
      host: 'fakehost',
      compute_driver: 'fake.FakeDriver',
      use_rootwrap_daemon: false,
      state_path: `${dataDir}/nova`,
      // The fake driver forgets its instances when nova-compute restarts; without this the
      // periodic power-state sync would stop every seeded server after a warm start.
      sync_power_state_interval: -1,
      // Healing the network info cache makes Nova bind every port of a server to this host;
      // with no mechanism driver the binding fails and Neutron marks the port DOWN, undoing
      // the statuses the fixture asks for. Server `addresses` therefore stay empty.
      heal_instance_info_cache_interval: -1,
    },
    api: { auth_strategy: 'keystone' },
    wsgi: { api_paste_config: `${pkgRoot}/usr/share/nova-common/api-paste.ini` },
    api_database: { connection: databaseUrl(input, 'nova_api') },
    database: { connection: databaseUrl(input, 'nova') },
    keystone_authtoken: authtoken(input, 'nova'),
    conductor: { workers: 1 },
    scheduler: { workers: 1, discover_hosts_in_cells_interval: 2 },
    glance: { api_servers: `http://127.0.0.1:${ports.glance}` },
    placement: passwordAuth(input, 'placement'),
    neutron: passwordAuth(input, 'neutron'),
    cinder: { os_region_name: 'RegionOne' },
    oslo_concurrency: lock('nova'),
    oslo_messaging_notifications: { driver: 'noop' },
    vnc: { enabled: false },
    // Fixtures of a few hundred servers fit in one project.
    quota: { instances: -1, cores: -1, ram: -1 },
  });
  return files;
}
