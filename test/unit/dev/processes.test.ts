import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlPlaneError, tailFile } from '../../../src/dev/errors.js';
import {
  isAlive,
  probe,
  spawnComponent,
  stopProcess,
  waitHealthy,
  type RunningComponent,
} from '../../../src/dev/processes.js';

let dir: string;
const started: RunningComponent[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'processes-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => stopProcess(c, { graceMs: 1000 })));
  rmSync(dir, { recursive: true, force: true });
});

function shell(name: string, script: string, healthUrl = 'http://127.0.0.1:1/health'): RunningComponent {
  const component = spawnComponent({
    name,
    binary: '/bin/sh',
    args: ['-c', script],
    logPath: join(dir, `${name}.log`),
    healthUrl,
    env: process.env,
    cwd: dir,
  });
  started.push(component);
  return component;
}

describe('spawnComponent', () => {
  it('says how to build a missing binary', () => {
    expect(() =>
      spawnComponent({
        name: 'etcd',
        binary: join(dir, 'etcd'),
        args: [],
        logPath: join(dir, 'etcd.log'),
        healthUrl: 'http://127.0.0.1:1/',
        env: process.env,
        cwd: dir,
      }),
    ).toThrow(
      /binary missing: .*etcd is not an executable file; build it with tools\/control-plane\/build\.sh/,
    );
  });
});

describe('waitHealthy', () => {
  it('reports a component that exits while starting, with the port-in-use hint and its log tail', async () => {
    const component = shell('etcd', 'echo "listen tcp 127.0.0.1:2379: bind: address already in use"; exit 1');
    const error = await waitHealthy(component, { timeoutMs: 10_000, intervalMs: 20 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ControlPlaneError);
    const e = error as ControlPlaneError;
    expect(e.summary).toMatch(/^etcd exited with code 1 while starting \(a port it needs is in use\); log: /);
    expect(e.logTail).toBe('listen tcp 127.0.0.1:2379: bind: address already in use');
    expect(e.message).toContain('--- last lines of the etcd log ---');
  });

  it('gives up after the timeout and names the URL and the last probe result', async () => {
    const component = shell('kwok', 'echo starting; exec sleep 30');
    for (let i = 0; i < 100 && tailFile(component.logPath) === ''; i++)
      await new Promise((r) => setTimeout(r, 20));
    let now = 0;
    const error = (await waitHealthy(component, {
      timeoutMs: 5000,
      now: () => now,
      sleep: async () => {
        now += 1000;
      },
    }).catch((e: unknown) => e)) as ControlPlaneError;
    expect(error.summary).toMatch(
      /^kwok not healthy within 5s \(http:\/\/127\.0\.0\.1:1\/health: .*ECONNREFUSED/,
    );
    expect(error.logTail).toBe('starting');
  });

  it('resolves once the health URL answers 200', async () => {
    const server: Server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const component = shell('fine', 'exec sleep 30', `http://127.0.0.1:${port}/healthz`);
      await waitHealthy(component, { timeoutMs: 5000 });
      expect(await probe(`http://127.0.0.1:${port}/healthz`)).toEqual({ ok: true, detail: 'HTTP 200 ok' });
    } finally {
      server.close();
    }
  });
});

describe('stopProcess', () => {
  it('stops the whole process group and then reports the process gone', async () => {
    const component = shell('group', 'sleep 30 & exec sleep 30');
    expect(isAlive(component)).toBe(true);
    expect(await stopProcess(component, { graceMs: 5000 })).toBe('stopped');
    expect(isAlive(component)).toBe(false);
    expect(await stopProcess(component)).toBe('gone');
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const component = shell('stubborn', "trap '' TERM; while :; do sleep 0.1; done");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await stopProcess(component, { graceMs: 300 })).toBe('killed');
    expect(isAlive(component)).toBe(false);
  });

  it('never signals a pid whose start time differs (a recycled pid)', async () => {
    const component = shell('other', 'exec sleep 30');
    expect(await stopProcess({ ...component, startTime: '1' })).toBe('gone');
    expect(isAlive(component)).toBe(true);
  });
});
