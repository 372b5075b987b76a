// The controller end to end against both OpenStack targets: a real kube-apiserver, real
// MariaDB, and an OpenstackConfig that names its VMs and its subnet by name (the common case
// in the earlier systems, which only works on a real Nova when names are matched exactly).
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../src/api/crds.js';
import { MULTINIC_NODE_CONFIG, OPENSTACK_CONFIG } from '../../src/api/groups.js';
import { OpenstackConfigController } from '../../src/controller/controller.js';
import { createRepositories } from '../../src/db/repositories.js';
import { createObject, getObject, listObjects } from '../../src/kube/apply.js';
import { KubeHttp } from '../../src/kube/http.js';
import type { KubeObject } from '../../src/kube/types.js';
import { TokenCache } from '../../src/openstack/identity/v3/token-cache.js';
import { registry } from '../../src/observability/metrics.js';
import { adminClients, applyManifests, useNamespace, waitFor } from '../support/kube.js';
import { useDatabase } from '../support/mariadb.js';
import { openTarget, TARGETS, type OpenStackTarget } from '../support/openstack-target.js';
import { releaseOpenstackConfigs } from '../support/openstack-configs.js';
import { MAC, NET, PORT, SUBNET, VM } from './fixture.js';

type NodeConfig = KubeObject & {
  spec: { nodeName: string; instanceId?: string; interfaces: Array<Record<string, unknown>> };
};
type Status = { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };

async function tokenIssuances(): Promise<number> {
  const metric = registry.getSingleMetric('multinic_openstack_token_issuances_total');
  const values = (await metric?.get())?.values ?? [];
  return values.filter((v) => v.labels['result'] === 'ok').reduce((sum, v) => sum + v.value, 0);
}

const database = useDatabase();

describe.each(TARGETS)('controller on %s OpenStack: VM names and a subnet name', (targetName) => {
  const ns = useNamespace(`contract-${targetName}`);
  let target: OpenStackTarget;
  let http: KubeHttp;
  let controller: OpenstackConfigController;
  // Outlives a controller restart, like the token a running controller holds between syncs.
  const tokenCache = new TokenCache();
  const startController = async (): Promise<void> => {
    controller = new OpenstackConfigController({
      http,
      db: database.pool,
      repositories: createRepositories(),
      nodeConfigNamespace: ns.name,
      watchNamespace: ns.name,
      workers: 1,
      tokenCache,
    });
    await controller.start();
  };
  const created: string[] = [];

  const nodeConfigs = async (): Promise<NodeConfig[]> =>
    (await listObjects<NodeConfig>(http, MULTINIC_NODE_CONFIG, { namespace: ns.name })).sort((a, b) =>
      (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1,
    );
  const nodeConfig = (name: string): Promise<NodeConfig | undefined> =>
    getObject<NodeConfig>(http, { ...MULTINIC_NODE_CONFIG, namespace: ns.name, name });
  const macsOf = (nc: NodeConfig | undefined): Record<string, unknown> =>
    Object.fromEntries((nc?.spec.interfaces ?? []).map((i) => [i['name'] as string, i['macAddress']]));
  const ready = async (): Promise<{ status: string; reason: string; message: string } | undefined> => {
    const obj = await getObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name: 'by-name' });
    return ((obj?.['status'] ?? {}) as Status).conditions?.find((c) => c.type === 'Ready');
  };
  /** Waits for Ready=True Synced; otherwise fails with the condition's reason and message. */
  const expectSynced = async (): Promise<void> => {
    const synced = await waitFor(async () => ((await ready())?.reason === 'Synced' ? true : undefined), {
      timeout: 60_000,
      what: 'Ready=True Synced on by-name',
    }).catch(() => false);
    if (!synced) {
      const condition = await ready();
      expect(`${condition?.reason ?? 'no Ready condition'}: ${condition?.message ?? ''}`).toMatch(/^Synced:/);
    }
  };
  const waitForInterfaces = (node: string, count: number): Promise<NodeConfig> =>
    waitFor(
      async () => {
        const nc = await nodeConfig(node);
        return nc?.spec.interfaces.length === count ? nc : undefined;
      },
      { timeout: 150_000, what: `${node} with ${count} interface(s)` },
    );

  beforeAll(async () => {
    target = await openTarget(targetName);
    await applyManifests(crdManifests() as KubernetesObject[]);
    http = new KubeHttp(adminClients().kc);
    const credentials = target.credentials();
    await adminClients().core.createNamespacedSecret({
      namespace: ns.name,
      body: {
        metadata: { name: 'openstack' },
        stringData: {
          authURL: credentials.authUrl,
          username: credentials.username ?? '',
          password: credentials.password,
          projectID: credentials.projectId ?? '',
          userDomainName: 'Default',
        },
      },
    });
    await startController();
  });

  afterAll(async () => {
    await controller?.stop();
    if (http !== undefined) {
      await releaseOpenstackConfigs(http, ns.name);
    }
    for (const port of created) await target?.deletePort(port).catch(() => undefined);
    await target?.close();
  });

  it('delivers node configs with the right MACs, addresses and MTUs', async () => {
    await createObject(http, {
      apiVersion: OPENSTACK_CONFIG.apiVersion,
      kind: OPENSTACK_CONFIG.kind,
      metadata: { name: 'by-name', namespace: ns.name },
      spec: {
        subnetName: 'data-1-subnet',
        vmNames: ['vm-0001', 'vm-0002', 'vm-0003'],
        credentials: { secretRef: { name: 'openstack' }, k8sProviderID: 'provider-a' },
        settings: {
          openstackNodeNameMetadataKey: 'k8s-node-name',
          creationTimeBaseline: false,
          pollFastInterval: '1s',
          pollSlowInterval: '2s',
          pollErrorInterval: '2s',
          pollFastWindow: '10s',
        },
        delivery: { namespace: ns.name },
      },
    });
    const list = await waitFor(
      async () => {
        const all = await nodeConfigs();
        return all.length === 3 ? all : undefined;
      },
      { timeout: 150_000, what: 'three MultiNicNodeConfigs' },
    ).catch(async (error: unknown) => {
      await expectSynced();
      throw error;
    });
    expect(list.map((nc) => nc.metadata.name)).toEqual(['node-0001', 'node-0002', 'node-0003']);
    for (const [i, nc] of list.entries()) {
      const v = i + 1;
      expect(nc.spec).toEqual({
        nodeName: `node-000${v}`,
        instanceId: target.id('servers', VM(v)),
        interfaces: [
          {
            id: 0,
            name: 'multinic0',
            portId: target.id('ports', PORT(v, 1)),
            macAddress: MAC(v, 1),
            address: `10.1.0.${v}`,
            cidr: '10.1.0.0/16',
            mtu: 1450,
          },
        ],
      });
    }
    await waitFor(async () => ((await ready())?.reason === 'Synced' ? true : undefined), {
      timeout: 60_000,
      what: 'Ready=True Synced',
    });
  });

  it('adds a port attached through Neutron with the next free name', async () => {
    await expectSynced();
    const portId = await target.attachPort({
      serverId: target.id('servers', VM(1)),
      networkId: target.id('networks', NET(1)),
      subnetId: target.id('subnets', SUBNET(1)),
      macAddress: 'fa:16:3e:00:0a:01',
      ipAddress: '10.1.0.201',
    });
    created.push(portId);
    const nc = await waitForInterfaces('node-0001', 2);
    expect(macsOf(nc)).toEqual({ multinic0: MAC(1, 1), multinic1: 'fa:16:3e:00:0a:01' });
    expect(nc.spec.interfaces[1]).toMatchObject({ portId, address: '10.1.0.201', mtu: 1450 });
  });

  it('removes a detached port', async () => {
    await expectSynced();
    const attached = created[0];
    if (attached === undefined) throw new Error('the attach test did not create its port');
    await target.detachPort(attached);
    const nc = await waitForInterfaces('node-0001', 1);
    expect(macsOf(nc)).toEqual({ multinic0: MAC(1, 1) });
  });

  it('re-authenticates once when its token expires between syncs', async () => {
    await expectSynced();
    await waitForInterfaces('node-0001', 1);
    // Quiet while the token is revoked: Keystone also refuses tokens issued within the second of
    // a revocation, so a sync racing it could need a second re-authentication.
    await controller.stop();
    const before = await tokenIssuances();
    await target.expireTokens();
    await startController();
    // A change the controller can only see with a working token.
    const portId = await target.attachPort({
      serverId: target.id('servers', VM(2)),
      networkId: target.id('networks', NET(1)),
      subnetId: target.id('subnets', SUBNET(1)),
      macAddress: 'fa:16:3e:00:0b:01',
      ipAddress: '10.1.0.211',
    });
    created.push(portId);
    const nc = await waitForInterfaces('node-0002', 2);
    expect(macsOf(nc)).toEqual({ multinic0: MAC(2, 1), multinic1: 'fa:16:3e:00:0b:01' });
    await waitFor(async () => ((await ready())?.reason === 'Synced' ? true : undefined), {
      timeout: 60_000,
      what: 'Ready=True Synced after the re-authentication',
    });
    expect((await tokenIssuances()) - before).toBe(1);
  });
});
