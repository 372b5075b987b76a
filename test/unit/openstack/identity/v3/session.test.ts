import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OpenStackSession } from '../../../../../src/openstack/session.js';
import { TokenCache } from '../../../../../src/openstack/identity/v3/token-cache.js';
import { listPorts } from '../../../../../src/openstack/networking/v2/ports.js';
import { getServer } from '../../../../../src/openstack/compute/v2/servers.js';
import { isStatus, OpenStackHttpError } from '../../../../../src/openstack/errors.js';
import { createLogger } from '../../../../../src/observability/logger.js';
import { generateFixture, sequentialId } from '../../../../../src/openstack/simulator/fixture.js';
import { startOpenStackSim } from '../../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../../support/openstack-sim.js';
import { testSession } from '../../helpers.js';

const VM1 = sequentialId('5e', 1);

describe('OpenStackSession', () => {
  let sim: OpenStackSim;
  let now = Date.parse('2026-01-12T03:00:00Z');
  const clock = (): number => now;
  const sessions: OpenStackSession[] = [];
  const track = (session: OpenStackSession): OpenStackSession => (sessions.push(session), session);

  beforeAll(async () => {
    sim = await startOpenStackSim({
      fixture: generateFixture({ vms: 20, portsPerVm: 2 }),
      now: clock,
      tokenTtlSeconds: 3600,
    });
  });
  afterEach(async () => {
    sim.admin.clearFaults();
    sim.admin.resetRequests();
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });
  afterAll(() => sim.stop());

  it('issues one token per credential and reuses it across calls and sessions sharing a cache', async () => {
    const cache = new TokenCache({ now: clock });
    const a = track(testSession(sim, { tokenCache: cache, now: clock }));
    const b = track(testSession(sim, { tokenCache: cache, now: clock }));
    await Promise.all([
      listPorts(a, { deviceIds: [VM1] }),
      listPorts(b, { deviceIds: [VM1] }),
      getServer(a, VM1),
    ]);
    await listPorts(b, { networkId: sequentialId('4e', 1) });
    expect(sim.requestCounts()['identity.tokens.issue']).toBe(1);
    expect(a.issuedTokens + b.issuedTokens).toBe(1);
  });

  it('keeps separate tokens for different credentials', async () => {
    const cache = new TokenCache({ now: clock });
    const a = track(testSession(sim, { tokenCache: cache }));
    const b = track(
      testSession(sim, {
        tokenCache: cache,
        credentials: {
          authUrl: sim.authUrl,
          username: 'admin',
          userDomainId: 'default',
          password: sim.credentials.password,
          projectId: sim.credentials.projectId ?? '',
        },
      }),
    );
    await Promise.all([a.token(), b.token()]);
    expect(sim.requestCounts()['identity.tokens.issue']).toBe(2);
  });

  it('refreshes proactively inside the margin while still serving the current token', async () => {
    const cache = new TokenCache({ now: clock, refreshMarginMs: 300_000 });
    const session = track(testSession(sim, { tokenCache: cache, now: clock }));
    const first = await session.token();
    now += 3_600_000 - 200_000; // 200 s before expiry: inside the 300 s margin
    const during = await session.token();
    expect(during.id).toBe(first.id);
    await cache.settled();
    const after = await session.token();
    expect(after.id).not.toBe(first.id);
    expect(sim.requestCounts()['identity.tokens.issue']).toBe(2);
  });

  it('waits for a new token once the current one has expired', async () => {
    const cache = new TokenCache({ now: clock });
    const session = track(testSession(sim, { tokenCache: cache, now: clock }));
    const first = await session.token();
    now += 3_600_000;
    const second = await session.token();
    expect(second.id).not.toBe(first.id);
  });

  it('survives a revoked token: one re-issuance shared by all concurrent callers, each call retried once', async () => {
    const session = track(testSession(sim, { tokenCache: new TokenCache() }));
    // Revoked before Nova ever validated it: no service has it cached, so every call gets 401.
    await session.token();
    sim.admin.resetRequests();
    sim.admin.revokeTokens();
    const ids = Array.from({ length: 20 }, (_, i) => sequentialId('5e', i + 1));
    const servers = await Promise.all(ids.map((id) => getServer(session, id)));
    expect(servers.map((s) => s.id)).toEqual(ids);
    expect(sim.requestCounts()['identity.tokens.issue']).toBe(1);
    expect(sim.requestCounts()['compute.servers.get']).toBe(40);
  });

  it('re-authenticates after a simulator clock jump past expiry (server-side expiry only)', async () => {
    const session = track(testSession(sim, { tokenCache: new TokenCache() }));
    await listPorts(session, { deviceIds: [VM1] });
    sim.admin.advanceClock(3_601_000);
    await expect(listPorts(session, { deviceIds: [VM1] })).resolves.toHaveLength(2);
    expect(sim.requestCounts()['identity.tokens.issue']).toBe(2);
  });

  it('retries a 401 exactly once: a 2-request 401 storm fails the call with 401', async () => {
    const session = track(testSession(sim, { tokenCache: new TokenCache() }));
    await session.token();
    sim.admin.resetRequests();
    sim.admin.addFault({ route: 'network.*', unauthorized: true, times: 2 });
    const error = await listPorts(session, { deviceIds: [VM1] }).catch((err: unknown) => err);
    expect(isStatus(error, 401)).toBe(true);
    expect((error as OpenStackHttpError).body).toContain('requires authentication');
    expect(sim.requestCounts()).toEqual({ 'identity.tokens.issue': 1, 'network.ports.list': 2 });
    await expect(listPorts(session, { deviceIds: [VM1] })).resolves.toHaveLength(2);
  });

  it('recovers from a single 401 with one re-issuance and one retry', async () => {
    const session = track(testSession(sim, { tokenCache: new TokenCache() }));
    await session.token();
    sim.admin.resetRequests();
    sim.admin.addFault({ route: 'compute.servers.get', unauthorized: true, times: 1 });
    await expect(getServer(session, VM1)).resolves.toMatchObject({ id: VM1 });
    expect(sim.requestCounts()).toEqual({ 'compute.servers.get': 2, 'identity.tokens.issue': 1 });
  });

  it('uses endpoint overrides written with or without the version suffix', async () => {
    const session = track(
      testSession(sim, {
        endpointOverrides: { network: `${sim.url}/network/v2.0/`, compute: `${sim.url}/compute` },
      }),
    );
    expect(await session.endpoint('network')).toBe(`${sim.url}/network/v2.0`);
    expect(await session.endpoint('compute')).toBe(`${sim.url}/compute/v2.1`);
    await expect(getServer(session, VM1)).resolves.toMatchObject({ id: VM1 });
  });

  it('selects the catalog region and refuses an unknown one', async () => {
    const good = track(testSession(sim, { region: 'RegionOne', interface: 'internal' }));
    expect(await good.endpoint('network')).toBe(`${sim.url}/network/v2.0`);
    const bad = track(testSession(sim, { region: 'RegionTwo' }));
    await expect(bad.endpoint('network')).rejects.toThrow("no 'network' endpoint in region 'RegionTwo'");
  });

  it('never writes the token or the password to the log', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const session = track(testSession(sim, { tokenCache: new TokenCache(), logger, http: { logger } }));
    const token = await session.token();
    sim.admin.addFault({ route: 'network.ports.list', unauthorized: true, times: 1 });
    sim.admin.addFault({ route: 'network.ports.list', status: 503, times: 1 });
    await listPorts(session, { deviceIds: [VM1] });
    const fresh = await session.token();
    const output = lines.join('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(output).not.toContain(token.id);
    expect(output).not.toContain(fresh.id);
    expect(output).not.toContain(sim.credentials.password);
  });
});

describe('OpenStackSession credential sources', () => {
  it('reloads credentials after Keystone rejects them (rotated password)', async () => {
    const sim = await startOpenStackSim({ fixture: generateFixture({ vms: 1, portsPerVm: 1 }) });
    const loads: string[] = [];
    const passwords = ['stale', sim.credentials.password];
    const session = new OpenStackSession({
      credentials: {
        description: 'test source',
        load: () => {
          const password = passwords[Math.min(loads.length, passwords.length - 1)] ?? '';
          loads.push(password);
          return Promise.resolve({ ...sim.credentials, password });
        },
      },
      tokenCache: new TokenCache(),
      http: { sleep: () => Promise.resolve() },
    });
    await expect(getServer(session, VM1)).rejects.toThrow('failed (401)');
    await expect(getServer(session, VM1)).resolves.toMatchObject({ id: VM1 });
    expect(loads).toEqual(['stale', sim.credentials.password]);
    await session.close();
    await sim.stop();
  });
});
