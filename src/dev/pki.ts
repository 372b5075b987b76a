// Certificates for the local control plane, generated in-process with @peculiar/x509 and
// Node's WebCrypto (no openssl). One CA signs serving certificates and client certificates;
// Kubernetes maps a client certificate's CN to the user name and each O to a group.
import 'reflect-metadata'; // tsyringe, used by @peculiar/x509, needs the Reflect metadata API
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  /** Signs with the CA key; `ca.certPem` is what clients trust. */
  readonly signingKey: CryptoKey;
  readonly certificate: x509.X509Certificate;
}

export interface PkiOptions {
  /** @default - the wall clock */
  now?: () => Date;
  /** Validity of every certificate. @default 30 */
  validityDays?: number;
}

function validity(options: PkiOptions): { notBefore: Date; notAfter: Date } {
  const now = (options.now ?? (() => new Date()))();
  // Back-date a little so a certificate is valid the moment it is written, whatever the clock skew.
  return {
    notBefore: new Date(now.getTime() - 60 * 60 * 1000),
    notAfter: new Date(now.getTime() + (options.validityDays ?? 30) * DAY_MS),
  };
}

function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString('hex');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

async function publicKeyPem(key: CryptoKey): Promise<string> {
  const spki = await webcrypto.subtle.exportKey('spki', key);
  return x509.PemConverter.encode(spki, 'PUBLIC KEY');
}

/** A self-signed CA. */
export async function createCertificateAuthority(
  commonName: string,
  options: PkiOptions = {},
): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(options),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: certificate.toString('pem'),
    keyPem: await privateKeyPem(keys.privateKey),
    signingKey: keys.privateKey,
    certificate,
  };
}

/** Re-creates a CA from its PEM files (e.g. in a test worker, from the paths the global setup provides). */
export async function loadCertificateAuthority(
  certPem: string,
  keyPem: string,
): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certPem);
  const der = x509.PemConverter.decodeFirst(keyPem);
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
  return { certPem, keyPem, signingKey, certificate };
}

export interface LeafOptions extends PkiOptions {
  /** Subject CN (the Kubernetes user name for client certificates). */
  commonName: string;
  /** Subject O entries (the Kubernetes groups for client certificates). @default [] */
  organizations?: readonly string[];
  /** DNS names for a serving certificate. @default [] */
  dnsNames?: readonly string[];
  /** IP addresses for a serving certificate. @default [] */
  ipAddresses?: readonly string[];
  usage: 'server' | 'client' | 'server-and-client';
}

/** A leaf certificate signed by `ca`. */
export async function issueCertificate(ca: CertificateAuthority, options: LeafOptions): Promise<KeyPairPem> {
  const keys = await generateKeys();
  // One RDN per organization, the way openssl and Go's crypto/x509 write them.
  const subject: x509.JsonName = [
    ...(options.organizations ?? []).map((organization) => ({ O: [organization] })),
    { CN: [options.commonName] },
  ];
  const usages: string[] = [];
  if (options.usage !== 'client') usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (options.usage !== 'server') usages.push(x509.ExtendedKeyUsage.clientAuth);
  const altNames: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: ca.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(options),
    extensions,
  });
  return { certPem: certificate.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A client certificate for a Kubernetes user: CN = user, one O per group. */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  user: string,
  groups: readonly string[] = [],
  options: PkiOptions = {},
): Promise<KeyPairPem> {
  return issueCertificate(ca, { ...options, commonName: user, organizations: groups, usage: 'client' });
}

/** The key pair kube-apiserver signs ServiceAccount tokens with (and kube-controller-manager too). */
export async function createServiceAccountKeys(): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  const keys = await generateKeys();
  return {
    publicKeyPem: await publicKeyPem(keys.publicKey),
    privateKeyPem: await privateKeyPem(keys.privateKey),
  };
}
