// `multinic agent apply|cleanup` as a transaction (docs/architecture.md#transactional-apply): observe → plan → back up
// (runtime state + our files) → apply (runtime `ip` steps, then the files) → validate (netplan
// generate) → probe → commit, or undo everything and report `Failed` with the reason.
// Every side effect goes through the injected filesystem root and command runner.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../observability/logger.js';
import { formatPlan } from './format.js';
import { ErrorType, validateInterfaces, type AgentInput, type InterfaceFailure } from './input.js';
import { agentRollbacks, agentRuns, agentRunSeconds, orphansDeleted, preflightUpBlocks } from './metrics.js';
import { observeRuntime, type LinkState, type RuntimeState } from './observe.js';
import {
  DEFAULT_NETWORK_OPTIONS,
  DEFAULT_PROBE_OPTIONS,
  type NetworkOptions,
  type ProbeOptions,
} from './options.js';
import { BackendId, detectBackend, UnknownOsError } from './os.js';
import { plan as buildPlan, type Plan, type Step } from './plan.js';
import { runProbes, tcpConnect, type CustomProbe, type ProbeFailure, type TcpConnect } from './probe.js';
import { layoutOf, ownerOfFile } from './render.js';
import { planLinkRestore, planRoutingRestore, restoreDifferences } from './restore.js';
import type { AgentResult } from './result.js';
import type { CommandRunner, FileEntry, RootFs } from './system.js';

export const AgentAction = { apply: 'apply', cleanup: 'cleanup' } as const;
export type AgentAction = (typeof AgentAction)[keyof typeof AgentAction];

export interface AgentRunOptions {
  readonly action: AgentAction;
  readonly input: AgentInput;
  readonly fs: RootFs;
  readonly runner: CommandRunner;
  /** Skip OS detection. @default - detected from /etc/os-release under the root */
  readonly backend?: BackendId;
  /** @default DEFAULT_NETWORK_OPTIONS */
  readonly network?: NetworkOptions;
  /** @default DEFAULT_PROBE_OPTIONS */
  readonly probe?: ProbeOptions;
  /** Extra probes after the built-in ones (tests inject failures here). @default [] */
  readonly probes?: readonly CustomProbe[];
  /** @default false */
  readonly preflightAllowUp?: boolean;
  /** Plan and print, change nothing. @default false */
  readonly dryRun?: boolean;
  /** @default - the wall clock */
  readonly now?: () => Date;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default - node:net */
  readonly connect?: TcpConnect;
  /** Where netplan validation copies files. @default os.tmpdir() */
  readonly scratchDir?: string;
  /** @default silentLogger */
  readonly logger?: Logger;
}

export interface AgentRunOutcome {
  readonly result: AgentResult;
  readonly backend?: BackendId;
  readonly plan?: Plan;
  /** The plan as text (always set; what `--dry-run` prints). */
  readonly report: string;
  readonly rolledBack: boolean;
}

class StepError extends Error {
  constructor(
    message: string,
    readonly errorType: ErrorType,
    readonly iface?: string,
  ) {
    super(message);
  }
}

/** Our current files (path → entry) in the backend's directories. */
export async function ownedFiles(fs: RootFs, backend: BackendId): Promise<Map<string, FileEntry>> {
  const files = new Map<string, FileEntry>();
  for (const { dir } of layoutOf(backend).dirs) {
    for (const name of await fs.list(dir)) {
      const path = `${dir}/${name}`;
      if (ownerOfFile(backend, path) === undefined) continue;
      const entry = await fs.read(path);
      if (entry !== undefined) files.set(path, entry);
    }
  }
  return files;
}

function describe(argv: readonly string[], result: { code: number; stderr: string }): string {
  return `'${argv.join(' ')}' failed (exit ${result.code}): ${result.stderr.trim() || 'no message'}`;
}

const BATCHABLE = /^[A-Za-z0-9_.:/=@+-]+$/;

/** `ip` steps can share one `ip -batch -` process (one spawn instead of one per command). */
function batchable(step: Step): boolean {
  return (
    step.argv[0] === 'ip' && step.argv.slice(1).every((arg) => BATCHABLE.test(arg) && !arg.startsWith('-'))
  );
}

/**
 * Runs `steps` as one `ip -batch -` (with `-force`: keep going after errors). Returns the
 * result of each step that ran: without -force, ip stops at the first failing line, which it
 * names in `Command failed -:N`.
 */
async function runBatch(
  steps: readonly Step[],
  runner: CommandRunner,
  force: boolean,
): Promise<{ failedAt?: number; stderr: string; code: number }> {
  const input = `${steps.map((step) => step.argv.slice(1).join(' ')).join('\n')}\n`;
  const result = await runner(['ip', ...(force ? ['-force'] : []), '-batch', '-'], { input });
  if (result.code === 0) return { stderr: '', code: 0 };
  const match = /Command failed -:(\d+)/.exec(result.stderr);
  const stderr = result.stderr.replace(/Command failed -:\d+\n?/g, '').trim();
  if (match === null) return { failedAt: 0, stderr, code: result.code };
  return { failedAt: Number(match[1]) - 1, stderr, code: result.code };
}

/**
 * Runs the steps in order, consecutive `ip` steps in one batch; tolerated and orphan failures
 * are collected, any other failure throws a StepError (after the step's fallback, if any).
 */
async function execute(
  steps: readonly Step[],
  runner: CommandRunner,
  logger: Logger,
): Promise<{ deleteErrors: Set<string> }> {
  const deleteErrors = new Set<string>();
  const handleFailure = async (step: Step, result: { code: number; stderr: string }): Promise<void> => {
    if (step.fallback !== undefined) {
      for (const alternative of step.fallback) {
        const second = await runner(alternative.argv);
        if (second.code !== 0) {
          const type = second.code === 124 ? ErrorType.timeout : ErrorType.system;
          throw new StepError(`${step.iface ?? ''}: ${describe(alternative.argv, second)}`, type, step.iface);
        }
      }
      return;
    }
    if (step.tolerate === true || (step.tolerate instanceof RegExp && step.tolerate.test(result.stderr)))
      return;
    if (step.orphan !== undefined) {
      logger.warn('orphan cleanup step failed', { step: step.argv.join(' '), stderr: result.stderr.trim() });
      deleteErrors.add(step.orphan);
      return;
    }
    throw new StepError(
      `${step.iface === undefined ? '' : `${step.iface}: `}${describe(step.argv, result)}`,
      result.code === 124 ? ErrorType.timeout : ErrorType.system,
      step.iface,
    );
  };
  let index = 0;
  while (index < steps.length) {
    let end = index;
    while (end < steps.length && batchable(steps[end]!)) end += 1;
    if (end - index >= 2) {
      const batch = steps.slice(index, end);
      const outcome = await runBatch(batch, runner, false);
      if (outcome.failedAt === undefined) {
        index = end;
        continue;
      }
      const failed = batch[outcome.failedAt]!;
      await handleFailure(failed, { code: outcome.code, stderr: outcome.stderr });
      index += outcome.failedAt + 1;
      continue;
    }
    const step = steps[index]!;
    const result = await runner(step.argv);
    if (result.code !== 0) await handleFailure(step, result);
    index += 1;
  }
  return { deleteErrors };
}

/** Runs every step, ignoring failures (rollback does its best, then verifies). */
async function executeAll(steps: readonly Step[], runner: CommandRunner): Promise<void> {
  const ip = steps.filter(batchable);
  if (ip.length > 0) await runBatch(ip, runner, true);
  for (const step of steps) if (!batchable(step)) await runner(step.argv);
}

/** `netplan generate` over a scratch copy of /etc/netplan: validates without touching /run. */
async function validateNetplan(
  fs: RootFs,
  runner: CommandRunner,
  scratchDir: string,
): Promise<string | undefined> {
  const scratch = await mkdtemp(join(scratchDir, 'multinic-netplan-'));
  try {
    await cp(fs.resolve('/etc/netplan'), join(scratch, 'etc', 'netplan'), { recursive: true });
    const result = await runner(['netplan', 'generate', '--root-dir', scratch]);
    if (result.code === 127) return undefined;
    if (result.code !== 0)
      return `netplan generate rejected the configuration: ${result.stderr.trim().replaceAll(scratch, '')}`;
    return undefined;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function sysctlDevicesFor(macs: ReadonlySet<string>): (links: readonly LinkState[]) => string[] {
  return (links) =>
    links.filter((link) => macs.has(link.mac) || /^multinic[0-9]+$/.test(link.name)).map((link) => link.name);
}

/**
 * One agent run. Never throws for node problems: they become failures in the result
 * (an unknown OS fails every interface with errorType `system`).
 */
export async function runAgent(options: AgentRunOptions): Promise<AgentRunOutcome> {
  const started = performance.now();
  const logger = (options.logger ?? silentLogger).child({
    node: options.input.nodeName,
    action: options.action,
  });
  const network = options.network ?? DEFAULT_NETWORK_OPTIONS;
  const probeOptions = options.probe ?? DEFAULT_PROBE_OPTIONS;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { fs, runner } = options;
  const entries = options.action === AgentAction.apply ? options.input.interfaces : [];
  const validation = validateInterfaces(entries);

  const finish = (outcome: AgentRunOutcome, label: string): AgentRunOutcome => {
    agentRuns.inc({ action: options.action, result: label });
    agentRunSeconds.observe({ action: options.action }, (performance.now() - started) / 1000);
    return outcome;
  };
  const resultOf = (fields: {
    results: AgentResult['results'];
    failures: readonly InterfaceFailure[];
    deleted: number;
    deleteErrors: number;
    backend?: BackendId;
    rolledBack?: boolean;
  }): AgentResult => ({
    action: options.action,
    ...(fields.backend === undefined ? {} : { backend: fields.backend }),
    delete_errors: fields.deleteErrors,
    deleted_total: fields.deleted,
    failed: fields.failures.length,
    failures: [...fields.failures],
    node: options.input.nodeName,
    processed: fields.results.length,
    results: fields.results,
    ...(fields.rolledBack === undefined ? {} : { rolled_back: fields.rolledBack }),
    timestamp: now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
    total: entries.length,
  });
  const failEverything = (errorType: ErrorType, reason: string, backend?: BackendId): AgentRunOutcome => {
    const failures = entries.map((entry, position) => ({
      id: entry.id ?? position,
      mac: entry.macAddress.toLowerCase(),
      name: entry.name ?? `multinic${entry.id ?? position}`,
      errorType,
      reason,
    }));
    const result = resultOf({
      results: [],
      failures,
      deleted: 0,
      deleteErrors: options.action === AgentAction.cleanup ? 1 : 0,
      ...(backend === undefined ? {} : { backend }),
    });
    logger.error('agent run failed', { reason });
    return finish(
      { result, ...(backend === undefined ? {} : { backend }), report: `${reason}\n`, rolledBack: false },
      'failed',
    );
  };

  let backend: BackendId;
  try {
    backend = options.backend ?? (await detectBackend(fs)).backend;
  } catch (error) {
    if (error instanceof UnknownOsError) return failEverything(ErrorType.system, `[SYSTEM] ${error.message}`);
    throw error;
  }

  let runtime: RuntimeState;
  let files: Map<string, FileEntry>;
  try {
    const macs = new Set(validation.valid.map((desired) => desired.mac));
    [runtime, files] = await Promise.all([
      observeRuntime(runner, sysctlDevicesFor(macs)),
      ownedFiles(fs, backend),
    ]);
  } catch (error) {
    return failEverything(
      ErrorType.system,
      `[SYSTEM] cannot read the node state: ${(error as Error).message}`,
      backend,
    );
  }

  const thePlan = buildPlan({
    backend,
    desired: validation.valid,
    invalid: validation.failures,
    runtime,
    files,
    network,
    preflightAllowUp: options.preflightAllowUp ?? false,
  });
  const report = formatPlan(thePlan, backend);
  const failures: InterfaceFailure[] = [...validation.failures, ...thePlan.failures];
  for (const block of thePlan.preflightBlocks) preflightUpBlocks.inc({ reason: block });
  const base = { backend, plan: thePlan, report };

  if (options.dryRun === true) {
    const results = thePlan.configured.map(({ desired }) => ({
      id: desired.id,
      mac: desired.mac,
      name: desired.name,
      status: 'Planned',
    }));
    const result = resultOf({ results, failures, deleted: thePlan.orphans.length, deleteErrors: 0, backend });
    return finish({ ...base, result, rolledBack: false }, 'dry_run');
  }

  logger.info('applying', {
    backend,
    steps: thePlan.steps.length,
    files: thePlan.files.length,
    orphans: thePlan.orphans.length,
  });
  let phase = 'runtime';
  let deleteErrors = new Set<string>();
  let failure: ProbeFailure | undefined;
  try {
    deleteErrors = (await execute(thePlan.steps, runner, logger)).deleteErrors;
    phase = 'files';
    for (const change of thePlan.files) {
      if (change.after === undefined) await fs.remove(change.path);
      else await fs.write(change.path, change.after);
    }
    phase = 'validate';
    if (backend === BackendId.netplan && thePlan.files.length > 0) {
      const invalid = await validateNetplan(fs, runner, options.scratchDir ?? tmpdir());
      if (invalid !== undefined) failure = { errorType: ErrorType.system, reason: invalid };
    }
    if (failure === undefined) {
      phase = 'probe';
      failure = await runProbes(thePlan, network, probeOptions, {
        runner,
        now: () => now().getTime(),
        sleep,
        connect: options.connect ?? tcpConnect,
        custom: options.probes ?? [],
      });
    }
  } catch (error) {
    failure =
      error instanceof StepError
        ? {
            errorType: error.errorType,
            reason: error.message,
            ...(error.iface === undefined ? {} : { iface: error.iface }),
          }
        : { errorType: ErrorType.system, reason: (error as Error).message };
  }

  if (failure === undefined) {
    const results = thePlan.configured.map(({ desired }) => ({
      id: desired.id,
      mac: desired.mac,
      name: desired.name,
      status: 'Configured',
    }));
    const deleted = thePlan.orphans.filter((orphan) => !deleteErrors.has(orphan.name)).length;
    orphansDeleted.inc(deleted);
    const result = resultOf({
      results,
      failures,
      deleted,
      deleteErrors: deleteErrors.size,
      backend,
      rolledBack: false,
    });
    logger.info('committed', { configured: results.length, failed: failures.length, deleted });
    const label = failures.length === 0 ? 'succeeded' : results.length > 0 ? 'partial' : 'failed';
    return finish({ ...base, result, rolledBack: false }, label);
  }

  agentRollbacks.inc({ phase });
  logger.warn('rolling back', { phase, reason: failure.reason });
  const rollbackProblems = await rollback(thePlan, runtime, fs, runner);
  const reason = `[${failure.errorType.toUpperCase()}] ${failure.reason}; rolled back${
    rollbackProblems.length === 0 ? '' : ` incompletely: ${rollbackProblems.join('; ')}`
  }`;
  for (const { desired } of thePlan.configured) {
    failures.push({
      id: desired.id,
      mac: desired.mac,
      name: desired.name,
      errorType: failure.errorType,
      reason,
    });
  }
  const result = resultOf({ results: [], failures, deleted: 0, deleteErrors: 0, backend, rolledBack: true });
  return finish({ ...base, result, rolledBack: true }, 'rolled_back');
}

/** Restores files, then links, then routing; returns what could not be restored. */
async function rollback(
  thePlan: Plan,
  snapshot: RuntimeState,
  fs: RootFs,
  runner: CommandRunner,
): Promise<string[]> {
  const problems: string[] = [];
  for (const change of thePlan.files) {
    try {
      if (change.before === undefined) await fs.remove(change.path);
      else await fs.write(change.path, change.before);
    } catch (error) {
      problems.push(`file ${change.path}: ${(error as Error).message}`);
    }
  }
  const touchedNames = (links: readonly LinkState[]): string[] =>
    links.filter((link) => thePlan.touched.includes(link.ifindex)).map((link) => link.name);
  try {
    const current = await observeRuntime(runner, touchedNames);
    await executeAll(planLinkRestore(snapshot, current, thePlan.touched), runner);
    const relinked = await observeRuntime(runner);
    const devices = new Set(touchedNames(snapshot.links));
    await executeAll(planRoutingRestore(snapshot, relinked, devices, thePlan.tables), runner);
    const after = await observeRuntime(runner);
    problems.push(...restoreDifferences(snapshot, after, thePlan.touched, thePlan.tables));
  } catch (error) {
    problems.push(`runtime: ${(error as Error).message}`);
  }
  return problems;
}
