// Contrabass secret decryption: base64(IV ‖ AES-CBC ciphertext), key = the UTF-8
// bytes of the shared encrypt key (16 bytes → AES-128), PKCS#7 padding checked by hand so a
// wrong key fails with a clear message instead of returning garbage.
import { createDecipheriv } from 'node:crypto';
import { ContrabassError } from '../errors.js';

const ALGORITHMS: Record<number, string> = { 16: 'aes-128-cbc', 24: 'aes-192-cbc', 32: 'aes-256-cbc' };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decrypts one Contrabass value; `field` names it in errors (`adminPw`). */
export function decryptContrabassValue(encoded: string, encryptKey: string, field = 'value'): string {
  const fail = (why: string): never => {
    throw new ContrabassError(`contrabass: decrypt ${field}: ${why}`);
  };
  const key = Buffer.from(encryptKey, 'utf8');
  const algorithm =
    ALGORITHMS[key.length] ?? fail(`encrypt key must be 16, 24 or 32 bytes, got ${key.length}`);
  const text = encoded.trim();
  if (!BASE64.test(text)) fail('not padded standard base64');
  const raw = Buffer.from(text, 'base64');
  if (raw.length < 32 || (raw.length - 16) % 16 !== 0) {
    fail(
      `ciphertext after the 16-byte IV must be a non-empty multiple of 16 bytes, got ${Math.max(0, raw.length - 16)}`,
    );
  }
  const decipher = createDecipheriv(algorithm, key, raw.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]);
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > 16 || plain.subarray(plain.length - pad).some((byte) => byte !== pad)) {
    fail('invalid PKCS#7 padding (wrong key?)');
  }
  const body = plain.subarray(0, plain.length - pad);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return fail('plaintext is not UTF-8 (wrong key?)');
  }
}
