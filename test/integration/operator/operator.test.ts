// The operator against the real API server (kwok runs the pods): apply, Ready, spec changes,
// self-healing, pruning, leader election and clean removal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseMultiNicOperator } from '../../../src/api/multinic-operator.js';
import { createObject, deleteObject, getObject, mergePatchObject } from '../../../src/kube/apply.js';
import type { KubeObject } from '../../../src/kube/types.js';
import type { RunningOperator } from '../../../src/operator/operator.js';
import { renderSystem } from '../../../src/operator/render.js';
import { adminClients, useNamespace, waitFor } from '../../support/kube.js';
import {
  adminHttp,
  crRef,
  exists,
  externalDbCr,
  getCr,
  installCrds,
  startTestOperator,
  waitGone,
} from './helpers.js';

const crNs = useNamespace('op-crs');
const opNs = useNamespace('op-home');
let operator: RunningOperator | undefined;
const stopped = new Set<RunningOperator>();

function lease(): string {
  return `multinic-operator-${opNs.name}`;
}

beforeAll(async () => {
  await installCrds();
  // The external database's Secret (the user's, never managed by the operator).
  await adminClients().core.createNamespacedSecret({
    namespace: crNs.name,
    body: { metadata: { name: 'external-db' }, stringData: { username: 'multinic', password: 'not-used' } },
  });
  operator = await startTestOperator(opNs.name, {
    watchNamespace: crNs.name,
    leaseName: lease(),
    identity: 'op-a',
  });
  await waitFor(() => operator?.isLeader(), { what: 'operator a to lead', timeout: 20_000 });
});

afterAll(async () => {
  for (const running of [operator]) if (running !== undefined && !stopped.has(running)) await running.stop();
});

function desiredFor(cr: KubeObject): KubeObject[] {
  const parsed = parseMultiNicOperator({ ...cr, metadata: { ...cr.metadata, uid: 'x' } });
  return renderSystem(parsed, { operatorNamespace: opNs.name }).manifests as unknown as KubeObject[];
}

function refOf(obj: KubeObject) {
  return {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    name: obj.metadata.name ?? '',
    ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}),
  };
}

describe('multinic operator', () => {
  const name = 'ready';

  it('applies every object of the MultiNicSystem and turns Ready once kwok runs the pods', async () => {
    const cr = externalDbCr(crNs.name, name);
    await createObject(adminHttp(), cr);
    const desired = desiredFor(cr);
    expect(desired.length).toBeGreaterThan(5);
    for (const obj of desired) {
      const found = await waitFor(() => exists(refOf(obj)), {
        what: `${obj.kind} ${obj.metadata.name}`,
        timeout: 30_000,
      });
      expect(found.metadata.labels?.['multinic.example.com/managed-by-operator']).toBe(name);
      if (obj.metadata.namespace === crNs.name) {
        expect(found.metadata.ownerReferences?.[0]).toMatchObject({
          kind: 'MultiNicOperator',
          name,
          controller: true,
        });
      } else {
        expect(found.metadata.labels?.['multinic.example.com/managed-by-namespace']).toBe(crNs.name);
      }
    }
    const ready = await waitFor(
      async () => {
        const got = await getCr(crNs.name, name);
        return got?.status?.phase === 'Running' ? got : undefined;
      },
      { what: 'status.phase Running', timeout: 90_000 },
    );
    expect(ready.status).toMatchObject({
      message: 'All components are running successfully',
      observedGeneration: ready.metadata.generation,
      controllerStatus: { phase: 'Running', readyReplicas: 1 },
      databaseStatus: { phase: 'External' },
      protectionStatus: { active: false, preventedMutations: 0 },
    });
    expect(ready.status?.lastUpdated).toBeDefined();
    const types = ready.status?.conditions?.map((c) => `${c.type}=${c.status}`) ?? [];
    expect(types).toEqual(
      expect.arrayContaining(['Ready=True', 'Progressing=False', 'Degraded=False', 'controllerReady=True']),
    );
    expect(ready.metadata.finalizers).toContain('multinic.example.com/operator-finalizer');
  });

  it('issues no writes on a no-op resync', async () => {
    const { writesTotal } = await import('../../../src/operator/reconciler.js');
    const before = (await writesTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
    await operator?.reconciler.reconcile({ namespace: crNs.name, name });
    await operator?.reconciler.reconcile({ namespace: crNs.name, name });
    const after = (await writesTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(after - before).toBe(0);
  });

  it('rolls out a spec change', async () => {
    await mergePatchObject(adminHttp(), crRef(crNs.name, name), { spec: { controller: { replicas: 2 } } });
    await waitFor(
      async () =>
        (
          (
            await exists({
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              namespace: crNs.name,
              name: `${name}-controller`,
            })
          )?.['spec'] as { replicas?: number } | undefined
        )?.replicas === 2,
      { what: 'controller Deployment replicas 2' },
    );
  });

  it('re-creates a deleted controller Deployment', async () => {
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: crNs.name,
      name: `${name}-controller`,
    };
    const before = await exists(ref);
    await deleteObject(adminHttp(), ref);
    const after = await waitFor(
      async () => {
        const now = await exists(ref);
        return now !== undefined && now.metadata.uid !== before?.metadata.uid ? now : undefined;
      },
      { what: 'a new controller Deployment' },
    );
    expect(after.metadata.labels?.['multinic.example.com/managed-by-operator']).toBe(name);
    const event = await waitFor(
      async () => {
        const list = await adminClients().core.listNamespacedEvent({
          namespace: crNs.name,
          fieldSelector: `involvedObject.name=${name}`,
        });
        return list.items.find(
          (item) => item.reason === 'Restored' && item.message?.includes(`${name}-controller`),
        );
      },
      { what: 'a Restored Event on the MultiNicOperator' },
    );
    expect(event.involvedObject.kind).toBe('MultiNicOperator');
  });

  it('serves /healthz, /readyz and the operator metrics', async () => {
    const base = `http://127.0.0.1:${operator?.metricsPort ?? 0}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const metric of [
      'multinic_operator_reconcile_total',
      'multinic_operator_managed_resources_count',
      'multinic_operator_reconcile_duration_seconds',
      'multinic_operator_workqueue_depth',
      'multinic_kube_watch_restarts_total',
      'multinic_operator_protection_events_total',
    ]) {
      expect(text, metric).toContain(metric);
    }
  });

  it('removes a label and an env var added by hand', async () => {
    const http = adminHttp();
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: crNs.name,
      name: `${name}-controller`,
    };
    const live = (await getObject(http, ref)) as KubeObject & {
      spec: { template: { spec: { containers: Array<{ name: string; env?: unknown[] }> } } };
    };
    const container = live.spec.template.spec.containers[0];
    expect(container).toBeDefined();
    await http.request('PATCH', await http.objectPath(ref), {
      body: {
        metadata: { labels: { 'hand-added': 'yes' } },
        spec: {
          template: {
            spec: { containers: [{ name: container?.name, env: [{ name: 'HAND_ADDED', value: '1' }] }] },
          },
        },
      },
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldManager: 'kubectl-edit' },
    });
    await waitFor(
      async () => {
        const now = (await getObject(http, ref)) as typeof live | undefined;
        const env = JSON.stringify(now?.spec.template.spec.containers ?? []);
        return (
          now !== undefined &&
          now.metadata.labels?.['hand-added'] === undefined &&
          !env.includes('HAND_ADDED')
        );
      },
      { what: 'hand-added label and env var removed' },
    );
  });

  it('prunes the database objects when the database is switched off, but keeps the credentials (the data outlives them)', async () => {
    const pruneName = 'prune';
    const cr: KubeObject = {
      apiVersion: 'multinic.example.com/v1alpha1',
      kind: 'MultiNicOperator',
      metadata: { name: pruneName, namespace: crNs.name },
      spec: { protection: { mode: 'off' }, database: { backup: { enabled: false } } },
    };
    await createObject(adminHttp(), cr);
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: crNs.name,
      name: `${pruneName}-mariadb`,
    };
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: crNs.name,
      name: `${pruneName}-db-credentials`,
    };
    await waitFor(() => exists(sts), { what: 'MariaDB StatefulSet' });
    const generated = await waitFor(() => exists(secret), { what: 'generated credentials Secret' });
    expect(Object.keys((generated['data'] ?? {}) as object)).toEqual(
      expect.arrayContaining(['root-password', 'password']),
    );
    await mergePatchObject(adminHttp(), crRef(crNs.name, pruneName), {
      spec: {
        database: {
          enabled: false,
          external: { host: 'db.example.internal', secretRef: { name: 'external-db' } },
        },
      },
    });
    expect(generated.metadata.ownerReferences).toBeUndefined();
    await waitGone(sts);
    await waitGone({ apiVersion: 'v1', kind: 'Service', namespace: crNs.name, name: `${pruneName}-mariadb` });
    await deleteObject(adminHttp(), crRef(crNs.name, pruneName));
    await waitGone(crRef(crNs.name, pruneName));
    // Never owned, never pruned: a re-created CR finds the same passwords the data was made with.
    expect((await exists(secret))?.['data']).toEqual(generated['data']);
  });

  it('reports the last backup Job of the backup CronJob in databaseStatus.lastBackup', async () => {
    const http = adminHttp();
    const backupName = 'backup';
    const cr = externalDbCr(crNs.name, backupName);
    const spec = cr['spec'] as { database: { backup: unknown } };
    spec.database.backup = { enabled: true };
    await createObject(http, cr);
    const wanted = desiredFor(cr).find((obj) => obj.kind === 'CronJob');
    expect(wanted).toBeDefined();
    const cronJob = (await waitFor(() => exists(refOf(wanted as KubeObject)), {
      what: 'backup CronJob',
    })) as KubeObject & {
      spec: { jobTemplate: { metadata?: { labels?: Record<string, string> }; spec: unknown } };
    };
    // No volume provisioner here: bind the backup claim to a PV so the Job's pod can be scheduled.
    const claimRef = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: crNs.name,
      name: `${backupName}-db-backups`,
    };
    const claim = await waitFor(() => exists(claimRef), { what: 'backup PVC' });
    const pvName = `${crNs.name}-backups`;
    await createObject(http, {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: (claim['spec'] as { storageClassName?: string }).storageClassName ?? '',
        hostPath: { path: `/tmp/${pvName}` },
        claimRef: { namespace: crNs.name, name: claimRef.name },
      },
    });
    try {
      // What `kubectl create job --from=cronjob/<name>` does: the template, owned by the CronJob.
      const jobName = `${backupName}-manual-1`;
      await createObject(http, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: jobName,
          namespace: crNs.name,
          labels: cronJob.spec.jobTemplate.metadata?.labels ?? {},
          annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: cronJob.metadata.name ?? '',
              uid: cronJob.metadata.uid ?? '',
              controller: true,
            },
          ],
        },
        spec: cronJob.spec.jobTemplate.spec,
      });
      type LastBackupStatus = { time?: string; succeeded?: boolean; jobName?: string };
      const lastBackup = await waitFor(
        async () => {
          const got = await getCr(crNs.name, backupName);
          const value = (got?.status?.databaseStatus as { lastBackup?: LastBackupStatus } | undefined)
            ?.lastBackup;
          return value?.succeeded === true ? value : undefined;
        },
        { what: 'databaseStatus.lastBackup.succeeded true', timeout: 90_000 },
      );
      expect(lastBackup).toMatchObject({ succeeded: true, jobName });
      expect(Number.isNaN(Date.parse(lastBackup.time ?? ''))).toBe(false);
    } finally {
      await deleteObject(http, crRef(crNs.name, backupName));
      await waitGone(crRef(crNs.name, backupName), 60_000);
      await deleteObject(http, { apiVersion: 'v1', kind: 'PersistentVolume', name: pvName });
    }
  });

  it('elects one leader among two operators and fails over when the leader stops', async () => {
    if (operator === undefined) throw new Error('operator a did not start');
    const second = await startTestOperator(opNs.name, {
      watchNamespace: crNs.name,
      leaseName: lease(),
      identity: 'op-b',
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect([operator.isLeader(), second.isLeader()]).toEqual([true, false]);
      await operator.stop();
      stopped.add(operator);
      await waitFor(() => second.isLeader(), { what: 'operator b to take over', timeout: 30_000 });
      const ref = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: crNs.name,
        name: `${name}-agent-controller`,
      };
      const before = await exists(ref);
      await deleteObject(adminHttp(), ref);
      await waitFor(
        async () => {
          const now = await exists(ref);
          return now !== undefined && now.metadata.uid !== before?.metadata.uid;
        },
        { what: 'the new leader to restore the agent-controller Deployment' },
      );
      operator = second;
    } catch (error) {
      await second.stop();
      throw error;
    }
  });

  it('removes everything, cluster-scoped objects included, when the CR is deleted', async () => {
    const desired = desiredFor(externalDbCr(crNs.name, name));
    await deleteObject(adminHttp(), crRef(crNs.name, name));
    await waitGone(crRef(crNs.name, name), 60_000);
    for (const obj of desired.filter((o) => o.metadata.namespace !== crNs.name)) {
      await waitGone(refOf(obj), 60_000);
    }
    // Namespaced children go through the garbage collector (owner references).
    await waitGone(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: crNs.name, name: `${name}-controller` },
      60_000,
    );
  });
});
