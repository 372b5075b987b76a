// Comments and pages point into docs/ (e.g. `docs/architecture.md#sticky-names`) instead of citing
// documents that are not in the repository. This keeps both promises: every such pointer names a
// page and a heading that exist, and no comment cites an outside document again.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DOCS = path.join(ROOT, 'docs');

function filesUnder(dir: string, extensions: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === '__snapshots__' || entry === 'golden') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, extensions));
    else if (extensions.some((ext) => entry.endsWith(ext))) out.push(full);
  }
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const slug = (heading[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

const pages = new Map(
  readdirSync(DOCS)
    .filter((f) => f.endsWith('.md'))
    .map((f) => [f, anchorsOf(readFileSync(path.join(DOCS, f), 'utf8'))] as const),
);

const sources = [
  ...['src', 'test', 'bench', 'tools', 'charts'].flatMap((d) => filesUnder(path.join(ROOT, d), ['.ts'])),
  path.join(ROOT, 'README.md'),
  path.join(ROOT, 'SECURITY.md'),
];

describe('docs/', () => {
  it('has the architecture, API reference, operations and migration pages', () => {
    expect([...pages.keys()]).toEqual(
      expect.arrayContaining(['api-reference.md', 'architecture.md', 'migration.md', 'operations.md']),
    );
  });

  it('every docs/<page>.md#<anchor> pointer in the code and pages names a page and heading that exist', () => {
    const broken: string[] = [];
    const check = (where: string, page: string, anchor: string | undefined) => {
      const anchors = pages.get(page);
      if (anchors === undefined) broken.push(`${where}: no page docs/${page}`);
      else if (anchor !== undefined && !anchors.has(anchor))
        broken.push(`${where}: docs/${page} has no heading #${anchor}`);
    };
    for (const file of sources) {
      const where = path.relative(ROOT, file);
      for (const m of readFileSync(file, 'utf8').matchAll(/docs\/([a-z-]+\.md)(?:#([a-z0-9-]+))?/g))
        check(where, m[1] ?? '', m[2]);
    }
    // Links between the pages: `(operations.md#install)` or `(#break-glass)`.
    for (const page of pages.keys()) {
      const text = readFileSync(path.join(DOCS, page), 'utf8');
      for (const m of text.matchAll(/\]\(([a-z-]+\.md)?(?:#([a-z0-9-]+))?\)/g))
        check(`docs/${page}`, m[1] ?? page, m[2]);
    }
    expect(broken).toEqual([]);
  });

  it('no comment cites a document outside the repository', () => {
    const outside =
      /DESIGN(\.md)?\b|§|verified-facts|STYLE\.md|\bspec \d+\.\d|\bspec \d+\.[A-B]\.\d|\b\d\.[A-B]\.\d+\b/;
    const cited: string[] = [];
    for (const file of sources.filter((f) => f.endsWith('.ts'))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const comment = /^\s*(\/\/|\/\*|\*)/.test(line) ? line : line.split(/\s\/\/\s/)[1];
          if (comment !== undefined && outside.test(comment))
            cited.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(cited).toEqual([]);
  });
});
