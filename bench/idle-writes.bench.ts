// Writes while nothing changes: BENCH_IDLE_CRS MultiNicOperators (half with the internal MariaDB
// StatefulSet and backups, half with an external database) on one local control plane (kwok
// nodes, as `multinic dev` starts it), the operator in this process with its production
// resync and requeue intervals. Once every CR is applied and the operator is quiet, the API
// server's own apiserver_request_total counts the writes by verb over BENCH_IDLE_MINUTES idle
// minutes (Lease renewals left out), beside the operator's writes metric. Target: 0. The earlier
// Go operator (controller-runtime) rewrote everything every few seconds: ~7,000 writes per 60 s
// with 51 CRs, measured on the same kind of control plane.
//   npx tsx bench/idle-writes.bench.ts     (BENCH_IDLE_CRS=50, BENCH_IDLE_MINUTES=5)
import { crdManifests } from '../src/api/crds.js';
import { MULTINIC_OPERATOR } from '../src/api/groups.js';
import { operatorAccess } from '../src/constructs/operator/operator-access.js';
import { startControlPlane } from '../src/dev/control-plane.js';
import { applyObject, createObject, listObjects } from '../src/kube/apply.js';
import { KubeHttp } from '../src/kube/http.js';
import type { KubeObject } from '../src/kube/types.js';
import { startOperator } from '../src/operator/operator.js';
import { writesTotal } from '../src/operator/reconciler.js';
import { grown, requestTotals } from '../test/support/apiserver-writes.js';

const CRS = Number(process.env['BENCH_IDLE_CRS'] ?? 50);
const MINUTES = Number(process.env['BENCH_IDLE_MINUTES'] ?? 5);
/** The earlier Go operator's writes in 60 s idle with 51 CRs. */
const PEER_WRITES_PER_MINUTE = 7_000;
const NAMESPACE = 'bench';

const sleep = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, t));

function cr(name: string, internal: boolean): KubeObject {
  return {
    apiVersion: MULTINIC_OPERATOR.apiVersion,
    kind: MULTINIC_OPERATOR.kind,
    metadata: { name, namespace: NAMESPACE },
    spec: {
      protection: { mode: 'off' },
      database: internal
        ? { enabled: true, backup: { enabled: true } }
        : {
            enabled: false,
            external: { host: 'db.example.internal', secretRef: { name: 'external-db' } },
            backup: { enabled: false },
          },
    },
  };
}

async function operatorWrites(): Promise<number> {
  return (await writesTotal.get()).values.reduce((sum, value) => sum + value.value, 0);
}

/** Writes by `VERB resource[/subresource]`, Leases left out. */
async function writes(http: KubeHttp): Promise<Map<string, number>> {
  const out = await requestTotals(http);
  for (const key of [...out.keys()]) if (key.split(' ')[1]?.startsWith('leases')) out.delete(key);
  return out;
}

interface EventObject extends KubeObject {
  count?: number;
  series?: { count?: number };
  source?: { component?: string };
  reportingComponent?: string;
}

/** Occurrences of every Event in the CRs' namespace, by the component that reported it. */
async function eventsByComponent(http: KubeHttp): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const event of await listObjects<EventObject>(
    http,
    { apiVersion: 'v1', kind: 'Event' },
    { namespace: NAMESPACE },
  )) {
    const component = event.reportingComponent || event.source?.component || 'unknown';
    out.set(component, (out.get(component) ?? 0) + (event.series?.count ?? event.count ?? 1));
  }
  return out;
}

const sum = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);

const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const cp = await startControlPlane({ nodes: 3, mariadb: false });
try {
  const http = new KubeHttp(cp.adminKubeConfig);
  for (const crd of crdManifests())
    await applyObject(http, crd as unknown as KubeObject, { fieldManager: 'bench' });
  for (;;) {
    const served = await http
      .resource({ apiVersion: MULTINIC_OPERATOR.apiVersion, kind: MULTINIC_OPERATOR.kind })
      .catch(() => undefined);
    if (served !== undefined) break;
    await sleep(100);
  }
  for (const name of [NAMESPACE, 'multinic-agent', 'multinic-system'])
    await createObject(http, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await createObject(http, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'external-db', namespace: NAMESPACE },
    stringData: { username: 'u', password: 'p' },
  } as KubeObject);

  const operator = await startOperator({
    http: new KubeHttp(cp.adminKubeConfig),
    namespace: 'multinic-system',
    watchNamespace: NAMESPACE,
    metricsPort: 0,
    webhookPort: null,
    bindHost: '127.0.0.1',
  });
  try {
    await operator.ready();
    while (!operator.isLeader()) await sleep(100);
    for (let i = 0; i < CRS; i++) await createObject(http, cr(`idle${i}`, i % 2 === 0));
    for (;;) {
      const crs = await listObjects<KubeObject & { status?: { observedGeneration?: number } }>(
        http,
        { apiVersion: MULTINIC_OPERATOR.apiVersion, kind: MULTINIC_OPERATOR.kind },
        { namespace: NAMESPACE },
      );
      if (crs.filter((item) => item.status?.observedGeneration !== undefined).length >= CRS) break;
      await sleep(1_000);
    }
    console.log(`idle writes: ${CRS} CRs applied at ${elapsed()}; settling`);
    // Quiet: the operator's writes did not move for 10 s (workloads turning Ready on kwok are done).
    let last = -1;
    for (let tries = 0; tries < 12; tries++) {
      await operator.idle();
      await sleep(10_000);
      const now = await operatorWrites();
      if (now === last) break;
      last = now;
    }

    const before = await writes(http);
    const ownBefore = await operatorWrites();
    const eventsBefore = await eventsByComponent(http);
    console.log(`idle writes: measuring ${MINUTES} idle minute(s) from ${elapsed()}`);
    await sleep(MINUTES * 60_000);
    const delta = grown(before, await writes(http));
    const own = (await operatorWrites()) - ownBefore;
    const events = grown(eventsBefore, await eventsByComponent(http));

    const managed = new Set([
      ...operatorAccess().informers.map((kind) => kind.resource),
      'secrets',
      MULTINIC_OPERATOR.plural,
    ]);
    const onManaged = new Map(
      [...delta].filter(([key]) => {
        const [resource, subresource] = (key.split(' ')[1] ?? '').split('/');
        return (
          managed.has(resource ?? '') && (subresource === undefined || resource === MULTINIC_OPERATOR.plural)
        );
      }),
    );
    const byVerb = new Map<string, number>();
    for (const [key, value] of delta) {
      const verb = key.split(' ')[0] ?? '';
      byVerb.set(verb, (byVerb.get(verb) ?? 0) + value);
    }
    const perMinute = sum(onManaged) / MINUTES;
    console.log(
      `idle writes benchmark (real kube-apiserver, kwok, ${CRS} CRs: ${Math.ceil(CRS / 2)} internal MariaDB + backups, ${Math.floor(CRS / 2)} external DB; ${MINUTES} idle min):`,
    );
    console.log(
      `  API-server writes on the operator's kinds: ${sum(onManaged)} (${perMinute.toFixed(1)} per 60 s; target 0; ` +
        `earlier Go operator ~${PEER_WRITES_PER_MINUTE} per 60 s, ratio ${(perMinute / PEER_WRITES_PER_MINUTE).toFixed(4)}×)`,
    );
    console.log(`  operator's own writes metric: ${own} (target 0)`);
    console.log(
      `  Event occurrences in the CRs' namespace, by reporter: ${[...events].map(([who, n]) => `${who} ${n}`).join(', ') || 'none'} (multinic-operator: target 0)`,
    );
    console.log(
      `  all API-server writes but Leases, by verb: ${[...byVerb].map(([verb, n]) => `${verb} ${n}`).join(', ') || 'none'}`,
    );
    for (const [key, value] of [...delta].sort((a, b) => b[1] - a[1]))
      console.log(`    ${key}: ${value}${onManaged.has(key) ? '' : " (not one of the operator's kinds)"}`);
  } finally {
    await operator.stop();
  }
} finally {
  await cp.stop();
}
