// Starting, probing and stopping the control-plane processes. Each component runs in its own
// process group (detached) with stdout+stderr in a log file, so it can outlive `multinic dev up`
// and be stopped later by pid; `stopProcess` checks /proc first so a recycled pid is never killed.
import { spawn } from 'node:child_process';
import { accessSync, constants, closeSync, openSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ControlPlaneError, tailFile } from './errors.js';

/** What is needed to find (and safely stop) a component later. Persisted in state.json. */
export interface ComponentRecord {
  name: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells a recycled pid apart from ours. */
  startTime: string;
  binary: string;
  logPath: string;
  /** Probed by `waitHealthy` and `dev status`. */
  healthUrl: string;
}

export interface RunningComponent extends ComponentRecord {
  /** Set once the process has exited (only observable from the process that started it). */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export interface SpawnOptions {
  name: string;
  binary: string;
  args: readonly string[];
  logPath: string;
  healthUrl: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Throws a ControlPlaneError that says how to get the binary when it is missing. */
export function assertExecutable(binary: string): void {
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new ControlPlaneError(
      `binary missing: ${binary} is not an executable file; build it with tools/control-plane/build.sh ` +
        `(or point MULTINIC_CONTROL_PLANE_BIN at the directory it prints)`,
    );
  }
}

/** Field 22 (starttime) and field 3 (state) of /proc/<pid>/stat, or undefined when gone. */
function procStat(pid: number): { startTime: string; state: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces; the rest follows the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { state, startTime };
}

/** True when a process with this pid exists (ours or another user's): the owner of a state dir. */
export function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `record`'s process is running (not a zombie, not a recycled pid). */
export function isAlive(record: Pick<ComponentRecord, 'pid' | 'startTime'>): boolean {
  const stat = procStat(record.pid);
  return (
    stat !== undefined && stat.startTime === record.startTime && stat.state !== 'Z' && stat.state !== 'X'
  );
}

export function spawnComponent(options: SpawnOptions): RunningComponent {
  assertExecutable(options.binary);
  const log = openSync(options.logPath, 'a');
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  try {
    const child = spawn(options.binary, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    child.on('error', (error) => {
      exited ??= { code: null, signal: null };
      void error;
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new ControlPlaneError(`${options.name}: could not start ${options.binary}`);
    const stat = procStat(pid);
    return {
      name: options.name,
      pid,
      startTime: stat?.startTime ?? '',
      binary: options.binary,
      logPath: options.logPath,
      healthUrl: options.healthUrl,
      exit: () => exited,
    };
  } finally {
    closeSync(log);
  }
}

export interface TlsMaterial {
  caPem: string;
  certPem?: string;
  keyPem?: string;
}

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** One GET; `ok` means HTTP 200. Never throws. */
export function probe(url: string, tls?: TlsMaterial, timeoutMs = 2000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const https = url.startsWith('https:');
    const options = {
      timeout: timeoutMs,
      ...(https && tls !== undefined
        ? { ca: tls.caPem, ...(tls.certPem === undefined ? {} : { cert: tls.certPem, key: tls.keyPem }) }
        : {}),
    };
    const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.on('end', () =>
        resolve({
          ok: res.statusCode === 200,
          detail: `HTTP ${res.statusCode ?? '?'} ${body.trim().split('\n').slice(-3).join(' | ')}`,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)));
    req.on('error', (error) => resolve({ ok: false, detail: error.message }));
    req.end();
  });
}

const PORT_IN_USE = /address already in use|bind: address/i;

export interface WaitHealthyOptions {
  timeoutMs: number;
  tls?: TlsMaterial;
  /** @default 200 */
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the component's health URL until HTTP 200; throws a ControlPlaneError with its log tail otherwise. */
export async function waitHealthy(component: RunningComponent, options: WaitHealthyOptions): Promise<void> {
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  let last: ProbeResult = { ok: false, detail: 'not probed' };
  for (;;) {
    const exit = component.exit();
    if (exit !== undefined) {
      const tail = tailFile(component.logPath);
      const how =
        exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`;
      const inUse = PORT_IN_USE.test(tail) ? ' (a port it needs is in use)' : '';
      throw new ControlPlaneError(
        `${component.name} ${how} while starting${inUse}; log: ${component.logPath}`,
        component.name,
        tail,
      );
    }
    last = await probe(component.healthUrl, options.tls);
    if (last.ok) return;
    if (now() >= deadline) {
      throw new ControlPlaneError(
        `${component.name} not healthy within ${Math.round(options.timeoutMs / 1000)}s ` +
          `(${component.healthUrl}: ${last.detail}); log: ${component.logPath}`,
        component.name,
        tailFile(component.logPath),
      );
    }
    await sleep(options.intervalMs ?? 200);
  }
}

export interface StopOptions {
  /** SIGTERM first, SIGKILL after this long. @default 10000 */
  graceMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops the process group of `record` if (and only if) its pid still belongs to the process we
 * started: SIGTERM, then SIGKILL after the grace period. Resolves once it is gone.
 */
export async function stopProcess(
  record: ComponentRecord,
  options: StopOptions = {},
): Promise<'stopped' | 'killed' | 'gone'> {
  const sleep = options.sleep ?? realSleep;
  if (!isAlive(record)) return 'gone';
  signalGroup(record.pid, 'SIGTERM');
  const graceMs = options.graceMs ?? 10_000;
  for (let waited = 0; waited < graceMs; waited += 50) {
    if (!isAlive(record)) return 'stopped';
    await sleep(50);
  }
  signalGroup(record.pid, 'SIGKILL');
  for (let waited = 0; waited < 5000 && isAlive(record); waited += 50) await sleep(50);
  return 'killed';
}
