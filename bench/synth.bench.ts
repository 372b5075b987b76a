// Synth benchmark: time to construct + render the full MultiNicSystem
// in-process (what the operator does on every reconcile; target p50 < 100 ms warm), the YAML
// synth of all three charts in-process, agentJobManifest per call (agent-controller hot path),
// and the wall time of `npx cdk8s synth` (fresh process, module load included).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGET_MS = 100;
const RUNS = 50;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function time(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

const loadStart = performance.now();
const { parseMultiNicOperator } = await import('../src/api/multinic-operator.js');
const { allSamples } = await import('../src/api/samples.js');
const { renderSystem } = await import('../src/operator/render.js');
const { agentJobManifest } = await import('../src/constructs/agent/agent-job.js');
const { buildApp } = await import('../src/cli/commands/synth.js');
const loadMs = performance.now() - loadStart;

const cr = parseMultiNicOperator(allSamples()[0]);
const firstMs = time(() => renderSystem(cr));
let objects = 0;
const renders: number[] = [];
for (let i = 0; i < RUNS; i += 1) renders.push(time(() => (objects = renderSystem(cr).manifests.length)));

const yamls: number[] = [];
for (let i = 0; i < 10; i += 1) yamls.push(time(() => buildApp({ outdir: '/nonexistent' }).synthYaml()));

const JOBS = 1000;
const jobMs = time(() => {
  for (let i = 0; i < JOBS; i += 1) agentJobManifest({ nodeName: `worker-${i}`, generation: i + 1 });
});

const p50 = percentile(renders, 50);
console.log(`module load (api + constructs + cdk8s):     ${fmt(loadMs)}`);
console.log(`first renderSystem (cold):                  ${fmt(firstMs)}`);
console.log(
  `renderSystem warm, ${RUNS} runs (${objects} objects): p50 ${fmt(p50)}, p95 ${fmt(percentile(renders, 95))}, max ${fmt(Math.max(...renders))}`,
);
console.log(
  `  target < ${TARGET_MS} ms: ${p50 < TARGET_MS ? 'met' : 'MISSED'} (p50 is ${(p50 / TARGET_MS).toFixed(2)}x the target)`,
);
console.log(`all three charts to YAML in-process, p50 of 10: ${fmt(percentile(yamls, 50))}`);
console.log(
  `agentJobManifest: ${((jobMs * 1000) / JOBS).toFixed(1)} µs per Job (${JOBS} Jobs in ${fmt(jobMs)})`,
);

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'multinic-synth-bench-'));
const start = performance.now();
const result = spawnSync('npx', ['cdk8s', 'synth', '--output', outdir], { cwd: root, encoding: 'utf8' });
const wallMs = performance.now() - start;
rmSync(outdir, { recursive: true, force: true });
if (result.status !== 0) {
  console.log(`npx cdk8s synth FAILED (exit ${result.status}): ${result.stderr}`);
  process.exitCode = 1;
} else {
  console.log(
    `npx cdk8s synth wall time (cold process, 3 charts): ${fmt(wallMs)} (${(wallMs / p50).toFixed(0)}x one warm render)`,
  );
}
