import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getPort, listPorts } from '../../../../../src/openstack/networking/v2/ports.js';
import { chunkForQuery } from '../../../../../src/openstack/pagination.js';
import { isStatus } from '../../../../../src/openstack/errors.js';
import { generateFixture, sequentialId } from '../../../../../src/openstack/simulator/fixture.js';
import { startOpenStackSim } from '../../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../../support/openstack-sim.js';
import type { OpenStackSession } from '../../../../../src/openstack/session.js';
import { testSession } from '../../helpers.js';

const vm = (n: number): string => sequentialId('5e', n);
const vms = (count: number): string[] => Array.from({ length: count }, (_, i) => vm(i + 1));

describe('chunkForQuery', () => {
  it('caps the count per chunk', () => {
    expect(chunkForQuery('device_id', vms(120)).map((c) => c.length)).toEqual([50, 50, 20]);
  });

  it('keeps the encoded query under the length budget', () => {
    const chunks = chunkForQuery('device_id', vms(50), { maxQueryLength: 500 });
    for (const chunk of chunks)
      expect(
        new URLSearchParams(chunk.map((v): [string, string] => ['device_id', v])).toString().length,
      ).toBeLessThanOrEqual(500);
    expect(chunks.flat()).toEqual(vms(50));
  });
});

describe('listPorts', () => {
  let sim: OpenStackSim;
  let session: OpenStackSession;
  beforeAll(async () => {
    sim = await startOpenStackSim({ fixture: generateFixture({ vms: 130, portsPerVm: 3 }) });
    session = testSession(sim);
    await session.token();
  });
  afterEach(() => sim.admin.resetRequests());
  afterAll(async () => {
    await session.close();
    await sim.stop();
  });

  it('asks for 130 VMs in 3 requests of at most 50 device_id values', async () => {
    const ports = await listPorts(session, { deviceIds: vms(130) });
    expect(ports).toHaveLength(390);
    const requests = sim.admin.requests('network.ports.list');
    expect(requests.map((r) => r.query.filter(([k]) => k === 'device_id').length)).toEqual([50, 50, 30]);
    for (const r of requests)
      expect(r.path.length + new URLSearchParams(r.query).toString().length).toBeLessThan(4096);
  });

  it('sends duplicates once and returns each port once', async () => {
    const ports = await listPorts(session, { deviceIds: [vm(1), vm(1), vm(2)] });
    expect(ports.map((p) => p.device_id)).toEqual([vm(1), vm(1), vm(1), vm(2), vm(2), vm(2)]);
    expect(sim.admin.requests('network.ports.list')[0]?.query).toEqual([
      ['device_id', vm(1)],
      ['device_id', vm(2)],
    ]);
  });

  it('follows links page by page with limit=1', async () => {
    const ports = await listPorts(session, { deviceIds: [vm(1), vm(2)], pageSize: 1 });
    expect(ports).toHaveLength(6);
    expect(new Set(ports.map((p) => p.id)).size).toBe(6);
    // 6 full pages and a final empty one, as Neutron signals "maybe more" on a full page.
    const requests = sim.admin.requests('network.ports.list');
    expect(requests).toHaveLength(7);
    expect(requests[1]?.query).toContainEqual(['marker', ports[0]?.id]);
    expect(requests.every((r) => r.query.some(([k, v]) => k === 'limit' && v === '1'))).toBe(true);
  });

  it('follows server-side pagination it did not ask for', async () => {
    const paged = await startOpenStackSim({
      fixture: { ...generateFixture({ vms: 5, portsPerVm: 2 }), limits: { neutronMaxPageSize: 4 } },
    });
    const s = testSession(paged);
    const ports = await listPorts(s, { deviceIds: vms(5) });
    expect(ports).toHaveLength(10);
    expect(paged.requestCounts()['network.ports.list']).toBe(3);
    await s.close();
    await paged.stop();
  });

  it('projects fields, always keeping id and device_id', async () => {
    const [port] = await listPorts(session, { deviceIds: [vm(1)], fields: ['mac_address', 'status'] });
    expect(Object.keys(port ?? {}).sort()).toEqual(['device_id', 'id', 'mac_address', 'status']);
    expect(
      sim.admin
        .requests('network.ports.list')[0]
        ?.query.filter(([k]) => k === 'fields')
        .map(([, v]) => v),
    ).toEqual(['id', 'mac_address', 'status', 'device_id']);
  });

  it('filters by network and by fixed_ips subnet', async () => {
    const byNetwork = await listPorts(session, { networkId: sequentialId('4e', 2) });
    expect(byNetwork).toHaveLength(130);
    const bySubnet = await listPorts(session, { subnetId: sequentialId('5b', 3), deviceIds: [vm(7)] });
    expect(bySubnet.map((p) => p.fixed_ips[0]?.ip_address)).toEqual(['10.2.0.7']);
    expect(sim.admin.requests('network.ports.list')[1]?.query).toContainEqual([
      'fixed_ips',
      `subnet_id=${sequentialId('5b', 3)}`,
    ]);
  });

  it('makes no call for an empty device list', async () => {
    await expect(listPorts(session, { deviceIds: [] })).resolves.toEqual([]);
    expect(sim.requestCounts()).toEqual({});
  });

  it('sees ports attached, detached and changed at runtime', async () => {
    const port = sim.admin.addPort({
      network_id: sequentialId('4e', 2),
      fixed_ips: [{ subnet_id: sequentialId('5b', 2), ip_address: '10.1.9.9' }],
    });
    sim.admin.attachPort(port.id, vm(3));
    expect((await listPorts(session, { deviceIds: [vm(3)] })).find((p) => p.id === port.id)?.status).toBe(
      'DOWN',
    );
    sim.admin.setPortStatus(port.id, 'ACTIVE');
    expect((await getPort(session, port.id)).status).toBe('ACTIVE');
    sim.admin.detachPort(port.id);
    expect((await listPorts(session, { deviceIds: [vm(3)] })).map((p) => p.id)).not.toContain(port.id);
    sim.admin.removePort(port.id);
    const error = await getPort(session, port.id).catch((err: unknown) => err);
    expect(isStatus(error, 404)).toBe(true);
  });
});
