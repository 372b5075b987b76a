// The simulator's world, loaded from a JSON fixture. Resources use the APIs' own JSON shapes
// (spec examples/openstack/*.json), so a captured response can be pasted in as is:
//
// {
//   "region": "RegionOne",                 // catalog region            (default RegionOne)
//   "tokenTtlSeconds": 3600,               // token lifetime            (default 3600)
//   "deterministicIds": true,              // tokens/ids from counters  (default false)
//   "seed": 1,                             // PRNG seed for error rates (default 1)
//   "domains":  [{ "id": "default", "name": "Default" }],                 (default: this one)
//   "projects": [{ "id": "7a1c…", "name": "biz-cluster-a", "domainId": "default" }],
//   "users":    [{ "id": "3c2a…", "name": "admin", "domainId": "default",
//                  "password": "S3cr3t-Admin-Pw", "projects": ["7a1c…"] }], // projects: default all
//   "networks": [ <Neutron network> ], "subnets": [ <Neutron subnet> ], "ports": [ <Neutron port> ],
//   "servers":  [ <Nova server (detail shape)> ],
//   "contrabass": { "providers": [ <Contrabass provider `data` object> ] },  // url may use {{simulator}}
//   "limits": { "neutronMaxPageSize": 0, "novaMaxPageSize": 1000 }          // 0 = no Neutron paging
// }
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const resource = z.looseObject({ id: z.string().min(1) });

export const fixtureSchema = z.object({
  region: z.string().default('RegionOne'),
  tokenTtlSeconds: z.number().positive().default(3600),
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
    }),
  ),
  networks: z.array(resource).default([]),
  subnets: z.array(resource).default([]),
  ports: z.array(resource).default([]),
  servers: z.array(resource).default([]),
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
    servers.push({
      id: serverId,
      name: `vm-${label}`,
      status: 'ACTIVE',
      tenant_id: projectId,
      user_id: GENERATED_USER_ID,
      metadata: { [nodeNameKey]: `node-${label}` },
      created: new Date(Date.UTC(2025, 11, 1, 8, 0, v)).toISOString().replace('.000Z', 'Z'),
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
  };
}
