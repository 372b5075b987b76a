import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, redactDatabaseUrl, resolvePassword } from '../../../src/db/config.js';
import { chunk, valuesList } from '../../../src/db/batch.js';
import { isConnectionError, isTransientError } from '../../../src/db/pool.js';
import { MIGRATIONS, migrationChecksum } from '../../../src/db/schema.js';

describe('parseDatabaseUrl', () => {
  it('reads user, password, host, port, database and passwordFile', () => {
    expect(
      parseDatabaseUrl('mysql://multinic:p%40ss@db.example:3307/inventory?passwordFile=/secrets/pw'),
    ).toEqual({
      host: 'db.example',
      port: 3307,
      database: 'inventory',
      user: 'multinic',
      password: 'p@ss',
      passwordFile: '/secrets/pw',
    });
  });

  it('defaults user root, port 3306 and the database name', () => {
    expect(parseDatabaseUrl('mariadb://127.0.0.1')).toEqual({
      host: '127.0.0.1',
      port: 3306,
      database: 'multinic',
      user: 'root',
    });
  });

  it.each([
    ['not a url', "database URL 'not a url' is not a URL"],
    ['postgres://x/y', "scheme must be mysql: or mariadb:, got 'postgres:'"],
    ['mysql://h/bad;name', "database name must be 1..64 of [A-Za-z0-9_$-], got 'bad;name'"],
  ])('rejects %s', (url, message) => {
    expect(() => parseDatabaseUrl(url)).toThrow(message);
  });

  it('never shows a password in messages', () => {
    expect(redactDatabaseUrl('mysql://u:secret@h/db')).toBe('mysql://u:[redacted]@h/db');
    expect(() => parseDatabaseUrl('mysql://u:secret@h/b;d')).toThrow(/^(?!.*secret)/);
  });

  it('reads the password file on every call, dropping one trailing newline', async () => {
    let content = 'one\n';
    const read = async (): Promise<string> => content;
    const config = { host: 'h', port: 1, database: 'd', user: 'u', passwordFile: '/p' };
    expect(await resolvePassword(config, read)).toBe('one');
    content = 'two';
    expect(await resolvePassword(config, read)).toBe('two');
  });
});

describe('transient error classification', () => {
  it.each([
    [{ code: 'ER_LOCK_DEADLOCK', errno: 1213 }, true, false],
    [{ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }, true, false],
    [{ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, true, true],
    [{ code: 'ECONNREFUSED' }, true, true],
    [{ code: 'ER_NO_DB_ERROR', errno: 1046 }, true, true],
    [{ code: 'ER_DUP_ENTRY', errno: 1062 }, false, false],
    [{ code: 'ER_PARSE_ERROR', errno: 1064 }, false, false],
  ])('%o: transient %s, connection-level %s', (error, transient, connection) => {
    expect(isTransientError(error)).toBe(transient);
    expect(isConnectionError(error)).toBe(connection);
  });
});

describe('batching helpers', () => {
  it('chunks and builds placeholder lists', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(valuesList(2, 3)).toBe('(?, ?, ?), (?, ?, ?)');
    expect(() => chunk([1], 0)).toThrow('chunk size must be a positive integer, got 0');
  });
});

describe('migrations', () => {
  it('are numbered 1..n and their checksums ignore whitespace only', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    const [first] = MIGRATIONS;
    if (first === undefined) throw new Error('no migrations');
    const spaced = { ...first, statements: first.statements.map((s) => s.replace(/ /g, '   ')) };
    expect(migrationChecksum(spaced)).toBe(migrationChecksum(first));
    const edited = { ...first, statements: [...first.statements, 'SELECT 1'] };
    expect(migrationChecksum(edited)).not.toBe(migrationChecksum(first));
  });
});
