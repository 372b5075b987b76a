import { X509Certificate, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  createServiceAccountKeys,
  issueCertificate,
  issueClientCertificate,
  loadCertificateAuthority,
} from '../../../src/dev/pki.js';

describe('pki', () => {
  it('issues a client certificate with CN = user and one O per group, signed by the CA', async () => {
    const ca = await createCertificateAuthority('test-ca');
    const client = await issueClientCertificate(ca, 'alice', ['team-a', 'system:masters']);
    const cert = new X509Certificate(client.certPem);
    expect(cert.subject.split('\n')).toEqual(['O=team-a', 'O=system:masters', 'CN=alice']);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.ca).toBe(false);
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
  });

  it('issues a serving certificate for the given DNS names and IPs', async () => {
    const ca = await createCertificateAuthority('test-ca');
    const serving = await issueCertificate(ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    const cert = new X509Certificate(serving.certPem);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkPrivateKey(createPrivateKey(serving.keyPem))).toBe(true);
  });

  it('reloads a CA from PEM and keeps signing certificates the original CA verifies', async () => {
    const ca = await createCertificateAuthority('test-ca');
    const reloaded = await loadCertificateAuthority(ca.certPem, ca.keyPem);
    const client = await issueClientCertificate(reloaded, 'bob');
    expect(new X509Certificate(client.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(new X509Certificate(client.certPem).issuer).toBe('CN=test-ca');
  });

  it('creates a ServiceAccount signing key pair whose halves match', async () => {
    const keys = await createServiceAccountKeys();
    const data = Buffer.from('token');
    const signature = sign('sha256', data, createPrivateKey(keys.privateKeyPem));
    expect(verify('sha256', data, createPublicKey(keys.publicKeyPem), signature)).toBe(true);
    expect(keys.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });
});
