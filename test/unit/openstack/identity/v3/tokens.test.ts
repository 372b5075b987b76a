import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, passwordAuthRequest } from '../../../../../src/openstack/identity/v3/tokens.js';
import { HttpClient } from '../../../../../src/openstack/http.js';
import { AuthenticationError } from '../../../../../src/openstack/errors.js';
import { startOpenStackSim } from '../../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../../support/openstack-sim.js';
import { SPEC_PASSWORD, SPEC_PROJECT_ID, specDocument, specWorld } from '../../fixtures/spec-world.js';

describe('passwordAuthRequest', () => {
  it('builds exactly the spec example body for user name + domain name + project id', () => {
    const body = passwordAuthRequest({
      authUrl: 'https://keystone.openstack.example.com:5000',
      username: 'admin',
      userDomainName: 'Default',
      password: SPEC_PASSWORD,
      projectId: SPEC_PROJECT_ID,
    });
    expect(body).toEqual(specDocument('keystone-auth-request.json'));
  });

  it('uses ids when given and scopes a project by name in the user domain by default', () => {
    expect(
      passwordAuthRequest({
        authUrl: 'x',
        userId: 'u1',
        password: 'p',
        projectName: 'proj',
        userDomainId: 'd1',
      }),
    ).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { id: 'u1', password: 'p' } } },
        scope: { project: { name: 'proj', domain: { id: 'd1' } } },
      },
    });
  });

  it('defaults the user domain to id "default" and honours an explicit project domain', () => {
    const body = passwordAuthRequest({
      authUrl: 'x',
      username: 'u',
      password: 'p',
      projectName: 'proj',
      projectDomainName: 'Other',
    }) as {
      auth: { identity: { password: { user: unknown } }; scope: unknown };
    };
    expect(body.auth.identity.password.user).toEqual({ name: 'u', domain: { id: 'default' }, password: 'p' });
    expect(body.auth.scope).toEqual({ project: { name: 'proj', domain: { name: 'Other' } } });
  });

  it('rejects credentials without a user or a project', () => {
    expect(() => passwordAuthRequest({ authUrl: 'x', password: 'p', projectId: 'p' })).toThrow(
      'need a user id or a username',
    );
    expect(() => passwordAuthRequest({ authUrl: 'x', username: 'u', password: 'p' })).toThrow(
      'need a project id or a project name',
    );
  });
});

describe('issueToken against the simulator', () => {
  let sim: OpenStackSim;
  const http = new HttpClient({ sleep: () => Promise.resolve() });
  beforeAll(async () => {
    sim = await startOpenStackSim({ fixture: specWorld() });
  });
  afterAll(async () => {
    await http.close();
    await sim.stop();
  });

  it('returns the X-Subject-Token, expiry and a catalog pointing at the simulator', async () => {
    const token = await issueToken(http, sim.credentials);
    expect(token.id).toMatch(/^gAAAAAB-sim-token-\d+$/);
    expect(token.expiresAt - token.issuedAt).toBe(3_600_000);
    expect(token.projectId).toBe(SPEC_PROJECT_ID);
    expect(token.catalog.map((s) => s.type).sort()).toEqual([
      'compute',
      'identity',
      'image',
      'network',
      'placement',
    ]);
    expect(token.catalog.find((s) => s.type === 'network')?.endpoints[0]?.url).toBe(`${sim.url}/network`);
  });

  it.each([
    ['user id', { userId: '3c2a1f0e9d8c4b7a6f5e4d3c2b1a0f9e', username: undefined }],
    ['user domain id', { userDomainId: 'default', userDomainName: undefined }],
    [
      'project name + domain',
      { projectId: undefined, projectName: 'biz-cluster-a', projectDomainId: 'default' },
    ],
  ])('authenticates by %s', async (_what, change) => {
    const credentials = Object.fromEntries(
      Object.entries({ ...sim.credentials, ...change }).filter(([, v]) => v !== undefined),
    ) as unknown as typeof sim.credentials;
    await expect(issueToken(http, credentials)).resolves.toMatchObject({ projectId: SPEC_PROJECT_ID });
  });

  it.each([
    ['a wrong password', { password: 'nope' }],
    ['a wrong domain', { userDomainName: 'Other' }],
    ['an unknown project', { projectId: 'ffff' }],
  ])('throws AuthenticationError for %s, without retrying', async (_what, change) => {
    sim.admin.resetRequests();
    const error = await issueToken(http, { ...sim.credentials, ...change }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain('failed (401)');
    expect((error as Error).message).not.toContain(SPEC_PASSWORD);
    expect(sim.requestCounts()['identity.tokens.issue']).toBe(1);
  });

  it('answers 401 with the Keystone error body', async () => {
    const res = await fetch(`${sim.authUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(passwordAuthRequest({ ...sim.credentials, password: 'bad' })),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: {
        code: 401,
        message: 'The request you have made requires authentication.',
        title: 'Unauthorized',
      },
    });
  });
});
