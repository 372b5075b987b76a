import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContrabassCredentialSource, getProvider } from '../../../../src/openstack/contrabass/providers.js';
import { ContrabassError } from '../../../../src/openstack/errors.js';
import { HttpClient } from '../../../../src/openstack/http.js';
import { OpenStackSession } from '../../../../src/openstack/session.js';
import { TokenCache } from '../../../../src/openstack/identity/v3/token-cache.js';
import { getServer } from '../../../../src/openstack/compute/v2/servers.js';
import { startOpenStackSim } from '../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../support/openstack-sim.js';
import { SPEC_PROJECT_ID, SPEC_VM_1, specWorld } from '../fixtures/spec-world.js';

const PROVIDER = '2b8f6c1e-4d3a-4f6b-9e21-7c5d0a9e3f10';

describe('Contrabass', () => {
  let sim: OpenStackSim;
  const http = new HttpClient({ sleep: () => Promise.resolve(), maxAttempts: 2 });
  beforeAll(async () => {
    // The spec world's provider URL is `{{simulator}}/identity`: the decrypted password is used for real.
    sim = await startOpenStackSim({ fixture: specWorld() });
  });
  afterAll(async () => {
    await http.close();
    await sim.stop();
  });

  it('GETs the provider without authentication and returns data', async () => {
    const provider = await getProvider(http, `${sim.url}/`, PROVIDER);
    expect(provider).toMatchObject({
      name: 'openstack-region-a',
      attributes: { adminId: 'admin', domain: 'Default' },
    });
    const [request] = sim.admin.requests('contrabass.provider.get');
    expect(request?.path).toBe(`/v1/contrabass/admin/infra/provider/${PROVIDER}`);
    expect(request?.headers['authorization']).toBeUndefined();
  });

  it('sends a bearer token when configured', async () => {
    await getProvider(http, sim.url, PROVIDER, { bearerToken: 'tkn' });
    const all = sim.admin.requests('contrabass.provider.get');
    expect(all[all.length - 1]?.headers['authorization']).toBe('Bearer tkn');
  });

  it('maps a non-200 to "contrabass: unexpected status"', async () => {
    await expect(getProvider(http, sim.url, 'unknown')).rejects.toThrow(
      new ContrabassError('contrabass: unexpected status 404 for provider unknown'),
    );
  });

  it('authenticates a session with the decrypted admin password', async () => {
    const source = new ContrabassCredentialSource({
      http,
      endpoint: sim.url,
      providerId: PROVIDER,
      encryptKey: 'MultiNicDemoKey1',
      projectId: SPEC_PROJECT_ID,
      allowedAuthHosts: [new URL(sim.url).host],
    });
    expect(await source.load()).toEqual({
      authUrl: sim.authUrl,
      username: 'admin',
      userDomainName: 'Default',
      password: 'S3cr3t-Admin-Pw',
      projectId: SPEC_PROJECT_ID,
    });
    sim.admin.resetRequests();
    const session = new OpenStackSession({ credentials: source, tokenCache: new TokenCache(), http });
    await getServer(session, SPEC_VM_1);
    await getServer(session, SPEC_VM_1);
    expect(sim.requestCounts()).toEqual({
      'compute.servers.get': 2,
      'contrabass.provider.get': 1,
      'identity.tokens.issue': 1,
    });
  });

  it('fails with ContrabassError for a wrong encrypt key', async () => {
    const source = new ContrabassCredentialSource({
      http,
      endpoint: sim.url,
      providerId: PROVIDER,
      encryptKey: 'WrongDemoKey0000',
      projectId: SPEC_PROJECT_ID,
      allowedAuthHosts: [new URL(sim.url).host],
    });
    await expect(source.load()).rejects.toThrow(/^contrabass: decrypt adminPw: /);
  });
});
