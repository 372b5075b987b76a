// Issue 4: the API server goes away for 10 s and comes back; the operator reconnects its watches
// and catches up (self-healing and spec changes work again) without a restart of its own.
// The shared control plane of the run must stay up for the other files, so this file starts a
// private one (its own data dir, ports and etcd) and kills only that one's kube-apiserver.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { crdManifests } from '../../../src/api/crds.js';
import { parseMultiNicOperator } from '../../../src/api/multinic-operator.js';
import { startControlPlane, type ControlPlane } from '../../../src/dev/control-plane.js';
import { createObject, deleteObject, getObject, mergePatchObject } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject, ObjectRef } from '../../../src/kube/types.js';
import { startOperator, type RunningOperator } from '../../../src/operator/operator.js';
import { renderSystem } from '../../../src/operator/render.js';
import { applyManifests, clientsFor, testEnv, waitFor, type Clients } from '../../support/kube.js';
import { AGENT_NAMESPACE, crRef, externalDbCr, installOperatorRbac } from './helpers.js';

const CR_NAMESPACE = 'restart-crs';
const OPERATOR_NAMESPACE = 'restart-op';
const NAME = 'survivor';
const OUTAGE_MS = 10_000;

let controlPlane: ControlPlane | undefined;
let admin: Clients;
let operator: RunningOperator | undefined;

function cp(): ControlPlane {
  if (controlPlane === undefined) throw new Error('the private control plane did not start');
  return controlPlane;
}

function http(): KubeHttp {
  return admin.http;
}

const controllerRef: ObjectRef = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: CR_NAMESPACE,
  name: `${NAME}-controller`,
};

function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? '',
    kind: obj.kind ?? '',
    name: obj.metadata.name ?? '',
    ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}),
  };
}

/** Sum of multinic_kube_watch_restarts_total over all label sets, scraped from the operator's /metrics. */
async function watchRestarts(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${operator?.metricsPort ?? 0}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^multinic_kube_watch_restarts_total(?:\{[^}]*\})? ([0-9.e+]+)$/.exec(line);
    if (match?.[1] !== undefined) sum += Number(match[1]);
  }
  return sum;
}

function replicasOf(obj: KubeObject | undefined): number | undefined {
  return (obj?.['spec'] as { replicas?: number } | undefined)?.replicas;
}

beforeAll(async () => {
  controlPlane = await startControlPlane({
    binDir: process.env['MULTINIC_CONTROL_PLANE_BIN'] ?? testEnv().binDir,
    // The global setup's prefix: if this worker dies, the next run reaps the orphaned components.
    dataDir: mkdtempSync(join(tmpdir(), 'multinic-test-restart-')),
    removeDataDirOnStop: true,
    nodes: 1,
    mariadb: false,
  });
  admin = clientsFor(cp().adminKubeConfig);
  await applyManifests(
    [
      ...(crdManifests() as unknown as KubernetesObject[]),
      ...[CR_NAMESPACE, OPERATOR_NAMESPACE, AGENT_NAMESPACE].map((name) => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      })),
    ],
    'multinic-test-crds',
    admin,
  );
  await admin.core.createNamespacedSecret({
    namespace: CR_NAMESPACE,
    body: { metadata: { name: 'external-db' }, stringData: { username: 'multinic', password: 'not-used' } },
  });
  // The operator runs as its ServiceAccount (a TokenRequest token, still valid after the restart).
  await installOperatorRbac(new KubeHttp(cp().adminKubeConfig), OPERATOR_NAMESPACE, {
    watchNamespace: CR_NAMESPACE,
  });
  const kc = await cp().users.serviceAccountKubeConfig(OPERATOR_NAMESPACE, 'multinic-operator');
  operator = await startOperator({
    http: new KubeHttp(kc),
    namespace: OPERATOR_NAMESPACE,
    watchNamespace: CR_NAMESPACE,
    metricsPort: 0,
    webhookPort: null,
    bindHost: '127.0.0.1',
    leaseDurationSeconds: 4,
    // No periodic resync within the test: only the (re)connected watches can bring the changes.
    resyncMs: 600_000,
  });
  await operator.ready();
  await waitFor(() => operator?.isLeader(), { what: 'the operator to lead', timeout: 20_000 });
}, 240_000);

afterAll(async () => {
  await operator?.stop();
  await controlPlane?.stop();
}, 60_000);

describe('operator across a kube-apiserver outage', () => {
  it('applies the MultiNicSystem before the outage', async () => {
    const cr = externalDbCr(CR_NAMESPACE, NAME);
    await createObject(http(), cr);
    const parsed = parseMultiNicOperator({ ...cr, metadata: { ...cr.metadata, uid: 'x' } });
    const desired = renderSystem(parsed, { operatorNamespace: OPERATOR_NAMESPACE })
      .manifests as unknown as KubeObject[];
    expect(desired.length).toBeGreaterThan(5);
    for (const obj of desired) {
      await waitFor(() => getObject(http(), refOf(obj)), {
        what: `${obj.kind} ${obj.metadata.name ?? ''}`,
        timeout: 60_000,
      });
    }
  }, 120_000);

  it('reconnects its watches after 10 s without an API server and repairs and applies again', async () => {
    const before = await getObject(http(), controllerRef);
    expect(before).toBeDefined();
    const restartsBefore = await watchRestarts();

    await cp().stopComponent('kube-apiserver', { graceMs: 0 });
    // The outage is real: the API server does not answer.
    await expect(getObject(http(), controllerRef)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await cp().startComponent('kube-apiserver');
    const backAt = Date.now();
    // Leading again (after losing the lease during the outage, it re-reconciles everything once).
    await waitFor(() => operator?.isLeader(), { what: 'the operator to lead again', timeout: 60_000 });
    await operator?.idle();
    const leadingMs = Date.now() - backAt;

    // From here on only the watches (resumed from their last resourceVersion) tell the operator.
    await deleteObject(http(), controllerRef);
    await mergePatchObject(http(), crRef(CR_NAMESPACE, NAME), { spec: { controller: { replicas: 2 } } });
    const repaired = await waitFor(
      async () => {
        const now = await getObject(http(), controllerRef);
        return now !== undefined && now.metadata.uid !== before?.metadata.uid && replicasOf(now) === 2
          ? now
          : undefined;
      },
      { what: 'a re-created controller Deployment with 2 replicas', timeout: 90_000 },
    );
    const caughtUpMs = Date.now() - backAt;
    expect(repaired.metadata.labels?.['multinic.example.com/managed-by-operator']).toBe(NAME);
    expect(operator?.isLeader()).toBe(true);

    const restartsAfter = await watchRestarts();
    expect(restartsAfter).toBeGreaterThan(restartsBefore);
    console.info(
      `apiserver-restart: leading+idle ${leadingMs} ms, caught up ${caughtUpMs} ms after /readyz; watch restarts ${restartsBefore} -> ${restartsAfter}`,
    );
  }, 180_000);
});
