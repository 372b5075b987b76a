// The simulator behaves like the real Keystone 22 / Neutron 21 / Nova 26 (on MariaDB) where a
// client can tell the difference: version documents, Nova's name filter, Neutron's links, the
// request-line limit, token details, port status and keystonemiddleware's token cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixture, sequentialId } from '../../../../src/openstack/simulator/fixture.js';
import { novaNameFilter, pythonRepr, pythonUrlencode } from '../../../../src/openstack/simulator/server.js';
import { passwordAuthRequest } from '../../../../src/openstack/identity/v3/tokens.js';
import { startOpenStackSim } from '../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../support/openstack-sim.js';

const VM = (n: number): string => sequentialId('5e', n);
const NET = (n: number): string => sequentialId('4e', n);

describe('python-compatible text', () => {
  it('urlencodes like urllib (quote_plus, repeated keys kept)', () => {
    expect(
      pythonUrlencode([
        ['device_id', 'a b'],
        ['device_id', 'c/d'],
        ['fixed_ips', 'subnet_id=x:y'],
        ['name', 'vm~1*é'],
      ]),
    ).toBe('device_id=a+b&device_id=c%2Fd&fixed_ips=subnet_id%3Dx%3Ay&name=vm~1%2A%C3%A9');
  });

  it("repr()s strings like Python's", () => {
    expect(pythonRepr('^(vm')).toBe("'^(vm'");
    expect(pythonRepr("it's")).toBe('"it\'s"');
    expect(pythonRepr('a\\b')).toBe("'a\\\\b'");
  });
});

describe("Nova's name filter on MariaDB", () => {
  const names = ['vm-0001', 'vm-0002', 'VM-0003', 'a|b', 'vm.1', 'vmx1'];
  const match = (pattern: string): string[] | string => {
    const filter = novaNameFilter(pattern);
    return typeof filter === 'string' ? filter : names.filter(filter);
  };

  it.each([
    ['^(vm-0001|vm-0002)$', []],
    ['^(vm-0001)$', ['vm-0001']],
    ['vm-000[12]$', ['vm-0001', 'vm-0002']],
    ['vm-0003', ['VM-0003']],
    ['a|b', ['a|b']],
    ['^vm.1$', ['vm.1', 'vmx1']],
    ['^vm\\.1$', ['vm.1']],
    ['0', ['vm-0001', 'vm-0002', 'VM-0003']],
  ])('%s matches %j (| is escaped, case is ignored, the match is a search)', (pattern, expected) => {
    expect(match(pattern)).toEqual(expected);
  });

  it("rejects an invalid regular expression with Nova's message", () => {
    expect(match('^(vm')).toBe(
      "Invalid input for query parameters name. Value: ^(vm. '^(vm' is not a 'regex'",
    );
  });
});

describe('simulator against the real services’ behaviour', () => {
  let sim: OpenStackSim;
  let token = '';
  const authBody = (): string => JSON.stringify(passwordAuthRequest(sim.credentials));
  const issue = async (): Promise<Response> =>
    fetch(`${sim.authUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: authBody(),
    });
  const newToken = async (): Promise<string> => (await issue()).headers.get('x-subject-token') ?? '';
  const get = (path: string, auth = token): Promise<Response> =>
    fetch(`${sim.url}${path}`, { headers: { 'x-auth-token': auth } });
  const json = async <T>(path: string, auth = token): Promise<T> => {
    const res = await get(path, auth);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    sim = await startOpenStackSim({
      fixture: generateFixture({ vms: 5, portsPerVm: 2 }),
      now: () => Date.parse('2026-01-12T03:00:00.789Z'),
    });
    token = await newToken();
  });
  afterAll(() => sim.stop());

  describe('Keystone version discovery', () => {
    it('answers the auth URL with 300 and the version list, /v3 with 200 and the version', async () => {
      for (const root of [sim.authUrl, sim.url]) {
        const versions = await fetch(root, { redirect: 'manual' });
        expect(versions.status).toBe(300);
        expect(versions.headers.get('location')).toBe(`${root}/v3/`);
        const v3 = {
          id: 'v3.14',
          status: 'stable',
          updated: '2020-04-07T00:00:00Z',
          links: [{ rel: 'self', href: `${root}/v3/` }],
          'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
        };
        expect(await versions.json()).toEqual({ versions: { values: [v3] } });
        const version = await fetch(`${root}/v3`);
        expect(version.status).toBe(200);
        expect(await version.json()).toEqual({ version: v3 });
      }
    });

    it('serves the Neutron and Nova version documents without a token', async () => {
      const neutron = await fetch(`${sim.url}/network`);
      expect(await neutron.json()).toEqual({
        versions: [
          { id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${sim.url}/network/v2.0/` }] },
        ],
      });
      const nova = (await (await fetch(`${sim.url}/compute/v2.1`)).json()) as {
        version: { id: string; min_version: string; version: string; links: Array<{ href: string }> };
      };
      expect(nova.version).toMatchObject({ id: 'v2.1', min_version: '2.1', version: '2.93' });
      expect(nova.version.links[0]?.href).toBe(`${sim.url}/compute/v2.1/`);
      const novaRoot = (await (await fetch(`${sim.url}/compute`)).json()) as {
        versions: Array<{ id: string }>;
      };
      expect(novaRoot.versions.map((v) => v.id)).toEqual(['v2.0', 'v2.1']);
    });
  });

  it('serves the image list and flavors the openstack CLI looks server names up in', async () => {
    const glance = await fetch(`${sim.url}/image`);
    expect(glance.status).toBe(300);
    const versions = (await glance.json()) as { versions: Array<{ id: string; status: string }> };
    expect(versions.versions[0]).toEqual({
      id: 'v2.15',
      status: 'CURRENT',
      links: [{ rel: 'self', href: `${sim.url}/image/v2/` }],
    });
    const images = await json<{ images: Array<{ name: string }> }>('/image/v2/images');
    expect(images.images.map((i) => i.name)).toEqual(['tiny']);
    const flavors = await json<{ flavors: Array<{ name: string }> }>('/compute/v2.1/flavors/detail');
    expect(flavors.flavors.map((f) => f.name)).toEqual(['m1.tiny']);
    expect((await get('/image/v2/images', 'bogus')).status).toBe(401);
  });

  describe('tokens', () => {
    it('are created with 201, whole-second timestamps, reader+member roles', async () => {
      const res = await issue();
      expect(res.status).toBe(201);
      const body = (await res.json()) as {
        token: { issued_at: string; expires_at: string; roles: Array<{ name: string }> };
      };
      expect(body.token.issued_at).toBe('2026-01-12T03:00:00.000000Z');
      expect(body.token.expires_at).toBe('2026-01-12T04:00:00.000000Z');
      expect(body.token.roles.map((r) => r.name)).toEqual(['reader', 'member']);
    });

    it('carry a catalog with image and placement whose order changes from token to token', async () => {
      const orders = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const body = (await (await issue()).json()) as { token: { catalog: Array<{ type: string }> } };
        const types = body.token.catalog.map((s) => s.type);
        expect([...types].sort()).toEqual(['compute', 'identity', 'image', 'network', 'placement']);
        orders.add(types.join(','));
      }
      expect(orders.size).toBeGreaterThan(1);
    });
  });

  describe('Nova servers', () => {
    it('finds nothing for an alternation of names, and each name alone', async () => {
      const list = (name: string): Promise<{ servers: Array<{ name: string }> }> =>
        json(`/compute/v2.1/servers/detail?name=${encodeURIComponent(name)}`);
      expect((await list('^(vm-0001|vm-0002)$')).servers).toEqual([]);
      expect((await list('^(vm-0001)$')).servers.map((s) => s.name)).toEqual(['vm-0001']);
      expect((await list('^VM-0002$')).servers.map((s) => s.name)).toEqual(['vm-0002']);
    });

    it("answers an invalid name pattern with Nova's 400", async () => {
      const res = await get(`/compute/v2.1/servers?name=${encodeURIComponent('^(vm')}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        badRequest: {
          code: 400,
          message: "Invalid input for query parameters name. Value: ^(vm. '^(vm' is not a 'regex'",
        },
      });
    });

    it('links the next page with the parameters sorted and the marker replaced; limit=0 is an empty page', async () => {
      const page = await json<{ servers: Array<{ id: string }>; servers_links: Array<{ href: string }> }>(
        '/compute/v2.1/servers/detail?name=vm&limit=2',
      );
      expect(page.servers.map((s) => s.id)).toEqual([VM(5), VM(4)]);
      expect(page.servers_links).toEqual([
        { rel: 'next', href: `${sim.url}/compute/v2.1/servers/detail?limit=2&name=vm&marker=${VM(4)}` },
      ]);
      const none = await json<{ servers: unknown[]; servers_links?: unknown }>(
        '/compute/v2.1/servers?limit=0',
      );
      expect(none.servers).toEqual([]);
      expect(none.servers_links).toBeUndefined();
    });
  });

  describe('Neutron ports', () => {
    type Page = { ports: Array<{ id: string }>; ports_links?: Array<{ rel: string; href: string }> };
    const ports = (n: number): string => sequentialId('90', n);
    const self = (): string => `${sim.url}/network/v2.0/ports`;

    it('links every limited page back with previous (even the first) and forward with next', async () => {
      const first = await json<Page>(`/network/v2.0/ports?device_id=${VM(1)}&device_id=${VM(2)}&limit=2`);
      expect(first.ports.map((p) => p.id)).toEqual([ports(1), ports(2)]);
      const query = `device_id=${VM(1)}&device_id=${VM(2)}&limit=2`;
      expect(first.ports_links).toEqual([
        { rel: 'next', href: `${self()}?${query}&marker=${ports(2)}` },
        { rel: 'previous', href: `${self()}?${query}&marker=${ports(1)}&page_reverse=True` },
      ]);
      const second = await json<Page>(
        `/network/v2.0/ports?device_id=${VM(1)}&device_id=${VM(2)}&limit=2&marker=${ports(2)}`,
      );
      expect(second.ports.map((p) => p.id)).toEqual([ports(3), ports(4)]);
      const last = await json<Page>(
        `/network/v2.0/ports?device_id=${VM(1)}&device_id=${VM(2)}&limit=2&marker=${ports(4)}`,
      );
      expect(last.ports).toEqual([]);
      // An empty forward page: no next, and a previous without a marker.
      expect(last.ports_links).toEqual([{ rel: 'previous', href: `${self()}?${query}&page_reverse=True` }]);
    });

    it('pages backwards with page_reverse, returning items in ascending order', async () => {
      const back = await json<Page>(`/network/v2.0/ports?limit=2&marker=${ports(5)}&page_reverse=True`);
      expect(back.ports.map((p) => p.id)).toEqual([ports(3), ports(4)]);
      expect(back.ports_links).toEqual([
        { rel: 'next', href: `${self()}?limit=2&marker=${ports(4)}` },
        { rel: 'previous', href: `${self()}?limit=2&marker=${ports(3)}&page_reverse=True` },
      ]);
    });

    it('has no links without a limit or with limit=0', async () => {
      expect((await json<Page>('/network/v2.0/ports')).ports_links).toBeUndefined();
      const all = await json<Page>('/network/v2.0/ports?limit=0');
      expect(all.ports).toHaveLength(10);
      expect(all.ports_links).toBeUndefined();
    });

    it('names every invalid filter the way Neutron prints a Python list', async () => {
      const res = await get('/network/v2.0/ports?device_idx=1&colour=red&device_idx=2');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        NeutronError: {
          type: 'HTTPBadRequest',
          message: "['device_idx', 'colour'] is invalid attribute for filtering",
          detail: '',
        },
      });
    });

    it('carries the attributes real ports have besides those the client reads', async () => {
      const port = (await json<{ port: Record<string, unknown> }>(`/network/v2.0/ports/${ports(1)}`)).port;
      expect(port).toMatchObject({
        security_groups: [expect.any(String)],
        'binding:vnic_type': 'normal',
        port_security_enabled: true,
        revision_number: expect.any(Number),
        tags: [],
        allowed_address_pairs: [],
      });
    });

    it('leaves a port created with a device DOWN unless a status is set', async () => {
      const down = sim.admin.addPort({ network_id: NET(2), device_id: VM(3) });
      const active = sim.admin.addPort({ network_id: NET(2), device_id: VM(3), status: 'ACTIVE' });
      const listed = await json<{ ports: Array<{ id: string; status: string }> }>(
        `/network/v2.0/ports?device_id=${VM(3)}&fields=id&fields=status`,
      );
      expect(listed.ports).toContainEqual({ id: down.id, status: 'DOWN' });
      expect(listed.ports).toContainEqual({ id: active.id, status: 'ACTIVE' });
      sim.admin.removePort(down.id);
      sim.admin.removePort(active.id);
    });
  });

  describe('request line limit (eventlet: 8192 bytes)', () => {
    const deviceQuery = (n: number): string =>
      Array.from({ length: n }, (_, i) => `device_id=${sequentialId('dd', i + 1)}`).join('&');

    it('lets 170 device ids through and answers 414 with an empty body for 200', async () => {
      expect((await get(`/network/v2.0/ports?${deviceQuery(170)}`)).status).toBe(200);
      const res = await get(`/network/v2.0/ports?${deviceQuery(200)}`);
      expect(res.status).toBe(414);
      expect(res.statusText).toBe('Request URI Too Long');
      expect(await res.text()).toBe('');
      expect(sim.requestCounts()['network.request-line-too-long']).toBe(1);
    });

    it('cuts at exactly 8192 bytes including the CRLF', async () => {
      const prefix = '/network/v2.0/ports?name=';
      const fill = (total: number): string => 'x'.repeat(total - `GET ${prefix} HTTP/1.1\r\n`.length);
      expect((await get(`${prefix}${fill(8191)}`)).status).toBe(200);
      expect((await get(`${prefix}${fill(8192)}`)).status).toBe(414);
      expect((await get(`/compute/v2.1/servers?name=${fill(8200)}`)).status).toBe(414);
    });
  });

  describe('token validation cached per service like keystonemiddleware (300 s)', () => {
    it('a revoked token keeps working where it was validated, until the cache entry ages out', async () => {
      const fresh = await newToken();
      expect((await get('/network/v2.0/networks', fresh)).status).toBe(200);
      sim.admin.revokeTokens();
      expect((await get('/network/v2.0/networks', fresh)).status).toBe(200);
      // Nova never validated it: Keystone says revoked.
      const nova = await get(`/compute/v2.1/servers/${VM(1)}`, fresh);
      expect(nova.status).toBe(401);
      expect(nova.headers.get('www-authenticate')).toBe(`Keystone uri="${sim.authUrl}"`);
      sim.admin.advanceClock(299_000);
      expect((await get('/network/v2.0/networks', fresh)).status).toBe(200);
      sim.admin.advanceClock(1_000);
      expect((await get('/network/v2.0/networks', fresh)).status).toBe(401);
    });

    it('a token past its expiry is rejected even while cached', async () => {
      const fresh = await newToken();
      expect((await get('/network/v2.0/networks', fresh)).status).toBe(200);
      sim.admin.advanceClock(3_600_000);
      expect((await get('/network/v2.0/networks', fresh)).status).toBe(401);
      token = await newToken();
    });
  });
});
