// The OpenStack client against both targets, same assertions: the simulator must behave like
// the real Keystone 22 / Neutron 21 / Nova 26 (Debian bookworm) on everything the client uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenStackHttpError, SubnetNotFoundError } from '../../../src/openstack/errors.js';
import {
  findServersByName,
  getServer,
  getServers,
  listServers,
} from '../../../src/openstack/compute/v2/servers.js';
import { getPort, listPorts } from '../../../src/openstack/networking/v2/ports.js';
import { findSubnetByName } from '../../../src/openstack/networking/v2/subnets.js';
import { TokenCache } from '../../../src/openstack/identity/v3/token-cache.js';
import { OpenStackSession } from '../../../src/openstack/session.js';
import { openTarget, TARGETS, type OpenStackTarget } from '../../support/openstack-target.js';
import { BAIT_SERVERS, MAC, OTHER_SUBNET, OTHER_USER, PORT, SPARE_PORT, SUBNET, VM } from '../fixture.js';

const UNKNOWN_UUID = '0e0e0e0e-0000-4000-8000-000000000000';

async function rejection(promise: Promise<unknown>): Promise<OpenStackHttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenStackHttpError);
  return error as OpenStackHttpError;
}

describe.each(TARGETS)('OpenStack client contract: %s', (targetName) => {
  let target: OpenStackTarget;
  let session: OpenStackSession;
  const sessions: OpenStackSession[] = [];
  const newSession = (userId?: string): OpenStackSession => {
    const s = new OpenStackSession({ credentials: target.credentials(userId), tokenCache: new TokenCache() });
    sessions.push(s);
    return s;
  };
  const server = (n: number): string => target.id('servers', VM(n));
  const port = (v: number, k: number): string => target.id('ports', PORT(v, k));

  beforeAll(async () => {
    target = await openTarget(targetName);
    session = newSession();
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await target?.close();
  });

  it('issues a project-scoped token whose catalog names every service', async () => {
    const token = await session.token();
    expect(token.id).not.toBe('');
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 30 * 60_000);
    const types = token.catalog.map((s) => s.type).sort();
    expect(types).toEqual(expect.arrayContaining(['compute', 'identity', 'image', 'network', 'placement']));
    expect(await session.endpoint('network')).toMatch(/\/v2\.0$/);
    expect(await session.endpoint('compute')).toMatch(/\/v2\.1(\/[0-9a-f]+)?$/);
  });

  it('serves Keystone version documents at the auth URL root and at /v3', async () => {
    const root = await fetch(target.identityRoot, { headers: { accept: 'application/json' } });
    expect(root.status).toBe(300);
    const versions = (await root.json()) as {
      versions: {
        values: Array<{ id: string; status: string; links: Array<{ rel: string; href: string }> }>;
      };
    };
    const v3 = versions.versions.values.find((v) => v.id.startsWith('v3'));
    expect(v3?.status).toBe('stable');
    expect(v3?.links.find((l) => l.rel === 'self')?.href).toMatch(/\/v3\/$/);

    const one = await fetch(`${target.identityRoot}/v3`, { headers: { accept: 'application/json' } });
    expect(one.status).toBe(200);
    const version = (await one.json()) as { version: { id: string; status: string } };
    expect(version.version.id).toMatch(/^v3\.\d+$/);
    expect(version.version.status).toBe('stable');
  });

  it('gets servers by id and reports unknown ids as missing', async () => {
    const result = await getServers(session, [server(1), server(3), UNKNOWN_UUID]);
    expect(result.servers.map((s) => s.name)).toEqual(['vm-0001', 'vm-0003']);
    expect(result.servers[0]?.metadata).toEqual({ 'k8s-node-name': 'node-0001' });
    expect(result.missing).toEqual([UNKNOWN_UUID]);
  });

  it.each(['per-name', 'list'] as const)(
    'finds servers by exact name (%s), regex metacharacters included',
    async (lookup) => {
      const one = await findServersByName(session, ['vm-0001'], { lookup });
      expect(one.get('vm-0001')?.map((s) => s.id)).toEqual([server(1)]);

      const names = ['vm-0001', 'vm-0002', 'vm-0003', 'vm.1', 'a+b', 'no-such-vm'];
      const many = await findServersByName(session, names, { lookup });
      const ids = Object.fromEntries(
        [...many].map(([name, servers]) => [name, servers.map((s) => s.id).sort()]),
      );
      const bait = (name: string): string =>
        target.id('servers', BAIT_SERVERS.find((b) => b.name === name)?.id ?? '');
      expect(ids).toEqual({
        'vm-0001': [server(1)],
        'vm-0002': [server(2)],
        'vm-0003': [server(3)],
        'vm.1': [bait('vm.1')],
        'a+b': [bait('a+b')],
        'no-such-vm': [],
      });
    },
  );

  it('pages through Nova servers with limit and marker', async () => {
    const all = await listServers(session);
    expect(all).toHaveLength(8);
    const paged = await listServers(session, { pageSize: 3 });
    expect(paged.map((s) => s.id)).toEqual(all.map((s) => s.id));

    const first = await session.request('compute', {
      operation: 'servers.detail',
      path: '/servers/detail',
      query: [['limit', '3']],
    });
    const body = first.body as { servers: unknown[]; servers_links?: Array<{ rel: string; href: string }> };
    expect(body.servers).toHaveLength(3);
    const next = body.servers_links?.find((l) => l.rel === 'next')?.href ?? '';
    expect(new URL(next).searchParams.get('limit')).toBe('3');
    expect(new URL(next).searchParams.get('marker')).toBe((body.servers[2] as { id: string }).id);
  });

  it('pages through Neutron ports with limit and marker, with next and previous links', async () => {
    const all = await listPorts(session);
    expect(all).toHaveLength(10);
    const paged = await listPorts(session, { pageSize: 4 });
    expect(paged.map((p) => p.id).sort()).toEqual(all.map((p) => p.id).sort());

    const first = await session.request('network', {
      operation: 'ports.list',
      path: '/ports',
      query: [['limit', '4']],
    });
    const body = first.body as {
      ports: Array<{ id: string }>;
      ports_links?: Array<{ rel: string; href: string }>;
    };
    expect(body.ports).toHaveLength(4);
    expect(body.ports_links?.map((l) => l.rel).sort()).toEqual(['next', 'previous']);
    const next = new URL(body.ports_links?.find((l) => l.rel === 'next')?.href ?? '');
    expect(next.searchParams.get('marker')).toBe(body.ports[3]?.id);
    expect(next.searchParams.get('limit')).toBe('4');
  });

  it('lists the ports of many devices in bounded chunks', async () => {
    const decoys = Array.from(
      { length: 300 },
      (_, i) => `0f${String(i).padStart(6, '0')}-0000-4000-8000-000000000000`,
    );
    const ports = await listPorts(session, {
      deviceIds: [...decoys.slice(0, 150), server(1), server(2), server(3), ...decoys.slice(150)],
    });
    expect(ports.map((p) => p.id).sort()).toEqual(
      [1, 2, 3].flatMap((v) => [0, 1, 2].map((k) => port(v, k))).sort(),
    );
    const byMac = Object.fromEntries(ports.map((p) => [p.mac_address, target.fixtureId('ports', p.id)]));
    expect(byMac[MAC(2, 1)]).toBe(PORT(2, 1));
  });

  it('returns only the requested fields', async () => {
    const ports = await listPorts(session, { fields: ['mac_address', 'status'] });
    expect(ports).toHaveLength(10);
    for (const p of ports) expect(Object.keys(p).sort()).toEqual(['id', 'mac_address', 'status']);
    const spare = ports.find((p) => p.id === target.id('ports', SPARE_PORT));
    expect(spare?.status).toBe('DOWN');
    expect(ports.filter((p) => p.status === 'ACTIVE')).toHaveLength(9);
  });

  it('finds a subnet by name within the project when another project has one of that name', async () => {
    const mine = await findSubnetByName(session, 'data-1-subnet');
    expect(mine.id).toBe(target.id('subnets', SUBNET(1)));
    expect(mine.cidr).toBe('10.1.0.0/16');
    const theirs = await findSubnetByName(newSession(OTHER_USER), 'data-1-subnet');
    expect(theirs.id).toBe(target.id('subnets', OTHER_SUBNET));
    await expect(findSubnetByName(session, 'no-such-subnet')).rejects.toBeInstanceOf(SubnetNotFoundError);
  });

  it('re-authenticates exactly once when the token is revoked', async () => {
    const s = newSession();
    await listPorts(s, { fields: ['id'] });
    expect(s.issuedTokens).toBe(1);
    await target.expireTokens();
    const ports = await listPorts(s, { deviceIds: [server(1)] });
    expect(ports).toHaveLength(3);
    expect(s.issuedTokens).toBe(2);
    await getServer(s, server(2));
    expect(s.issuedTokens).toBe(2);
  });

  it("answers unknown resources with 404 and bad filters with 400, in each API's error shape", async () => {
    const noServer = await rejection(getServer(session, UNKNOWN_UUID));
    expect(noServer.actual).toBe(404);
    expect(JSON.parse(noServer.body)).toMatchObject({ itemNotFound: { code: 404 } });

    const noPort = await rejection(getPort(session, UNKNOWN_UUID));
    expect(noPort.actual).toBe(404);
    expect(JSON.parse(noPort.body)).toMatchObject({ NeutronError: { type: 'PortNotFound' } });

    const badFilter = await rejection(
      session.request('network', { operation: 'ports.list', path: '/ports', query: [['device_idx', 'x']] }),
    );
    expect(badFilter.actual).toBe(400);
    const neutronError = (JSON.parse(badFilter.body) as { NeutronError: { type: string; message: string } })
      .NeutronError;
    expect(neutronError.type).toBe('HTTPBadRequest');
    expect(neutronError.message).toContain("['device_idx'] is invalid attribute for filtering");

    const badRegex = await rejection(listServers(session, { name: '^(vm' }));
    expect(badRegex.actual).toBe(400);
    expect(JSON.parse(badRegex.body)).toMatchObject({ badRequest: { code: 400 } });
    expect((JSON.parse(badRegex.body) as { badRequest: { message: string } }).badRequest.message).toContain(
      'Invalid input for query parameters name',
    );
  });

  it('refuses a Neutron request line above 8 KiB with 414 and accepts one just below', async () => {
    const ids = (n: number): Array<readonly [string, string]> =>
      Array.from(
        { length: n },
        (_, i) => ['device_id', `0f${String(i).padStart(6, '0')}-0000-4000-8000-000000000000`] as const,
      );
    const ok = await session.request('network', { operation: 'ports.list', path: '/ports', query: ids(160) });
    expect((ok.body as { ports: unknown[] }).ports).toEqual([]);
    const tooLong = await rejection(
      session.request('network', { operation: 'ports.list', path: '/ports', query: ids(200) }),
    );
    expect(tooLong.actual).toBe(414);
  });
});
