import { afterEach, describe, expect, it } from 'vitest';
import { counter } from '../../../src/observability/metrics.js';
import { startHealthServer, type HealthServer } from '../../../src/observability/server.js';

describe('health server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const response = await fetch(`http://127.0.0.1:${server?.port}${path}`);
    return { status: response.status, body: await response.text() };
  };

  it('answers /healthz and /readyz from pluggable checks, with reasons for failures', async () => {
    let ready: boolean | string = 'informers not synced';
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      liveness: { loop: () => true },
      readiness: { sync: () => ready },
    });
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toEqual({
      status: 503,
      body: '[-] sync failed: informers not synced\nnot ok\n',
    });
    ready = true;
    expect((await get('/readyz')).status).toBe(200);
    expect((await get('/readyz?verbose')).body).toBe('[+] loop ok\n[+] sync ok\nok\n');
    server.addReadiness('leader', async () => {
      throw new Error('boom');
    });
    expect(await get('/readyz')).toEqual({ status: 503, body: '[-] leader failed: boom\nnot ok\n' });
    expect((await get('/nope')).status).toBe(404);
  });

  it('serves the shared metrics registry on /metrics', async () => {
    counter({ name: 'multinic_test_server_hits_total', help: 'test' }).inc();
    server = await startHealthServer({ port: 0, host: '127.0.0.1' });
    const { status, body } = await get('/metrics');
    expect(status).toBe(200);
    expect(body).toContain('multinic_test_server_hits_total 1');
  });
});
