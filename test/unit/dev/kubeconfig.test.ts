import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { setEnvFileVariable } from '../../../src/dev/control-plane.js';
import { makeKubeConfig, renderKubeconfig } from '../../../src/dev/kubeconfig.js';

const cluster = { server: 'https://127.0.0.1:6443', caCertPem: 'CA PEM' };

describe('renderKubeconfig', () => {
  it('embeds the CA and the client certificate as base64 data', () => {
    const doc = parse(
      renderKubeconfig(cluster, 'alice', { certificate: { certPem: 'CERT', keyPem: 'KEY' } }),
    ) as {
      clusters: { cluster: Record<string, string> }[];
      users: { name: string; user: Record<string, string> }[];
      'current-context': string;
    };
    expect(doc.clusters[0]?.cluster).toEqual({
      server: 'https://127.0.0.1:6443',
      'certificate-authority-data': Buffer.from('CA PEM').toString('base64'),
    });
    expect(doc.users[0]).toEqual({
      name: 'alice',
      user: {
        'client-certificate-data': Buffer.from('CERT').toString('base64'),
        'client-key-data': Buffer.from('KEY').toString('base64'),
      },
    });
    expect(doc['current-context']).toBe('alice');
  });

  it('loads a token user into a KubeConfig', () => {
    const kc = makeKubeConfig(cluster, 'system:serviceaccount:ns:sa', { token: 'abc' });
    expect(kc.getCurrentUser()).toMatchObject({ name: 'system:serviceaccount:ns:sa', token: 'abc' });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });
});

describe('setEnvFileVariable', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('replaces a variable, keeps the others and quotes for the shell', () => {
    dir = mkdtempSync(join(tmpdir(), 'envfile-'));
    const file = join(dir, 'dev.env');
    writeFileSync(file, "export KUBECONFIG='/a'\nexport OTHER='x'\n");
    setEnvFileVariable(file, 'KUBECONFIG', "/b/it's");
    setEnvFileVariable(file, 'MULTINIC_MARIADB_URL', 'mysql://root@127.0.0.1:3306');
    expect(readFileSync(file, 'utf8')).toBe(
      "export OTHER='x'\nexport KUBECONFIG='/b/it'\\''s'\nexport MULTINIC_MARIADB_URL='mysql://root@127.0.0.1:3306'\n",
    );
  });

  it('rejects names a shell cannot export', () => {
    dir = mkdtempSync(join(tmpdir(), 'envfile-'));
    expect(() => setEnvFileVariable(join(dir ?? '', 'dev.env'), 'bad-name', 'x')).toThrow(
      "env variable name must be [A-Z_][A-Z0-9_]*, got 'bad-name'",
    );
  });
});
