// AES-256-GCM for credentials stored in MariaDB. The key comes from a Secret file; the stored
// value is self-describing so that keys can be rotated:
//
//   byte 0      format version (1)
//   bytes 1..4  key id: the first 4 bytes of SHA-256(key), to pick the key on decrypt
//   bytes 5..16 random 96-bit IV (never reused: one per encryption)
//   bytes 17..32 GCM authentication tag (128 bits)
//   bytes 33..  ciphertext
//
// The header and a caller-chosen context (the credential's name) are authenticated data, so a
// ciphertext copied to another row, or any flipped bit, fails to decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export const CIPHER_FORMAT_VERSION = 1;
const HEADER_LENGTH = 1 + 4;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;

/** Thrown when a value cannot be decrypted: wrong key, wrong context, or tampered bytes. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

export interface CredentialCipher {
  /** Hex id of the key new values are encrypted with. */
  readonly keyId: string;
  encrypt(plaintext: string | Buffer, context: string): Buffer;
  decrypt(value: Buffer, context: string): Buffer;
  /** Key id a stored value was encrypted with. */
  keyIdOf(value: Buffer): string;
}

/** Hex id of a key (first 4 bytes of its SHA-256). */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 4).toString('hex');
}

/**
 * Parses key material: exactly 32 raw bytes, or (ignoring surrounding whitespace) 64 hex digits
 * or base64 of 32 bytes — the forms `openssl rand 32`, `openssl rand -hex 32` and
 * `openssl rand -base64 32` produce.
 */
export function parseKey(material: Buffer): Buffer {
  if (material.length === KEY_LENGTH) return Buffer.from(material);
  const text = material.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) {
    const decoded = Buffer.from(text, 'base64');
    if (decoded.length === KEY_LENGTH) return decoded;
  }
  throw new Error(
    `encryption key must be 32 bytes (raw, 64 hex digits or base64), got ${material.length} bytes that are none of these`,
  );
}

/** Reads a key from a Secret file (see `parseKey`). */
export async function loadKey(path: string): Promise<Buffer> {
  let material: Buffer;
  try {
    material = await readFile(path);
  } catch (error) {
    throw new Error(`cannot read encryption key file '${path}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return parseKey(material);
  } catch (error) {
    throw new Error(`encryption key file '${path}': ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A cipher that encrypts with `key` and decrypts values made with `key` or any of
 * `previousKeys` (keep the old key listed while re-encrypting after a rotation).
 */
export function createCredentialCipher(key: Buffer, previousKeys: readonly Buffer[] = []): CredentialCipher {
  for (const candidate of [key, ...previousKeys]) {
    if (candidate.length !== KEY_LENGTH)
      throw new Error(`encryption key must be 32 bytes, got ${candidate.length}`);
  }
  const keys = new Map<string, Buffer>();
  for (const candidate of [key, ...previousKeys]) keys.set(keyIdOf(candidate), candidate);
  const keyId = keyIdOf(key);
  const header = Buffer.concat([Buffer.from([CIPHER_FORMAT_VERSION]), Buffer.from(keyId, 'hex')]);

  return {
    keyId,
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_LENGTH);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
      cipher.setAAD(Buffer.concat([header, Buffer.from(context, 'utf8')]));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
    },
    decrypt(value, context) {
      if (value.length < HEADER_LENGTH + IV_LENGTH + TAG_LENGTH) {
        throw new DecryptionError(`encrypted value is too short (${value.length} bytes)`);
      }
      if (value[0] !== CIPHER_FORMAT_VERSION) {
        throw new DecryptionError(
          `unknown encrypted value format ${value[0]}; expected ${CIPHER_FORMAT_VERSION}`,
        );
      }
      const id = value.subarray(1, HEADER_LENGTH).toString('hex');
      const material = keys.get(id);
      if (material === undefined) {
        throw new DecryptionError(
          `value was encrypted with key ${id}, which is not loaded (have ${[...keys.keys()].join(', ')})`,
        );
      }
      const iv = value.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH);
      const tag = value.subarray(HEADER_LENGTH + IV_LENGTH, HEADER_LENGTH + IV_LENGTH + TAG_LENGTH);
      const body = value.subarray(HEADER_LENGTH + IV_LENGTH + TAG_LENGTH);
      const decipher = createDecipheriv('aes-256-gcm', material, iv, { authTagLength: TAG_LENGTH });
      decipher.setAAD(Buffer.concat([value.subarray(0, HEADER_LENGTH), Buffer.from(context, 'utf8')]));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch (error) {
        throw new DecryptionError(
          'encrypted value failed authentication (tampered, or a different context/key)',
          {
            cause: error,
          },
        );
      }
    },
    keyIdOf(value) {
      return value.subarray(1, HEADER_LENGTH).toString('hex');
    },
  };
}
