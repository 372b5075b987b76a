// Start-up time of the local control plane with warm binaries (what every integration run and
// `multinic dev up` pays), by phase, plus stop time and the components' resident memory.
//   npx tsx bench/dev.bench.ts          (BENCH_RUNS=3, BENCH_NODES=3)
import { readFileSync } from 'node:fs';
import { startControlPlane } from '../src/dev/control-plane.js';
import { createLogger } from '../src/observability/logger.js';

const runs = Number(process.env['BENCH_RUNS'] ?? 3);
const nodes = Number(process.env['BENCH_NODES'] ?? 3);
const PHASES = ['pki', 'etcd', 'kube-apiserver', 'controllers', 'nodes', 'mariadb'] as const;

function rssMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const samples: {
  phases: Record<string, number>;
  total: number;
  stop: number;
  rss: Record<string, number>;
}[] = [];
for (let run = 0; run < runs; run++) {
  const phases: Record<string, number> = {};
  const logger = createLogger({
    level: 'info',
    write: (line) => {
      const record = JSON.parse(line) as { msg: string; phase?: string; ms?: number };
      if (record.msg === 'control plane phase done' && record.phase !== undefined)
        phases[record.phase] = record.ms ?? 0;
    },
  });
  const started = performance.now();
  const cp = await startControlPlane({ nodes, logger });
  const total = performance.now() - started;
  const rss: Record<string, number> = {};
  for (const c of cp.state.components) rss[c.name] = rssMiB(c.pid);
  const stopStarted = performance.now();
  await cp.stop();
  samples.push({ phases, total, stop: performance.now() - stopStarted, rss });
  console.log(
    `run ${run + 1}/${runs}: up ${(total / 1000).toFixed(2)}s, down ${((performance.now() - stopStarted) / 1000).toFixed(2)}s`,
  );
}

console.log(`\ncontrol plane start-up, warm binaries, ${nodes} fake nodes, median of ${runs} runs:`);
let previous = 0;
for (const phase of PHASES) {
  const at = median(samples.map((s) => s.phases[phase] ?? NaN));
  console.log(
    `  ${phase.padEnd(16)} done at ${(at / 1000).toFixed(2).padStart(6)}s  (+${((at - previous) / 1000).toFixed(2)}s)`,
  );
  previous = at;
}
const total = median(samples.map((s) => s.total));
const stop = median(samples.map((s) => s.stop));
console.log(`  total            ${(total / 1000).toFixed(2)}s`);
console.log(`  stop             ${(stop / 1000).toFixed(2)}s`);
const apiServer = median(samples.map((s) => (s.phases['kube-apiserver'] ?? 0) - (s.phases['etcd'] ?? 0)));
console.log(`  kube-apiserver share of start-up: ${((apiServer / total) * 100).toFixed(0)}%`);
console.log('resident memory after start-up (last run):');
const last = samples.at(-1)?.rss ?? {};
for (const [name, mib] of Object.entries(last))
  console.log(`  ${name.padEnd(24)} ${mib.toFixed(0).padStart(5)} MiB`);
console.log(
  `  ${'sum'.padEnd(24)} ${Object.values(last)
    .reduce((a, b) => a + b, 0)
    .toFixed(0)
    .padStart(5)} MiB`,
);
