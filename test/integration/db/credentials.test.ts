import { describe, expect, it } from 'vitest';
import { CredentialRepository } from '../../../src/db/credentials.js';
import { DecryptionError, createCredentialCipher } from '../../../src/db/crypto.js';
import { useDatabase } from '../../support/mariadb.js';

const test = useDatabase();
const oldKey = Buffer.alloc(32, 1);
const newKey = Buffer.alloc(32, 2);
const credentials = new CredentialRepository({ cipher: createCredentialCipher(oldKey) });

describe('credentials repository', () => {
  it('stores only ciphertext and reads the secret back', async () => {
    expect(
      await credentials.putJson(test.pool, 'ns/cfg', { username: 'admin', password: 'hunter2-xyz' }),
    ).toBe(1);
    const [row] = await test.pool.select<{ ciphertext: Buffer }>(
      'test',
      'SELECT ciphertext FROM credentials',
    );
    expect(row?.ciphertext.includes(Buffer.from('hunter2'))).toBe(false);
    expect(await credentials.getJson(test.pool, 'ns/cfg')).toEqual({
      username: 'admin',
      password: 'hunter2-xyz',
    });
    expect(await credentials.get(test.pool, 'absent')).toBeUndefined();
  });

  it('writes nothing when the same secret is stored again', async () => {
    expect(
      await credentials.putJson(test.pool, 'ns/cfg', { username: 'admin', password: 'hunter2-xyz' }),
    ).toBe(0);
    expect(await credentials.putJson(test.pool, 'ns/cfg', { username: 'admin', password: 'changed' })).toBe(
      1,
    );
  });

  it('refuses a tampered ciphertext in the database', async () => {
    await test.pool.execute(
      'test',
      "UPDATE credentials SET ciphertext = CONCAT(LEFT(ciphertext, LENGTH(ciphertext) - 1), 'x') WHERE name = 'ns/cfg'",
    );
    await expect(credentials.get(test.pool, 'ns/cfg')).rejects.toThrow(DecryptionError);
    expect(await credentials.put(test.pool, 'ns/cfg', 'fresh')).toBe(1);
  });

  it('re-encrypts stored values with a new key after rotation', async () => {
    const rotated = new CredentialRepository({ cipher: createCredentialCipher(newKey, [oldKey]) });
    expect(await rotated.reencrypt(test.pool)).toBe(1);
    expect(await rotated.reencrypt(test.pool)).toBe(0);
    const onlyNew = new CredentialRepository({ cipher: createCredentialCipher(newKey) });
    expect(await onlyNew.get(test.pool, 'ns/cfg')).toBe('fresh');
    expect((await onlyNew.list(test.pool)).map((c) => c.name)).toEqual(['ns/cfg']);
  });

  it('soft-deletes and wipes a removed credential', async () => {
    expect(await credentials.remove(test.pool, 'ns/cfg')).toBe(1);
    expect(await credentials.get(test.pool, 'ns/cfg')).toBeUndefined();
    const [row] = await test.pool.select<{ n: number }>(
      'test',
      'SELECT LENGTH(ciphertext) AS n FROM credentials',
    );
    expect(Number(row?.n)).toBe(0);
  });
});
