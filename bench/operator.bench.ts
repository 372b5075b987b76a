// The operator against a real local control plane (kwok nodes):
//  (a) CR created -> every object applied (status first written), p50/p95 over BENCH_CRS CRs;
//  (b) controller Deployment deleted -> re-created, p50/p95 over BENCH_HEALS deletions (target p95 < 1 s);
//  (c) writes issued by a no-op resync of every CR (target 0);
//  (d) RSS of a separate `multinic operator` process managing BENCH_RSS_CRS CRs.
//   npx tsx bench/operator.bench.ts      (BENCH_CRS=50, BENCH_HEALS=50, BENCH_RSS_CRS=200)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { crdManifests } from '../src/api/crds.js';
import { MULTINIC_OPERATOR } from '../src/api/groups.js';
import { startControlPlane } from '../src/dev/control-plane.js';
import { applyObject, createObject, deleteObject, getObject } from '../src/kube/apply.js';
import { KubeHttp } from '../src/kube/http.js';
import type { KubeObject } from '../src/kube/types.js';
import { startOperator } from '../src/operator/operator.js';
import { managedResources, writesTotal } from '../src/operator/reconciler.js';

const CRS = Number(process.env['BENCH_CRS'] ?? 50);
const HEALS = Number(process.env['BENCH_HEALS'] ?? 50);
const RSS_CRS = Number(process.env['BENCH_RSS_CRS'] ?? 200);
const here = dirname(fileURLToPath(import.meta.url));

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const ms = (value: number): string => `${value.toFixed(0)} ms`;
const sleep = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, t));

function cr(namespace: string, name: string): KubeObject {
  return {
    apiVersion: MULTINIC_OPERATOR.apiVersion,
    kind: MULTINIC_OPERATOR.kind,
    metadata: { name, namespace },
    spec: {
      protection: { mode: 'off' },
      database: {
        enabled: false,
        external: { host: 'db.example.internal', secretRef: { name: 'external-db' } },
        backup: { enabled: false },
      },
    },
  };
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(everyMs);
  }
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match?.[1] === undefined ? NaN : Number(match[1]) / 1024;
}

const cp = await startControlPlane({ nodes: 3, mariadb: false });
try {
  const http = new KubeHttp(cp.adminKubeConfig);
  for (const crd of crdManifests())
    await applyObject(http, crd as unknown as KubeObject, { fieldManager: 'bench' });
  await until(async () =>
    (await http.resource({ apiVersion: MULTINIC_OPERATOR.apiVersion, kind: MULTINIC_OPERATOR.kind }))
      ? true
      : undefined,
  );
  for (const name of ['bench', 'multinic-agent', 'multinic-system', 'rss']) {
    await createObject(http, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  for (const ns of ['bench', 'rss']) {
    await createObject(http, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'external-db', namespace: ns },
      stringData: { username: 'u', password: 'p' },
    } as KubeObject);
  }

  const operator = await startOperator({
    http: new KubeHttp(cp.adminKubeConfig),
    namespace: 'multinic-system',
    watchNamespace: 'bench',
    metricsPort: 0,
    webhookPort: null,
    bindHost: '127.0.0.1',
  });
  await operator.ready();
  await until(async () => (operator.isLeader() ? true : undefined), 30_000, 100);

  // (a) CR -> all applied: the status is written right after the last object's apply.
  const applied: number[] = [];
  for (let i = 0; i < CRS; i++) {
    const name = `b${i}`;
    const started = performance.now();
    await createObject(http, cr('bench', name));
    await until(async () => {
      const got = await getObject<KubeObject & { status?: { observedGeneration?: number } }>(http, {
        apiVersion: MULTINIC_OPERATOR.apiVersion,
        kind: MULTINIC_OPERATOR.kind,
        namespace: 'bench',
        name,
      });
      return got?.status?.observedGeneration !== undefined ? true : undefined;
    });
    applied.push(performance.now() - started);
  }
  const objectsPerCr = (await managedResources.get()).values[0]?.value ?? 0;
  console.log(
    `operator benchmark (real kube-apiserver, kwok, ${CRS} CRs, external DB, ~${objectsPerCr} objects per CR):`,
  );
  console.log(
    `  (a) CR created -> all objects applied: p50 ${ms(pct(applied, 50))}, p95 ${ms(pct(applied, 95))}`,
  );

  // Let readiness settle so the resync below is really a no-op.
  await sleep(5_000);
  await operator.idle();

  // (c) writes of a no-op resync.
  const writes = async (): Promise<number> =>
    (await writesTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
  const writesBefore = await writes();
  const resyncStarted = performance.now();
  for (let i = 0; i < CRS; i++) await operator.reconciler.reconcile({ namespace: 'bench', name: `b${i}` });
  const resyncMs = performance.now() - resyncStarted;
  const resyncWrites = (await writes()) - writesBefore;
  console.log(`  (c) no-op resync of ${CRS} CRs: ${resyncWrites} writes (target 0), ${ms(resyncMs)} total`);

  // (b) heal a deleted controller Deployment.
  const heals: number[] = [];
  for (let i = 0; i < HEALS; i++) {
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'bench',
      name: `b${i % CRS}-controller`,
    };
    const before = await getObject(http, ref);
    const started = performance.now();
    await deleteObject(http, ref);
    await until(
      async () => {
        const now = await getObject(http, ref);
        return now !== undefined && now.metadata.uid !== before?.metadata.uid ? true : undefined;
      },
      30_000,
      5,
    );
    heals.push(performance.now() - started);
  }
  await operator.stop();
  console.log(
    `  (b) deleted Deployment re-created:     p50 ${ms(pct(heals, 50))}, p95 ${ms(pct(heals, 95))} (target p95 < 1000 ms)`,
  );

  // (d) RSS of a separate operator process with RSS_CRS CRs (BENCH_RSS_CRS=0 skips it).
  if (RSS_CRS > 0) {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(here, '../src/cli/bin.ts'),
        'operator',
        '--kubeconfig',
        cp.kubeconfigPath,
        '--watch-namespace',
        'rss',
        '--metrics-port',
        '0',
        '--webhook-port=-1',
        '--lease-name',
        'rss',
        '--bind-address',
        '127.0.0.1',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, MULTINIC_LOG_LEVEL: 'error' } },
    );
    let exited = false;
    child.on('exit', () => (exited = true));
    let rssIdle = NaN;
    let rssLoaded = NaN;
    try {
      await sleep(8_000);
      if (exited) throw new Error('the operator process exited early');
      rssIdle = rssMiB(child.pid ?? 0);
      const started = performance.now();
      for (let i = 0; i < RSS_CRS; i++) await createObject(http, cr('rss', `r${i}`));
      await until(
        async () => {
          const list = await http.request<{ items: Array<{ status?: { observedGeneration?: number } }> }>(
            'GET',
            `/apis/${MULTINIC_OPERATOR.apiVersion}/namespaces/rss/${MULTINIC_OPERATOR.plural}`,
          );
          return list.items.filter((item) => item.status?.observedGeneration !== undefined).length >= RSS_CRS
            ? true
            : undefined;
        },
        600_000,
        1_000,
      );
      const allApplied = performance.now() - started;
      await sleep(5_000);
      rssLoaded = rssMiB(child.pid ?? 0);
      console.log(
        `  (d) operator RSS: ${rssIdle.toFixed(0)} MiB idle, ${rssLoaded.toFixed(0)} MiB with ${RSS_CRS} CRs ` +
          `(all ${RSS_CRS} applied in ${(allApplied / 1000).toFixed(1)} s by a separate \`multinic operator\` process)`,
      );
    } finally {
      child.kill('SIGTERM');
    }
  }
} finally {
  await cp.stop();
}
