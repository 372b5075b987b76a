import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/commands/dev.js';
import { defaultNodeSpecs } from '../../../src/dev/nodes.js';
import { resolveBinDir, readVersions } from '../../../src/dev/binaries.js';

let dir: string;
let out: string[];
let err: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dev-cli-'));
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('multinic dev', () => {
  it('reports "not running" with exit code 3 when the directory has no state', async () => {
    expect(await run(['status', '--dir', dir])).toBe(3);
    expect(out).toEqual([`dev: not running (no state in ${dir})`]);
  });

  it('has nothing to stop when not running', async () => {
    expect(await run(['down', `--dir=${dir}`])).toBe(0);
    expect(out).toEqual([`dev: nothing to stop (no state in ${dir})`]);
  });

  it('rejects bad arguments with exit code 2 and a one-line reason', async () => {
    expect(await run(['up', '--nodes', 'many'])).toBe(2);
    expect(err[0]).toMatch(/^dev: --nodes must be an integer 0\.\.1000, got 'many'\n/);
    expect(await run(['sideways'])).toBe(2);
    expect(err[1]).toMatch(/^dev: unknown sub-command 'sideways'/);
    expect(await run(['up', '--what'])).toBe(2);
    expect(err[2]).toMatch(/^dev: unknown argument '--what'/);
  });
});

describe('defaultNodeSpecs', () => {
  it('names nodes kwok-node-<i>', () => {
    expect(defaultNodeSpecs(2)).toEqual([{ name: 'kwok-node-0' }, { name: 'kwok-node-1' }]);
  });
  it('rejects counts out of range', () => {
    expect(() => defaultNodeSpecs(-1)).toThrow("'nodes' must be an integer 0..1000, got -1");
  });
});

describe('resolveBinDir', () => {
  it('prefers MULTINIC_CONTROL_PLANE_BIN', () => {
    expect(resolveBinDir({ MULTINIC_CONTROL_PLANE_BIN: '/opt/cp' })).toBe('/opt/cp');
  });
  it('otherwise uses the build cache keyed by the pinned versions', () => {
    const v = readVersions();
    expect(resolveBinDir({ MULTINIC_CACHE_DIR: '/c' })).toBe(
      `/c/control-plane/k8s-${v.K8S_VERSION}_etcd-${v.ETCD_VERSION}_kwok-${v.KWOK_VERSION}`,
    );
    expect(resolveBinDir({ HOME: '/home/u' })).toMatch(/^\/home\/u\/\.cache\/multinic\/control-plane\/k8s-v/);
  });
});
