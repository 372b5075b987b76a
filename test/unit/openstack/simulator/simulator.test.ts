import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixture, parseFixture, sequentialId } from '../../../../src/openstack/simulator/fixture.js';
import { FaultInjector, routeMatches, seededRandom } from '../../../../src/openstack/simulator/faults.js';
import { passwordAuthRequest } from '../../../../src/openstack/identity/v3/tokens.js';
import { run } from '../../../../src/cli/commands/openstack-sim.js';
import { startOpenStackSim } from '../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../support/openstack-sim.js';

describe('fixture', () => {
  it('generates N VMs × M ports with deterministic ids, MACs and addresses', () => {
    const fixture = generateFixture({ vms: 2, portsPerVm: 3 });
    expect(fixture.servers?.map((s) => [s.id, s['name']])).toEqual([
      [sequentialId('5e', 1), 'vm-0001'],
      [sequentialId('5e', 2), 'vm-0002'],
    ]);
    expect(fixture.ports?.map((p) => p['mac_address'])).toEqual([
      'fa:16:3e:00:00:01',
      'fa:16:3e:00:00:02',
      'fa:16:3e:00:00:03',
      'fa:16:3e:00:00:04',
      'fa:16:3e:00:00:05',
      'fa:16:3e:00:00:06',
    ]);
    expect(fixture.subnets?.map((s) => s['name'])).toEqual(['mgmt-subnet', 'data-1-subnet', 'data-2-subnet']);
    expect(generateFixture({ vms: 2, portsPerVm: 3 })).toEqual(fixture);
  });

  it('rejects an invalid fixture naming the path', () => {
    expect(() => parseFixture({ projects: [], users: [{ id: 'u', name: 'n' }] })).toThrow(
      /^invalid simulator fixture at users\.0\.password/,
    );
    expect(() => parseFixture({ projects: [], users: [], ports: [{ name: 'no id' }] })).toThrow(
      /at ports\.0\.id/,
    );
  });
});

describe('faults', () => {
  it('matches exact routes, prefixes and *', () => {
    expect(routeMatches('network.*', 'network.ports.list')).toBe(true);
    expect(routeMatches('network.ports.list', 'network.ports.get')).toBe(false);
    expect(routeMatches(undefined, 'x')).toBe(true);
  });

  it('applies an error rate reproducibly from the seed and expires counted rules', () => {
    const decide = (): string[] => {
      const faults = new FaultInjector(seededRandom(7));
      faults.add({ route: 'compute.*', status: 500, errorRate: 0.5 });
      faults.add({ latencyMs: 3, times: 2 });
      return Array.from({ length: 8 }, () => {
        const d = faults.decide('compute.servers.get');
        return `${d.latencyMs}:${d.action.kind}`;
      });
    };
    const first = decide();
    expect(decide()).toEqual(first);
    expect(first.slice(2).every((d) => d.startsWith('0:'))).toBe(true);
    expect(first.slice(0, 2).every((d) => d.startsWith('3:'))).toBe(true);
    expect(new Set(first.map((d) => d.split(':')[1]))).toEqual(new Set(['none', 'status']));
  });
});

describe('simulator HTTP API', () => {
  let sim: OpenStackSim;
  let token = '';
  const admin = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${sim.url}/_admin${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const get = (path: string, auth = token): Promise<Response> =>
    fetch(`${sim.url}${path}`, { headers: { 'x-auth-token': auth } });

  beforeAll(async () => {
    sim = await startOpenStackSim({ fixture: generateFixture({ vms: 3, portsPerVm: 2 }) });
    const res = await fetch(`${sim.authUrl}/v3/auth/tokens`, {
      method: 'POST',
      body: JSON.stringify(passwordAuthRequest(sim.credentials)),
    });
    token = res.headers.get('x-subject-token') ?? '';
  });
  afterAll(() => sim.stop());

  it('answers 401 like keystonemiddleware for a missing or expired token', async () => {
    const res = await get('/network/v2.0/ports', 'bogus');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Keystone uri="${sim.url}/identity"`);
    expect(await res.json()).toEqual({
      error: {
        code: 401,
        title: 'Unauthorized',
        message: 'The request you have made requires authentication.',
      },
    });
  });

  it('answers Neutron 404 and 400 bodies', async () => {
    const missing = await get('/network/v2.0/ports/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      NeutronError: { type: 'PortNotFound', message: 'Port nope could not be found.', detail: '' },
    });
    const bad = await get('/network/v2.0/ports?colour=red');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      NeutronError: {
        type: 'HTTPBadRequest',
        message: "['colour'] is invalid attribute for filtering",
        detail: '',
      },
    });
  });

  it('answers a Nova 400 for an unknown marker', async () => {
    const res = await get('/compute/v2.1/servers/detail?marker=nope');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ badRequest: { code: 400, message: 'marker [nope] not found' } });
  });

  it('adds and removes VMs and ports through the admin API, with 404/409 for impossible changes', async () => {
    const created = await admin('POST', '/servers', {
      name: 'vm-new',
      metadata: { 'k8s-node-name': 'node-new' },
    });
    expect(created.status).toBe(201);
    const server = (await created.json()) as { id: string };
    expect((await get(`/compute/v2.1/servers/${server.id}`)).status).toBe(200);
    expect((await admin('POST', '/servers', { id: server.id, name: 'again' })).status).toBe(409);

    const port = (await (await admin('POST', '/ports', { network_id: sequentialId('4e', 2) })).json()) as {
      id: string;
      mac_address: string;
    };
    expect((await admin('POST', `/ports/${port.id}/attach`, { device_id: server.id })).status).toBe(200);
    expect(
      (await admin('POST', `/ports/${port.id}/attach`, { device_id: sequentialId('5e', 1) })).status,
    ).toBe(409);
    expect(
      (await admin('POST', '/ports', { network_id: sequentialId('4e', 2), mac_address: port.mac_address }))
        .status,
    ).toBe(409);
    expect((await admin('PUT', `/ports/${port.id}/status`, { status: 'ACTIVE' })).status).toBe(200);
    const listed = (await (await get(`/network/v2.0/ports?device_id=${server.id}`)).json()) as {
      ports: Array<{ id: string; status: string }>;
    };
    expect(listed.ports).toEqual([expect.objectContaining({ id: port.id, status: 'ACTIVE' })]);
    expect((await admin('POST', `/ports/${port.id}/detach`)).status).toBe(200);
    expect((await admin('POST', '/ports/nope/detach')).status).toBe(404);
    expect((await admin('DELETE', `/servers/${server.id}`)).status).toBe(200);
    expect((await get(`/compute/v2.1/servers/${server.id}`)).status).toBe(404);
  });

  it('sets faults and counts requests per route through the admin API', async () => {
    await admin('DELETE', '/requests');
    expect(
      (await admin('PUT', '/faults', [{ route: 'network.networks.list', status: 503, times: 1 }])).status,
    ).toBe(200);
    expect((await get('/network/v2.0/networks')).status).toBe(503);
    expect((await get('/network/v2.0/networks')).status).toBe(200);
    const counts = (await (await admin('GET', '/requests')).json()) as { counts: Record<string, number> };
    expect(counts.counts).toEqual({ 'network.networks.list': 2 });
  });

  it('revokes tokens through the admin API: 401 once the service cache has aged out', async () => {
    expect((await get('/network/v2.0/networks')).status).toBe(200);
    expect((await admin('POST', '/tokens/expire')).status).toBe(200);
    // Neutron validated this token moments ago and trusts its cache for 300 s.
    expect((await get('/network/v2.0/networks')).status).toBe(200);
    expect((await admin('POST', '/clock/advance', { ms: 300_000 })).status).toBe(200);
    expect((await get('/network/v2.0/networks')).status).toBe(401);
  });

  it('runs the CLI only with a fixture or a generator', async () => {
    expect(await run(['--bogus'])).toBe(2);
    expect(await run(['--generate', 'lots'])).toBe(1);
    expect(await run([])).toBe(1);
  });
});

describe('shipped fixtures', () => {
  it('spec-example.json is the spec world built from examples/openstack and examples/contrabass', async () => {
    const { readFile } = await import('node:fs/promises');
    const { specWorld } = await import('../fixtures/spec-world.js');
    const shipped = JSON.parse(
      await readFile(
        new URL('../../../../src/openstack/simulator/fixtures/spec-example.json', import.meta.url),
        'utf8',
      ),
    ) as unknown;
    expect(shipped).toEqual(specWorld());
    expect(() => parseFixture(shipped)).not.toThrow();
  });
});
