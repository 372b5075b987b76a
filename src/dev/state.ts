// state.json in a control plane's data directory: everything needed to find, probe and stop it
// from another process (`multinic dev status|down`, or the next test run reaping a crashed one).
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeNode } from './nodes.js';
import { stopRealNode, type RealNodeState } from './real-node.js';
import {
  isAlive,
  ownerAlive,
  probe,
  stopProcess,
  type ComponentRecord,
  type StopOptions,
  type TlsMaterial,
} from './processes.js';

export interface DevState {
  version: 1;
  dataDir: string;
  /** The process that started the control plane (the vitest main process, or `dev up`). */
  ownerPid: number;
  /** Whether the owner expects the control plane to outlive it (`dev up`). */
  detached: boolean;
  createdAt: string;
  apiServerUrl: string;
  kubeconfigPath: string;
  envFilePath: string;
  caCertPath: string;
  adminCertPath: string;
  adminKeyPath: string;
  clientCaCertPath: string;
  clientCaKeyPath: string;
  mariadbUrl?: string;
  openstackSimUrl?: string;
  nodes: FakeNode[];
  /** The real node (containerd + kubelet), when one was started. */
  realNode?: RealNodeState;
  /** In start order. */
  components: ComponentRecord[];
}

export const STATE_FILE = 'state.json';

export function writeState(state: DevState): void {
  writeFileSync(join(state.dataDir, STATE_FILE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/** The state in `dataDir`, or undefined when there is none. */
export function readState(dataDir: string): DevState | undefined {
  const path = join(dataDir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as DevState;
  if (state.version !== 1) throw new Error(`${path}: unknown state version ${String(state.version)}`);
  return state;
}

/** The stop order: the leaves first, then kube-apiserver, etcd last. */
const STOP_WAVES: readonly (readonly string[])[] = [
  ['kwok', 'kube-scheduler', 'kube-controller-manager'],
  ['kube-apiserver'],
  ['etcd'],
];

/** Stops exactly the recorded processes (checked by pid + start time), in dependency order. */
export async function stopComponents(
  components: readonly ComponentRecord[],
  options: StopOptions = {},
): Promise<void> {
  const known = new Set(STOP_WAVES.flat());
  const waves = [
    components.filter((c) => !known.has(c.name)),
    ...STOP_WAVES.map((names) => components.filter((c) => names.includes(c.name))),
  ];
  for (const wave of waves) await Promise.all(wave.map((component) => stopProcess(component, options)));
}

/** Removes the real node (if any), then stops the components: everything a control plane made. */
export async function stopDevState(state: DevState, options: StopOptions = {}): Promise<void> {
  if (state.realNode !== undefined) stopRealNode(state.realNode, state.components);
  await stopComponents(state.components, options);
}

export interface ComponentStatus {
  name: string;
  pid: number;
  alive: boolean;
  healthy: boolean;
  detail: string;
}

export function tlsForState(state: DevState): TlsMaterial {
  return {
    caPem: readFileSync(state.caCertPath, 'utf8'),
    certPem: readFileSync(state.adminCertPath, 'utf8'),
    keyPem: readFileSync(state.adminKeyPath, 'utf8'),
  };
}

export async function componentStatuses(state: DevState): Promise<ComponentStatus[]> {
  const tls = tlsForState(state);
  return Promise.all(
    state.components.map(async (component) => {
      const alive = isAlive(component);
      const result = alive
        ? await probe(component.healthUrl, tls)
        : { ok: false, detail: 'process not running' };
      return { name: component.name, pid: component.pid, alive, healthy: result.ok, detail: result.detail };
    }),
  );
}

/**
 * Stops control planes under `parent` (directories named `<prefix>*`) whose owner process is gone
 * and that were not started detached, and removes their directories. Returns the directories reaped.
 */
export async function reapOrphans(
  parent: string,
  prefix: string,
  options: StopOptions = {},
): Promise<string[]> {
  if (!existsSync(parent)) return [];
  const reaped: string[] = [];
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const dir = join(parent, entry);
    let state: DevState | undefined;
    try {
      state = readState(dir);
    } catch {
      continue;
    }
    if (state === undefined || state.detached || ownerAlive(state.ownerPid)) continue;
    await stopDevState(state, options);
    rmSync(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}

/**
 * Synchronous last resort (process 'exit' and signal handlers, where nothing can be awaited):
 * SIGKILLs every recorded process group that is still ours.
 */
export function killNow(components: readonly ComponentRecord[], realNode?: RealNodeState): void {
  if (realNode !== undefined) stopRealNode(realNode, components);
  for (const component of components) {
    if (!isAlive(component)) continue;
    try {
      process.kill(-component.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
