import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive, spawnComponent, stopProcess, type ComponentRecord } from '../../../src/dev/processes.js';
import { readState, reapOrphans, writeState, type DevState } from '../../../src/dev/state.js';

let parent: string;
const records: ComponentRecord[] = [];
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'state-'));
});
afterEach(async () => {
  await Promise.all(records.splice(0).map((r) => stopProcess(r, { graceMs: 500 })));
  rmSync(parent, { recursive: true, force: true });
});

function sleeper(dir: string): ComponentRecord {
  const c = spawnComponent({
    name: 'etcd',
    binary: '/bin/sleep',
    args: ['30'],
    logPath: join(dir, 'etcd.log'),
    healthUrl: 'http://127.0.0.1:1/',
    env: process.env,
    cwd: dir,
  });
  const record = {
    name: c.name,
    pid: c.pid,
    startTime: c.startTime,
    binary: c.binary,
    logPath: c.logPath,
    healthUrl: c.healthUrl,
  };
  records.push(record);
  return record;
}

function stateIn(dir: string, ownerPid: number, detached: boolean, components: ComponentRecord[]): DevState {
  mkdirSync(dir, { recursive: true });
  const state: DevState = {
    version: 1,
    dataDir: dir,
    ownerPid,
    detached,
    createdAt: new Date(0).toISOString(),
    apiServerUrl: 'https://127.0.0.1:1',
    kubeconfigPath: join(dir, 'kubeconfig'),
    envFilePath: join(dir, 'dev.env'),
    caCertPath: '',
    adminCertPath: '',
    adminKeyPath: '',
    clientCaCertPath: '',
    clientCaKeyPath: '',
    nodes: [],
    components,
  };
  writeState(state);
  return state;
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync('/bin/sh', ['-c', 'echo $$']);
  return Number(child.stdout.toString().trim());
}

describe('state', () => {
  it('round-trips through state.json', () => {
    const dir = join(parent, 'a');
    const state = stateIn(dir, 1, true, []);
    expect(readState(dir)).toEqual(state);
    expect(readState(join(parent, 'missing'))).toBeUndefined();
  });

  it('reaps the control plane of a dead owner and leaves live, detached and foreign ones alone', async () => {
    const orphanDir = join(parent, 'multinic-test-orphan');
    const orphan = stateIn(orphanDir, deadPid(), false, [sleeper(parent)]);
    const liveDir = join(parent, 'multinic-test-live');
    stateIn(liveDir, process.pid, false, [sleeper(parent)]);
    const detachedDir = join(parent, 'multinic-test-detached');
    stateIn(detachedDir, deadPid(), true, [sleeper(parent)]);
    const foreignDir = join(parent, 'other-orphan');
    stateIn(foreignDir, deadPid(), false, [sleeper(parent)]);

    expect(await reapOrphans(parent, 'multinic-test-', { graceMs: 2000 })).toEqual([orphanDir]);
    expect(isAlive(orphan.components[0] as ComponentRecord)).toBe(false);
    expect(existsSync(orphanDir)).toBe(false);
    for (const dir of [liveDir, detachedDir, foreignDir]) expect(existsSync(dir)).toBe(true);
    expect(records.slice(1).every(isAlive)).toBe(true);
  });
});
