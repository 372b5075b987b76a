// Delivery targets, credential sources and trigger modes of the controller, end to end with the
// real API server, MariaDB and the OpenStack simulator (Contrabass included). The Viola side is a
// small HTTP receiver that records what it gets, as a Viola test receiver would.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../../src/api/crds.js';
import { MULTINIC_NODE_CONFIG, MULTINIC_OPERATOR, OPENSTACK_CONFIG } from '../../../src/api/groups.js';
import { OpenstackConfigController } from '../../../src/controller/controller.js';
import { downPortHash } from '../../../src/controller/plan.js';
import { createRepositories } from '../../../src/db/repositories.js';
import { createObject, getObject, mergePatchObject } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import { clientsAsSystemRole } from '../../support/role-identity.js';
import { releaseOpenstackConfigs } from '../../support/openstack-configs.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { generateFixture, sequentialId } from '../../../src/openstack/simulator/fixture.js';
import { adminClients, applyManifests, testEnv, useNamespace, waitFor } from '../../support/kube.js';
import { useDatabase } from '../../support/mariadb.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';

const VM = (n: number): string => sequentialId('5e', n);
const NET = (k: number): string => sequentialId('4e', k + 1);
const SUBNET = (k: number): string => sequentialId('5b', k + 1);
const PORT = (v: number, k: number): string => sequentialId('90', (v - 1) * 2 + k + 1);
const PROVIDER = '2b8f6c1e-4d3a-4f6b-9e21-7c5d0a9e3f10';

type Status = {
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  downPortRetry?: { hash?: string; fastAttempts?: number; lastAttempt?: string };
};
type NodeConfig = KubeObject & { spec: { interfaces: Array<Record<string, unknown>> } };

interface ViolaPost {
  providerId: string | undefined;
  body: Array<{ nodeName: string; instanceId: string; interfaces: Array<Record<string, unknown>> }>;
}

const ns = useNamespace('ctl-delivery');
const remote = useNamespace('ctl-remote');
const database = useDatabase();
let sim: OpenStackSim;
let http: KubeHttp;
let controller: OpenstackConfigController;
let viola: Server;
let violaUrl = '';
const posts: ViolaPost[] = [];
let violaStatus = 200;

const settings = {
  pollFastInterval: '1s',
  pollSlowInterval: '2s',
  pollErrorInterval: '1s',
  pollFastWindow: '5s',
  openstackNodeNameMetadataKey: 'k8s-node-name',
};

function config(name: string, vm: number, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: OPENSTACK_CONFIG.apiVersion,
    kind: OPENSTACK_CONFIG.kind,
    metadata: { name, namespace: ns.name },
    spec: {
      subnetID: SUBNET(1),
      vmNames: [VM(vm)],
      credentials: { secretRef: { name: 'openstack' }, k8sProviderID: `k8s-${name}` },
      settings,
      delivery: { namespace: ns.name },
      ...spec,
    },
  };
}

async function status(name: string): Promise<Status> {
  return ((await getObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name }))?.['status'] ??
    {}) as Status;
}

async function waitForCondition(name: string, type: string, value: string, reason: string): Promise<Status> {
  return waitFor(
    async () => {
      const s = await status(name);
      const c = s.conditions?.find((x) => x.type === type);
      return c?.status === value && c.reason === reason ? s : undefined;
    },
    { timeout: 60_000, what: `${name} ${type}=${value} ${reason}` },
  );
}

async function nodeConfig(namespace: string, name: string): Promise<NodeConfig | undefined> {
  return getObject<NodeConfig>(http, { ...MULTINIC_NODE_CONFIG, namespace, name });
}

beforeAll(async () => {
  await applyManifests(crdManifests() as KubernetesObject[]);
  const fixture = generateFixture({
    vms: 11,
    portsPerVm: 2,
    createdAt: '2099-01-01T00:00:00Z',
    password: 'S3cr3t-Admin-Pw',
  });
  fixture.contrabass = {
    providers: [
      {
        uuid: PROVIDER,
        name: 'sim',
        url: '{{simulator}}/identity',
        attributes: {
          adminId: 'admin',
          adminPw: 'ABEiM0RVZneImaq7zN3u//Dno++jZusL2N5X6+9/aKY=',
          domain: 'Default',
        },
      },
    ],
  };
  sim = await startOpenStackSim({ fixture });
  viola = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/k8s/multinic/node-configs') {
        res.writeHead(404).end('not found');
        return;
      }
      const header = req.headers['x-provider-id'];
      posts.push({
        providerId: typeof header === 'string' ? header : undefined,
        body: JSON.parse(text) as ViolaPost['body'],
      });
      res.writeHead(violaStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ applied: 1 }));
    });
  });
  await new Promise<void>((resolve) => viola.listen(0, '127.0.0.1', resolve));
  violaUrl = `http://127.0.0.1:${(viola.address() as AddressInfo).port}`;
  http = new KubeHttp(adminClients().kc);
  const { core } = adminClients();
  await core.createNamespacedSecret({
    namespace: ns.name,
    body: {
      metadata: { name: 'openstack' },
      stringData: {
        authURL: sim.authUrl,
        username: 'admin',
        password: 'S3cr3t-Admin-Pw',
        projectID: sim.credentials.projectId ?? '',
      },
    },
  });
  await core.createNamespacedSecret({
    namespace: ns.name,
    body: {
      metadata: { name: 'contrabass-encrypt-key' },
      stringData: { CONTRABASS_ENCRYPT_KEY: 'MultiNicDemoKey1' },
    },
  });
  await core.createNamespacedSecret({
    namespace: ns.name,
    body: {
      metadata: { name: 'workload-cluster' },
      stringData: { kubeconfig: readFileSync(testEnv().kubeconfigPath, 'utf8') },
    },
  });
  // The controller runs with the ServiceAccount and RBAC the system gives it, never as admin.
  controller = new OpenstackConfigController({
    http: new KubeHttp((await clientsAsSystemRole('controller', { namespace: ns.name })).kc),
    db: database.pool,
    repositories: createRepositories(),
    nodeConfigNamespace: ns.name,
    watchNamespace: ns.name,
    workers: 4,
    // Contrabass and the Keystone it names live on the simulator.
    allowedEndpointHosts: [new URL(sim.url).host],
  });
  await controller.start();
});

afterAll(async () => {
  await controller?.stop();
  if (http !== undefined) {
    await releaseOpenstackConfigs(http, ns.name);
  }
  await new Promise<void>((resolve) => (viola ? viola.close(() => resolve()) : resolve()));
  await sim?.stop();
});

describe('delivery targets', () => {
  it('viola: POSTs changed nodes with x-provider-id and id always set; an emptied node is sent empty', async () => {
    await createObject(http, config('to-viola', 1, { settings: { ...settings, violaEndpoint: violaUrl } }));
    await waitForCondition('to-viola', 'Ready', 'True', 'Synced');
    const first = posts.filter((p) => p.providerId === 'k8s-to-viola');
    expect(first).toHaveLength(1);
    expect(first[0]?.body).toEqual([
      {
        nodeName: 'node-0001',
        instanceId: VM(1),
        interfaces: [
          {
            id: 0,
            name: 'multinic0',
            macAddress: 'fa:16:3e:00:00:02',
            address: '10.1.0.1',
            cidr: '10.1.0.0/16',
            mtu: 1450,
            portId: PORT(1, 1),
          },
        ],
      },
    ]);
    // No change: nothing is sent again.
    controller.trigger(ns.name, 'to-viola');
    await waitForCondition('to-viola', 'Ready', 'True', 'NoChange');
    expect(posts.filter((p) => p.providerId === 'k8s-to-viola')).toHaveLength(1);
    const [node] = await database.pool.select<{ delivered_hash: string | null }>(
      'test.node',
      'SELECT delivered_hash FROM node_table WHERE attached_node_id = ?',
      [VM(1)],
    );
    expect(node?.delivered_hash).toMatch(/^[0-9a-f]{64}$/);

    sim.admin.detachPort(PORT(1, 1));
    await waitFor(() => posts.filter((p) => p.providerId === 'k8s-to-viola').length === 2, {
      timeout: 30_000,
      what: 'second POST',
    });
    expect(posts.filter((p) => p.providerId === 'k8s-to-viola')[1]?.body).toEqual([
      { nodeName: 'node-0001', instanceId: VM(1), interfaces: [] },
    ]);
  });

  it('viola: a failed POST is ViolaPostError and is retried until it succeeds', async () => {
    violaStatus = 500;
    await createObject(http, config('viola-down', 2, { settings: { ...settings, violaEndpoint: violaUrl } }));
    const failed = await waitForCondition('viola-down', 'Ready', 'False', 'ViolaPostError');
    expect(failed.conditions?.find((c) => c.type === 'Degraded')?.status).toBe('True');
    violaStatus = 202;
    await waitForCondition('viola-down', 'Ready', 'True', 'Synced');
  });

  it('viola: a failed empty POST for an emptied node is retried; the node is soft-deleted only after it succeeds', async () => {
    const mine = (): ViolaPost[] => posts.filter((p) => p.providerId === 'k8s-viola-empty');
    const nodeRow = async () =>
      (
        await database.pool.select<{ deleted_at: Date | null; delivered_hash: string | null }>(
          'test.node',
          'SELECT deleted_at, delivered_hash FROM node_table WHERE attached_node_id = ?',
          [VM(8)],
        )
      )[0];
    await createObject(
      http,
      config('viola-empty', 8, { settings: { ...settings, violaEndpoint: violaUrl } }),
    );
    await waitForCondition('viola-empty', 'Ready', 'True', 'Synced');
    expect(mine()).toHaveLength(1);

    violaStatus = 500;
    try {
      sim.admin.detachPort(PORT(8, 1));
      await waitForCondition('viola-empty', 'Ready', 'False', 'ViolaPostError');
      // The empty POST was tried and failed: the removal is not recorded yet.
      expect(mine().length).toBeGreaterThanOrEqual(2);
      expect(mine().at(-1)?.body).toEqual([{ nodeName: 'node-0008', instanceId: VM(8), interfaces: [] }]);
      const pending = await nodeRow();
      expect(pending?.deleted_at).toBeNull();
      expect(pending?.delivered_hash).toMatch(/^[0-9a-f]{64}$/);
      const failedPosts = mine().length;
      // Still failing: the next syncs send the empty node again.
      await waitFor(() => mine().length > failedPosts, { timeout: 30_000, what: 'empty POST retried' });
    } finally {
      violaStatus = 200;
    }
    await waitForCondition('viola-empty', 'Ready', 'True', 'Synced');
    expect(mine().at(-1)?.body).toEqual([{ nodeName: 'node-0008', instanceId: VM(8), interfaces: [] }]);
    const removed = await nodeRow();
    expect(removed?.deleted_at).not.toBeNull();
    expect(removed?.delivered_hash).toBeNull();
    // Delivered: nothing is sent any more.
    const settled = mine().length;
    controller.trigger(ns.name, 'viola-empty');
    await waitForCondition('viola-empty', 'Ready', 'True', 'NoChange');
    expect(mine()).toHaveLength(settled);
  });

  it('viola: a node emptied by a port moving to another node while Viola fails gets its empty POST later', async () => {
    const mine = (): ViolaPost[] => posts.filter((p) => p.providerId === 'k8s-viola-move');
    const nodeRow = async (vm: number) =>
      (
        await database.pool.select<{ deleted_at: Date | null; delivered_hash: string | null }>(
          'test.node',
          'SELECT deleted_at, delivered_hash FROM node_table WHERE attached_node_id = ?',
          [VM(vm)],
        )
      )[0];
    await createObject(
      http,
      config('viola-move', 9, {
        vmNames: [VM(9), VM(10)],
        settings: { ...settings, violaEndpoint: violaUrl },
      }),
    );
    await waitForCondition('viola-move', 'Ready', 'True', 'Synced');
    expect(
      mine()
        .flatMap((p) => p.body.map((n) => n.nodeName))
        .sort(),
    ).toEqual(['node-0009', 'node-0010']);

    violaStatus = 500;
    try {
      // The only port of node-0009 moves to node-0010 in one step (one sync sees both).
      sim.admin.detachPort(PORT(9, 1));
      sim.admin.attachPort(PORT(9, 1), VM(10), 'ACTIVE');
      await waitForCondition('viola-move', 'Ready', 'False', 'ViolaPostError');
      const pending = await nodeRow(9);
      expect(pending?.deleted_at).toBeNull();
      expect(pending?.delivered_hash).toMatch(/^[0-9a-f]{64}$/);
      const failedPosts = mine().length;
      await waitFor(() => mine().length > failedPosts, { timeout: 30_000, what: 'POST retried' });
    } finally {
      violaStatus = 200;
    }
    await waitForCondition('viola-move', 'Ready', 'True', 'Synced');
    const bodies = mine().flatMap((p) => p.body);
    expect(bodies).toContainEqual({ nodeName: 'node-0009', instanceId: VM(9), interfaces: [] });
    expect(bodies.filter((n) => n.nodeName === 'node-0010').at(-1)?.interfaces).toHaveLength(2);
    const removed = await nodeRow(9);
    expect(removed?.deleted_at).not.toBeNull();
    expect(removed?.delivered_hash).toBeNull();
    expect((await nodeRow(10))?.deleted_at).toBeNull();
    // Delivered: nothing is sent any more.
    const settled = mine().length;
    controller.trigger(ns.name, 'viola-move');
    await waitForCondition('viola-move', 'Ready', 'True', 'NoChange');
    expect(mine()).toHaveLength(settled);
  });

  it('kubeconfig: applies node configs into the cluster named by the kubeconfig Secret', async () => {
    await createObject(
      http,
      config('remote', 3, {
        delivery: {
          mode: 'kubeconfig',
          kubeconfigSecretRef: { name: 'workload-cluster' },
          namespace: remote.name,
        },
      }),
    );
    const nc = await waitFor(() => nodeConfig(remote.name, 'node-0003'), {
      timeout: 60_000,
      what: 'remote node config',
    });
    expect(nc.spec.interfaces.map((i) => i['name'])).toEqual(['multinic0']);
    await waitForCondition('remote', 'Ready', 'True', 'Synced');
  });
});

describe('credential sources', () => {
  it('contrabass: the provider lookup and AES key Secret give working Keystone credentials', async () => {
    await createObject(
      http,
      config('contrabass', 4, {
        credentials: {
          openstackProviderID: PROVIDER,
          projectID: sim.credentials.projectId,
          k8sProviderID: 'k8s-cb',
        },
        settings: { ...settings, contrabassEndpoint: sim.url },
        secrets: {
          contrabassEncryptKeySecretRef: { name: 'contrabass-encrypt-key', key: 'CONTRABASS_ENCRYPT_KEY' },
        },
      }),
    );
    await waitForCondition('contrabass', 'Ready', 'True', 'Synced');
    expect(await waitFor(() => nodeConfig(ns.name, 'node-0004'), { what: 'node-0004' })).toBeDefined();
    expect(sim.requestCounts()['contrabass.provider.get']).toBeGreaterThanOrEqual(1);
  });

  it('inline G1 credentials still sync, with a Deprecated condition', async () => {
    await createObject(
      http,
      config('inline', 5, {
        credentials: {
          authURL: sim.authUrl,
          username: 'admin',
          password: 'S3cr3t-Admin-Pw',
          projectID: sim.credentials.projectId,
          domainName: 'Default',
        },
      }),
    );
    const s = await waitForCondition('inline', 'Deprecated', 'True', 'InlineCredentials');
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Synced' });
  });
});

describe('DOWN ports and trigger modes', () => {
  it('a DOWN port is delivered and tracked in status.downPortRetry', async () => {
    // The port is attached after the config exists: with the creation-time baseline on (the
    // default), a port created in an earlier second than the config would be filtered out.
    await createObject(http, config('down', 6));
    const port = sim.admin.addPort({
      network_id: NET(1),
      device_id: VM(6),
      status: 'DOWN',
      fixed_ips: [{ subnet_id: SUBNET(1), ip_address: '10.1.9.9' }],
      id: 'd0d0d0d0-0000-4000-8000-000000000001',
    });
    const s = await waitFor(
      async () => {
        const current = await status('down');
        return (current.downPortRetry?.fastAttempts ?? 0) >= 2 ? current : undefined;
      },
      { timeout: 60_000, what: 'two DOWN-port sends' },
    );
    expect(s.downPortRetry?.hash).toBe(downPortHash([port.id]));
    sim.admin.setPortStatus(port.id, 'ACTIVE');
    await waitFor(async () => (await status('down')).downPortRetry === undefined, {
      timeout: 60_000,
      what: 'downPortRetry cleared',
    });
  });

  it('manual mode (MultiNicOperator reconcileTrigger) ignores OpenStack changes until triggered', async () => {
    await createObject(http, {
      apiVersion: MULTINIC_OPERATOR.apiVersion,
      kind: MULTINIC_OPERATOR.kind,
      metadata: { name: 'main', namespace: ns.name },
      spec: { reconcileTrigger: { mode: 'manual' } },
    });
    await waitFor(() => controller.triggerFor(ns.name).mode === 'manual', {
      what: 'manual trigger in effect',
    });
    await createObject(http, config('manual', 7));
    await waitForCondition('manual', 'Ready', 'True', 'Synced');
    const before = await nodeConfig(ns.name, 'node-0007');
    expect(before?.spec.interfaces).toHaveLength(1);
    sim.admin.addPort({
      network_id: NET(1),
      device_id: VM(7),
      status: 'ACTIVE',
      fixed_ips: [{ subnet_id: SUBNET(1), ip_address: '10.1.9.10' }],
    });
    // Manual mode does not poll: the reconciler skips without a request.
    expect((await controller.reconciler.reconcile(ns.name, 'manual')).result).toBe('skipped');
    expect((await nodeConfig(ns.name, 'node-0007'))?.spec.interfaces).toHaveLength(1);
    expect(controller.trigger(ns.name, 'manual')).toEqual([`${ns.name}/manual`]);
    await waitFor(async () => (await nodeConfig(ns.name, 'node-0007'))?.spec.interfaces.length === 2, {
      timeout: 30_000,
      what: 'node-0007 with the new port after the trigger',
    });
  });

  it('scheduled mode (interval) picks an OpenStack change up only at the next scheduled sync', async () => {
    await mergePatchObject(
      http,
      { ...MULTINIC_OPERATOR, namespace: ns.name, name: 'main' },
      { spec: { reconcileTrigger: { mode: 'scheduled', interval: '1m' } } },
    );
    await waitFor(() => controller.triggerFor(ns.name).mode === 'scheduled', {
      what: 'scheduled trigger in effect',
    });
    await createObject(http, config('scheduled', 11));
    // A config never synced is due at once.
    const first = await waitForCondition('scheduled', 'Ready', 'True', 'Synced');
    const firstSyncedAt = Date.parse((first as { lastSyncedAt?: string }).lastSyncedAt ?? '');
    expect(Number.isNaN(firstSyncedAt)).toBe(false);
    expect((await nodeConfig(ns.name, 'node-0011'))?.spec.interfaces).toHaveLength(1);
    sim.admin.addPort({
      network_id: NET(1),
      device_id: VM(11),
      status: 'ACTIVE',
      fixed_ips: [{ subnet_id: SUBNET(1), ip_address: '10.1.9.11' }],
    });
    // Before the next slot the reconciler does not look at OpenStack: it skips until the slot.
    const early = await controller.reconciler.reconcile(ns.name, 'scheduled');
    expect(early.result).toBe('skipped');
    expect(early.requeueAfterMs).toBeGreaterThan(0);
    expect(early.requeueAfterMs).toBeLessThanOrEqual(60_000);
    expect((await nodeConfig(ns.name, 'node-0011'))?.spec.interfaces).toHaveLength(1);
    // At the scheduled time (interval 1m, the minimum) the new port is delivered.
    await waitFor(async () => (await nodeConfig(ns.name, 'node-0011'))?.spec.interfaces.length === 2, {
      timeout: 120_000,
      what: 'node-0011 with the new port at the scheduled sync',
    });
    const second = await waitFor(
      async () => {
        const at = Date.parse(((await status('scheduled')) as { lastSyncedAt?: string }).lastSyncedAt ?? '');
        return at > firstSyncedAt ? at : undefined;
      },
      { timeout: 30_000, what: 'lastSyncedAt of the scheduled sync' },
    );
    // Not before the slot: a full interval after the first sync (generous lower bound only).
    expect(second - firstSyncedAt).toBeGreaterThanOrEqual(50_000);
  }, 180_000);
});
