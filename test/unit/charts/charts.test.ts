// Snapshots of every chart's YAML, byte-for-byte determinism, and the committed dist/ being
// what the charts synthesize today (so it cannot go stale).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/cli/commands/synth.js';

const CHARTS = ['install', 'system', 'samples'];
const dirs: string[] = [];

function synth(): Record<string, string> {
  const outdir = mkdtempSync(join(tmpdir(), 'multinic-synth-'));
  dirs.push(outdir);
  buildApp({ outdir }).synth();
  return Object.fromEntries(
    readdirSync(outdir)
      .sort()
      .map((file) => [file, readFileSync(join(outdir, file), 'utf8')]),
  );
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('charts', () => {
  const first = synth();

  it('writes one file per chart', () => {
    expect(Object.keys(first)).toEqual(CHARTS.map((chart) => `${chart}.k8s.yaml`).sort());
  });

  it.each(CHARTS)('%s chart matches its snapshot', async (chart) => {
    await expect(first[`${chart}.k8s.yaml`]).toMatchFileSnapshot(`__snapshots__/${chart}.k8s.yaml`);
  });

  it('is byte-identical across runs', () => {
    expect(synth()).toEqual(first);
  });

  it('matches the committed dist/ (run `npx cdk8s synth` after changing constructs)', () => {
    for (const [file, content] of Object.entries(first)) {
      expect(
        readFileSync(new URL(`../../../dist/${file}`, import.meta.url), 'utf8'),
        `dist/${file} is stale`,
      ).toBe(content);
    }
  });
});
