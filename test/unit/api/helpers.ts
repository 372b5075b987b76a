// Shared by the api unit tests: the spec's CRD examples (golden copies), issue extraction.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ApiValidationError, type ApiIssue } from '../../../src/api/index.js';

/** Verbatim copies of the spec's examples/crds/*.yaml (the spec folder is not part of the repository). */
export const EXAMPLES_DIR = fileURLToPath(new URL('./golden/spec-examples', import.meta.url));

/** The custom resources of one example file (Secrets and other kinds skipped). */
export function exampleResources(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(`${EXAMPLES_DIR}/${file}`, 'utf8');
  } catch (error) {
    throw new Error(`spec example ${EXAMPLES_DIR}/${file} is missing: ${String(error)}`);
  }
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Record<string, unknown>)
    .filter((obj) => obj !== null && obj['kind'] !== 'Secret');
}

export function onlyExample(file: string): Record<string, unknown> {
  const [first, ...rest] = exampleResources(file);
  if (first === undefined || rest.length > 0)
    throw new Error(`${file}: expected exactly one custom resource`);
  return first;
}

/** The issues `fn` throws; fails when it does not throw an ApiValidationError. */
export function issuesOf(fn: () => unknown): readonly ApiIssue[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected an ApiValidationError, but the value was accepted');
}

/** A deep copy with `patch` applied at a dotted path (`a.b[0].c` is written `a.b.0.c`); `undefined` deletes. */
export function withValue<T>(value: T, dottedPath: string, patch: unknown): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = dottedPath.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] as string;
  if (patch === undefined) delete node[last];
  else node[last] = patch;
  return copy as T;
}
