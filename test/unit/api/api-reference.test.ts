// docs/api-reference.md is generated from the zod schemas (tools/api-docs.ts); a schema change that
// is not followed by `npm run docs` fails here, so the reference never drifts from what the API
// server enforces.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { crdManifests } from '../../../src/api/crds.js';
import { API_REFERENCE_FILE, renderApiReference } from '../../../tools/api-docs.js';

describe('docs/api-reference.md', () => {
  it('is what `npm run docs` renders from the current schemas', async () => {
    const committed = await readFile(API_REFERENCE_FILE, 'utf8');
    // toEqual on the whole text would print 40 KB; the first differing line is what helps.
    const expected = renderApiReference().split('\n');
    const actual = committed.split('\n');
    const first = expected.findIndex((line, i) => line !== actual[i]);
    expect(
      { line: first + 1, expected: expected[first], actual: actual[first] },
      'docs/api-reference.md is stale: run `npm run docs` and commit the result',
    ).toEqual({ line: 0, expected: undefined, actual: undefined });
    expect(actual.length).toBe(expected.length);
  });

  it('documents every field of every kind, with its default and validation', () => {
    const text = renderApiReference();
    for (const crd of crdManifests()) {
      const kind = (crd['spec'] as { names: { kind: string } }).names.kind;
      expect(text).toContain(`## ${kind}\n`);
      expect(text).toContain(`### ${kind} spec\n`);
      expect(text).toContain(`### ${kind} status\n`);
    }
    // Spot checks across the columns: a default, an enum, a bound, a CEL rule, a description.
    expect(text).toMatch(/^\| `spec\.agent\.mode` \| string \| `"job"` \| one of `"job"`, `"daemonset"` \|/m);
    expect(text).toMatch(/^\| `spec\.agent\.maxConcurrentNodes` \| integer \| `1` \| 1 ≤ value ≤ 100 \|/m);
    expect(text).toMatch(/^\| `spec\.credentials` \|.*rule: exactly one credential source is required/m);
  });
});
