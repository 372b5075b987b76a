import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boundedName, labelValue } from '../../../src/constructs/common/names.js';
import { MULTINIC_VERSION } from '../../../src/constructs/common/version.js';

describe('constructs common', () => {
  it('keeps MULTINIC_VERSION equal to package.json (the default image tag)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(MULTINIC_VERSION).toBe(pkg.version);
  });

  it('shortens long names deterministically with a hash suffix', () => {
    expect(boundedName(['a', 'b'])).toBe('a-b');
    const long = boundedName(['x'.repeat(80)]);
    expect(long).toHaveLength(63);
    expect(long).toMatch(/^x+-[0-9a-f]{8}$/);
    expect(boundedName(['x'.repeat(80)])).toBe(long);
    expect(boundedName(['Node.Example_1'])).toBe('node-example-1');
    expect(labelValue('short')).toBe('short');
    expect(labelValue('n'.repeat(70)).length).toBeLessThanOrEqual(63);
  });
});
