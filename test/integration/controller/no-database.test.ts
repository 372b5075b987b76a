// `database.mode: none`: the controller keeps no rows; the sticky allocation is read back from
// the MultiNicNodeConfigs it delivered, so a restarted controller never renumbers a NIC.
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../../src/api/crds.js';
import { MULTINIC_NODE_CONFIG, OPENSTACK_CONFIG } from '../../../src/api/groups.js';
import { OpenstackConfigController } from '../../../src/controller/controller.js';
import { createObject, getObject } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import { clientsAsSystemRole } from '../../support/role-identity.js';
import { releaseOpenstackConfigs } from '../../support/openstack-configs.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { generateFixture, sequentialId } from '../../../src/openstack/simulator/fixture.js';
import { adminClients, applyManifests, useNamespace, waitFor } from '../../support/kube.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';

type NodeConfig = KubeObject & { spec: { interfaces: Array<{ name: string; macAddress: string }> } };

const ns = useNamespace('ctl-nodb');
let sim: OpenStackSim;
let http: KubeHttp;
let controller: OpenstackConfigController;

async function start(): Promise<void> {
  // The controller runs with the ServiceAccount and RBAC the system gives it, never as admin.
  controller = new OpenstackConfigController({
    http: new KubeHttp((await clientsAsSystemRole('controller', { namespace: ns.name })).kc),
    nodeConfigNamespace: ns.name,
    watchNamespace: ns.name,
    events: false,
  });
  return controller.start();
}

async function names(): Promise<Record<string, string>> {
  const nc = await getObject<NodeConfig>(http, {
    ...MULTINIC_NODE_CONFIG,
    namespace: ns.name,
    name: 'node-0001',
  });
  return Object.fromEntries((nc?.spec.interfaces ?? []).map((i) => [i.name, i.macAddress]));
}

beforeAll(async () => {
  await applyManifests(crdManifests() as KubernetesObject[]);
  sim = await startOpenStackSim({
    fixture: generateFixture({ vms: 1, portsPerVm: 2, createdAt: '2099-01-01T00:00:00Z' }),
  });
  http = new KubeHttp(adminClients().kc);
  await adminClients().core.createNamespacedSecret({
    namespace: ns.name,
    body: {
      metadata: { name: 'openstack' },
      stringData: {
        authURL: sim.authUrl,
        username: sim.credentials.username ?? '',
        password: sim.credentials.password,
        projectID: sim.credentials.projectId ?? '',
      },
    },
  });
  await start();
});

afterAll(async () => {
  await controller?.stop();
  await releaseOpenstackConfigs(http, ns.name);
  await sim?.stop();
});

describe('controller without a database', () => {
  it('delivers node configs and keeps names across a controller restart', async () => {
    await createObject(http, {
      apiVersion: OPENSTACK_CONFIG.apiVersion,
      kind: OPENSTACK_CONFIG.kind,
      metadata: { name: 'nodb', namespace: ns.name },
      spec: {
        subnetID: sequentialId('5b', 2),
        vmNames: [sequentialId('5e', 1)],
        credentials: { secretRef: { name: 'openstack' } },
        settings: {
          openstackNodeNameMetadataKey: 'k8s-node-name',
          pollFastInterval: '1s',
          pollSlowInterval: '2s',
        },
        delivery: { namespace: ns.name },
      },
    });
    await waitFor(async () => Object.keys(await names()).length === 1, {
      timeout: 60_000,
      what: 'node-0001',
    });
    expect(await names()).toEqual({ multinic0: 'fa:16:3e:00:00:02' });
    const attach = (mac: string, ip: string): void => {
      sim.admin.addPort({
        network_id: sequentialId('4e', 2),
        mac_address: mac,
        device_id: sequentialId('5e', 1),
        status: 'ACTIVE',
        fixed_ips: [{ subnet_id: sequentialId('5b', 2), ip_address: ip }],
      });
    };
    attach('fa:16:3e:00:00:01', '10.1.0.50');
    await waitFor(async () => Object.keys(await names()).length === 2, {
      timeout: 60_000,
      what: 'second port',
    });
    expect(await names()).toEqual({ multinic0: 'fa:16:3e:00:00:02', multinic1: 'fa:16:3e:00:00:01' });

    await controller.stop();
    await start();
    attach('fa:16:3e:00:00:00', '10.1.0.51');
    await waitFor(async () => Object.keys(await names()).length === 3, {
      timeout: 60_000,
      what: 'third port after a restart',
    });
    expect(await names()).toEqual({
      multinic0: 'fa:16:3e:00:00:02',
      multinic1: 'fa:16:3e:00:00:01',
      multinic2: 'fa:16:3e:00:00:00',
    });
    const status = (await getObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name: 'nodb' }))?.[
      'status'
    ] as {
      conditions?: Array<{ type: string; status: string }>;
    };
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});
