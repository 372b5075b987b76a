// The simulator's world, loaded from a JSON fixture. Resources use the APIs' own JSON shapes
// (spec examples/openstack/*.json), so a captured response can be pasted in as is:
//
// {
//   "region": "RegionOne",                 // catalog region            (default RegionOne)
//   "tokenTtlSeconds": 3600,               // token lifetime            (default 3600)
//   "tokenCacheSeconds": 300,              // services trust a validated token this long, even
//                                          // once revoked (keystonemiddleware; default 300)
//   "deterministicIds": true,              // tokens/ids from counters  (default false)
//   "seed": 1,                             // PRNG seed for error rates (default 1)
//   "domains":  [{ "id": "default", "name": "Default" }],                 (default: this one)
//   "projects": [{ "id": "7a1c…", "name": "biz-cluster-a", "domainId": "default" }],
//   "users":    [{ "id": "3c2a…", "name": "admin", "domainId": "default",
//                  "password": "S3cr3t-Admin-Pw", "projects": ["7a1c…"],   // projects: default all
//                  "roles": ["reader", "member"] }],                        // token roles (default)
//   "networks": [ <Neutron network> ], "subnets": [ <Neutron subnet> ], "ports": [ <Neutron port> ],
//   "servers":  [ <Nova server (detail shape)> ],
//   "images":   [ <Glance v2 image> ], "flavors": [ <Nova flavor (detail shape)> ],   (default none;
//                                      only for clients like the `openstack` CLI that look them up)
//   "contrabass": { "providers": [ <Contrabass provider `data` object> ] },
// Any string may contain {{simulator}}: replies carry the simulator's base URL there.
//   "limits": { "neutronMaxPageSize": 0, "novaMaxPageSize": 1000 }          // 0 = no Neutron paging
// }
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const resource = z.looseObject({ id: z.string().min(1) });

export const fixtureSchema = z.object({
  region: z.string().default('RegionOne'),
  tokenTtlSeconds: z.number().positive().default(3600),
  tokenCacheSeconds: z.number().min(0).default(300),
  deterministicIds: z.boolean().default(false),
  seed: z.number().int().default(1),
  domains: z
    .array(z.object({ id: z.string(), name: z.string() }))
    .default([{ id: 'default', name: 'Default' }]),
  projects: z.array(z.object({ id: z.string(), name: z.string(), domainId: z.string().default('default') })),
  users: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      domainId: z.string().default('default'),
      password: z.string(),
      projects: z.array(z.string()).optional(),
      // A member of a project also holds the implied reader role; Keystone lists both.
      roles: z.array(z.string()).default(['reader', 'member']),
    }),
  ),
  networks: z.array(resource).default([]),
  subnets: z.array(resource).default([]),
  ports: z.array(resource).default([]),
  servers: z.array(resource).default([]),
  images: z.array(resource).default([]),
  flavors: z.array(resource).default([]),
  contrabass: z.object({ providers: z.array(z.looseObject({ uuid: z.string() })) }).optional(),
  limits: z
    .object({
      neutronMaxPageSize: z.number().int().min(0).default(0),
      novaMaxPageSize: z.number().int().min(1).default(1000),
    })
    .default({ neutronMaxPageSize: 0, novaMaxPageSize: 1000 }),
});

export type SimulatorFixtureInput = z.input<typeof fixtureSchema>;
export type SimulatorFixture = z.output<typeof fixtureSchema>;

/** Validates a fixture; the error names the path of the first problem. */
export function parseFixture(value: unknown): SimulatorFixture {
  const result = fixtureSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `invalid simulator fixture at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown'}`,
    );
  }
  return result.data;
}

export async function loadFixture(path: string): Promise<SimulatorFixture> {
  return parseFixture(JSON.parse(await readFile(path, 'utf8')) as unknown);
}

/** A UUID-shaped id from a kind nibble pair and a counter: `5e000000-0000-4000-8000-00000000002a`. */
export function sequentialId(kind: string, n: number): string {
  return `${kind.padEnd(8, '0').slice(0, 8)}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** The generated project's `default` security group, which Neutron gives every new port. */
export const DEFAULT_SECURITY_GROUP_ID = sequentialId('5ec', 1);

/**
 * Attributes a real port carries besides those the client reads, as the project's member sees
 * them (ML2 with the port-security extension and Neutron's default service plugins); what a
 * fixture or an admin call sets wins.
 */
export function portExtras(): Record<string, unknown> {
  return {
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    security_groups: [DEFAULT_SECURITY_GROUP_ID],
    description: '',
    'binding:vnic_type': 'normal',
    port_security_enabled: true,
    tags: [],
    revision_number: 1,
  };
}

/** Same for networks. */
export function networkExtras(stamp: string): Record<string, unknown> {
  return {
    'router:external': false,
    port_security_enabled: true,
    availability_zone_hints: [],
    availability_zones: [],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    description: '',
    tags: [],
    created_at: stamp,
    updated_at: stamp,
    revision_number: 2,
  };
}

/** Same for subnets (`cidr` a /16 or wider, gateway its .1: the pool is the rest of it). */
export function subnetExtras(cidr: string, stamp: string): Record<string, unknown> {
  const [a, b] = cidr.split('.');
  return {
    allocation_pools: [{ start: `${a}.${b}.0.2`, end: `${a}.${b}.255.254` }],
    dns_nameservers: [],
    host_routes: [],
    ipv6_address_mode: null,
    ipv6_ra_mode: null,
    subnetpool_id: null,
    service_types: [],
    description: '',
    tags: [],
    created_at: stamp,
    updated_at: stamp,
    revision_number: 0,
  };
}

/** The image and flavor every generated server is booted from (as the real test cloud seeds them). */
export const GENERATED_IMAGE_ID = sequentialId('1a', 1);
export const GENERATED_FLAVOR_ID = '1';

function generatedImage(projectId: string, stamp: string): Record<string, unknown> & { id: string } {
  const id = GENERATED_IMAGE_ID;
  return {
    id,
    name: 'tiny',
    status: 'active',
    visibility: 'public',
    protected: false,
    os_hidden: false,
    owner: projectId,
    container_format: 'bare',
    disk_format: 'raw',
    size: 1024,
    virtual_size: 1024,
    min_disk: 0,
    min_ram: 0,
    checksum: '0f343b0931126a20f133d67c2b018a3b',
    os_hash_algo: 'sha512',
    os_hash_value:
      '8efb4f73c5655351c444eb109230c556d39e2c7624e9c11abc9e3fb4b9b9254218cc5085b454a9698d085cfa92198491f07a723be4574adc70617b73eb0b6461',
    tags: [],
    created_at: stamp,
    updated_at: stamp,
    self: `/v2/images/${id}`,
    file: `/v2/images/${id}/file`,
    schema: '/v2/schemas/image',
  };
}

function generatedFlavor(): Record<string, unknown> & { id: string } {
  return {
    id: GENERATED_FLAVOR_ID,
    name: 'm1.tiny',
    ram: 64,
    disk: 1,
    vcpus: 1,
    swap: '',
    rxtx_factor: 1.0,
    'OS-FLV-EXT-DATA:ephemeral': 0,
    'OS-FLV-DISABLED:disabled': false,
    'os-flavor-access:is_public': true,
    links: [],
  };
}

/**
 * A Nova 2.1 server's attributes besides those the client reads (fake driver, no volumes).
 * `security_groups` is left out: Nova lists one entry per security group of each port, and
 * omits the key for a server without ports.
 */
export function serverExtras(projectId: string, launchedAt: string): Record<string, unknown> {
  return {
    hostId: hostIdOf(projectId),
    image: {
      id: GENERATED_IMAGE_ID,
      links: [{ rel: 'bookmark', href: `{{simulator}}/compute/images/${GENERATED_IMAGE_ID}` }],
    },
    flavor: {
      id: GENERATED_FLAVOR_ID,
      links: [{ rel: 'bookmark', href: `{{simulator}}/compute/flavors/${GENERATED_FLAVOR_ID}` }],
    },
    accessIPv4: '',
    accessIPv6: '',
    key_name: null,
    config_drive: '',
    progress: 0,
    'OS-DCF:diskConfig': 'MANUAL',
    'OS-EXT-AZ:availability_zone': 'nova',
    'OS-EXT-STS:vm_state': 'active',
    'OS-EXT-STS:task_state': null,
    'OS-EXT-STS:power_state': 1,
    'OS-SRV-USG:launched_at': launchedAt.replace(/(\.\d+)?Z$/, '.000000'),
    'OS-SRV-USG:terminated_at': null,
    'os-extended-volumes:volumes_attached': [],
  };
}

/** Nova's hostId: sha224 of project and host, here of the project and the one fake host. */
function hostIdOf(projectId: string): string {
  return createHash('sha224').update(`${projectId}fakehost`).digest('hex');
}

export interface GenerateFixtureOptions {
  /** @default 10 */
  vms?: number;
  /** Ports per VM: the first on the management network, the others one per data subnet. @default 4 */
  portsPerVm?: number;
  /** @default 'admin' */
  username?: string;
  /** @default 'secret' */
  password?: string;
  /** @default 'sim-project' */
  projectName?: string;
  /** Metadata key holding the Kubernetes node name. @default 'k8s-node-name' */
  nodeNameKey?: string;
  /** Data ports' created_at. @default '2026-01-12T03:10:05Z' (management ports: 2025-12-01) */
  createdAt?: string;
  tokenTtlSeconds?: number;
}

export const GENERATED_PROJECT_ID = '0a0a0a0a0a0a4a0a8a0a0a0a0a0a0a0a';
export const GENERATED_USER_ID = '0b0b0b0b0b0b4b0b8b0b0b0b0b0b0b0b';

/**
 * N VMs × M ports with deterministic ids (`vm-0001`, node `node-0001`, MAC fa:16:3e:…):
 * network 0 `mgmt` (MTU 1500) and data networks `data-1..M-1` (MTU 1450), one subnet each
 * (`mgmt-subnet`, `data-1-subnet`, … with CIDRs 10.<k>.0.0/16).
 */
export function generateFixture(options: GenerateFixtureOptions = {}): SimulatorFixtureInput {
  const vms = options.vms ?? 10;
  const portsPerVm = Math.max(1, options.portsPerVm ?? 4);
  const nodeNameKey = options.nodeNameKey ?? 'k8s-node-name';
  const createdAt = options.createdAt ?? '2026-01-12T03:10:05Z';
  const projectId = GENERATED_PROJECT_ID;
  const networks: Array<Record<string, unknown> & { id: string }> = [];
  const subnets: Array<Record<string, unknown> & { id: string }> = [];
  for (let k = 0; k < portsPerVm; k++) {
    const name = k === 0 ? 'mgmt' : `data-${k}`;
    const networkId = sequentialId('4e', k + 1);
    const subnetId = sequentialId('5b', k + 1);
    networks.push({
      ...networkExtras('2025-12-01T07:59:00Z'),
      id: networkId,
      name,
      project_id: projectId,
      tenant_id: projectId,
      admin_state_up: true,
      status: 'ACTIVE',
      mtu: k === 0 ? 1500 : 1450,
      shared: false,
      subnets: [subnetId],
    });
    subnets.push({
      ...subnetExtras(`10.${k}.0.0/16`, '2025-12-01T07:59:00Z'),
      id: subnetId,
      name: `${name}-subnet`,
      network_id: networkId,
      project_id: projectId,
      tenant_id: projectId,
      ip_version: 4,
      cidr: `10.${k}.0.0/16`,
      gateway_ip: `10.${k}.0.1`,
      enable_dhcp: true,
    });
  }
  const servers: Array<Record<string, unknown> & { id: string }> = [];
  const ports: Array<Record<string, unknown> & { id: string }> = [];
  let portNo = 0;
  for (let v = 1; v <= vms; v++) {
    const serverId = sequentialId('5e', v);
    const label = String(v).padStart(4, '0');
    const addresses: Record<string, unknown[]> = {};
    for (let k = 0; k < portsPerVm; k++) {
      portNo += 1;
      const mac = `fa:16:3e:${((portNo >> 16) & 0xff).toString(16).padStart(2, '0')}:${((portNo >> 8) & 0xff)
        .toString(16)
        .padStart(2, '0')}:${(portNo & 0xff).toString(16).padStart(2, '0')}`;
      const ip = `10.${k}.${(v >> 8) & 0xff}.${v & 0xff}`;
      const network = networks[k] as { id: string; name: string };
      const subnet = subnets[k] as { id: string };
      ports.push({
        ...portExtras(),
        id: sequentialId('90', portNo),
        name: k === 0 ? '' : `vm-${label}-data-${k}`,
        network_id: network.id,
        project_id: projectId,
        tenant_id: projectId,
        mac_address: mac,
        admin_state_up: true,
        status: 'ACTIVE',
        device_id: serverId,
        device_owner: 'compute:nova',
        fixed_ips: [{ subnet_id: subnet.id, ip_address: ip }],
        created_at: k === 0 ? '2025-12-01T08:00:00Z' : createdAt,
        updated_at: k === 0 ? '2025-12-01T08:00:00Z' : createdAt,
      });
      addresses[network.name] = [
        { version: 4, addr: ip, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': mac },
      ];
    }
    const created = new Date(Date.UTC(2025, 11, 1, 8, 0, v)).toISOString().replace('.000Z', 'Z');
    servers.push({
      ...serverExtras(projectId, created),
      security_groups: Array.from({ length: portsPerVm }, () => ({ name: 'default' })),
      id: serverId,
      name: `vm-${label}`,
      status: 'ACTIVE',
      tenant_id: projectId,
      user_id: GENERATED_USER_ID,
      metadata: { [nodeNameKey]: `node-${label}` },
      created,
      updated: createdAt,
      addresses,
    });
  }
  return {
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    deterministicIds: true,
    projects: [{ id: projectId, name: options.projectName ?? 'sim-project', domainId: 'default' }],
    users: [
      {
        id: GENERATED_USER_ID,
        name: options.username ?? 'admin',
        domainId: 'default',
        password: options.password ?? 'secret',
      },
    ],
    networks,
    subnets,
    ports,
    servers,
    images: [generatedImage(projectId, '2025-12-01T07:58:00Z')],
    flavors: [generatedFlavor()],
  };
}
