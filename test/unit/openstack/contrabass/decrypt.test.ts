import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptContrabassValue } from '../../../../src/openstack/contrabass/decrypt.js';
import { ContrabassError } from '../../../../src/openstack/errors.js';

const KEY = 'MultiNicDemoKey1';

function encrypt(plain: Buffer, key: string, iv: Buffer, pad = true): string {
  const cipher = createCipheriv('aes-128-cbc', Buffer.from(key), iv);
  cipher.setAutoPadding(pad);
  return Buffer.concat([iv, cipher.update(plain), cipher.final()]).toString('base64');
}

describe('decryptContrabassValue', () => {
  it('decrypts the spec test vector for adminPw', () => {
    expect(decryptContrabassValue('ABEiM0RVZneImaq7zN3u//Dno++jZusL2N5X6+9/aKY=', KEY, 'adminPw')).toBe(
      'S3cr3t-Admin-Pw',
    );
  });

  it('decrypts the spec test vector for rabbitMQPw', () => {
    expect(decryptContrabassValue('Dw4NDAsKCQgHBgUEAwIBAO7apeMrP3PyTwfMymgbph8=', KEY)).toBe('R4bbit-Pass');
  });

  it('round-trips a 16-byte plaintext (a whole padding block)', () => {
    const iv = Buffer.alloc(16, 7);
    expect(decryptContrabassValue(encrypt(Buffer.from('0123456789abcdef'), KEY, iv), KEY)).toBe(
      '0123456789abcdef',
    );
  });

  it('rejects a wrong key with a padding or UTF-8 error naming the field', () => {
    expect(() =>
      decryptContrabassValue('ABEiM0RVZneImaq7zN3u//Dno++jZusL2N5X6+9/aKY=', 'WrongDemoKey0000', 'adminPw'),
    ).toThrow(/^contrabass: decrypt adminPw: (invalid PKCS#7 padding|plaintext is not UTF-8)/);
  });

  it('rejects keys that are not 16, 24 or 32 bytes', () => {
    expect(() => decryptContrabassValue('ABEiM0RVZneImaq7zN3u//Dno++jZusL2N5X6+9/aKY=', 'short')).toThrow(
      'contrabass: decrypt value: encrypt key must be 16, 24 or 32 bytes, got 5',
    );
  });

  it('rejects text that is not padded standard base64', () => {
    expect(() => decryptContrabassValue('not base64!', KEY)).toThrow(ContrabassError);
    expect(() => decryptContrabassValue('ABEiM0RVZneImaq7zN3u_Dno--jZusL2N5X6-9_aKY', KEY)).toThrow(
      /not padded standard base64/,
    );
  });

  it('rejects a ciphertext that is empty or not a multiple of the block size', () => {
    expect(() => decryptContrabassValue(Buffer.alloc(16).toString('base64'), KEY)).toThrow(
      /non-empty multiple of 16 bytes, got 0/,
    );
    expect(() => decryptContrabassValue(Buffer.alloc(40).toString('base64'), KEY)).toThrow(/got 24/);
  });

  it('rejects inconsistent padding bytes', () => {
    const iv = Buffer.alloc(16, 1);
    const block = Buffer.from('abcdefghijklmn\x03\x02');
    expect(() => decryptContrabassValue(encrypt(block, KEY, iv, false), KEY, 'rabbitMQPw')).toThrow(
      'contrabass: decrypt rabbitMQPw: invalid PKCS#7 padding (wrong key?)',
    );
  });
});
