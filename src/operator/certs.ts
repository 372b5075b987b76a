// The webhook's own PKI: a CA and a serving certificate generated with @peculiar/x509 on Node's
// WebCrypto (ECDSA P-256), kept as PEM in a Secret, rotated before expiry. Pure apart from the
// randomness of key generation; the clock is a parameter.
import { webcrypto } from 'node:crypto';

import 'reflect-metadata'; // tsyringe, used by @peculiar/x509, needs the Reflect metadata API
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];

x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

const ALGORITHM: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};
const DAY_MS = 24 * 60 * 60 * 1000;

/** The PEM material kept in the webhook TLS Secret (keys `ca.crt`, `ca.key`, `tls.crt`, `tls.key`). */
export interface CertBundle {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export interface CertOptions {
  /** DNS names for the serving cert (e.g. `multinic-webhook.multinic-system.svc`). */
  dnsNames: readonly string[];
  /** IP SANs (e.g. `127.0.0.1` when the API server calls a local URL). @default [] */
  ipAddresses?: readonly string[];
  /** @default - the wall clock */
  now?: Date;
  /** Serving certificate lifetime. @default 90 days */
  validityDays?: number;
  /** CA lifetime. @default 3650 days */
  caValidityDays?: number;
}

export const SECRET_KEYS = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKeyPair> {
  const der = x509.PemConverter.decode(pem)[0];
  if (der === undefined) throw new Error('webhook TLS: the CA key in the Secret is not PEM');
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
  // The public half is only needed for key identifiers; take it from the CA certificate instead.
  return { privateKey, publicKey: privateKey };
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

/** A new self-signed CA. */
export async function generateCa(
  options: { now?: Date; validityDays?: number } = {},
): Promise<Pick<CertBundle, 'caCert' | 'caKey'>> {
  const now = options.now ?? new Date();
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=multinic-webhook-ca',
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (options.validityDays ?? 3650) * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caCert: cert.toString('pem'), caKey: await exportKey(keys.privateKey) };
}

/** A serving certificate for `options.dnsNames`/`ipAddresses`, signed by the given CA. */
export async function issueServingCert(
  ca: Pick<CertBundle, 'caCert' | 'caKey'>,
  options: CertOptions,
): Promise<Pick<CertBundle, 'cert' | 'key'>> {
  if (options.dnsNames.length === 0 && (options.ipAddresses ?? []).length === 0) {
    throw new Error("webhook TLS: 'dnsNames' or 'ipAddresses' must name at least one subject");
  }
  const now = options.now ?? new Date();
  const caCert = new x509.X509Certificate(ca.caCert);
  const caKeys = await importKey(ca.caKey);
  const keys = await newKeys();
  const names: x509.JsonGeneralName[] = [
    ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const caNotAfter = caCert.notAfter.getTime();
  const notAfter = Math.min(now.getTime() + (options.validityDays ?? 90) * DAY_MS, caNotAfter);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.dnsNames[0] ?? options.ipAddresses?.[0] ?? 'multinic-webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(notAfter),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** CA + serving certificate in one go. */
export async function generateCertBundle(options: CertOptions): Promise<CertBundle> {
  const ca = await generateCa({
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.caValidityDays !== undefined ? { validityDays: options.caValidityDays } : {}),
  });
  return { ...ca, ...(await issueServingCert(ca, options)) };
}

export const RotationNeed = {
  None: 'None',
  /** The serving certificate expires soon, names changed, or does not chain to the CA. */
  ServingCert: 'ServingCert',
  /** The CA itself expires soon or is unreadable: new CA and serving certificate. */
  All: 'All',
} as const;
export type RotationNeed = (typeof RotationNeed)[keyof typeof RotationNeed];

export interface RotationOptions {
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  now: Date;
  /** Rotate when less than this fraction of the lifetime is left. @default 1/3 */
  renewFraction?: number;
}

function expiresSoon(cert: x509.X509Certificate, now: Date, fraction: number): boolean {
  const start = cert.notBefore.getTime();
  const end = cert.notAfter.getTime();
  return now.getTime() >= end - (end - start) * fraction;
}

/** What, if anything, must be regenerated in `bundle` (partial or unreadable bundles count as `All`). */
export async function rotationNeed(
  bundle: Partial<CertBundle> | undefined,
  options: RotationOptions,
): Promise<RotationNeed> {
  const fraction = options.renewFraction ?? 1 / 3;
  if (bundle?.caCert === undefined || bundle.caKey === undefined) return RotationNeed.All;
  let ca: x509.X509Certificate;
  try {
    ca = new x509.X509Certificate(bundle.caCert);
    await importKey(bundle.caKey);
  } catch {
    return RotationNeed.All;
  }
  if (expiresSoon(ca, options.now, fraction)) return RotationNeed.All;
  if (bundle.cert === undefined || bundle.key === undefined) return RotationNeed.ServingCert;
  try {
    const cert = new x509.X509Certificate(bundle.cert);
    if (expiresSoon(cert, options.now, fraction)) return RotationNeed.ServingCert;
    if (!(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true })))
      return RotationNeed.ServingCert;
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const have = new Set((san?.names.toJSON() ?? []).map((name) => `${name.type}:${name.value}`));
    const want = [
      ...options.dnsNames.map((value) => `dns:${value}`),
      ...(options.ipAddresses ?? []).map((value) => `ip:${value}`),
    ];
    if (want.some((name) => !have.has(name))) return RotationNeed.ServingCert;
  } catch {
    return RotationNeed.ServingCert;
  }
  return RotationNeed.None;
}

/** Returns `bundle` unchanged, or with what `rotationNeed` says regenerated. */
export async function ensureCertBundle(
  bundle: Partial<CertBundle> | undefined,
  options: CertOptions & { now: Date; renewFraction?: number },
): Promise<{ bundle: CertBundle; rotated: RotationNeed }> {
  const need = await rotationNeed(bundle, options);
  if (need === RotationNeed.None) return { bundle: bundle as CertBundle, rotated: need };
  if (need === RotationNeed.All) return { bundle: await generateCertBundle(options), rotated: need };
  const ca = { caCert: bundle?.caCert ?? '', caKey: bundle?.caKey ?? '' };
  return { bundle: { ...ca, ...(await issueServingCert(ca, options)) }, rotated: need };
}

/** Earliest time at which `bundle` will need rotation (for scheduling the next check). */
export function nextRotationCheck(bundle: CertBundle, renewFraction = 1 / 3): Date {
  const times = [bundle.caCert, bundle.cert].map((pem) => {
    const cert = new x509.X509Certificate(pem);
    const start = cert.notBefore.getTime();
    const end = cert.notAfter.getTime();
    return end - (end - start) * renewFraction;
  });
  return new Date(Math.min(...times));
}
