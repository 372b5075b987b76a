// The controller end to end: real kube-apiserver, real MariaDB (through a TCP proxy that can
// cut it mid-transaction), and the project's OpenStack simulator.
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../../src/api/crds.js';
import {
  MULTINIC_NODE_CONFIG,
  OPENSTACK_CONFIG,
  OPENSTACK_CONFIG_FINALIZER,
} from '../../../src/api/groups.js';
import { OpenstackConfigController } from '../../../src/controller/controller.js';
import { CONFIG_HASH_ANNOTATION } from '../../../src/controller/delivery.js';
import { startInventoryServer } from '../../../src/controller/inventory.js';
import type { InventoryServer } from '../../../src/controller/inventory.js';
import { specHash } from '../../../src/controller/plan.js';
import { createDatabase } from '../../../src/db/pool.js';
import type { Database } from '../../../src/db/pool.js';
import { createRepositories } from '../../../src/db/repositories.js';
import {
  createObject,
  deleteObject,
  getObject,
  listObjects,
  mergePatchObject,
} from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import { clientsAsSystemRole } from '../../support/role-identity.js';
import { releaseOpenstackConfigs } from '../../support/openstack-configs.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { generateFixture, sequentialId } from '../../../src/openstack/simulator/fixture.js';
import { adminClients, applyManifests, useNamespace, waitFor } from '../../support/kube.js';
import { useDatabase } from '../../support/mariadb.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';
import { createLogger } from '../../../src/observability/logger.js';
import { TcpProxy } from './tcp-proxy.js';

const VM = (n: number): string => sequentialId('5e', n);
const NET = (k: number): string => sequentialId('4e', k + 1);
const SUBNET = (k: number): string => sequentialId('5b', k + 1);
/** Port k (0 = mgmt) of VM v in the generated fixture (3 ports per VM). */
const PORT = (v: number, k: number): string => sequentialId('90', (v - 1) * 3 + k + 1);
const MAC = (v: number, k: number): string =>
  `fa:16:3e:00:00:${((v - 1) * 3 + k + 1).toString(16).padStart(2, '0')}`;

type NodeConfig = KubeObject & {
  spec: { nodeName: string; instanceId?: string; interfaces: Array<Record<string, unknown>> };
};
type Status = {
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  lastError?: string;
  summary?: Record<string, number>;
};

const ns = useNamespace('controller');
const database = useDatabase();
let sim: OpenStackSim;
let proxy: TcpProxy;
let db: Database;
let http: KubeHttp;
let controller: OpenstackConfigController;
let inventory: InventoryServer;

function config(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: OPENSTACK_CONFIG.apiVersion,
    kind: OPENSTACK_CONFIG.kind,
    metadata: { name, namespace: ns.name },
    spec: {
      subnetIDs: [SUBNET(1), SUBNET(2)],
      vmNames: [VM(1), VM(2), VM(3)],
      credentials: { secretRef: { name: 'openstack' }, k8sProviderID: 'provider-a' },
      settings: {
        openstackNodeNameMetadataKey: 'k8s-node-name',
        pollFastInterval: '1s',
        pollSlowInterval: '2s',
        pollErrorInterval: '1s',
        pollFastWindow: '10s',
      },
      delivery: { namespace: ns.name },
      ...spec,
    },
  };
}

async function nodeConfigs(): Promise<NodeConfig[]> {
  return (await listObjects<NodeConfig>(http, MULTINIC_NODE_CONFIG, { namespace: ns.name })).sort((a, b) =>
    (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1,
  );
}

async function nodeConfig(name: string): Promise<NodeConfig | undefined> {
  return getObject<NodeConfig>(http, { ...MULTINIC_NODE_CONFIG, namespace: ns.name, name });
}

async function status(name: string): Promise<Status> {
  const obj = await getObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name });
  return (obj?.['status'] ?? {}) as Status;
}

function condition(s: Status, type: string): { status: string; reason: string; message: string } | undefined {
  return s.conditions?.find((c) => c.type === type);
}

async function waitForCondition(
  name: string,
  type: string,
  statusValue: string,
  reason: string,
): Promise<Status> {
  return waitFor(
    async () => {
      const s = await status(name);
      const c = condition(s, type);
      return c?.status === statusValue && c.reason === reason ? s : undefined;
    },
    { timeout: 60_000, what: `${name} ${type}=${statusValue} ${reason}` },
  );
}

const slotsOf = (nc: NodeConfig | undefined): Record<string, unknown> =>
  Object.fromEntries((nc?.spec.interfaces ?? []).map((i) => [i['name'] as string, i['macAddress']]));

async function rows(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  return database.pool.select<Record<string, unknown>>('test.rows', sql, params as never[]);
}

beforeAll(async () => {
  await applyManifests(crdManifests() as KubernetesObject[]);
  const fixture = generateFixture({ vms: 4, portsPerVm: 3, createdAt: '2099-01-01T00:00:00Z' });
  // Two subnets called `dup-subnet` (spec: subnetName must be unique).
  for (const n of [10, 11]) {
    fixture.subnets?.push({
      id: sequentialId('5b', n),
      name: 'dup-subnet',
      network_id: NET(1),
      project_id: fixture.projects[0]?.id,
      ip_version: 4,
      cidr: `10.${n}.0.0/16`,
    });
  }
  sim = await startOpenStackSim({ fixture });
  proxy = new TcpProxy(database.config.host, database.config.port);
  await proxy.start();
  db = createDatabase(
    { ...database.config, host: '127.0.0.1', port: proxy.port },
    { maxAttempts: 3, baseBackoffMs: 50, maxBackoffMs: 200, connectTimeoutMs: 2000 },
  );
  http = new KubeHttp(adminClients().kc);
  const { core } = adminClients();
  const secret = (name: string, password: string) =>
    core.createNamespacedSecret({
      namespace: ns.name,
      body: {
        metadata: { name },
        stringData: {
          authURL: sim.authUrl,
          username: sim.credentials.username ?? '',
          password,
          projectID: sim.credentials.projectId ?? '',
          userDomainName: 'Default',
        },
      },
    });
  await secret('openstack', sim.credentials.password);
  await secret('wrong-password', 'not-the-password');
  // The controller runs with the ServiceAccount and RBAC the system gives it, never as admin.
  controller = new OpenstackConfigController({
    http: new KubeHttp((await clientsAsSystemRole('controller', { namespace: ns.name })).kc),
    db,
    repositories: createRepositories(),
    nodeConfigNamespace: ns.name,
    watchNamespace: ns.name,
    workers: 2,
    ...(process.env['MULTINIC_TEST_LOG'] !== undefined ? { logger: createLogger({ level: 'info' }) } : {}),
  });
  await controller.start();
  inventory = await startInventoryServer({
    db: database.pool,
    repositories: createRepositories(),
    port: 0,
    host: '127.0.0.1',
    triggerToken: () => 'trigger-token',
    onTrigger: (namespace, name) => controller.trigger(namespace, name),
  });
});

afterAll(async () => {
  await controller?.stop();
  // Leave nothing that blocks the namespace deletion.
  if (http !== undefined) {
    await releaseOpenstackConfigs(http, ns.name);
  }
  await inventory?.close();
  await db?.close();
  await proxy?.stop();
  await sim?.stop();
});

describe('controller: OpenstackConfig -> MariaDB -> MultiNicNodeConfigs', () => {
  it('syncs a config for 3 VMs into rows in three tables and three node configs', async () => {
    await createObject(http, config('alpha'));
    const list = await waitFor(
      async () => {
        const all = await nodeConfigs();
        return all.length === 3 ? all : undefined;
      },
      { timeout: 60_000, what: 'three MultiNicNodeConfigs' },
    );
    expect(list.map((nc) => nc.metadata.name)).toEqual(['node-0001', 'node-0002', 'node-0003']);
    expect(list[0]?.spec).toEqual({
      nodeName: 'node-0001',
      instanceId: VM(1),
      interfaces: [
        {
          id: 0,
          name: 'multinic0',
          portId: PORT(1, 1),
          macAddress: MAC(1, 1),
          address: '10.1.0.1',
          cidr: '10.1.0.0/16',
          mtu: 1450,
        },
        {
          id: 1,
          name: 'multinic1',
          portId: PORT(1, 2),
          macAddress: MAC(1, 2),
          address: '10.2.0.1',
          cidr: '10.2.0.0/16',
          mtu: 1450,
        },
      ],
    });
    expect(list[0]?.metadata.labels).toMatchObject({
      'multinic.io/node-name': 'node-0001',
      'multinic.io/instance-id': VM(1),
      'multinic.io/provider-id': 'provider-a',
    });
    const s = await waitForCondition('alpha', 'Ready', 'True', 'Synced');
    expect(condition(s, 'Degraded')).toMatchObject({ status: 'False', reason: 'Healthy' });
    expect(s.summary).toMatchObject({ nodes: 3, interfaces: 6 });

    expect(await rows('SELECT subnet_id, cidr FROM multi_subnet ORDER BY subnet_id')).toEqual([
      { subnet_id: SUBNET(1), cidr: '10.1.0.0/16' },
      { subnet_id: SUBNET(2), cidr: '10.2.0.0/16' },
    ]);
    expect(
      await rows(
        'SELECT attached_node_id, attached_node_name, provider_id FROM node_table WHERE deleted_at IS NULL ORDER BY 2',
      ),
    ).toEqual(
      [1, 2, 3].map((v) => ({
        attached_node_id: VM(v),
        attached_node_name: `node-000${v}`,
        provider_id: 'provider-a',
      })),
    );
    const interfaces = await rows(
      `SELECT port_id, interface_name, address, mtu, netplan_success FROM multi_interface
       WHERE deleted_at IS NULL AND cr_name = 'alpha' ORDER BY attached_node_name, interface_index`,
    );
    expect(interfaces).toHaveLength(6);
    expect(interfaces[0]).toEqual({
      port_id: PORT(1, 1),
      interface_name: 'multinic0',
      address: '10.1.0.1',
      mtu: 1450,
      netplan_success: 0,
    });
    expect(await rows('SELECT cr_name FROM cr_state')).toEqual([{ cr_name: 'alpha' }]);
  });

  it('an attached port appears on its node with the next free name while existing names stay', async () => {
    const before = slotsOf(await nodeConfig('node-0001'));
    sim.admin.addPort({
      network_id: NET(1),
      mac_address: 'fa:16:3e:00:00:00',
      device_id: VM(1),
      status: 'ACTIVE',
      fixed_ips: [{ subnet_id: SUBNET(1), ip_address: '10.1.0.201' }],
      id: 'a77ac4ed-0000-4000-8000-000000000001',
    });
    const nc = await waitFor(
      async () => {
        const current = await nodeConfig('node-0001');
        return current?.spec.interfaces.length === 3 ? current : undefined;
      },
      { timeout: 60_000, what: 'node-0001 with 3 interfaces' },
    );
    expect(slotsOf(nc)).toEqual({ ...before, multinic2: 'fa:16:3e:00:00:00' });
    expect(
      await rows(
        `SELECT interface_name FROM multi_interface WHERE port_id = 'a77ac4ed-0000-4000-8000-000000000001'`,
      ),
    ).toEqual([{ interface_name: 'multinic2' }]);
  });

  it('a detached port is removed from the node config and soft-deleted in the database', async () => {
    sim.admin.detachPort(PORT(1, 2));
    const nc = await waitFor(
      async () => {
        const current = await nodeConfig('node-0001');
        return current?.spec.interfaces.length === 2 ? current : undefined;
      },
      { timeout: 60_000, what: 'node-0001 without the detached port' },
    );
    expect(slotsOf(nc)).toEqual({ multinic0: MAC(1, 1), multinic2: 'fa:16:3e:00:00:00' });
    const [row] = await rows(`SELECT status, deleted_at FROM multi_interface WHERE port_id = ?`, [
      PORT(1, 2),
    ]);
    expect(row?.['status']).toBe('deleted');
    expect(row?.['deleted_at']).not.toBeNull();
  });

  it("writes the agent's results from node-config status into netplan_success", async () => {
    const nc = await nodeConfig('node-0002');
    if (nc === undefined) throw new Error('node-0002 missing');
    await mergePatchObject(
      http,
      { ...MULTINIC_NODE_CONFIG, namespace: ns.name, name: 'node-0002' },
      {
        status: {
          state: 'Configured',
          observedSpecHash: specHash(nc.spec),
          interfaceStatuses: nc.spec.interfaces.map((i, index) => ({
            name: i['name'],
            interfaceIndex: index,
            macAddress: i['macAddress'],
            status: 'Configured',
          })),
        },
      },
      { subresource: 'status' },
    );
    await waitFor(
      async () => {
        const result = await rows(
          `SELECT netplan_success FROM multi_interface WHERE attached_node_name = 'node-0002' AND deleted_at IS NULL`,
        );
        return result.length === 2 && result.every((r) => r['netplan_success'] === 1);
      },
      { timeout: 30_000, what: 'netplan_success = 1 for node-0002' },
    );
  });

  it('MariaDB killed mid-transaction: Degraded, then recovers with no duplicate or lost rows', async () => {
    const before = await rows(`SELECT id, port_id, netplan_success FROM multi_interface ORDER BY id`);
    // Prepared statements are sent once per connection; the new port's id travels with every
    // statement of the sync transaction that touches it.
    proxy.cutOn('a77ac4ed-0000-4000-8000-000000000002');
    sim.admin.addPort({
      network_id: NET(2),
      mac_address: 'fa:16:3e:00:01:00',
      device_id: VM(2),
      status: 'ACTIVE',
      fixed_ips: [{ subnet_id: SUBNET(2), ip_address: '10.2.0.202' }],
      id: 'a77ac4ed-0000-4000-8000-000000000002',
    });
    const failed = await waitForCondition('alpha', 'Ready', 'False', 'DatabaseError');
    expect(condition(failed, 'Degraded')).toMatchObject({ status: 'True', reason: 'Error' });
    expect(failed.lastError).toMatch(/database/);
    expect(proxy.cuts).toBe(1);
    // Nothing of the interrupted transaction is visible.
    expect(
      await rows(`SELECT id FROM multi_interface WHERE port_id = 'a77ac4ed-0000-4000-8000-000000000002'`),
    ).toEqual([]);
    proxy.restore();
    await waitForCondition('alpha', 'Ready', 'True', 'Synced');
    const nc = await waitFor(
      async () => {
        const current = await nodeConfig('node-0002');
        return current?.spec.interfaces.length === 3 ? current : undefined;
      },
      { timeout: 60_000, what: 'node-0002 with the new port' },
    );
    expect(slotsOf(nc)['multinic2']).toBe('fa:16:3e:00:01:00');
    const after = await rows(`SELECT id, port_id, netplan_success FROM multi_interface ORDER BY id`);
    // Same rows (same ids, agent results kept) plus exactly one new one.
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((r) => r['port_id'])).toEqual([
      'a77ac4ed-0000-4000-8000-000000000002',
    ]);
    const [dupes] = await rows(`SELECT COUNT(*) - COUNT(DISTINCT port_id) AS n FROM multi_interface`);
    expect(Number(dupes?.['n'])).toBe(0);
    expect(await waitForCondition('alpha', 'Degraded', 'False', 'Healthy')).toBeDefined();
  });

  it('bad credentials -> Ready=False KeystoneError', async () => {
    await createObject(
      http,
      config('bad-creds', { vmNames: [VM(4)], credentials: { secretRef: { name: 'wrong-password' } } }),
    );
    const s = await waitForCondition('bad-creds', 'Ready', 'False', 'KeystoneError');
    expect(condition(s, 'Degraded')?.status).toBe('True');
    const event = await waitFor(
      async () =>
        (await adminClients().core.listNamespacedEvent({ namespace: ns.name })).items.find(
          (e) => e.involvedObject.name === 'bad-creds' && e.reason === 'KeystoneError',
        ),
      { what: 'a KeystoneError Event on bad-creds' },
    );
    expect(event.type).toBe('Warning');
    expect(event.message).not.toContain('not-the-password');
  });

  it('a missing credentials Secret -> Ready=False CredentialsError', async () => {
    await createObject(
      http,
      config('no-secret', { vmNames: [VM(4)], credentials: { secretRef: { name: 'nope' } } }),
    );
    await waitForCondition('no-secret', 'Ready', 'False', 'CredentialsError');
  });

  it('a duplicate subnet name -> SubnetNotUnique; an unknown one -> SubnetNotFound', async () => {
    await createObject(
      http,
      config('dup', { subnetIDs: undefined, subnetName: 'dup-subnet', vmNames: [VM(4)] }),
    );
    await createObject(
      http,
      config('missing', { subnetIDs: undefined, subnetName: 'no-such-subnet', vmNames: [VM(4)] }),
    );
    const dup = await waitForCondition('dup', 'Ready', 'False', 'SubnetNotUnique');
    expect(dup.lastError).toMatch(/dup-subnet/);
    await waitForCondition('missing', 'Ready', 'False', 'SubnetNotFound');
  });

  it('an unknown VM -> Degraded VmNotFound while the known VM is synced', async () => {
    const unknown = '0badc0de-0000-4000-8000-000000000000';
    await createObject(
      http,
      config('unknown-vm', {
        vmNames: [VM(4), unknown],
        credentials: { secretRef: { name: 'openstack' }, k8sProviderID: 'provider-b' },
      }),
    );
    const s = await waitForCondition('unknown-vm', 'Degraded', 'True', 'VmNotFound');
    expect(condition(s, 'Degraded')?.message).toContain(unknown);
    expect(condition(s, 'Ready')?.status).toBe('True');
    const nc = await waitFor(() => nodeConfig('node-0004'), { timeout: 30_000, what: 'node-0004' });
    expect(nc.spec.interfaces).toHaveLength(2);
  });
});

describe('inventory API from MariaDB', () => {
  const get = async (
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: unknown; text: string }> => {
    const response = await fetch(`http://127.0.0.1:${inventory.port}${path}`, init);
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, text };
  };

  it('lists providers sorted by id with their nodes sorted by name', async () => {
    const { status, body } = await get('/v1/interfaces/providers');
    expect(status).toBe(200);
    const providers = (
      body as {
        providers: Array<{
          providerId: string;
          nodeCount: number;
          nodes: Array<{ nodeName: string; interfaceCount: number; instanceId: string }>;
        }>;
      }
    ).providers;
    expect(providers.map((p) => [p.providerId, p.nodeCount])).toEqual([
      ['provider-a', 3],
      ['provider-b', 1],
    ]);
    expect(providers[0]?.nodes.map((n) => [n.nodeName, n.instanceId, n.interfaceCount])).toEqual([
      ['node-0001', VM(1), 2],
      ['node-0002', VM(2), 3],
      ['node-0003', VM(3), 2],
    ]);
  });

  it('answers node-configs by provider with the delivered hash; providerId is required', async () => {
    expect(await get('/v1/interfaces/node-configs')).toMatchObject({
      status: 400,
      text: 'providerId required',
    });
    const { status, body } = await get('/v1/interfaces/node-configs?providerId=provider-a');
    expect(status).toBe(200);
    const records = body as Array<{
      nodeName: string;
      instanceId: string;
      lastConfigHash: string;
      config: { interfaces: Array<{ id: number; name: string }> };
    }>;
    expect(records.map((r) => r.nodeName).sort()).toEqual(['node-0001', 'node-0002', 'node-0003']);
    const first = records.find((r) => r.nodeName === 'node-0001');
    const nc = await nodeConfig('node-0001');
    expect(first?.lastConfigHash).toBe(nc?.metadata.annotations?.[CONFIG_HASH_ANNOTATION]);
    expect(first?.config.interfaces.map((i) => [i.id, i.name])).toEqual([
      [0, 'multinic0'],
      [2, 'multinic2'],
    ]);
  });

  it('answers by instance, with and without a provider filter', async () => {
    const found = await get(`/v1/interfaces/node-configs/by-instance/${VM(3)}`);
    expect(found.status).toBe(200);
    expect((found.body as Array<{ nodeName: string }>).map((r) => r.nodeName)).toEqual(['node-0003']);
    expect((await get(`/v1/interfaces/node-configs/by-instance/${VM(3)}?providerId=provider-a`)).status).toBe(
      200,
    );
    expect(await get(`/v1/interfaces/node-configs/by-instance/${VM(3)}?providerId=provider-b`)).toMatchObject(
      { status: 404, text: 'not found' },
    );
    expect((await get('/v1/interfaces/node-configs/by-instance/')).status).toBe(400);
  });

  it('answers the seed-004 routes', async () => {
    const byName = await get('/v1/inventory/node-configs?nodeName=node-0002');
    expect((byName.body as Array<{ instanceId: string }>).map((r) => r.instanceId)).toEqual([VM(2)]);
    const all = await get('/v1/inventory/node-configs');
    expect((all.body as unknown[]).length).toBe(4);
    expect(((await get('/v1/inventory/node-configs?providerId=provider-b')).body as unknown[]).length).toBe(
      1,
    );
    expect(((await get(`/v1/inventory/node-configs?instanceId=${VM(1)}`)).body as unknown[]).length).toBe(1);
    expect((await get('/v1/inventory/node-configs/node-0003')).status).toBe(200);
    expect(await get('/v1/inventory/node-configs/no-such-node')).toMatchObject({
      status: 404,
      text: 'not found',
    });
  });

  it('serves healthz, openapi and docs; other methods get 405', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, text: 'ok' });
    expect((await get('/openapi.yaml')).text).toContain('openapi: 3.0.3');
    expect((await get('/docs')).status).toBe(200);
    expect((await get('/v1/interfaces/providers', { method: 'POST' })).status).toBe(405);
  });

  it('the webhook trigger needs the bearer token and queues the named config', async () => {
    expect((await get(`/v1/reconcile/${ns.name}/alpha`, { method: 'POST' })).status).toBe(401);
    expect(
      (
        await get(`/v1/reconcile/${ns.name}/alpha`, {
          method: 'POST',
          headers: { authorization: 'Bearer wrong' },
        })
      ).status,
    ).toBe(401);
    const ok = await get(`/v1/reconcile/${ns.name}/alpha`, {
      method: 'POST',
      headers: { authorization: 'Bearer trigger-token' },
    });
    expect(ok).toMatchObject({ status: 202, body: { triggered: [`${ns.name}/alpha`] } });
    expect(
      (
        await get(`/v1/reconcile/${ns.name}/nope`, {
          method: 'POST',
          headers: { authorization: 'Bearer trigger-token' },
        })
      ).status,
    ).toBe(404);
  });
});

describe('finalizer', () => {
  it('deleting an OpenstackConfig removes its node configs and soft-deletes its rows', async () => {
    const obj = await getObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name: 'alpha' });
    expect(obj?.metadata.finalizers).toContain(OPENSTACK_CONFIG_FINALIZER);
    await deleteObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name: 'alpha' });
    await waitFor(
      async () =>
        (await getObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name: 'alpha' })) === undefined,
      {
        timeout: 60_000,
        what: 'alpha gone',
      },
    );
    expect((await nodeConfigs()).map((nc) => nc.metadata.name)).toEqual(['node-0004']);
    expect(
      await rows(`SELECT COUNT(*) AS n FROM multi_interface WHERE cr_name = 'alpha' AND deleted_at IS NULL`),
    ).toEqual([{ n: 0 }]);
    expect(
      await rows(
        `SELECT attached_node_name FROM node_table WHERE deleted_at IS NULL ORDER BY attached_node_name`,
      ),
    ).toEqual([{ attached_node_name: 'node-0004' }]);
    expect(await rows(`SELECT cr_name FROM cr_state WHERE cr_name = 'alpha'`)).toEqual([]);
  });
});
