// TLS: verification is on by default (a self-signed endpoint fails at once, without
// retries), `tls.ca` trusts a private CA, `tls.insecure` is the explicit escape hatch.
// The operator's Reflect-metadata shim must load before @peculiar/x509 (tsyringe).
import 'reflect-metadata';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../../src/openstack/http.js';
import { OpenStackConnectionError } from '../../../src/openstack/errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

async function selfSigned(): Promise<{ cert: string; key: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=127.0.0.1',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      new x509.BasicConstraintsExtension(true, undefined, true),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem'), key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

describe('HttpClient TLS', () => {
  let server: Server;
  let url = '';
  let ca = '';
  let hits = 0;
  beforeAll(async () => {
    const { cert, key } = await selfSigned();
    ca = cert;
    server = createServer({ cert, key }, (_req, res) => {
      hits += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v2.0/networks`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (http: HttpClient): Promise<unknown> =>
    http.request({ service: 'network', operation: 'networks.list', method: 'GET', url, expected: [200] });

  it('rejects an untrusted certificate by default, without retrying', async () => {
    const sleeps: number[] = [];
    const http = new HttpClient({ sleep: (ms) => (sleeps.push(ms), Promise.resolve()) });
    const error = await get(http).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenStackConnectionError);
    expect((error as OpenStackConnectionError).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(sleeps).toEqual([]);
    expect(hits).toBe(0);
    await http.close();
  });

  it('trusts the endpoint with the CA bundle option', async () => {
    const http = new HttpClient({ tls: { ca } });
    await expect(get(http)).resolves.toMatchObject({ status: 200, body: { ok: true } });
    await http.close();
  });

  it('skips verification only when insecure is set', async () => {
    const http = new HttpClient({ tls: { insecure: true } });
    await expect(get(http)).resolves.toMatchObject({ status: 200 });
    await http.close();
  });
});
