// An OpenstackConfig author who cannot read the credentials Secret must not be able to make the
// controller send the Keystone token, the Contrabass bearer token or the decrypted admin password
// anywhere they choose. The real parts: the project's OpenStack simulator (Keystone, Neutron,
// Nova, Contrabass) and a second listener standing in for the attacker, recording what reaches it.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseOpenstackConfigSpec } from '../../../src/api/openstack-config.js';
import { resolveCredentials } from '../../../src/controller/credentials.js';
import type { SecretReader } from '../../../src/controller/credentials.js';
import { classify } from '../../../src/controller/errors.js';
import { HttpClient, OpenStackSession, TokenCache } from '../../../src/openstack/index.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';
import { SPEC_PASSWORD, SPEC_PROJECT_ID, specWorld } from '../openstack/fixtures/spec-world.js';

const PROVIDER = '2b8f6c1e-4d3a-4f6b-9e21-7c5d0a9e3f10';
const ENCRYPT_KEY = 'MultiNicDemoKey1';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The attacker's server: answers 200 `{}` and records every request, body included. */
async function attacker(): Promise<{ url: string; host: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');
const http = new HttpClient({ sleep: () => Promise.resolve(), maxAttempts: 1, timeoutMs: 5_000 });

let sim: OpenStackSim;
let evil: Awaited<ReturnType<typeof attacker>>;
let simHost: string;

beforeAll(async () => {
  evil = await attacker();
  const fixture = specWorld();
  // A second provider whose reply names the attacker's Keystone.
  const providers = (fixture.contrabass?.providers ?? []) as Array<Record<string, unknown>>;
  const honest = providers[0] ?? {};
  providers.push({ ...honest, uuid: 'evil-provider', url: `${evil.url}/identity` });
  sim = await startOpenStackSim({ fixture });
  simHost = new URL(sim.url).host;
});
afterEach(() => {
  evil.seen.length = 0;
});
afterAll(async () => {
  await http.close();
  await sim.stop();
  await evil.close();
});

/** The namespace's Secrets: the victim's Keystone credentials, the encrypt key and a Contrabass token. */
const secrets: SecretReader = (_ns, name) =>
  Promise.resolve(
    (
      {
        keystone: {
          authURL: sim.authUrl,
          username: sim.credentials.username,
          password: sim.credentials.password,
          projectID: sim.credentials.projectId ?? '',
        },
        'contrabass-key': { key: ENCRYPT_KEY },
        'contrabass-encrypt-key': { CONTRABASS_ENCRYPT_KEY: ENCRYPT_KEY },
        'contrabass-token': { token: 'contrabass-bearer-token' },
      } as Record<string, Record<string, string>>
    )[name],
  );

/** Resolves the spec the way the controller does and lists ports through the resulting session. */
async function sync(
  spec: Record<string, unknown>,
  allowedHosts: readonly string[] = [],
): Promise<{ error: unknown; reason: string | undefined }> {
  try {
    const parsed = parseOpenstackConfigSpec({ vmNames: ['vm'], subnetID: 'sub', ...spec });
    const resolved = await resolveCredentials({
      namespace: 'tenant',
      spec: parsed,
      readSecret: secrets,
      contrabassHttp: () => http,
      digest,
      allowedHosts,
    });
    const session = new OpenStackSession({
      credentials: resolved.source,
      endpointOverrides: resolved.endpointOverrides,
      allowedHosts,
      tokenCache: new TokenCache(),
      http,
    });
    await session.request('network', { operation: 'ports.list', path: '/ports' });
    await session.request('compute', { operation: 'servers.list', path: '/servers' });
    return { error: undefined, reason: undefined };
  } catch (error) {
    return { error, reason: classify(error, 'discovery').reason };
  }
}

function leaked(): string[] {
  return evil.seen.flatMap((request) => [
    ...(request.headers['x-auth-token'] !== undefined ? [`x-auth-token on ${request.url}`] : []),
    ...(request.headers['authorization'] !== undefined ? [`authorization on ${request.url}`] : []),
    ...(request.body.includes(SPEC_PASSWORD) || request.body.includes(sim.credentials.password)
      ? [`password on ${request.url}`]
      : []),
  ]);
}

describe('OpenStack endpoint redirects', () => {
  it('item 3: refuses a Neutron endpoint override outside the catalog; no token reaches it', async () => {
    const { error, reason } = await sync({
      credentials: { secretRef: { name: 'keystone' } },
      settings: { openstackNeutronEndpoint: evil.url },
    });
    expect(leaked()).toEqual([]);
    expect(evil.seen).toEqual([]);
    expect(reason).toBe('EndpointRefused');
    expect((error as Error).message).toContain(`openstackNeutronEndpoint ${evil.host} is refused`);
  });

  it('item 3: refuses a Nova endpoint override outside the catalog; no token reaches it', async () => {
    const { reason } = await sync({
      credentials: { secretRef: { name: 'keystone' } },
      settings: { openstackNovaEndpoint: `${evil.url}/v2.1` },
    });
    expect(leaked()).toEqual([]);
    expect(reason).toBe('EndpointRefused');
  });

  it('item 3: accepts overrides on a catalog host or on the allow-list', async () => {
    expect(
      await sync({
        credentials: { secretRef: { name: 'keystone' } },
        settings: { openstackNeutronEndpoint: `${sim.url}/network` },
      }),
    ).toEqual({ error: undefined, reason: undefined });
    const allowed = await sync(
      { credentials: { secretRef: { name: 'keystone' } }, settings: { openstackNeutronEndpoint: evil.url } },
      [evil.host],
    );
    // Allow-listed: the request goes there (the operator trusts that host).
    expect(evil.seen.length).toBeGreaterThan(0);
    expect(allowed.reason).not.toBe('EndpointRefused');
  });

  it('item 3: a Contrabass reply naming a Keystone outside the allow-list gets no password', async () => {
    const { error, reason } = await sync(
      {
        credentials: { openstackProviderID: 'evil-provider', projectID: SPEC_PROJECT_ID, k8sProviderID: 'k' },
        settings: { contrabassEndpoint: sim.url },
        secrets: { contrabassEncryptKeySecretRef: { name: 'contrabass-key', key: 'key' } },
      },
      [simHost],
    );
    expect(leaked()).toEqual([]);
    expect(evil.seen).toEqual([]);
    expect(reason).toBe('EndpointRefused');
    expect((error as Error).message).toContain(`names Keystone ${evil.host}`);
    expect((error as Error).message).not.toContain(SPEC_PASSWORD);
  });

  it('item 3: refuses a Contrabass endpoint outside the allow-list; nothing is sent to it', async () => {
    const { error, reason } = await sync({
      credentials: { openstackProviderID: PROVIDER, projectID: SPEC_PROJECT_ID, k8sProviderID: 'k' },
      settings: { contrabassEndpoint: evil.url },
      secrets: {
        contrabassEncryptKeySecretRef: { name: 'contrabass-key', key: 'key' },
        contrabassTokenSecretRef: { name: 'contrabass-token', key: 'token' },
      },
    });
    expect(evil.seen).toEqual([]);
    expect(reason).toBe('EndpointRefused');
    expect((error as Error).message).toContain(`settings.contrabassEndpoint ${evil.host} is refused`);
  });

  it('item 3: Contrabass calls carry the configured bearer token and the honest provider works', async () => {
    sim.admin.resetRequests();
    const result = await sync(
      {
        credentials: { openstackProviderID: PROVIDER, projectID: SPEC_PROJECT_ID, k8sProviderID: 'k' },
        settings: { contrabassEndpoint: sim.url },
        secrets: {
          contrabassEncryptKeySecretRef: { name: 'contrabass-key', key: 'key' },
          contrabassTokenSecretRef: { name: 'contrabass-token', key: 'token' },
        },
      },
      [simHost],
    );
    expect(result).toEqual({ error: undefined, reason: undefined });
    const calls = sim.admin.requests('contrabass.provider.get');
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect(call.headers['authorization']).toBe('Bearer contrabass-bearer-token');
  });

  it('item 3: never picks up an encrypt key from a Secret by its default name', async () => {
    const { error } = await sync(
      {
        credentials: { openstackProviderID: PROVIDER, projectID: SPEC_PROJECT_ID, k8sProviderID: 'k' },
        settings: { contrabassEndpoint: sim.url },
      },
      [simHost],
    );
    expect(error).toMatchObject({
      reason: 'ConfigError',
      message: expect.stringMatching(
        /no Contrabass encrypt key.*name it: secrets\.contrabassEncryptKeySecretRef: \{name: contrabass-encrypt-key, key: CONTRABASS_ENCRYPT_KEY\}/,
      ),
    });
  });
});
