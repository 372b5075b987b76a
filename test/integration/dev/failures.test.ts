// Start-up failures of the local control plane end quickly with a one-line cause and the
// failing component's log tail, and leave no process behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlPlane } from '../../../src/dev/control-plane.js';
import { ControlPlaneError } from '../../../src/dev/errors.js';
import { isAlive } from '../../../src/dev/processes.js';
import { readState } from '../../../src/dev/state.js';

const parent = mkdtempSync(join(tmpdir(), 'cp-failures-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

async function failure(dir: string, run: () => Promise<unknown>): Promise<ControlPlaneError> {
  const error = await run().then(
    () => new Error('expected the control plane not to start'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ControlPlaneError);
  const state = readState(dir);
  expect(state?.components.filter(isAlive).map((c) => c.name) ?? []).toEqual([]);
  return error as ControlPlaneError;
}

describe('control plane start-up failures', () => {
  it('says which binary is missing and how to build it', async () => {
    const dir = join(parent, 'missing');
    const error = await failure(dir, () =>
      startControlPlane({ binDir: join(parent, 'no-bin'), dataDir: dir }),
    );
    expect(error.summary).toMatch(
      /^binary missing: .*no-bin\/etcd is not an executable file; build it with tools\/control-plane\/build\.sh/,
    );
  });

  it('reports a port in use with kube-apiserver log tail', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const busy = typeof address === 'object' && address !== null ? address.port : 0;
    const dir = join(parent, 'busy');
    try {
      const error = await failure(dir, () =>
        startControlPlane({ dataDir: dir, ports: { apiServer: busy }, mariadb: false, nodes: 0 }),
      );
      expect(error.summary).toMatch(
        /^kube-apiserver exited with code 1 while starting \(a port it needs is in use\); log: .*kube-apiserver\.log$/,
      );
      expect(error.logTail).toContain(`127.0.0.1:${busy}`);
    } finally {
      server.close();
    }
  });

  it('gives up on a component that is not healthy in time', async () => {
    const dir = join(parent, 'slow');
    const error = await failure(dir, () =>
      startControlPlane({ dataDir: dir, timeouts: { apiServerMs: 1 }, mariadb: false, nodes: 0 }),
    );
    expect(error.summary).toMatch(
      /^kube-apiserver not healthy within 0s \(https:\/\/127\.0\.0\.1:\d+\/readyz: /,
    );
  });
});
