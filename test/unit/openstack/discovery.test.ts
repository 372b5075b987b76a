import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverPorts, splitVmRefs } from '../../../src/openstack/discovery.js';
import { SubnetNotFoundError, SubnetNotUniqueError } from '../../../src/openstack/errors.js';
import { generateFixture, sequentialId } from '../../../src/openstack/simulator/fixture.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';
import { testSession } from './helpers.js';
import {
  SPEC_PROJECT_ID,
  SPEC_SUBNET_A,
  SPEC_SUBNET_B,
  SPEC_VM_1,
  SPEC_VM_2,
  specWorld,
} from './fixtures/spec-world.js';

describe('splitVmRefs', () => {
  it('separates UUIDs from names, trimming and de-duplicating', () => {
    expect(
      splitVmRefs([
        ' biz-worker-1',
        SPEC_VM_1,
        'biz-worker-1',
        '',
        SPEC_VM_1.toUpperCase(),
        '0a0a0a0a0a0a4a0a8a0a0a0a0a0a0a0a',
      ]),
    ).toEqual({
      ids: [SPEC_VM_1, SPEC_VM_1.toUpperCase(), '0a0a0a0a0a0a4a0a8a0a0a0a0a0a0a0a'],
      names: ['biz-worker-1'],
    });
  });
});

describe('discoverPorts on the spec world', () => {
  let sim: OpenStackSim;
  beforeAll(async () => {
    sim = await startOpenStackSim({ fixture: specWorld() });
  });
  afterAll(() => sim.stop());

  it('returns the 5 spec ports, both subnets in order and their MTUs', async () => {
    const session = testSession(sim);
    const result = await discoverPorts(session, {
      vmIds: [SPEC_VM_1, SPEC_VM_2],
      subnetIds: [SPEC_SUBNET_A, SPEC_SUBNET_B],
      projectId: SPEC_PROJECT_ID,
    });
    expect(result.servers.map((s) => s.metadata?.['k8s-node-name'])).toEqual([
      'biz-worker-1',
      'biz-worker-2',
    ]);
    expect(result.ports.map((p) => p.mac_address)).toEqual([
      'fa:16:3e:00:aa:01',
      'fa:16:3e:4a:10:01',
      'fa:16:3e:4a:10:02',
      'fa:16:3e:4a:20:01',
      'fa:16:3e:00:aa:02',
    ]);
    expect(result.subnets.map((s) => [s.name, s.cidr])).toEqual([
      ['multinic-data-a', '192.168.50.0/24'],
      ['multinic-data-b', '10.20.30.0/24'],
    ]);
    expect(Object.fromEntries(result.networks.map((n) => [n.id, n.mtu]))).toEqual({
      '5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95': 1450,
      '0b2d4f6b-8d0f-4b2d-8f4b-6d8f0b2d4f6b': 1500,
    });
    expect(result.warnings).toEqual([]);
    await session.close();
  });

  it('resolves names and UUIDs given together, reporting what is missing', async () => {
    const session = testSession(sim);
    const result = await discoverPorts(session, {
      vms: ['biz-worker-2', SPEC_VM_1, 'ghost', '00000000-0000-4000-8000-000000000000'],
      subnetName: 'multinic-data-a',
    });
    expect(result.servers.map((s) => s.name)).toEqual(['biz-worker-1', 'biz-worker-2']);
    expect(result.ports).toHaveLength(5);
    expect(result.missingVmNames).toEqual(['ghost']);
    expect(result.missingVmIds).toEqual(['00000000-0000-4000-8000-000000000000']);
    expect(result.subnets.map((s) => s.id)).toEqual([SPEC_SUBNET_A]);
    await session.close();
  });

  it('reports a VM name that several servers carry and uses none of them', async () => {
    const session = testSession(sim);
    const twin = {
      ...(sim.admin.servers.get(SPEC_VM_2) ?? { id: '' }),
      id: 'bbbbbbbb-0000-4000-8000-000000000001',
    };
    sim.admin.servers.set(twin.id, twin);
    try {
      const result = await discoverPorts(session, {
        vms: ['biz-worker-2', SPEC_VM_1],
        subnetName: 'multinic-data-a',
      });
      expect(result.servers.map((s) => s.id)).toEqual([SPEC_VM_1]);
      expect(result.ports.every((p) => p.device_id === SPEC_VM_1)).toBe(true);
      expect(result.ambiguousVmNames).toEqual([
        { name: 'biz-worker-2', serverIds: [SPEC_VM_2, twin.id].sort() },
      ]);
      expect(result.missingVmNames).toEqual([]);
    } finally {
      sim.admin.servers.delete(twin.id);
      await session.close();
    }
  });

  it('rejects unknown or ambiguous subnets', async () => {
    const session = testSession(sim);
    await expect(discoverPorts(session, { vmIds: [SPEC_VM_1], subnetIds: ['nope'] })).rejects.toBeInstanceOf(
      SubnetNotFoundError,
    );
    await expect(discoverPorts(session, { vmIds: [SPEC_VM_1], subnetName: 'nope' })).rejects.toBeInstanceOf(
      SubnetNotFoundError,
    );
    sim.admin.subnets.set('dup', { ...(sim.admin.subnets.get(SPEC_SUBNET_A) ?? { id: '' }), id: 'dup' });
    await expect(
      discoverPorts(session, { vmIds: [SPEC_VM_1], subnetName: 'multinic-data-a' }),
    ).rejects.toBeInstanceOf(SubnetNotUniqueError);
    sim.admin.subnets.delete('dup');
    await session.close();
  });

  it('reports a failed network lookup as a warning, not an error', async () => {
    const session = testSession(sim, { http: { maxAttempts: 1 } });
    await session.token();
    sim.admin.addFault({ route: 'network.networks.list', status: 500, times: 1 });
    const result = await discoverPorts(session, { vmIds: [SPEC_VM_1], subnetIds: [SPEC_SUBNET_A] });
    expect(result.networks).toEqual([]);
    expect(result.warnings[0]).toMatch(
      /^networks 5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95: network: GET .* expected 200, got 500/,
    );
    await session.close();
  });
});

describe('discoverPorts at scale', () => {
  it('discovers 1,000 VMs × 4 ports with 20 port-list calls and one token', async () => {
    const sim = await startOpenStackSim({ fixture: generateFixture({ vms: 1000, portsPerVm: 4 }) });
    const session = testSession(sim);
    const vmIds = Array.from({ length: 1000 }, (_, i) => sequentialId('5e', i + 1));
    const result = await discoverPorts(session, {
      vmIds,
      subnetIds: [sequentialId('5b', 2), sequentialId('5b', 3)],
    });
    expect(result.servers).toHaveLength(1000);
    expect(result.ports).toHaveLength(4000);
    expect(sim.requestCounts()).toEqual({
      'compute.servers.detail': 2,
      'identity.tokens.issue': 1,
      'network.networks.list': 1,
      'network.ports.list': 20,
      'network.subnets.list': 1,
    });
    await session.close();
    await sim.stop();
  });

  it('reads VMs outside the listed project with GETs, and only those', async () => {
    const sim = await startOpenStackSim({ fixture: generateFixture({ vms: 60, portsPerVm: 1 }) });
    sim.admin.addServer({
      id: 'bbbbbbbb-0000-4000-8000-000000000001',
      name: 'elsewhere',
      tenant_id: 'other',
    });
    const session = testSession(sim);
    const vmIds = [
      ...Array.from({ length: 60 }, (_, i) => sequentialId('5e', i + 1)),
      'bbbbbbbb-0000-4000-8000-000000000001',
      'cccccccc-0000-4000-8000-000000000001',
    ];
    const result = await discoverPorts(session, { vmIds });
    expect(result.servers.map((s) => s.id)).toEqual(vmIds.slice(0, 61));
    expect(result.missingVmIds).toEqual(['cccccccc-0000-4000-8000-000000000001']);
    expect(sim.requestCounts()['compute.servers.get']).toBe(2);
    expect(sim.requestCounts()['compute.servers.detail']).toBe(1);
    const byGet = await discoverPorts(session, { vmIds: vmIds.slice(0, 3), serverLookup: 'auto' });
    expect(byGet.servers).toHaveLength(3);
    expect(sim.requestCounts()['compute.servers.get']).toBe(5);
    await session.close();
    await sim.stop();
  });
});
