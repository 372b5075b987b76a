// Workload-cluster kubeconfigs (`delivery.mode: kubeconfig`) are written by whoever can write an
// OpenstackConfig and a Secret: they must not run commands or read files in the controller.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kubeHttpFromKubeconfig } from '../../../src/controller/delivery.js';

const dir = mkdtempSync(join(tmpdir(), 'multinic-remote-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'ctx',
  });
}

/** A plain HTTP listener that records the headers of every request it receives. */
async function recorder(): Promise<{ url: string; seen: IncomingHttpHeaders[]; close: () => Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Builds the client and issues one request, the way a delivery would; returns the error, if any. */
async function useKubeconfig(
  text: string,
  options: { allowExec?: boolean } = {},
): Promise<Error | undefined> {
  try {
    const http = kubeHttpFromKubeconfig(text, options);
    await http
      .request('GET', '/api/v1/namespaces/multinic-system/multinicnodeconfigs')
      .catch(() => undefined);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

describe('workload-cluster kubeconfig', () => {
  it('item 1: refuses a kubeconfig with user.exec and never runs the command', async () => {
    const marker = join(dir, 'exec-ran');
    const text = kubeconfig(
      { server: 'https://127.0.0.1:1', 'certificate-authority-data': CA },
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: '/bin/sh',
          args: [
            '-c',
            `touch ${marker}; echo '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"x"}}'`,
          ],
        },
      },
    );
    const error = await useKubeconfig(text);
    expect(existsSync(marker)).toBe(false);
    expect(error?.message).toContain('users[0].user.exec is not allowed');
    expect(error).toMatchObject({ reason: 'ConfigError' });
  });

  it('item 1: refuses a token-file and never sends the file to the kubeconfig server', async () => {
    const tokenFile = join(dir, 'controller-token');
    writeFileSync(tokenFile, 'the-controllers-own-serviceaccount-token');
    const server = await recorder();
    try {
      const error = await useKubeconfig(kubeconfig({ server: server.url }, { 'token-file': tokenFile }));
      expect(server.seen.map((h) => h.authorization)).not.toContain(
        'Bearer the-controllers-own-serviceaccount-token',
      );
      expect(error?.message).toContain('users[0].user.token-file is not allowed');
    } finally {
      await server.close();
    }
  });

  it.each([
    ['users[0].user.tokenFile', {}, { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }],
    [
      'users[0].user.client-certificate',
      {},
      { 'client-certificate': '/etc/db/password', 'client-key-data': 'a2V5' },
    ],
    [
      'users[0].user.client-key',
      {},
      { 'client-certificate-data': 'Y2VydA==', 'client-key': '/etc/db/password' },
    ],
    ['users[0].user.auth-provider', {}, { 'auth-provider': { name: 'oidc', config: { 'id-token': 'x' } } }],
    ['clusters[0].cluster.insecure-skip-tls-verify', { 'insecure-skip-tls-verify': true }, { token: 't' }],
    [
      'clusters[0].cluster.certificate-authority',
      { 'certificate-authority': '/etc/db/password' },
      { token: 't' },
    ],
  ])('item 1: refuses %s and names it', async (field, cluster, user) => {
    const error = await useKubeconfig(kubeconfig({ server: 'https://127.0.0.1:1', ...cluster }, user));
    expect(error?.message).toContain(`${field} is not allowed`);
    expect(error).toMatchObject({ reason: 'ConfigError' });
  });

  it('item 1: accepts inline token, client certificate and CA data', () => {
    const http = kubeHttpFromKubeconfig(
      kubeconfig(
        { server: 'https://workload.example:6443/', 'certificate-authority-data': CA },
        { token: 'inline-token', 'client-certificate-data': 'Y2VydA==', 'client-key-data': 'a2V5' },
      ),
    );
    expect(http.kc.getCurrentCluster()).toMatchObject({
      server: 'https://workload.example:6443',
      caData: CA,
      skipTLSVerify: false,
    });
    expect(http.kc.getCurrentUser()).toMatchObject({
      token: 'inline-token',
      certData: 'Y2VydA==',
      keyData: 'a2V5',
    });
  });

  it('item 1: accepts user.exec only with the operator-level opt-in', () => {
    const text = kubeconfig(
      { server: 'https://workload.example:6443', 'certificate-authority-data': CA },
      { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'cloud-auth' } },
    );
    expect(() => kubeHttpFromKubeconfig(text)).toThrow(/insecure-kubeconfig-exec/);
    const http = kubeHttpFromKubeconfig(text, { allowExec: true });
    expect(http.kc.getCurrentUser()?.exec).toMatchObject({ command: 'cloud-auth' });
  });

  it('item 15: a malformed kubeconfig error gives the position, never the token line', () => {
    const text = 'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: s3cr3t-token-value\n   bad: [\n';
    let message = '';
    try {
      kubeHttpFromKubeconfig(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/not valid YAML \(\w+ at line \d+, column \d+\)/);
    expect(message).not.toContain('s3cr3t');
  });
});
