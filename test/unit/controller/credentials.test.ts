import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseOpenstackConfigSpec } from '../../../src/api/openstack-config.js';
import { resolveCredentials } from '../../../src/controller/credentials.js';
import type { SecretReader } from '../../../src/controller/credentials.js';
import { violaNodeConfig } from '../../../src/controller/delivery.js';
import { HttpClient } from '../../../src/openstack/index.js';

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');
const secrets =
  (data: Record<string, Record<string, string>>): SecretReader =>
  (_ns, name) =>
    Promise.resolve(data[name]);
const http = new HttpClient();
const base = { vmNames: ['vm'], subnetID: 'sub' };

describe('resolveCredentials', () => {
  it('reads Keystone credentials from the secretRef Secret', async () => {
    const spec = parseOpenstackConfigSpec({ ...base, credentials: { secretRef: { name: 'os' } } });
    const resolved = await resolveCredentials({
      namespace: 'ns',
      spec,
      digest,
      contrabassHttp: () => http,
      readSecret: secrets({
        os: { authURL: 'http://k/v3', username: 'u', password: 'p', projectName: 'proj', regionName: 'R1' },
      }),
    });
    expect(resolved.kind).toBe('secret');
    expect(resolved.region).toBe('R1');
    expect(await resolved.source.load()).toMatchObject({
      authUrl: 'http://k/v3',
      username: 'u',
      password: 'p',
      projectName: 'proj',
    });
    expect(resolved.fingerprint).not.toContain('p"');
    expect(resolved.deprecated).toEqual([]);
  });
  it('a missing or invalid Secret is a CredentialsError naming it', async () => {
    const spec = parseOpenstackConfigSpec({ ...base, credentials: { secretRef: { name: 'os' } } });
    const run = (data: Record<string, Record<string, string>>) =>
      resolveCredentials({
        namespace: 'ns',
        spec,
        digest,
        contrabassHttp: () => http,
        readSecret: secrets(data),
      });
    await expect(run({})).rejects.toMatchObject({
      reason: 'CredentialsError',
      message: 'credentials Secret ns/os not found',
    });
    await expect(run({ os: { authURL: 'http://k', username: 'u' } })).rejects.toMatchObject({
      reason: 'CredentialsError',
    });
  });
  it('Contrabass: the encrypt key comes from secretRef, else the plain setting (deprecated), never from a Secret by default name', async () => {
    const contrabass = {
      ...base,
      credentials: { openstackProviderID: 'prov', projectID: 'proj', k8sProviderID: 'k8s' },
      settings: { contrabassEndpoint: 'http://cb' },
    };
    const withRef = parseOpenstackConfigSpec({
      ...contrabass,
      secrets: { contrabassEncryptKeySecretRef: { name: 'key', key: 'K' } },
    });
    const run = (
      spec: ReturnType<typeof parseOpenstackConfigSpec>,
      data: Record<string, Record<string, string>>,
    ) =>
      resolveCredentials({
        namespace: 'ns',
        spec,
        digest,
        contrabassHttp: () => http,
        readSecret: secrets(data),
        allowedHosts: ['cb'],
      });
    await expect(run(withRef, { key: { K: ' ' } })).rejects.toMatchObject({ reason: 'ConfigError' });
    expect((await run(withRef, { key: { K: 'k1' } })).kind).toBe('contrabass');
    const plain = parseOpenstackConfigSpec({
      ...contrabass,
      settings: { ...contrabass.settings, contrabassEncryptKey: 'k2' },
    });
    expect(
      (await run(plain, { 'contrabass-encrypt-key': { CONTRABASS_ENCRYPT_KEY: 'k3' } })).deprecated[0],
    ).toMatch(/contrabassEncryptKey/);
    expect((await run(plain, {})).deprecated[0]).toMatch(/contrabassEncryptKey/);
    const none = parseOpenstackConfigSpec(contrabass);
    await expect(
      run(none, { 'contrabass-encrypt-key': { CONTRABASS_ENCRYPT_KEY: 'k3' } }),
    ).rejects.toMatchObject({
      reason: 'ConfigError',
      message: /no Contrabass encrypt key/,
    });
  });
  it('inline G1 credentials work and are reported as deprecated', async () => {
    const spec = parseOpenstackConfigSpec({
      ...base,
      credentials: {
        authURL: 'http://k',
        username: 'u',
        password: 'p',
        projectID: 'proj',
        domainName: 'D',
        networkEndpoint: 'http://n',
      },
    });
    const resolved = await resolveCredentials({
      namespace: 'ns',
      spec,
      digest,
      contrabassHttp: () => http,
      readSecret: secrets({}),
    });
    expect(resolved.kind).toBe('inline');
    expect(resolved.endpointOverrides).toEqual({ network: 'http://n' });
    expect(resolved.deprecated).toHaveLength(1);
    expect(await resolved.source.load()).toMatchObject({ userDomainName: 'D', projectId: 'proj' });
  });
});

describe('violaNodeConfig', () => {
  it('always sends id (0 included) and an empty interface list for an emptied node', () => {
    expect(
      violaNodeConfig('n', 'vm', {
        nodeName: 'n',
        instanceId: 'vm',
        interfaces: [
          {
            id: 0,
            name: 'multinic0',
            macAddress: 'fa:16:3e:00:00:01',
            address: '10.0.0.1',
            cidr: '10.0.0.0/24',
            mtu: 1450,
          },
        ],
      }),
    ).toEqual({
      nodeName: 'n',
      instanceId: 'vm',
      interfaces: [
        {
          id: 0,
          name: 'multinic0',
          macAddress: 'fa:16:3e:00:00:01',
          address: '10.0.0.1',
          cidr: '10.0.0.0/24',
          mtu: 1450,
        },
      ],
    });
    expect(violaNodeConfig('n', 'vm')).toEqual({ nodeName: 'n', instanceId: 'vm', interfaces: [] });
  });
});
