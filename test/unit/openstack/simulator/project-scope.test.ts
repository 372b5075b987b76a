// Neutron shows a non-admin token only its own project's resources (plus shared networks and
// their subnets); an admin token sees every project's. The real services behave so, and the
// contract suite found the simulator listing other projects' subnets (SubnetNotUnique).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixture, GENERATED_PROJECT_ID } from '../../../../src/openstack/simulator/fixture.js';
import { startOpenStackSim, type OpenStackSim } from '../../../support/openstack-sim.js';
import { testSession } from '../helpers.js';

const OTHER = '0c0c0c0c0c0c4c0c8c0c0c0c0c0c0c0c';

async function names(sim: OpenStackSim, collection: 'subnets' | 'networks'): Promise<string[]> {
  const session = testSession(sim);
  try {
    const response = await session.request('network', {
      operation: `${collection}.list`,
      path: `/${collection}`,
    });
    return ((response.body as Record<string, Array<{ name: string }>>)[collection] ?? [])
      .map((i) => i.name)
      .sort();
  } finally {
    await session.close();
  }
}

function fixture(roles: string[]) {
  const base = generateFixture({ vms: 1, portsPerVm: 2 });
  base.projects.push({ id: OTHER, name: 'other-project' });
  base.users = base.users.map((u) => ({ ...u, roles }));
  base.networks?.push(
    { id: 'net-other', name: 'other-net', project_id: OTHER, tenant_id: OTHER, shared: false, mtu: 1500 },
    { id: 'net-shared', name: 'shared-net', project_id: OTHER, tenant_id: OTHER, shared: true, mtu: 1500 },
  );
  base.subnets?.push(
    {
      id: 'sub-other',
      name: 'data-1-subnet',
      network_id: 'net-other',
      project_id: OTHER,
      cidr: '10.99.0.0/16',
    },
    {
      id: 'sub-shared',
      name: 'shared-subnet',
      network_id: 'net-shared',
      project_id: OTHER,
      cidr: '10.98.0.0/16',
    },
  );
  return base;
}

describe('Neutron project scope in the simulator', () => {
  let member: OpenStackSim;
  let admin: OpenStackSim;
  beforeAll(async () => {
    member = await startOpenStackSim({ fixture: fixture(['reader', 'member']) });
    admin = await startOpenStackSim({ fixture: fixture(['admin', 'member']) });
  });
  afterAll(async () => {
    await member.stop();
    await admin.stop();
  });

  it('lists a member only its project and shared networks with their subnets', async () => {
    expect(await names(member, 'subnets')).toEqual(['data-1-subnet', 'mgmt-subnet', 'shared-subnet']);
    expect(await names(member, 'networks')).toEqual(['data-1', 'mgmt', 'shared-net']);
    expect(GENERATED_PROJECT_ID).not.toBe(OTHER);
  });

  it('lists an admin every project', async () => {
    expect(await names(admin, 'subnets')).toEqual([
      'data-1-subnet',
      'data-1-subnet',
      'mgmt-subnet',
      'shared-subnet',
    ]);
  });
});
