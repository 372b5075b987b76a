import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, HttpClient, parseRetryAfter } from '../../../src/openstack/http.js';
import { isStatus, OpenStackConnectionError, OpenStackHttpError } from '../../../src/openstack/errors.js';
import { listPorts } from '../../../src/openstack/networking/v2/ports.js';
import { getServer } from '../../../src/openstack/compute/v2/servers.js';
import { registry } from '../../../src/observability/metrics.js';
import { generateFixture, sequentialId } from '../../../src/openstack/simulator/fixture.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';
import { testSession } from './helpers.js';

const VM1 = sequentialId('5e', 1);

describe('backoff helpers', () => {
  it('grows the jitter ceiling exponentially up to the cap', () => {
    const backoff = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, () => 0.999999, backoff))).toEqual([
      99, 199, 399, 799, 999,
    ]);
    expect(backoffDelay(3, () => 0, backoff)).toBe(0);
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});

describe('HttpClient retries against the simulator', () => {
  let sim: OpenStackSim;
  beforeAll(async () => {
    sim = await startOpenStackSim({ fixture: generateFixture({ vms: 3, portsPerVm: 2 }) });
  });
  afterEach(() => {
    sim.admin.clearFaults();
    sim.admin.resetRequests();
  });
  afterAll(() => sim.stop());

  it.each([500, 502, 503, 504])('retries %i with jittered backoff and then succeeds', async (status) => {
    const sleeps: number[] = [];
    const session = testSession(sim, {
      sleeps,
      http: { random: () => 0.5, backoff: { baseMs: 100, maxMs: 5000 } },
    });
    await session.token();
    sim.admin.addFault({ route: 'network.ports.list', status, times: 2 });
    await expect(listPorts(session, { deviceIds: [VM1] })).resolves.toHaveLength(2);
    expect(sleeps).toEqual([50, 100]);
    expect(sim.requestCounts()['network.ports.list']).toBe(3);
    await session.close();
  });

  it('honours Retry-After on 429 (capped by the backoff maximum)', async () => {
    const sleeps: number[] = [];
    const session = testSession(sim, {
      sleeps,
      http: { random: () => 0, backoff: { baseMs: 100, maxMs: 5000 } },
    });
    await session.token();
    sim.admin.addFault({ route: 'compute.servers.get', status: 429, retryAfterSeconds: 2, times: 1 });
    sim.admin.addFault({ route: 'compute.servers.get', status: 429, retryAfterSeconds: 60, times: 1 });
    await expect(getServer(session, VM1)).resolves.toMatchObject({ id: VM1 });
    expect(sleeps).toEqual([2000, 5000]);
    await session.close();
  });

  it.each([400, 403, 404, 409])('never retries %i', async (status) => {
    const sleeps: number[] = [];
    const session = testSession(sim, { sleeps });
    await session.token();
    sim.admin.resetRequests();
    sim.admin.addFault({ route: 'network.ports.list', status, times: 5 });
    const error = await listPorts(session, { deviceIds: [VM1] }).catch((err: unknown) => err);
    expect(isStatus(error, status)).toBe(true);
    expect(sleeps).toEqual([]);
    expect(sim.requestCounts()).toEqual({ 'network.ports.list': 1 });
    await session.close();
  });

  it('gives up after maxAttempts with the last error and its fields', async () => {
    const session = testSession(sim, { http: { maxAttempts: 3 } });
    await session.token();
    sim.admin.addFault({ route: 'network.ports.list', status: 503 });
    const error = (await listPorts(session, { deviceIds: [VM1] }).catch(
      (err: unknown) => err,
    )) as OpenStackHttpError;
    expect(error).toBeInstanceOf(OpenStackHttpError);
    expect(error).toMatchObject({
      method: 'GET',
      expected: [200],
      actual: 503,
      service: 'network',
      operation: 'ports.list',
    });
    expect(error.url).toBe(`${sim.url}/network/v2.0/ports?device_id=${VM1}`);
    expect(JSON.parse(error.body)).toEqual({
      NeutronError: { type: 'SimulatedFault', message: 'Simulated 503 Service Unavailable', detail: '' },
    });
    expect(sim.requestCounts()['network.ports.list']).toBe(3);
    await session.close();
  });

  it('retries connection resets', async () => {
    const session = testSession(sim);
    await session.token();
    sim.admin.addFault({ route: 'compute.servers.get', reset: true, times: 2 });
    await expect(getServer(session, VM1)).resolves.toMatchObject({ id: VM1 });
    expect(sim.requestCounts()['compute.servers.get']).toBe(3);
    await session.close();
  });

  it('times out a slow attempt and retries it', async () => {
    const session = testSession(sim, { http: { timeoutMs: 150 } });
    await session.token();
    sim.admin.addFault({ route: 'compute.servers.get', latencyMs: 1000, times: 1 });
    await expect(getServer(session, VM1)).resolves.toMatchObject({ id: VM1 });
    expect(sim.requestCounts()['compute.servers.get']).toBe(2);
    await session.close();
  });

  it('reports a refused connection as OpenStackConnectionError after retries', async () => {
    const http = new HttpClient({ sleep: () => Promise.resolve(), maxAttempts: 2 });
    const error = await http
      .request({
        service: 'network',
        operation: 'ports.list',
        method: 'GET',
        url: 'http://127.0.0.1:1/v2.0/ports',
        expected: [200],
      })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenStackConnectionError);
    expect((error as OpenStackConnectionError).code).toBe('ECONNREFUSED');
    await http.close();
  });

  it('does not retry when the caller aborts', async () => {
    const sleeps: number[] = [];
    const session = testSession(sim, { sleeps });
    await session.token();
    sim.admin.addFault({ route: 'compute.servers.get', latencyMs: 500, times: 1 });
    const controller = new AbortController();
    const pending = getServer(session, VM1, controller.signal).catch((err: unknown) => err);
    setTimeout(() => controller.abort(), 50);
    const error = await pending;
    expect(error).toBeInstanceOf(OpenStackConnectionError);
    expect((error as OpenStackConnectionError).code).toBe('aborted');
    expect(sleeps).toEqual([]);
    await session.close();
  });

  it('observes multinic_openstack_request_duration_seconds per service, operation and code', async () => {
    const session = testSession(sim);
    await session.token();
    sim.admin.addFault({ route: 'compute.servers.get', status: 503, times: 1 });
    await getServer(session, VM1);
    const metric = await registry.getSingleMetric('multinic_openstack_request_duration_seconds')?.get();
    const counts = (metric?.values ?? [])
      .filter(
        (v) =>
          (v as { metricName?: string }).metricName === 'multinic_openstack_request_duration_seconds_count',
      )
      .map(
        (v) => `${String(v.labels['service'])}/${String(v.labels['operation'])}/${String(v.labels['code'])}`,
      );
    expect(counts).toEqual(
      expect.arrayContaining([
        'compute/servers.get/503',
        'compute/servers.get/200',
        'identity/tokens.issue/201',
      ]),
    );
    await session.close();
  });
});
