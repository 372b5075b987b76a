// Agent benchmark: apply wall time and peak RSS for 10 interfaces in a network namespace
// (issue 8, "Must show" b). Creates `mn-bench-<random>` with 10 veth pairs (fa:16:3e MACs) and
// a temp root; measures in-process runs (first apply, unchanged re-apply, rollback, cleanup)
// and one cold CLI run (`multinic agent apply`, peak RSS from GNU time). Always deletes the netns.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgent, type AgentRunOptions } from '../src/agent/agent.js';
import type { AgentInterfaceInput } from '../src/agent/input.js';
import { netnsRunner, RootFs, type CommandRunner } from '../src/agent/system.js';

const COUNT = 10;
const ns = `mn-bench-${randomBytes(4).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'multinic-agent-bench-'));
const sh = (...argv: string[]): string => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });

const interfaces: AgentInterfaceInput[] = Array.from({ length: COUNT }, (_, n) => ({
  id: n,
  name: `multinic${n}`,
  macAddress: `fa:16:3e:00:20:${n.toString(16).padStart(2, '0')}`,
  address: `10.2.${n}.5`,
  cidr: `10.2.${n}.0/24`,
  mtu: 1450,
}));

function setUp(): void {
  sh('ip', 'netns', 'add', ns);
  mkdirSync(join(root, 'etc/netplan'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), 'ID=ubuntu\nVERSION_ID="24.04"\n');
  interfaces.forEach((iface, n) => {
    sh(
      'ip',
      '-n',
      ns,
      'link',
      'add',
      `ens${n + 4}`,
      'address',
      iface.macAddress,
      'type',
      'veth',
      'peer',
      'name',
      `peer${n}`,
    );
    sh('ip', '-n', ns, 'link', 'set', `peer${n}`, 'up');
  });
}

let commands = 0;
let byProgram = new Map<string, number>();
const inner = netnsRunner(ns);
const runner: CommandRunner = async (argv, options) => {
  commands += 1;
  const started = performance.now();
  const result = await inner(argv, options);
  const key = argv[0] === 'ip' && argv[1] === '-j' ? 'ip -j (observe/probe)' : (argv[0] ?? '');
  byProgram.set(key, (byProgram.get(key) ?? 0) + performance.now() - started);
  return result;
};

function options(extra: Partial<AgentRunOptions> = {}): AgentRunOptions {
  return {
    action: 'apply',
    input: { nodeName: 'bench-node', interfaces },
    fs: new RootFs(root),
    runner,
    probe: { timeoutMs: 5000, intervalMs: 50, gateway: false },
    ...extra,
  };
}

async function timed(label: string, extra: Partial<AgentRunOptions> = {}): Promise<number> {
  commands = 0;
  byProgram = new Map();
  const started = performance.now();
  const outcome = await runAgent(options(extra));
  const ms = performance.now() - started;
  const { processed, failed, deleted_total: deleted } = outcome.result;
  console.log(
    `${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${String(commands).padStart(3)} commands  ` +
      `processed=${processed} failed=${failed} deleted=${deleted}${outcome.rolledBack ? ' rolled_back' : ''}`,
  );
  const parts = [...byProgram.entries()].map(([program, spent]) => `${program} ${spent.toFixed(0)} ms`);
  console.log(`${''.padEnd(36)}spent in: ${parts.join(', ')}`);
  return ms;
}

async function main(): Promise<void> {
  setUp();
  const rssBefore = process.resourceUsage().maxRSS;
  const first = await timed('apply 10 NICs (first run)');
  const again = await timed('apply 10 NICs (unchanged)');
  const rollback = await timed('apply changed + probe failure', {
    input: { nodeName: 'bench-node', interfaces: interfaces.map((iface) => ({ ...iface, mtu: 1500 })) },
    probes: [async () => ({ errorType: 'network', reason: 'bench: injected' })],
  });
  const cleanup = await timed('cleanup 10 NICs', { action: 'cleanup' });
  const rssAfter = process.resourceUsage().maxRSS;
  console.log(
    `in-process peak RSS: ${(rssAfter / 1024).toFixed(1)} MiB (before the runs ${(rssBefore / 1024).toFixed(1)} MiB)`,
  );

  // Cold CLI run, as the Job runs it: process start + module load + apply.
  const input = join(root, 'input.json');
  writeFileSync(input, JSON.stringify({ nodeName: 'bench-node', interfaces }));
  const started = performance.now();
  const cli = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M',
      process.execPath,
      '--import',
      'tsx',
      'src/cli/bin.ts',
      'agent',
      'apply',
      '--input',
      input,
      '--root',
      root,
      '--netns',
      ns,
      '--termination-log',
      join(root, 'termination-log'),
    ],
    { encoding: 'utf8', env: { ...process.env, MULTINIC_LOG_LEVEL: 'error' } },
  );
  const cliMs = performance.now() - started;
  const peakKiB = Number(cli.stderr.trim().split('\n').pop());
  console.log(
    `CLI apply 10 NICs (cold process)   ${cliMs.toFixed(0).padStart(6)} ms  exit ${cli.status}  peak RSS ${(peakKiB / 1024).toFixed(1)} MiB`,
  );

  console.log('ratios:');
  console.log(`  first apply per NIC:            ${(first / COUNT).toFixed(1)} ms`);
  console.log(`  unchanged / first apply:        ${(again / first).toFixed(2)}`);
  console.log(`  apply+rollback / first apply:   ${(rollback / first).toFixed(2)}`);
  console.log(`  cleanup / first apply:          ${(cleanup / first).toFixed(2)}`);
  console.log(`  cold CLI / in-process apply:    ${(cliMs / first).toFixed(2)}`);
}

try {
  await main();
} finally {
  try {
    sh('ip', 'netns', 'del', ns);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
