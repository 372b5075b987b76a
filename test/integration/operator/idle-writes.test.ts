// Zero writes when nothing changes: once a MultiNicOperator's objects are applied (internal
// MariaDB StatefulSet with its volumeClaimTemplates, backups, the controller and agent parts),
// full resyncs and repeated reconciles issue no write at all, counted three ways: the operator's
// own writes metric, the API server's count of writes on the kinds it manages (that metric has no
// user label: it relies on vitest running this project's files one at a time on this machine)
// and the operator's Events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MULTINIC_OPERATOR } from '../../../src/api/groups.js';
import { createObject, listObjects } from '../../../src/kube/apply.js';
import type { KubeObject } from '../../../src/kube/types.js';
import type { RunningOperator } from '../../../src/operator/operator.js';
import { writesTotal } from '../../../src/operator/reconciler.js';
import { operatorAccess } from '../../../src/constructs/operator/operator-access.js';
import { grown, requestTotals } from '../../support/apiserver-writes.js';
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
 * Writes the API server counted (apiserver_request_total, every client) on what the operator
 * writes: the kinds it manages, the Secrets it creates once and its CRs with their status.
 * Others' writes are left out: Leases, Pods and Events (kwok, the scheduler and the
 * PersistentVolume controller keep writing those), and the status subresources of the
 * Kubernetes controllers. The counter has no user label: another test file writing these
 * kinds at the same time would show up here too.
 */
async function apiServerWrites(): Promise<Map<string, number>> {
  const resources = new Set([
    ...operatorAccess().informers.map((kind) => kind.resource),
    'secrets',
    MULTINIC_OPERATOR.plural,
  ]);
  const out = new Map<string, number>();
  for (const [key, value] of await requestTotals(adminHttp())) {
    const [resource, subresource] = (key.split(' ')[1] ?? '').split('/');
    if (!resources.has(resource ?? '')) continue;
    if (subresource !== undefined && resource !== MULTINIC_OPERATOR.plural) continue;
    out.set(key, value);
  }
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
    expect(Object.fromEntries(grown(apiBefore, await apiServerWrites()))).toEqual({});
    expect(await operatorEvents()).toEqual(eventsBefore);
    // Nothing ever drifted by itself, from the first apply on.
    expect(eventsBefore.filter((e) => / Repaired /.test(e))).toEqual([]);
  });
});
