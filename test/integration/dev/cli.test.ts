// `multinic dev up|status|down` as a user runs it: background processes recorded by pid,
// a usable kubeconfig, and nothing left running after `down`. Three CLI runs only: each is a
// fresh Node process, slow on a loaded machine; the other CLI paths have unit tests.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../src/dev/binaries.js';
import { isAlive } from '../../../src/dev/processes.js';
import { readState, stopComponents, type DevState } from '../../../src/dev/state.js';

const exec = promisify(execFile);
const parent = mkdtempSync(join(tmpdir(), 'dev-cli-it-'));
const dir = join(parent, 'dev');

async function multinic(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], {
      cwd: REPO_ROOT,
      timeout: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let state: DevState | undefined;
afterAll(async () => {
  if (state !== undefined) await stopComponents(state.components);
  rmSync(parent, { recursive: true, force: true });
});

describe('multinic dev', () => {
  it(
    'starts in the background (with the OpenStack simulator), reports health, and stops exactly what it started',
    { timeout: 600_000 },
    async () => {
      const up = await multinic('dev', 'up', '--nodes', '1', '--openstack-sim', '--dir', dir);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      const lines = up.stdout.trimEnd().split('\n');
      expect(lines.at(-1)).toBe(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);

      state = readState(dir);
      expect(state?.components.map((c) => c.name)).toEqual([
        'etcd',
        'kube-apiserver',
        'kube-controller-manager',
        'kube-scheduler',
        'kwok',
        'openstack-sim',
      ]);
      const components = state?.components ?? [];
      expect(components.every(isAlive)).toBe(true);

      const kc = new KubeConfig();
      kc.loadFromFile(join(dir, 'kubeconfig'));
      const nodes = await kc.makeApiClient(CoreV1Api).listNode();
      // With --openstack-sim the node is the simulator's VM: same name, Nova server id as systemUUID.
      expect(nodes.items.map((n) => [n.metadata?.name, n.status?.nodeInfo?.systemUUID])).toEqual([
        ['node-0001', '5e000000-0000-4000-8000-000000000001'],
      ]);
      const servers = (await (await fetch(`${state?.openstackSimUrl ?? ''}/_admin/state`)).json()) as {
        servers?: { id: string; name: string }[];
      };
      expect(servers.servers?.map((v) => v.id)).toEqual(['5e000000-0000-4000-8000-000000000001']);

      const status = await multinic('dev', 'status', '--dir', dir);
      expect(status.code).toBe(0);
      for (const c of components)
        expect(status.stdout).toMatch(new RegExp(`^${c.name} +pid ${c.pid} +healthy`, 'm'));

      const down = await multinic('dev', 'down', '--dir', dir);
      expect(down.code).toBe(0);
      expect(components.filter(isAlive).map((c) => c.name)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
    },
  );
});
