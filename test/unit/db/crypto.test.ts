import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  createCredentialCipher,
  keyIdOf,
  loadKey,
  parseKey,
} from '../../../src/db/crypto.js';

const key = Buffer.alloc(32, 7);
const cipher = createCredentialCipher(key);

describe('credential cipher (AES-256-GCM)', () => {
  it('round-trips text, with a fresh IV each time', () => {
    const a = cipher.encrypt('s3cret-päss', 'openstack/admin');
    const b = cipher.encrypt('s3cret-päss', 'openstack/admin');
    expect(a.equals(b)).toBe(false);
    expect(cipher.decrypt(a, 'openstack/admin').toString('utf8')).toBe('s3cret-päss');
    expect(a.includes(Buffer.from('s3cret'))).toBe(false);
  });

  it('lays out version byte, key id, 12-byte IV, 16-byte tag, ciphertext', () => {
    const value = cipher.encrypt('abc', 'x');
    expect(value[0]).toBe(1);
    expect(value.subarray(1, 5).toString('hex')).toBe(keyIdOf(key));
    expect(value.length).toBe(1 + 4 + 12 + 16 + 3);
    expect(cipher.keyIdOf(value)).toBe(cipher.keyId);
  });

  it.each([
    ['the IV', 6],
    ['the tag', 20],
    ['the ciphertext', 34],
  ])('detects a flipped bit in %s', (_where, offset) => {
    const value = cipher.encrypt('abc', 'ctx');
    value[offset] = (value[offset] ?? 0) ^ 0x01;
    expect(() => cipher.decrypt(value, 'ctx')).toThrow(DecryptionError);
    expect(() => cipher.decrypt(value, 'ctx')).toThrow('failed authentication');
  });

  it('detects a changed version byte, an unknown key id, and a truncated value', () => {
    const value = cipher.encrypt('abc', 'ctx');
    const version = Buffer.from(value);
    version[0] = 2;
    expect(() => cipher.decrypt(version, 'ctx')).toThrow('unknown encrypted value format 2');
    const keyId = Buffer.from(value);
    keyId[1] = (keyId[1] ?? 0) ^ 0xff;
    expect(() => cipher.decrypt(keyId, 'ctx')).toThrow(/encrypted with key [0-9a-f]{8}, which is not loaded/);
    expect(() => cipher.decrypt(value.subarray(0, 20), 'ctx')).toThrow('too short');
  });

  it('binds the value to its context: a ciphertext moved to another name does not decrypt', () => {
    const value = cipher.encrypt('abc', 'config-a');
    expect(() => cipher.decrypt(value, 'config-b')).toThrow(DecryptionError);
  });

  it('decrypts with a previous key after rotation and encrypts with the new one', () => {
    const rotated = createCredentialCipher(Buffer.alloc(32, 9), [key]);
    const old = cipher.encrypt('abc', 'ctx');
    expect(rotated.decrypt(old, 'ctx').toString()).toBe('abc');
    expect(rotated.keyIdOf(rotated.encrypt('abc', 'ctx'))).toBe(rotated.keyId);
    expect(rotated.keyId).not.toBe(cipher.keyId);
    expect(() => createCredentialCipher(Buffer.alloc(32, 9)).decrypt(old, 'ctx')).toThrow('not loaded');
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => createCredentialCipher(Buffer.alloc(16))).toThrow('encryption key must be 32 bytes, got 16');
  });
});

describe('key files', () => {
  const raw = randomBytes(32);

  it.each([
    ['raw bytes', raw],
    ['hex text with newline', Buffer.from(raw.toString('hex') + '\n')],
    ['base64 text', Buffer.from(raw.toString('base64') + '\n')],
  ])('parses %s', (_form, material) => {
    expect(parseKey(material).equals(raw)).toBe(true);
  });

  it('rejects anything else with a message naming the forms', () => {
    expect(() => parseKey(Buffer.from('too-short'))).toThrow(
      'must be 32 bytes (raw, 64 hex digits or base64)',
    );
  });

  it('loads a key file and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multinic-key-'));
    try {
      await writeFile(join(dir, 'key'), raw.toString('hex'));
      expect((await loadKey(join(dir, 'key'))).equals(raw)).toBe(true);
      await writeFile(join(dir, 'bad'), 'nope');
      await expect(loadKey(join(dir, 'bad'))).rejects.toThrow(`encryption key file '${join(dir, 'bad')}'`);
      await expect(loadKey(join(dir, 'missing'))).rejects.toThrow('cannot read encryption key file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
