import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  escapeRegExp,
  findServersByName,
  getServer,
  getServers,
  listServers,
  nodeNameOf,
  novaNameFilter,
  serverNameLookupFor,
} from '../../../../../src/openstack/compute/v2/servers.js';
import { isStatus } from '../../../../../src/openstack/errors.js';
import {
  generateFixture,
  GENERATED_PROJECT_ID,
  sequentialId,
} from '../../../../../src/openstack/simulator/fixture.js';
import { startOpenStackSim } from '../../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../../support/openstack-sim.js';
import type { OpenStackSession } from '../../../../../src/openstack/session.js';
import { testSession } from '../../helpers.js';

describe('name patterns', () => {
  it('escapes regular-expression syntax', () => {
    expect(escapeRegExp('a.b*(c)|d+[e]{f}^$?\\')).toBe('a\\.b\\*\\(c\\)\\|d\\+\\[e\\]\\{f\\}\\^\\$\\?\\\\');
  });

  it('anchors one escaped name per filter, never an alternation (Nova escapes `|` on MySQL)', () => {
    expect(novaNameFilter('a.b')).toBe('^a\\.b$');
    expect(new RegExp(novaNameFilter('a.b')).test('axb')).toBe(false);
    expect(novaNameFilter('a+b')).toBe('^a\\+b$');
    expect(novaNameFilter('x|y')).toBe('^x.y$');
    expect(novaNameFilter('x|y')).not.toContain('|');
  });

  it('asks one filter per name below the threshold and lists the project from it on', () => {
    expect(serverNameLookupFor(1)).toBe('per-name');
    expect(serverNameLookupFor(24)).toBe('per-name');
    expect(serverNameLookupFor(25)).toBe('list');
    expect(serverNameLookupFor(3, { listThreshold: 3 })).toBe('list');
    expect(serverNameLookupFor(100, { lookup: 'per-name' })).toBe('per-name');
    expect(serverNameLookupFor(1, { lookup: 'list' })).toBe('list');
  });
});

describe('nodeNameOf', () => {
  const server = { id: 'id-1', name: ' vm-1 ', metadata: { 'k8s-node-name': ' node-1 ', blank: '  ' } };
  it.each([
    ['k8s-node-name', 'node-1'],
    ['blank', 'vm-1'],
    ['absent', 'vm-1'],
    [undefined, 'vm-1'],
  ])('with key %s → %s', (key, expected) => expect(nodeNameOf(server, key)).toBe(expected));

  it('falls back to the id when the name is blank', () => {
    expect(nodeNameOf({ id: 'id-2', name: ' ' }, 'k')).toBe('id-2');
  });
});

describe('Nova servers against the simulator', () => {
  let sim: OpenStackSim;
  let session: OpenStackSession;
  beforeAll(async () => {
    const fixture = generateFixture({ vms: 12, portsPerVm: 1 });
    sim = await startOpenStackSim({ fixture });
    for (const [id, name] of [
      ['aaaaaaaa-0000-4000-8000-000000000001', 'worker-1'],
      ['aaaaaaaa-0000-4000-8000-000000000002', 'worker-10'],
      ['aaaaaaaa-0000-4000-8000-000000000003', 'old-worker-1'],
      ['aaaaaaaa-0000-4000-8000-000000000004', 'a.b'],
      ['aaaaaaaa-0000-4000-8000-000000000005', 'axb'],
      ['aaaaaaaa-0000-4000-8000-000000000006', 'worker-1'],
      ['aaaaaaaa-0000-4000-8000-000000000007', 'other-project'],
      ['aaaaaaaa-0000-4000-8000-000000000008', 'vm.1'],
      ['aaaaaaaa-0000-4000-8000-000000000009', 'a+b'],
      ['aaaaaaaa-0000-4000-8000-00000000000a', 'x|y'],
      ['aaaaaaaa-0000-4000-8000-00000000000b', 'vmx1'],
      ['aaaaaaaa-0000-4000-8000-00000000000c', 'aab'],
      ['aaaaaaaa-0000-4000-8000-00000000000d', 'xzy'],
    ] as const) {
      sim.admin.addServer({
        id,
        name,
        ...(name === 'other-project' ? { tenant_id: 'someone-else' } : { tenant_id: GENERATED_PROJECT_ID }),
      });
    }
    session = testSession(sim);
  });
  afterAll(async () => {
    await session.close();
    await sim.stop();
  });

  it('gets a server with its metadata', async () => {
    const server = await getServer(session, sequentialId('5e', 3));
    expect(server).toMatchObject({ name: 'vm-0003', metadata: { 'k8s-node-name': 'node-0003' } });
  });

  it('answers 404 with the Nova itemNotFound body', async () => {
    const error = await getServer(session, 'missing').catch((err: unknown) => err);
    expect(isStatus(error, 404)).toBe(true);
    expect(JSON.parse((error as { body: string }).body)).toEqual({
      itemNotFound: { code: 404, message: 'Instance missing could not be found.' },
    });
  });

  it('gets many servers with bounded concurrency and reports the missing ones', async () => {
    sim.admin.resetRequests();
    const ids = [sequentialId('5e', 1), 'gone-1', sequentialId('5e', 2), sequentialId('5e', 1), 'gone-2'];
    const result = await getServers(session, ids, { concurrency: 2 });
    expect(result.servers.map((s) => s.name)).toEqual(['vm-0001', 'vm-0002']);
    expect(result.missing).toEqual(['gone-1', 'gone-2']);
    expect(sim.requestCounts()['compute.servers.get']).toBe(4);
  });

  it('finds servers by exact name although Nova filters by regular expression', async () => {
    sim.admin.resetRequests();
    const found = await findServersByName(session, ['worker-1', 'a.b', 'nobody']);
    expect(
      found
        .get('worker-1')
        ?.map((s) => s.id)
        .sort(),
    ).toEqual(['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000006']);
    expect(found.get('a.b')?.map((s) => s.name)).toEqual(['a.b']);
    expect(found.get('nobody')).toEqual([]);
    const filters = sim.admin
      .requests('compute.servers.detail')
      .map((r) => r.query.find(([k]) => k === 'name')?.[1])
      .sort();
    expect(filters).toEqual(['^a\\.b$', '^nobody$', '^worker-1$']);
  });

  it('matches names with regular-expression characters and `|` exactly, in both lookups', async () => {
    for (const lookup of ['per-name', 'list'] as const) {
      const found = await findServersByName(session, ['vm.1', 'a+b', 'x|y', 'WORKER-1'], { lookup });
      expect(found.get('vm.1')?.map((s) => s.id)).toEqual(['aaaaaaaa-0000-4000-8000-000000000008']);
      expect(found.get('a+b')?.map((s) => s.id)).toEqual(['aaaaaaaa-0000-4000-8000-000000000009']);
      expect(found.get('x|y')?.map((s) => s.id)).toEqual(['aaaaaaaa-0000-4000-8000-00000000000a']);
      expect(found.get('WORKER-1')).toEqual([]);
    }
  });

  it('shows why: the raw Nova name filter matches more than the name', async () => {
    const raw = await listServers(session, { name: 'worker-1' });
    expect(raw.map((s) => s.name).sort()).toEqual(['old-worker-1', 'worker-1', 'worker-1', 'worker-10']);
  });

  it('lists the project once instead of one request per name when many names are asked', async () => {
    sim.admin.resetRequests();
    const names = Array.from({ length: 90 }, (_, i) => `vm-${String(i + 1).padStart(4, '0')}`);
    const found = await findServersByName(session, names);
    expect([...found.values()].filter((g) => g.length === 1)).toHaveLength(12);
    expect(sim.requestCounts()['compute.servers.detail']).toBe(1);
    expect(sim.admin.requests('compute.servers.detail')[0]?.query).toEqual([]);
  });

  it('lists only the token project unless all_tenants is asked for', async () => {
    expect((await listServers(session, { name: 'other' })).map((s) => s.name)).toEqual([]);
    expect((await listServers(session, { name: 'other', allTenants: true })).map((s) => s.name)).toEqual([
      'other-project',
    ]);
  });

  it('paginates /servers/detail with limit=1 following servers_links', async () => {
    sim.admin.resetRequests();
    const all = await listServers(session, { pageSize: 1, name: '^vm-000[1-3]$' });
    expect(all.map((s) => s.name)).toEqual(['vm-0003', 'vm-0002', 'vm-0001']);
    expect(sim.requestCounts()['compute.servers.detail']).toBe(4);
  });

  it('lists the short form with /servers', async () => {
    const [server] = await listServers(session, { detail: false, name: '^vm-0001$' });
    expect(Object.keys(server ?? {}).sort()).toEqual(['id', 'links', 'name']);
  });
});
