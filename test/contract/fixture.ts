// The one fixture both contract targets hold: the simulator loads it, the real services are
// seeded from it. Three VMs with three ports each (mgmt + two data subnets), servers whose names
// are regular-expression bait, a decoy that only a prefix match would find, an unattached port,
// and a second project with its own `data-1-subnet` (same name, other project).
import {
  GENERATED_PROJECT_ID,
  GENERATED_USER_ID,
  generateFixture,
  sequentialId,
  type SimulatorFixtureInput,
} from '../../src/openstack/simulator/fixture.js';

export const PROJECT = GENERATED_PROJECT_ID;
export const OTHER_PROJECT = '0c0c0c0c0c0c4c0c8c0c0c0c0c0c0c0c';
export const USER = GENERATED_USER_ID;
export const OTHER_USER = '0d0d0d0d0d0d4d0d8d0d0d0d0d0d0d0d';

export const VM = (n: number): string => sequentialId('5e', n);
export const NET = (k: number): string => sequentialId('4e', k + 1);
export const SUBNET = (k: number): string => sequentialId('5b', k + 1);
/** Port k (0 = mgmt) of VM v (three ports per VM). */
export const PORT = (v: number, k: number): string => sequentialId('90', (v - 1) * 3 + k + 1);
export const MAC = (v: number, k: number): string =>
  `fa:16:3e:00:00:${((v - 1) * 3 + k + 1).toString(16).padStart(2, '0')}`;

/** Servers without ports whose names a pattern match would confuse. */
export const BAIT_SERVERS: ReadonlyArray<{ id: string; name: string }> = [
  { id: VM(101), name: 'vm.1' },
  { id: VM(102), name: 'vmx1' },
  { id: VM(103), name: 'a+b' },
  { id: VM(104), name: 'aab' },
  { id: VM(105), name: 'old-vm-0001' },
];
export const SPARE_PORT = sequentialId('90', 500);
export const OTHER_NET = sequentialId('4e', 50);
export const OTHER_SUBNET = sequentialId('5b', 50);

export function contractFixture(): SimulatorFixtureInput {
  const fixture = generateFixture({
    vms: 3,
    portsPerVm: 3,
    username: 'multinic',
    password: 'multinic-pw-1',
    projectName: 'biz-cluster-a',
  });
  const user = fixture.users[0];
  if (user !== undefined) user.projects = [PROJECT];
  fixture.projects.push({ id: OTHER_PROJECT, name: 'other-project', domainId: 'default' });
  fixture.users.push({
    id: OTHER_USER,
    name: 'other',
    domainId: 'default',
    password: 'other-pw-1',
    projects: [OTHER_PROJECT],
  });
  for (const bait of BAIT_SERVERS) {
    fixture.servers?.push({
      id: bait.id,
      name: bait.name,
      status: 'ACTIVE',
      tenant_id: PROJECT,
      user_id: USER,
      metadata: { 'k8s-node-name': `node-${bait.name}` },
      created: '2025-12-01T08:00:00Z',
      updated: '2025-12-01T08:00:00Z',
      addresses: {},
    });
  }
  fixture.ports?.push({
    id: SPARE_PORT,
    name: 'spare',
    network_id: NET(0),
    project_id: PROJECT,
    tenant_id: PROJECT,
    mac_address: 'fa:16:3e:00:05:00',
    admin_state_up: true,
    status: 'DOWN',
    device_id: '',
    device_owner: '',
    fixed_ips: [{ subnet_id: SUBNET(0), ip_address: '10.0.5.0' }],
    created_at: '2025-12-01T08:00:00Z',
    updated_at: '2025-12-01T08:00:00Z',
  });
  fixture.networks?.push({
    id: OTHER_NET,
    name: 'other-net',
    project_id: OTHER_PROJECT,
    tenant_id: OTHER_PROJECT,
    admin_state_up: true,
    status: 'ACTIVE',
    mtu: 1400,
    shared: false,
    subnets: [OTHER_SUBNET],
  });
  fixture.subnets?.push({
    id: OTHER_SUBNET,
    name: 'data-1-subnet',
    network_id: OTHER_NET,
    project_id: OTHER_PROJECT,
    tenant_id: OTHER_PROJECT,
    ip_version: 4,
    cidr: '10.99.0.0/16',
    gateway_ip: '10.99.0.1',
    enable_dhcp: false,
  });
  return fixture;
}
