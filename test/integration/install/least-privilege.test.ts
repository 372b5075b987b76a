// Hardening items 0 and 2 against the real API server: the operator and the agent-controller
// hold exactly the RBAC the install/system gives them, and with it they can neither read
// Secrets elsewhere, nor bind cluster-admin, nor start a privileged pod with the host's root.
// The agent namespace's ValidatingAdmissionPolicy lets the real agent Job template through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { manifestsOf } from '../../../src/constructs/common/manifests.js';
import { agentJobManifest } from '../../../src/constructs/agent/agent-job.js';
import { MultiNicOperatorInstall } from '../../../src/constructs/operator/operator-install.js';
import { applyObject, createObject, deleteObject } from '../../../src/kube/apply.js';
import { KubeApiError, KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { adminClients, clientsAsServiceAccount, useNamespace, waitFor } from '../../support/kube.js';
import { clientsAsSystemRole } from '../../support/role-identity.js';
import { installCrds, installOperatorRbac } from '../operator/helpers.js';

const home = useNamespace('lp-home');
const agentNs = useNamespace('lp-agent');
const IMAGE = 'registry.example/multinic:1.2.3';
let operator: KubeHttp;
let agentController: KubeHttp;
const admin = (): KubeHttp => new KubeHttp(adminClients().kc);
let policyObjects: KubeObject[] = [];

beforeAll(async () => {
  await installCrds();
  await installOperatorRbac(admin(), home.name, { agentNamespace: agentNs.name });
  operator = new KubeHttp((await clientsAsServiceAccount(home.name, 'multinic-operator')).kc);
  agentController = new KubeHttp(
    (await clientsAsSystemRole('agent-controller', { namespace: home.name, agentNamespace: agentNs.name }))
      .kc,
  );
  // The install's agent-namespace policy, bound to this file's agent namespace.
  policyObjects = manifestsOf(
    (scope) => new MultiNicOperatorInstall(scope, 'install', { image: IMAGE, agentNamespace: agentNs.name }),
  ).filter((m) => m.kind.startsWith('ValidatingAdmissionPolicy')) as unknown as KubeObject[];
  expect(policyObjects.map((o) => o.kind).sort()).toEqual([
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ]);
  for (const obj of policyObjects) await applyObject(admin(), obj, { fieldManager: 'multinic-test' });
  // The API server picks a new policy up asynchronously: wait until it denies.
  await waitFor(
    async () =>
      (await message(create(admin(), agentJob('evil.example/x:1')))).includes('ValidatingAdmissionPolicy'),
    { what: 'the agent-namespace policy to be enforced', timeout: 30_000 },
  );
});

afterAll(async () => {
  for (const obj of policyObjects) await deleteObject(admin(), obj as never).catch(() => undefined);
});

async function status(call: Promise<unknown>): Promise<number | string> {
  try {
    await call;
    return 'allowed';
  } catch (error) {
    if (error instanceof KubeApiError) return error.statusCode;
    throw error;
  }
}

async function message(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'allowed';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function rootPod(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'root', namespace },
    spec: {
      hostNetwork: true,
      containers: [
        {
          name: 'x',
          image: 'busybox',
          command: ['sh', '-c', 'cat /host/etc/shadow'],
          securityContext: { privileged: true },
          volumeMounts: [{ name: 'root', mountPath: '/host' }],
        },
      ],
      volumes: [{ name: 'root', hostPath: { path: '/' } }],
    },
  };
}

function job(namespace: string, name: string, podSpec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: { template: { spec: { restartPolicy: 'Never', ...podSpec } } },
  };
}

function agentJob(image = IMAGE): KubeObject {
  return agentJobManifest({
    nodeName: 'node-1',
    nodeConfigNamespace: home.name,
    namespace: agentNs.name,
    image,
  }) as unknown as KubeObject;
}

const dryRun = { query: { dryRun: 'All' } } as const;
const create = async (http: KubeHttp, obj: KubeObject): Promise<unknown> =>
  http.request('POST', await admin().collectionPath(obj as never, obj.metadata.namespace), {
    body: obj,
    ...dryRun,
  });

describe('least privilege (hardening items 0 and 2)', () => {
  for (const [who, http] of [
    ['operator', () => operator],
    ['agent-controller', () => agentController],
  ] as const) {
    it(`item 2: the ${who} cannot read a Secret in kube-system`, async () => {
      expect(await status(http().request('GET', '/api/v1/namespaces/kube-system/secrets'))).toBe(403);
      expect(await status(http().request('GET', '/api/v1/namespaces/kube-system/secrets/anything'))).toBe(
        403,
      );
      expect(await status(http().request('GET', `/api/v1/namespaces/${home.name}/secrets`))).toBe(403);
    });

    it(`item 2: the ${who} cannot bind cluster-admin`, async () => {
      const binding: KubeObject = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `lp-escalate-${home.name}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: home.name }],
      } as KubeObject;
      expect(await status(createObject(http(), binding))).toBe(403);
    });

    it(`item 2: the ${who} cannot start a privileged pod with hostPath / anywhere`, async () => {
      for (const ns of ['kube-system', home.name, agentNs.name])
        expect(await status(create(http(), rootPod(ns))), `pod in ${ns}`).toBe(403);
      // Jobs it may create, but not one that escapes the agent template.
      const spec = rootPod(agentNs.name)['spec'] as Record<string, unknown>;
      expect(await message(create(http(), job(agentNs.name, 'escape', spec)))).toMatch(
        /ValidatingAdmissionPolicy '.*' .*denied request: agent namespace/,
      );
      expect(await status(create(http(), job('kube-system', 'escape', spec)))).toBe(403);
    });
  }

  it('item 2: the agent namespace refuses a foreign image, a command override and an extra hostPath', async () => {
    const base = agentJob();
    const podSpec = (
      obj: KubeObject,
    ): Record<string, unknown> & { containers: Array<Record<string, unknown>> } =>
      (obj['spec'] as { template: { spec: never } }).template.spec;
    const foreign = agentJob('evil.example/multinic:1.2.3');
    expect(await message(create(admin(), foreign))).toMatch(
      /only agent images from registry.example\/multinic/,
    );
    const shell = structuredClone(base);
    podSpec(shell).containers[0]!['command'] = ['sh', '-c', 'id'];
    expect(await message(create(admin(), shell))).toMatch(/'agent' as first argument/);
    const extra = structuredClone(base);
    (podSpec(extra)['volumes'] as unknown[]).push({ name: 'etc', hostPath: { path: '/etc' } });
    expect(await message(create(admin(), extra))).toMatch(/hostPath volumes are limited/);
    const privileged = structuredClone(base);
    podSpec(privileged).containers[0]!['securityContext'] = { privileged: true };
    expect(await message(create(admin(), privileged))).toMatch(/no privileged containers/);
  });

  it('item 0: the real agent Job template passes the policy when the agent-controller creates it', async () => {
    expect(await message(create(agentController, agentJob()))).toBe('allowed');
    expect(
      await message(create(agentController, agentJob(`${IMAGE.split(':')[0]}@sha256:${'a'.repeat(64)}`))),
    ).toBe('allowed');
  });

  it('item 0: the operator lists and watches what it informs on, with the install RBAC only', async () => {
    const { operatorAccess } = await import('../../../src/constructs/operator/operator-access.js');
    for (const kind of operatorAccess().informers) {
      const namespaces = kind.namespaced
        ? kind.scopes.map((scope) => (scope === 'agent' ? agentNs.name : home.name))
        : [undefined];
      for (const ns of namespaces) {
        const info = await admin().resource({ apiVersion: kind.apiVersion, kind: kind.kind });
        const base = kind.group === '' ? '/api/v1' : `/apis/${kind.apiVersion}`;
        const path = ns === undefined ? `${base}/${info.plural}` : `${base}/namespaces/${ns}/${info.plural}`;
        await waitFor(async () => (await status(operator.request('GET', path))) === 'allowed', {
          what: `operator may list ${path}`,
          timeout: 10_000,
        });
      }
    }
  });
});
