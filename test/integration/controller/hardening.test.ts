// What an OpenstackConfig author must not be able to do through the controller, and what the
// status says when the controller refuses: real API server, the project's OpenStack simulator,
// and a listener standing in for the attacker.
import type { KubernetesObject } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { crdManifests } from '../../../src/api/crds.js';
import { OPENSTACK_CONFIG } from '../../../src/api/groups.js';
import { OpenstackConfigController } from '../../../src/controller/controller.js';
import { createObject, getObject, listObjects } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { generateFixture, sequentialId } from '../../../src/openstack/simulator/fixture.js';
import { adminClients, applyManifests, useNamespace, waitFor } from '../../support/kube.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';
import { clientsAsSystemRole } from '../../support/role-identity.js';
import { releaseOpenstackConfigs } from '../../support/openstack-configs.js';

const ns = useNamespace('ctl-hardening');
const scratch = mkdtempSync(join(tmpdir(), 'multinic-ctl-hardening-'));
let sim: OpenStackSim;
let http: KubeHttp;
let controller: OpenstackConfigController;
const seen: Array<{ url: string; headers: Record<string, unknown>; body: string }> = [];
let evil: ReturnType<typeof createServer>;
let evilUrl = '';

type Status = {
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  lastError?: string;
};

function config(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: OPENSTACK_CONFIG.apiVersion,
    kind: OPENSTACK_CONFIG.kind,
    metadata: { name, namespace: ns.name },
    spec: {
      subnetIDs: [sequentialId('5b', 2)],
      vmNames: [sequentialId('5e', 1)],
      credentials: { secretRef: { name: 'openstack' }, k8sProviderID: 'p' },
      settings: { pollErrorInterval: '1s', pollFastInterval: '1s', pollSlowInterval: '2s' },
      delivery: { namespace: ns.name },
      ...spec,
    },
  };
}

async function readyFalse(name: string, reason: string): Promise<{ message: string; raw: string }> {
  return waitFor(
    async () => {
      const obj = await getObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name });
      const status = (obj?.['status'] ?? {}) as Status;
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' && ready.reason === reason
        ? { message: ready.message, raw: JSON.stringify(status) }
        : undefined;
    },
    { what: `${name} Ready=False ${reason}`, timeout: 60_000 },
  );
}

async function eventsOf(name: string): Promise<Array<{ type?: string; reason?: string; message?: string }>> {
  const events = await listObjects<
    KubeObject & { type?: string; reason?: string; message?: string; involvedObject?: { name?: string } }
  >(http, { apiVersion: 'v1', kind: 'Event' }, { namespace: ns.name });
  return events.filter((e) => e.involvedObject?.name === name);
}

async function kubeconfigSecret(name: string, text: string): Promise<void> {
  await adminClients().core.createNamespacedSecret({
    namespace: ns.name,
    body: { metadata: { name }, stringData: { kubeconfig: text } },
  });
}

beforeAll(async () => {
  await applyManifests(crdManifests() as KubernetesObject[]);
  sim = await startOpenStackSim({
    fixture: generateFixture({
      vms: 2,
      portsPerVm: 2,
      createdAt: '2099-01-01T00:00:00Z',
      password: 'Pw-7c1e-never-echoed',
    }),
  });
  evil = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
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
  controller = new OpenstackConfigController({
    http: new KubeHttp((await clientsAsSystemRole('controller', { namespace: ns.name })).kc),
    nodeConfigNamespace: ns.name,
    watchNamespace: ns.name,
    workers: 2,
  });
  await controller.start();
});

afterAll(async () => {
  await controller?.stop();
  if (http !== undefined) {
    await releaseOpenstackConfigs(http, ns.name);
  }
  await sim?.stop();
  await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

describe('controller hardening', () => {
  it('item 1: a workload kubeconfig with user.exec is refused, the status names the field, the command never runs', async () => {
    const marker = join(scratch, 'exec-ran');
    await kubeconfigSecret(
      'exec-kubeconfig',
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [
          {
            name: 'u',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command: '/bin/sh',
                args: [
                  '-c',
                  `touch ${marker}; echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'`,
                ],
              },
            },
          },
        ],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    await createObject(
      http,
      config('exec', {
        delivery: {
          namespace: ns.name,
          mode: 'kubeconfig',
          kubeconfigSecretRef: { name: 'exec-kubeconfig' },
        },
      }),
    );
    const { message } = await readyFalse('exec', 'ConfigError');
    expect(message).toContain('users[0].user.exec is not allowed');
    expect(existsSync(marker)).toBe(false);
  });

  it('item 15: a malformed kubeconfig never puts its token into status', async () => {
    await kubeconfigSecret(
      'broken-kubeconfig',
      'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: tok-3f9a-secret-value\n   bad: [\n',
    );
    await createObject(
      http,
      config('broken', {
        delivery: {
          namespace: ns.name,
          mode: 'kubeconfig',
          kubeconfigSecretRef: { name: 'broken-kubeconfig' },
        },
      }),
    );
    const { message, raw } = await readyFalse('broken', 'ConfigError');
    expect(message).toMatch(/not valid YAML/);
    expect(raw).not.toContain('tok-3f9a-secret-value');
    for (const event of await eventsOf('broken')) expect(event.message ?? '').not.toContain('tok-3f9a');
  });

  it('item 3: a Neutron endpoint override outside the catalog is refused, the status says why, no token reaches it', async () => {
    seen.length = 0;
    await createObject(
      http,
      config('redirect', { settings: { pollErrorInterval: '1s', openstackNeutronEndpoint: evilUrl } }),
    );
    const { message } = await readyFalse('redirect', 'EndpointRefused');
    expect(message).toContain('openstackNeutronEndpoint');
    expect(message).toContain('allowedEndpoints');
    expect(seen).toEqual([]);
  });

  it('item 15: inline credentials still work, with a Deprecated warning Event that never echoes the password', async () => {
    await createObject(
      http,
      config('inline', {
        credentials: {
          authURL: sim.authUrl,
          username: sim.credentials.username,
          password: sim.credentials.password,
          projectID: sim.credentials.projectId,
          domainName: 'Default',
          k8sProviderID: 'p',
        },
      }),
    );
    const event = await waitFor(
      async () => (await eventsOf('inline')).find((e) => e.reason === 'Deprecated' && e.type === 'Warning'),
      { what: 'a Deprecated warning Event', timeout: 60_000 },
    );
    expect(event.message).toMatch(/spec\.credentials\.password/);
    expect(event.message).not.toContain(sim.credentials.password);
    const obj = await getObject(http, { ...OPENSTACK_CONFIG, namespace: ns.name, name: 'inline' });
    expect(JSON.stringify(obj?.['status'] ?? {})).not.toContain(sim.credentials.password);
    for (const e of await eventsOf('inline')) expect(e.message ?? '').not.toContain(sim.credentials.password);
  });
});
