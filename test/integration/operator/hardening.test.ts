// The operator against the real API server (kube-controller-manager's garbage collector included):
// data outlives the MultiNicOperator, a read that fails while rendering is retried, and two
// MultiNicOperators of one name do not fight over the shared agent namespace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createObject,
  deleteObject,
  getObject,
  listObjects,
  mergePatchObject,
} from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { startOperator } from '../../../src/operator/operator.js';
import type { RunningOperator } from '../../../src/operator/operator.js';
import { adminClients, useNamespace, waitFor } from '../../support/kube.js';
import { FaultProxy } from '../kube/fault-proxy.js';
import {
  AGENT_NAMESPACE,
  adminHttp,
  crRef,
  exists,
  externalDbCr,
  getCr,
  installCrds,
  operatorKubeConfig,
  startTestOperator,
  waitGone,
} from './helpers.js';

const crNs = useNamespace('op-data');
const opNs = useNamespace('op-data-home');
const running: RunningOperator[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'multinic-op-hardening-'));

beforeAll(async () => {
  await installCrds();
});

afterAll(async () => {
  for (const operator of running.splice(0)) await operator.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const secretRef = (namespace: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  namespace,
  name,
});
const claimRef = (namespace: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  namespace,
  name,
});

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

function internalDbCr(namespace: string, name: string, database: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'multinic.example.com/v1alpha1',
    kind: 'MultiNicOperator',
    metadata: { name, namespace },
    spec: { protection: { mode: 'off' }, database: { backup: { enabled: true }, ...database } },
  };
}

async function deleteCrAndWait(namespace: string, name: string): Promise<void> {
  await deleteObject(adminHttp(), crRef(namespace, name));
  await waitGone(crRef(namespace, name), 60_000);
}

describe('data outlives the MultiNicOperator', () => {
  let operator: RunningOperator;
  beforeAll(async () => {
    operator = await startTestOperator(opNs.name, {
      watchNamespace: crNs.name,
      leaseName: `multinic-operator-${opNs.name}`,
      identity: 'data',
    });
    running.push(operator);
    await waitFor(() => operator.isLeader(), { what: 'operator to lead', timeout: 20_000 });
  });

  it('item 4: delete and re-create the CR -> the same credentials Secret and the backup PVC are still there', async () => {
    const name = 'keep';
    await createObject(adminHttp(), internalDbCr(crNs.name, name));
    const secret = secretRef(crNs.name, `${name}-db-credentials`);
    const claim = claimRef(crNs.name, `${name}-db-backups`);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: crNs.name,
      name: `${name}-controller`,
    };
    const before = await waitFor(() => getObject<SecretObject>(adminHttp(), secret), {
      what: 'generated credentials Secret',
      timeout: 60_000,
    });
    const claimBefore = await waitFor(() => exists(claim), { what: 'backup PVC', timeout: 60_000 });
    await waitFor(() => exists(deployment), { what: 'controller Deployment', timeout: 60_000 });
    expect(before.metadata.ownerReferences ?? []).toEqual([]);
    expect(claimBefore.metadata.ownerReferences ?? []).toEqual([]);

    await deleteCrAndWait(crNs.name, name);
    // The garbage collector removed what the CR owned ...
    await waitGone(deployment, 60_000);
    // ... but not the passwords the data PVC needs, nor the backups.
    const kept = await getObject<SecretObject>(adminHttp(), secret);
    expect(kept?.data).toEqual(before.data);
    expect((await exists(claim))?.metadata.uid).toBe(claimBefore.metadata.uid);

    await createObject(adminHttp(), internalDbCr(crNs.name, name));
    await waitFor(() => exists(deployment), { what: 'controller Deployment again', timeout: 60_000 });
    const statefulSet = await waitFor(
      () =>
        exists({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: crNs.name, name: `${name}-mariadb` }),
      { what: 'MariaDB StatefulSet again', timeout: 60_000 },
    );
    expect(statefulSet).toBeDefined();
    const after = await getObject<SecretObject>(adminHttp(), secret);
    expect(after?.data).toEqual(before.data);
    expect((await exists(claim))?.metadata.uid).toBe(claimBefore.metadata.uid);
    await deleteCrAndWait(crNs.name, name);
  });

  it('item 4: a user-named credentials Secret is only read: never labelled, written or deleted', async () => {
    const name = 'named';
    const body = { 'root-password': 'root-pw-of-the-user', password: 'app-pw-of-the-user' };
    for (const secretName of ['users-db', 'users-db-2']) {
      await adminClients().core.createNamespacedSecret({
        namespace: crNs.name,
        body: { metadata: { name: secretName, labels: { owner: 'user' } }, stringData: body },
      });
    }
    const original = await getObject<SecretObject>(adminHttp(), secretRef(crNs.name, 'users-db'));
    await createObject(
      adminHttp(),
      internalDbCr(crNs.name, name, { credentials: { secretRef: { name: 'users-db' } } }),
    );
    await waitFor(
      () =>
        exists({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: crNs.name, name: `${name}-mariadb` }),
      { what: 'MariaDB StatefulSet', timeout: 60_000 },
    );
    // Give the operator a few reconciles, then switch the reference to another Secret.
    await mergePatchObject(adminHttp(), crRef(crNs.name, name), {
      spec: { database: { credentials: { secretRef: { name: 'users-db-2' } } } },
    });
    await waitFor(async () => (await getCr(crNs.name, name))?.status?.observedGeneration === 2 || undefined, {
      what: 'the ref change observed',
      timeout: 60_000,
    });
    const now = await getObject<SecretObject>(adminHttp(), secretRef(crNs.name, 'users-db'));
    expect(now).toBeDefined();
    expect(now?.metadata.labels).toEqual({ owner: 'user' });
    expect(now?.metadata.ownerReferences ?? []).toEqual([]);
    expect(now?.data).toEqual(original?.data);
    expect(now?.metadata.resourceVersion).toBe(original?.metadata.resourceVersion);
    const other = await getObject<SecretObject>(adminHttp(), secretRef(crNs.name, 'users-db-2'));
    expect(other?.metadata.labels).toEqual({ owner: 'user' });
    expect((other?.metadata.managedFields ?? []).map((f) => f.manager)).not.toContain('multinic-operator');
    await deleteCrAndWait(crNs.name, name);
    expect(await exists(secretRef(crNs.name, 'users-db-2'))).toBeDefined();
  });
});

describe('cron schedules', () => {
  it('item 13: the API server refuses a MultiNicOperator whose cron schedule never fires', async () => {
    const cr = {
      ...externalDbCr(crNs.name, 'never'),
      spec: {
        ...(externalDbCr(crNs.name, 'never')['spec'] as Record<string, unknown>),
        reconcileTrigger: { mode: 'scheduled', schedule: '* * 31 2 *' },
      },
    };
    await expect(createObject(adminHttp(), cr)).rejects.toThrow(
      /422 Invalid: .*spec\.reconcileTrigger\.schedule: Invalid value: "\* \* 31 2 \*": cron schedule never fires/,
    );
    expect(await getCr(crNs.name, 'never')).toBeUndefined();
  });
});

describe('render failures', () => {
  const flakyNs = useNamespace('op-flaky');
  const flakyHome = useNamespace('op-flaky-home');
  it('item 12: a Secret read that fails while rendering is retried; the CR converges once it succeeds', async () => {
    const ns = flakyNs.name;
    const name = 'flaky';
    const kc = await operatorKubeConfig(flakyHome.name, { watchNamespace: ns });
    const file = join(scratch, 'operator.kubeconfig');
    writeFileSync(file, kc.exportConfig());
    const proxy = new FaultProxy(file);
    await proxy.start();
    const secretPath = `/api/v1/namespaces/${ns}/secrets/${name}-db-credentials`;
    proxy.failRequests((method, path) => (method === 'GET' && path === secretPath ? 500 : undefined));
    const operator = await startOperator({
      http: new KubeHttp(proxy.kubeConfig()),
      namespace: flakyHome.name,
      watchNamespace: ns,
      metricsPort: 0,
      webhookPort: null,
      bindHost: '127.0.0.1',
      leaseDurationSeconds: 4,
      leaseName: `multinic-operator-${flakyHome.name}`,
      identity: 'flaky',
      resyncMs: 600_000,
    });
    running.push(operator);
    try {
      await operator.ready();
      await createObject(adminHttp(), internalDbCr(ns, name));
      await waitFor(() => proxy.failedRequests > 0 || undefined, {
        what: 'the Secret read to fail',
        timeout: 30_000,
      });
      const failing = await waitFor(
        async () => {
          const cr = await getCr(ns, name);
          return cr?.status?.conditions?.find((c) => c.reason.startsWith('Render'));
        },
        { what: 'the render failure in status', timeout: 30_000 },
      );
      proxy.failRequests(undefined);
      // Retried with backoff: once the read succeeds the system is applied.
      await waitFor(
        () => exists({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: `${name}-mariadb` }),
        { what: 'the MariaDB StatefulSet after the read succeeds again', timeout: 90_000 },
      );
      expect(failing.reason).toBe('RenderRetrying');
      await waitFor(
        async () =>
          (await getCr(ns, name))?.status?.conditions?.every((c) => c.reason !== 'RenderRetrying') ||
          undefined,
        { what: 'the RenderRetrying condition cleared', timeout: 60_000 },
      );
    } finally {
      await operator.stop();
      running.splice(running.indexOf(operator), 1);
      await proxy.stop();
    }
    await deleteObject(adminHttp(), crRef(ns, name));
  });
});

describe('two MultiNicOperators of one name', () => {
  const nsA = useNamespace('op-twin-a');
  const nsB = useNamespace('op-twin-b');
  const homeA = useNamespace('op-twin-home-a');
  const homeB = useNamespace('op-twin-home-b');
  const name = `twin-${Date.now().toString(36)}`;

  it('item 16: the second CR is refused with a condition; the shared agent-namespace objects stop churning', async () => {
    for (const [home, watched] of [
      [homeA, nsA],
      [homeB, nsB],
    ] as const) {
      await adminClients().core.createNamespacedSecret({
        namespace: watched.name,
        body: { metadata: { name: 'external-db' }, stringData: { username: 'multinic', password: 'x' } },
      });
      const operator = await startTestOperator(home.name, {
        watchNamespace: watched.name,
        leaseName: `multinic-operator-${home.name}`,
        identity: home.name,
        resyncMs: 5_000,
      });
      running.push(operator);
    }
    await createObject(adminHttp(), externalDbCr(nsA.name, name));
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      namespace: AGENT_NAMESPACE,
      name: `${name}-agent-controller`,
    };
    await waitFor(() => exists(binding), {
      what: 'agent-namespace RoleBinding of the first CR',
      timeout: 60_000,
    });
    await createObject(adminHttp(), externalDbCr(nsB.name, name));
    const conflict = await waitFor(
      async () => {
        const b = await getCr(nsB.name, name);
        return b?.status?.conditions?.find((c) => c.reason === 'Conflict');
      },
      { what: 'a Conflict condition on the second CR', timeout: 60_000 },
    );
    expect(conflict).toBeDefined();
    expect((await getCr(nsB.name, name))?.status?.message ?? '').toMatch(
      new RegExp(`another MultiNicOperator named ${name} \\(namespace ${nsA.name}\\)`),
    );

    // Over several resyncs (5 s each) nothing in the agent namespace is rewritten.
    const versions = new Set<string>();
    const repairs = async (): Promise<number> => {
      const events = await listObjects<
        KubeObject & { reason?: string; count?: number; involvedObject?: { name?: string } }
      >(adminHttp(), { apiVersion: 'v1', kind: 'Event' }, { namespace: nsA.name });
      const eventsB = await listObjects<
        KubeObject & { reason?: string; count?: number; involvedObject?: { name?: string } }
      >(adminHttp(), { apiVersion: 'v1', kind: 'Event' }, { namespace: nsB.name });
      return [...events, ...eventsB]
        .filter(
          (e) => e.involvedObject?.name === name && (e.reason === 'Repaired' || e.reason === 'Restored'),
        )
        .reduce((sum, e) => sum + (e.count ?? 1), 0);
    };
    const repairsBefore = await repairs();
    for (let i = 0; i < 8; i++) {
      versions.add((await exists(binding))?.metadata.resourceVersion ?? 'gone');
      await new Promise((resolve) => setTimeout(resolve, 2_500));
    }
    expect([...versions]).toHaveLength(1);
    expect(await repairs()).toBe(repairsBefore);
    const subjects = ((await exists(binding)) as KubeObject & { subjects?: Array<{ namespace?: string }> })
      .subjects;
    expect(subjects?.map((s) => s.namespace)).toEqual([nsA.name]);

    await deleteObject(adminHttp(), crRef(nsB.name, name));
    await deleteObject(adminHttp(), crRef(nsA.name, name));
    await waitGone(crRef(nsA.name, name), 60_000);
    await waitGone(crRef(nsB.name, name), 60_000);
    await waitGone(binding, 60_000);
  });
});
