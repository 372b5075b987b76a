// Runs the README's construct example (the ```ts readme-example block), so the README cannot rot.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = join(root, 'tmp', `readme-example-${process.pid}`);
const outdir = mkdtempSync(join(tmpdir(), 'multinic-readme-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(outdir, { recursive: true, force: true });
});

function exampleCode(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = /```ts readme-example\n([\s\S]*?)```/.exec(readme);
  if (match?.[1] === undefined) throw new Error('README.md has no ```ts readme-example code block');
  return match[1];
}

describe('README construct example', () => {
  it(
    'is about ten lines and synthesizes the CRDs, the operator and a system',
    { timeout: 60_000 },
    async () => {
      const code = exampleCode();
      expect(code.trim().split('\n').length).toBeLessThanOrEqual(16);
      expect(code).toContain("from 'multinic/constructs'");
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, 'example.ts');
      // The package's `multinic/constructs` export points at the compiled lib/; the test uses the sources.
      writeFileSync(
        file,
        code.replace("'multinic/constructs'", `'${join(root, 'src/constructs/index.js')}'`),
      );
      process.env.CDK8S_OUTDIR = outdir;
      try {
        await import(file);
      } finally {
        delete process.env.CDK8S_OUTDIR;
      }
      const docs = parseAllDocuments(readFileSync(join(outdir, 'multinic.k8s.yaml'), 'utf8')).map(
        (d) => d.toJS() as { kind: string; metadata: { name: string } },
      );
      const kinds = new Set(docs.map((d) => d.kind));
      for (const kind of [
        'CustomResourceDefinition',
        'Deployment',
        'ValidatingAdmissionPolicy',
        'ValidatingWebhookConfiguration',
      ])
        expect(kinds).toContain(kind);
      expect(kinds).not.toContain('StatefulSet');
      expect(docs.map((d) => d.metadata.name)).toContain('biz-network-controller');
    },
  );
});
