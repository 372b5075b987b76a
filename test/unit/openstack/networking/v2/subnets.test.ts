import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findSubnetByName,
  getSubnet,
  getSubnetsByIds,
  listSubnets,
} from '../../../../../src/openstack/networking/v2/subnets.js';
import { getNetwork, listNetworks } from '../../../../../src/openstack/networking/v2/networks.js';
import { isStatus, SubnetNotFoundError, SubnetNotUniqueError } from '../../../../../src/openstack/errors.js';
import { startOpenStackSim } from '../../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../../support/openstack-sim.js';
import type { OpenStackSession } from '../../../../../src/openstack/session.js';
import { testSession } from '../../helpers.js';
import { SPEC_PROJECT_ID, SPEC_SUBNET_A, SPEC_SUBNET_B, specWorld } from '../../fixtures/spec-world.js';

describe('subnets and networks', () => {
  let sim: OpenStackSim;
  let session: OpenStackSession;
  beforeAll(async () => {
    const world = specWorld();
    const dup = {
      ...(world.subnets?.[2] ?? { id: '' }),
      id: 'dddddddd-0000-4000-8000-000000000001',
      name: 'shared-name',
    };
    const dup2 = { ...dup, id: 'dddddddd-0000-4000-8000-000000000002' };
    sim = await startOpenStackSim({ fixture: { ...world, subnets: [...(world.subnets ?? []), dup, dup2] } });
    session = testSession(sim);
  });
  afterAll(async () => {
    await session.close();
    await sim.stop();
  });

  it('gets a subnet by id', async () => {
    await expect(getSubnet(session, SPEC_SUBNET_A)).resolves.toMatchObject({
      name: 'multinic-data-a',
      cidr: '192.168.50.0/24',
    });
  });

  it('turns a 404 into SubnetNotFoundError', async () => {
    await expect(getSubnet(session, 'no-such-subnet')).rejects.toThrow(
      new SubnetNotFoundError('no-such-subnet'),
    );
  });

  it('gets several subnets by id in one call, in the requested order', async () => {
    sim.admin.resetRequests();
    const subnets = await getSubnetsByIds(session, [SPEC_SUBNET_B, SPEC_SUBNET_A]);
    expect(subnets.map((s) => s.name)).toEqual(['multinic-data-b', 'multinic-data-a']);
    expect(sim.requestCounts()['network.subnets.list']).toBe(1);
  });

  it('names the missing id when one of several is unknown', async () => {
    await expect(getSubnetsByIds(session, [SPEC_SUBNET_A, 'gone'])).rejects.toThrow(
      "subnet 'gone' not found",
    );
  });

  it('finds a unique subnet by name (scoped to a project)', async () => {
    await expect(
      findSubnetByName(session, 'multinic-data-b', { projectId: SPEC_PROJECT_ID }),
    ).resolves.toMatchObject({ id: SPEC_SUBNET_B });
  });

  it('throws SubnetNotFoundError for no match and SubnetNotUniqueError for two', async () => {
    await expect(findSubnetByName(session, 'nothing')).rejects.toBeInstanceOf(SubnetNotFoundError);
    const error = (await findSubnetByName(session, 'shared-name').catch(
      (err: unknown) => err,
    )) as SubnetNotUniqueError;
    expect(error).toBeInstanceOf(SubnetNotUniqueError);
    expect(error.ids).toHaveLength(2);
    expect(error.message).toBe(
      "subnet name 'shared-name' is not unique: 2 subnets match (dddddddd-0000-4000-8000-000000000001, dddddddd-0000-4000-8000-000000000002)",
    );
  });

  it('lists subnets of a network', async () => {
    const subnets = await listSubnets(session, { networkId: '5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95' });
    expect(subnets.map((s) => s.id)).toEqual([SPEC_SUBNET_A]);
  });

  it('reads network MTUs by id and in one list call', async () => {
    expect((await getNetwork(session, '5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95')).mtu).toBe(1450);
    const networks = await listNetworks(session, {
      ids: ['5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95', '0b2d4f6b-8d0f-4b2d-8f4b-6d8f0b2d4f6b'],
      fields: ['mtu'],
    });
    expect(networks.map((n) => [n.id, n.mtu])).toEqual([
      ['5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95', 1450],
      ['0b2d4f6b-8d0f-4b2d-8f4b-6d8f0b2d4f6b', 1500],
    ]);
    const error = await getNetwork(session, 'nope').catch((err: unknown) => err);
    expect(isStatus(error, 404)).toBe(true);
  });
});
