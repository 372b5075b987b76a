import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { request } from 'node:https';

import { describe, expect, it } from 'vitest';

import {
  RotationNeed,
  ensureCertBundle,
  generateCertBundle,
  nextRotationCheck,
  rotationNeed,
} from '../../../src/operator/certs.js';

const DAY = 24 * 60 * 60 * 1000;
const t0 = new Date('2026-11-01T00:00:00Z');
const names = { dnsNames: ['multinic-webhook.multinic-system.svc'], ipAddresses: ['127.0.0.1'] };

describe('webhook certificates', () => {
  it('issues a serving certificate that chains to the generated CA with the requested names', async () => {
    const bundle = await generateCertBundle({ ...names, now: t0 });
    const ca = new X509Certificate(bundle.caCert);
    const cert = new X509Certificate(bundle.cert);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:multinic-webhook.multinic-system.svc');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(t0.getTime() + 89 * DAY);
    expect(bundle.key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('serves TLS that a client trusting only the CA accepts', async () => {
    const bundle = await generateCertBundle({ ...names });
    const server = createServer({ cert: bundle.cert, key: bundle.key }, (_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', ca: bundle.caCert }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe('ok');
    } finally {
      server.close();
    }
  });

  it('needs no rotation while fresh, the serving cert after two thirds of its life, everything near CA expiry', async () => {
    const bundle = await generateCertBundle({ ...names, now: t0, validityDays: 90, caValidityDays: 365 });
    expect(await rotationNeed(bundle, { ...names, now: new Date(t0.getTime() + 10 * DAY) })).toBe(
      RotationNeed.None,
    );
    expect(await rotationNeed(bundle, { ...names, now: new Date(t0.getTime() + 61 * DAY) })).toBe(
      RotationNeed.ServingCert,
    );
    expect(await rotationNeed(bundle, { ...names, now: new Date(t0.getTime() + 250 * DAY) })).toBe(
      RotationNeed.All,
    );
  });

  it('rotates the serving cert when a name is added, keeping the CA', async () => {
    const bundle = await generateCertBundle({ ...names, now: t0 });
    const wider = { dnsNames: [...names.dnsNames, 'extra.example'], ipAddresses: names.ipAddresses, now: t0 };
    const { bundle: next, rotated } = await ensureCertBundle(bundle, wider);
    expect(rotated).toBe(RotationNeed.ServingCert);
    expect(next.caCert).toBe(bundle.caCert);
    expect(next.cert).not.toBe(bundle.cert);
    expect(new X509Certificate(next.cert).subjectAltName).toContain('DNS:extra.example');
    expect(await rotationNeed(next, wider)).toBe(RotationNeed.None);
  });

  it('regenerates everything from an empty or corrupt Secret', async () => {
    expect(await rotationNeed(undefined, { ...names, now: t0 })).toBe(RotationNeed.All);
    expect(await rotationNeed({ caCert: 'junk', caKey: 'junk' }, { ...names, now: t0 })).toBe(
      RotationNeed.All,
    );
    const { rotated, bundle } = await ensureCertBundle({}, { ...names, now: t0 });
    expect(rotated).toBe(RotationNeed.All);
    expect(await rotationNeed(bundle, { ...names, now: t0 })).toBe(RotationNeed.None);
  });

  it('rejects a serving cert signed by another CA', async () => {
    const a = await generateCertBundle({ ...names, now: t0 });
    const b = await generateCertBundle({ ...names, now: t0 });
    expect(await rotationNeed({ ...a, cert: b.cert, key: b.key }, { ...names, now: t0 })).toBe(
      RotationNeed.ServingCert,
    );
  });

  it('schedules the next check at two thirds of the shortest lifetime', async () => {
    const bundle = await generateCertBundle({ ...names, now: t0, validityDays: 90 });
    const next = nextRotationCheck(bundle);
    expect(Math.abs(next.getTime() - (t0.getTime() + 60 * DAY))).toBeLessThan(DAY);
  });

  it('refuses a certificate without any name', async () => {
    await expect(generateCertBundle({ dnsNames: [] })).rejects.toThrow(/'dnsNames' or 'ipAddresses'/);
  });
});
