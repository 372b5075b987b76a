// Admission latency the protection adds per request, per mode, on a real kube-apiserver: the
// same allowed write (a break-glass user annotating a managed Service) against a MultiNicOperator
// in mode off / policy / webhook / both; p50/p99 and the difference to `off`. Also the in-process
// cost of one `decide()` and of one local AdmissionReview round trip.
//   npx tsx bench/protection.bench.ts       (BENCH_REQUESTS=200)
import { crdManifests } from '../src/api/crds.js';
import { MULTINIC_OPERATOR } from '../src/api/groups.js';
import { manifestsOf } from '../src/constructs/common/manifests.js';
import { ProtectionWebhook } from '../src/constructs/protection/protection-webhook.js';
import { startControlPlane } from '../src/dev/control-plane.js';
import { freePorts } from '../src/dev/ports.js';
import { applyObject, createObject, getObject, mergePatchObject } from '../src/kube/apply.js';
import { KubeHttp } from '../src/kube/http.js';
import type { KubeObject } from '../src/kube/types.js';
import { decide } from '../src/operator/admission.js';
import type { AdmissionRequest } from '../src/operator/admission.js';
import { startOperator } from '../src/operator/operator.js';
import { WEBHOOK_PATH } from '../src/operator/webhook-server.js';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 200);
const MODES = ['off', 'policy', 'webhook', 'both'] as const;
const BREAK_GLASS = 'multinic:break-glass';

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const sleep = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, t));

// In-process decision cost.
const request: AdmissionRequest = {
  uid: 'x',
  kind: { group: '', version: 'v1', kind: 'Service' },
  name: 'svc',
  namespace: 'ns',
  operation: 'UPDATE',
  userInfo: { username: 'alice', groups: ['system:authenticated'] },
  oldObject: {
    metadata: {
      labels: { 'multinic.example.com/protected': 'true', 'multinic.example.com/managed-by-operator': 'a' },
    },
    spec: { ports: [] },
  },
  object: {
    metadata: {
      labels: { 'multinic.example.com/protected': 'true', 'multinic.example.com/managed-by-operator': 'a' },
    },
    spec: { ports: [1] },
  },
};
const decideRuns = 100_000;
const decideStarted = performance.now();
for (let i = 0; i < decideRuns; i++)
  decide(request, { operatorUsernames: ['op'], breakGlassGroups: [BREAK_GLASS] });
const decideUs = ((performance.now() - decideStarted) * 1000) / decideRuns;

const cp = await startControlPlane({ nodes: 1, mariadb: false });
try {
  const admin = new KubeHttp(cp.adminKubeConfig);
  for (const crd of crdManifests())
    await applyObject(admin, crd as unknown as KubeObject, { fieldManager: 'bench' });
  for (const name of ['prot', 'multinic-agent', 'multinic-system'])
    await createObject(admin, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await createObject(admin, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'bench-break-glass' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: BREAK_GLASS }],
  } as KubeObject);
  const bob = new KubeHttp(await cp.users.kubeconfigFor('bob', [BREAK_GLASS]));

  const [port = 9443] = await freePorts(1);
  const [shell] = manifestsOf(
    (scope) =>
      new ProtectionWebhook(scope, 'webhook', {
        name: 'bench-protection',
        service: { name: 'unused', namespace: 'multinic-system' },
      }),
  ) as unknown as KubeObject[];
  if (shell === undefined) throw new Error('no webhook configuration rendered');
  await createObject(admin, shell);
  const operator = await startOperator({
    http: new KubeHttp(cp.adminKubeConfig),
    namespace: 'multinic-system',
    watchNamespace: 'prot',
    metricsPort: 0,
    webhookPort: port,
    bindHost: '127.0.0.1',
    webhookUrl: `https://127.0.0.1:${port}${WEBHOOK_PATH}`,
    webhookDnsNames: ['localhost'],
    webhookIpAddresses: ['127.0.0.1'],
  });
  await operator.ready();
  while (!operator.isLeader()) await sleep(100);

  for (const mode of MODES) {
    await createObject(admin, {
      apiVersion: MULTINIC_OPERATOR.apiVersion,
      kind: MULTINIC_OPERATOR.kind,
      metadata: { name: `m-${mode}`, namespace: 'prot' },
      spec: {
        protection: { mode, breakGlassGroups: [BREAK_GLASS] },
        database: {
          enabled: false,
          external: { host: 'db.example.internal', secretRef: { name: 'x' } },
          backup: { enabled: false },
        },
      },
    });
  }
  const target = (mode: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    namespace: 'prot',
    name: `m-${mode}-controller`,
  });
  for (const mode of MODES) {
    while ((await getObject(admin, target(mode))) === undefined) await sleep(100);
  }
  await sleep(3_000); // the policies become active a moment after creation

  const results: Record<string, { p50: number; p99: number }> = {};
  for (const mode of MODES) {
    const samples: number[] = [];
    for (let i = 0; i < REQUESTS + 20; i++) {
      const started = performance.now();
      await mergePatchObject(bob, target(mode), { metadata: { annotations: { 'bench-touch': String(i) } } });
      if (i >= 20) samples.push(performance.now() - started);
    }
    results[mode] = { p50: pct(samples, 50), p99: pct(samples, 99) };
  }
  await operator.stop();

  const base = results['off'] ?? { p50: NaN, p99: NaN };
  console.log(
    `\nprotection admission latency (allowed break-glass PATCH of a managed Service, ${REQUESTS} requests each):`,
  );
  for (const mode of MODES) {
    const r = results[mode] ?? { p50: NaN, p99: NaN };
    console.log(
      `  ${mode.padEnd(8)} p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms` +
        (mode === 'off'
          ? ''
          : `   added: p50 ${(r.p50 - base.p50).toFixed(2)} ms, p99 ${(r.p99 - base.p99).toFixed(2)} ms`),
    );
  }
  console.log(`  decide() in process: ${decideUs.toFixed(2)} us per request`);
} finally {
  await cp.stop();
}
