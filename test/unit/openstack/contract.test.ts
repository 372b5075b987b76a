// Contract tests: the client's requests have the shapes of the spec's examples
// (examples/openstack/README.md: method, path, query as a multiset, headers, body), and the
// simulator answers them with the example documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPorts } from '../../../src/openstack/networking/v2/ports.js';
import { findSubnetByName, getSubnet, listSubnets } from '../../../src/openstack/networking/v2/subnets.js';
import { getNetwork, listNetworks } from '../../../src/openstack/networking/v2/networks.js';
import { getServer, listServers } from '../../../src/openstack/compute/v2/servers.js';
import type { OpenStackSession } from '../../../src/openstack/session.js';
import type { RequestRecord } from '../../../src/openstack/simulator/state.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';
import { testSession } from './helpers.js';
import {
  SPEC_PROJECT_ID,
  SPEC_SUBNET_A,
  SPEC_VM_1,
  SPEC_VM_2,
  specDocument,
  specWorld,
} from './fixtures/spec-world.js';

const sortedQuery = (query: Array<[string, string]>): string[] => query.map(([k, v]) => `${k}=${v}`).sort();
const withoutLinks = (value: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'links'));

describe('request and response contract (spec examples)', () => {
  let sim: OpenStackSim;
  let session: OpenStackSession;
  let token = '';
  const last = (route: string): RequestRecord => {
    const all = sim.admin.requests(route);
    const record = all[all.length - 1];
    if (record === undefined) throw new Error(`no ${route} request recorded`);
    return record;
  };
  const raw = async (path: string): Promise<unknown> => {
    const res = await fetch(`${sim.url}${path}`, { headers: { 'x-auth-token': token } });
    expect(res.status).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    sim = await startOpenStackSim({ fixture: specWorld() });
    session = testSession(sim, {
      credentials: {
        ...sim.credentials,
        username: 'admin',
        userDomainName: 'Default',
        projectId: SPEC_PROJECT_ID,
      },
    });
    token = (await session.token()).id;
  });
  afterAll(async () => {
    await session.close();
    await sim.stop();
  });

  it('POST /v3/auth/tokens: JSON body equal to keystone-auth-request.json', () => {
    const request = last('identity.tokens.issue');
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/identity/v3/auth/tokens');
    expect(request.query).toEqual([]);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['accept']).toBe('application/json');
    expect(request.headers['x-auth-token']).toBeUndefined();
    expect(request.body).toEqual(specDocument('keystone-auth-request.json'));
  });

  it('token response: same top-level shape as keystone-token-response.json', async () => {
    const res = await fetch(`${sim.authUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(specDocument('keystone-auth-request.json')),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-subject-token')).toMatch(/^gAAAAAB/);
    const body = (await res.json()) as { token: Record<string, unknown> };
    const example = specDocument<{ token: Record<string, unknown> }>('keystone-token-response.json');
    expect(Object.keys(body.token).sort()).toEqual(Object.keys(example.token).sort());
    expect(body.token['project']).toEqual(example.token['project']);
    expect(body.token['user']).toEqual(example.token['user']);
  });

  it('GET ports?device_id=…&device_id=…&project_id=…: query multiset and response = neutron-ports-list.json', async () => {
    await listPorts(session, { deviceIds: [SPEC_VM_1, SPEC_VM_2], projectId: SPEC_PROJECT_ID });
    const request = last('network.ports.list');
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/network/v2.0/ports');
    expect(sortedQuery(request.query)).toEqual(
      sortedQuery([
        ['device_id', SPEC_VM_1],
        ['device_id', SPEC_VM_2],
        ['project_id', SPEC_PROJECT_ID],
      ]),
    );
    expect(request.headers['x-auth-token']).toBe(token);
    expect(request.body).toBeUndefined();
    expect(
      await raw(
        `/network/v2.0/ports?device_id=${SPEC_VM_1}&device_id=${SPEC_VM_2}&project_id=${SPEC_PROJECT_ID}`,
      ),
    ).toEqual(specDocument('neutron-ports-list.json'));
  });

  it('GET ports?mac_address=…: response = neutron-ports-by-mac.json', async () => {
    await listPorts(session, { macAddress: 'fa:16:3e:4a:10:01' });
    expect(last('network.ports.list').query).toEqual([['mac_address', 'fa:16:3e:4a:10:01']]);
    expect(await raw('/network/v2.0/ports?mac_address=fa:16:3e:4a:10:01')).toEqual(
      specDocument('neutron-ports-by-mac.json'),
    );
  });

  it('GET subnets/{id}: path and response = neutron-subnet-show.json', async () => {
    await getSubnet(session, SPEC_SUBNET_A);
    expect(last('network.subnets.get').path).toBe(`/network/v2.0/subnets/${SPEC_SUBNET_A}`);
    expect(await raw(`/network/v2.0/subnets/${SPEC_SUBNET_A}`)).toEqual(
      specDocument('neutron-subnet-show.json'),
    );
  });

  it('GET subnets?name=…&project_id=…: query multiset and response = neutron-subnets-list-by-name.json', async () => {
    await findSubnetByName(session, 'multinic-data-a', { projectId: SPEC_PROJECT_ID });
    expect(sortedQuery(last('network.subnets.list').query)).toEqual([
      'name=multinic-data-a',
      `project_id=${SPEC_PROJECT_ID}`,
    ]);
    expect(await raw(`/network/v2.0/subnets?name=multinic-data-a&project_id=${SPEC_PROJECT_ID}`)).toEqual(
      specDocument('neutron-subnets-list-by-name.json'),
    );
  });

  it('GET subnets?network_id=…: response = neutron-subnets-list-by-network.json', async () => {
    await listSubnets(session, { networkId: '5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95' });
    expect(last('network.subnets.list').query).toEqual([
      ['network_id', '5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95'],
    ]);
    expect(await raw('/network/v2.0/subnets?network_id=5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95')).toEqual(
      specDocument('neutron-subnets-list-by-network.json'),
    );
  });

  it('GET networks/{id} and networks: responses = neutron-network-show.json / neutron-networks-list.json', async () => {
    await getNetwork(session, '5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95');
    expect(last('network.networks.get').path).toBe(
      '/network/v2.0/networks/5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95',
    );
    await listNetworks(session);
    expect(last('network.networks.list').query).toEqual([]);
    expect(await raw('/network/v2.0/networks/5e7a9c1e-3f5b-4d7f-9a1b-2c3d4e5f6a95')).toEqual(
      specDocument('neutron-network-show.json'),
    );
    expect(await raw('/network/v2.0/networks')).toEqual(specDocument('neutron-networks-list.json'));
  });

  it('GET {nova}/servers/{id}: path under the catalog /v2.1 and response = nova-server-show.json', async () => {
    await getServer(session, SPEC_VM_1);
    const request = last('compute.servers.get');
    expect(request.path).toBe(`/compute/v2.1/servers/${SPEC_VM_1}`);
    expect(request.headers['x-auth-token']).toBe(token);
    const body = (await raw(`/compute/v2.1/servers/${SPEC_VM_1}`)) as { server: Record<string, unknown> };
    const example = specDocument<{ server: Record<string, unknown> }>('nova-server-show.json');
    expect(withoutLinks(body.server)).toEqual(withoutLinks(example.server));
    expect(body.server['links']).toEqual([
      { rel: 'self', href: `${sim.url}/compute/v2.1/servers/${SPEC_VM_1}` },
      { rel: 'bookmark', href: `${sim.url}/compute/servers/${SPEC_VM_1}` },
    ]);
  });

  it('GET {nova}/servers/detail: no query, the servers of nova-servers-detail.json', async () => {
    await listServers(session);
    const request = last('compute.servers.detail');
    expect(request.path).toBe('/compute/v2.1/servers/detail');
    expect(request.query).toEqual([]);
    const body = (await raw('/compute/v2.1/servers/detail')) as { servers: Array<Record<string, unknown>> };
    const example = specDocument<{ servers: Array<Record<string, unknown>> }>('nova-servers-detail.json');
    const byId = (list: Array<Record<string, unknown>>): Record<string, unknown> =>
      Object.fromEntries(list.map((s) => [String(s['id']), withoutLinks(s)]));
    expect(byId(body.servers)).toEqual(byId(example.servers));
  });

  it('every Neutron/Nova request carried the token and JSON Accept header', () => {
    const calls = sim.admin
      .requests()
      .filter((r) => r.route.startsWith('network.') || r.route.startsWith('compute.'));
    expect(calls.length).toBeGreaterThan(5);
    for (const call of calls.filter((c) => c.headers['user-agent'] === 'multinic')) {
      expect(call.headers['x-auth-token']).toBe(token);
      expect(call.headers['accept']).toBe('application/json');
    }
  });
});
