// Zero writes when nothing changes: once a MultiNicOperator's objects are applied (internal
// MariaDB StatefulSet with its volumeClaimTemplates, backups, the controller and agent parts),
// full resyncs and repeated reconciles issue no write at all, counted three ways: the operator's
// own writes metric, the resourceVersions of everything it writes for these CRs (any write by
// anyone bumps one; other test files cannot disturb them) and the operator's Events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MULTINIC_OPERATOR } from '../../../src/api/groups.js';
import { createObject, listByLabel, listObjects } from '../../../src/kube/apply.js';
import type { KubeObject } from '../../../src/kube/types.js';
import type { RunningOperator } from '../../../src/operator/operator.js';
import { writesTotal } from '../../../src/operator/reconciler.js';
import { operatorAccess } from '../../../src/constructs/operator/operator-access.js';
import { MANAGED_BY_LABEL, MANAGED_BY_NAMESPACE_LABEL } from '../../../src/operator/labels.js';
import { adminClients, useNamespace, waitFor } from '../../support/kube.js';
import { adminHttp, exists, externalDbCr, getCr, installCrds, startTestOperator } from './helpers.js';

const crNs = useNamespace('idle-crs');
const opNs = useNamespace('idle-op');
let operator: RunningOperator | undefined;

/** Internal MariaDB (StatefulSet + volumeClaimTemplates), with or without the backup CronJob. */
function internalDbCr(name: string, backup: boolean): KubeObject {
  return {
    apiVersion: MULTINIC_OPERATOR.apiVersion,
    kind: MULTINIC_OPERATOR.kind,
    metadata: { name, namespace: crNs.name },
    spec: { protection: { mode: 'off' }, database: { enabled: true, backup: { enabled: backup } } },
  };
}

const CRS = ['db-backup', 'db', 'external'];

async function operatorWrites(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const value of (await writesTotal.get()).values)
    out[String(value.labels['action'])] = (out[String(value.labels['action'])] ?? 0) + value.value;
  return out;
}

interface EventObject extends KubeObject {
  reason?: string;
  count?: number;
  message?: string;
  series?: { count?: number };
  source?: { component?: string };
  reportingComponent?: string;
}

/** The operator's Events in the CR namespace: `name reason count` (a repeat bumps the count). */
async function operatorEvents(): Promise<string[]> {
  const events = await listObjects<EventObject>(
    adminHttp(),
    { apiVersion: 'v1', kind: 'Event' },
    { namespace: crNs.name },
  );
  return events
    .filter((e) => (e.reportingComponent ?? e.source?.component) === 'multinic-operator')
    .map(
      (e) =>
        `${e.metadata.name ?? ''} ${e.reason ?? ''} ${e.series?.count ?? e.count ?? 1}: ${e.message ?? ''}`,
    )
    .sort();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await installCrds();
  await adminClients().core.createNamespacedSecret({
    namespace: crNs.name,
    body: { metadata: { name: 'external-db' }, stringData: { username: 'multinic', password: 'not-used' } },
  });
  operator = await startTestOperator(opNs.name, {
    watchNamespace: crNs.name,
    leaseName: `multinic-operator-${opNs.name}`,
    identity: 'idle',
    // Every CR is re-queued by the informer's resync this often: full resyncs during the idle window.
    resyncMs: 2_000,
  });
  await waitFor(() => operator?.isLeader(), { what: 'operator to lead', timeout: 20_000 });
});

afterAll(async () => {
  await operator?.stop();
});

/**
 * The resourceVersion of every object the operator writes for this file's CRs: the managed
 * objects (namespaced ones in the CR namespace, cluster-scoped ones by their owner-namespace
 * label), the generated Secrets and the CRs themselves (status included). Any write, by anyone,
 * bumps one of them; other test files' writes to the same API server never do.
 */
async function apiServerWrites(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const kinds = operatorAccess().informers.map((k) => ({ apiVersion: k.apiVersion, kind: k.kind }));
  const objects = [
    ...(await listByLabel(adminHttp(), kinds, MANAGED_BY_LABEL)).filter(
      (o) =>
        o.metadata.namespace === crNs.name || o.metadata.labels?.[MANAGED_BY_NAMESPACE_LABEL] === crNs.name,
    ),
    ...(await listObjects(adminHttp(), { apiVersion: 'v1', kind: 'Secret' }, { namespace: crNs.name })),
    ...(await listObjects(adminHttp(), MULTINIC_OPERATOR, { namespace: crNs.name })),
  ];
  for (const o of objects)
    out.set(
      `${o.kind ?? ''} ${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`,
      Number(o.metadata.resourceVersion),
    );
  return out;
}

describe('an unchanged MultiNicOperator', () => {
  it('costs no write: full resyncs and reconciles leave every object, the CR and its Events alone', async () => {
    await createObject(adminHttp(), internalDbCr('db-backup', true));
    await createObject(adminHttp(), internalDbCr('db', false));
    await createObject(adminHttp(), externalDbCr(crNs.name, 'external'));
    for (const name of ['db-backup', 'db']) {
      await waitFor(
        () =>
          exists({
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            namespace: crNs.name,
            name: `${name}-mariadb`,
          }),
        { what: `StatefulSet ${name}-mariadb`, timeout: 60_000 },
      );
    }
    await waitFor(
      () =>
        exists({
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          namespace: crNs.name,
          name: 'db-backup-db-backup',
        }),
      { what: 'backup CronJob', timeout: 60_000 },
    );
    for (const name of CRS) {
      await waitFor(async () => (await getCr(crNs.name, name))?.status?.observedGeneration !== undefined, {
        what: `${name} status written`,
        timeout: 60_000,
      });
    }
    // Settle: the first reconciles' own writes (status, the workloads turning Ready on kwok) are
    // done once two reads 3 s apart agree. An operator that never goes quiet is measured anyway
    // after 30 s, and fails below with what it wrote.
    let last = '';
    for (let tries = 0; tries < 10; tries++) {
      await operator?.idle();
      await sleep(3_000);
      const now = JSON.stringify([await operatorWrites(), [...(await apiServerWrites())]]);
      if (now === last) break;
      last = now;
    }

    const writesBefore = await operatorWrites();
    const apiBefore = await apiServerWrites();
    const eventsBefore = await operatorEvents();

    // Reconciles forced by hand (every CR, three times) plus > 10 s of informer resyncs every 2 s
    // (and the pending requeues of not-yet-Ready CRs).
    for (let round = 0; round < 3; round++) {
      for (const name of CRS) await operator?.reconciler.reconcile({ namespace: crNs.name, name });
    }
    await sleep(12_000);
    await operator?.idle();

    expect(await operatorWrites()).toEqual(writesBefore);
    const apiAfter = await apiServerWrites();
    expect([...apiAfter].filter(([key, version]) => apiBefore.get(key) !== version)).toEqual([]);
    expect([...apiAfter.keys()].sort()).toEqual([...apiBefore.keys()].sort());
    expect(await operatorEvents()).toEqual(eventsBefore);
    // Nothing ever drifted by itself, from the first apply on.
    expect(eventsBefore.filter((e) => / Repaired /.test(e))).toEqual([]);
  });
});
