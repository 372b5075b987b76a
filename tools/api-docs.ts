// `npm run docs`: writes docs/api-reference.md from the CRDs that src/api/crds.ts derives from the
// zod schemas, so the reference can never say something the API server does not enforce. It walks
// the structural OpenAPI schema (the same object the API server validates with) rather than the zod
// objects themselves: types, defaults, enums, patterns, bounds and CEL rules are already there.
// test/unit/api/api-reference.test.ts fails when the committed file differs from what this renders.
//
//   npx tsx tools/api-docs.ts [--check]    (--check: exit 1 if docs/api-reference.md is stale)

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdManifests } from '../src/api/crds.js';

type JsonObject = Record<string, unknown>;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const API_REFERENCE_FILE = path.join(REPO_ROOT, 'docs', 'api-reference.md');

interface Row {
  readonly field: string;
  readonly type: string;
  readonly required: boolean;
  readonly defaultValue: unknown;
  readonly validation: readonly string[];
  readonly description: string;
}

const asObject = (value: unknown): JsonObject | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;

/** Inline code that survives any content (backticks inside). */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

// A table cell is one line; `|` is escaped at the table level (GitHub unescapes it inside code spans too).
const cell = (text: string): string => text.replaceAll(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');

function typeOf(node: JsonObject): string {
  const nullable = node['nullable'] === true ? ', nullable' : '';
  if (node['x-kubernetes-int-or-string'] === true) return `int or string${nullable}`;
  const type = node['type'];
  if (type === 'array') {
    const items = asObject(node['items']);
    return `[]${items === undefined ? 'any' : typeOf(items)}${nullable}`;
  }
  if (type === 'object') {
    const values = asObject(node['additionalProperties']);
    if (values !== undefined) return `map[string]${typeOf(values)}${nullable}`;
    if (node['properties'] === undefined) return `object (any fields)${nullable}`;
    return `object${nullable}`;
  }
  const format = typeof node['format'] === 'string' ? ` (${node['format']})` : '';
  return `${String(type ?? 'any')}${format}${nullable}`;
}

function range(min: unknown, max: unknown, unit: string): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  if (min !== undefined && max !== undefined)
    return min === max ? `exactly ${String(min)} ${unit}` : `${String(min)}..${String(max)} ${unit}`;
  return min !== undefined ? `at least ${String(min)} ${unit}` : `at most ${String(max)} ${unit}`;
}

function validationOf(node: JsonObject): string[] {
  const out: string[] = [];
  const values = node['enum'];
  if (Array.isArray(values)) out.push(`one of ${values.map((v) => code(JSON.stringify(v))).join(', ')}`);
  if (typeof node['pattern'] === 'string') out.push(`matches ${code(node['pattern'])}`);
  const minimum = node['minimum'];
  const maximum = node['maximum'];
  if (minimum !== undefined && maximum !== undefined)
    out.push(`${String(minimum)} ≤ value ≤ ${String(maximum)}`);
  else if (minimum !== undefined) out.push(`≥ ${String(minimum)}`);
  else if (maximum !== undefined) out.push(`≤ ${String(maximum)}`);
  const length = range(node['minLength'], node['maxLength'], 'characters');
  if (length !== undefined) out.push(length);
  const items = range(node['minItems'], node['maxItems'], 'items');
  if (items !== undefined) out.push(items);
  if (node['x-kubernetes-list-type'] !== undefined)
    out.push(`list type ${code(String(node['x-kubernetes-list-type']))}`);
  const rules = node['x-kubernetes-validations'];
  if (Array.isArray(rules)) {
    for (const rule of rules) {
      const r = asObject(rule) ?? {};
      const message = typeof r['message'] === 'string' ? `${r['message']}: ` : '';
      out.push(`rule: ${message}${code(String(r['rule']))}`);
    }
  }
  return out;
}

/** One row per field below `node` (depth first, in the schema's key order). */
function rows(node: JsonObject, prefix: string): Row[] {
  const out: Row[] = [];
  const properties = asObject(node['properties']);
  const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
  if (properties !== undefined) {
    for (const [name, value] of Object.entries(properties)) {
      const child = asObject(value) ?? {};
      const field = `${prefix}.${name}`;
      out.push({
        field,
        type: typeOf(child),
        required: required.has(name),
        defaultValue: child['default'],
        validation: validationOf(child),
        description: typeof child['description'] === 'string' ? child['description'] : '',
      });
      out.push(...children(child, field));
    }
  }
  return out;
}

function children(node: JsonObject, field: string): Row[] {
  if (node['type'] === 'array') {
    const items = asObject(node['items']);
    if (items === undefined) return [];
    const itemRules = validationOf(items);
    const itemRow: Row[] =
      itemRules.length > 0 || typeof items['description'] === 'string'
        ? [
            {
              field: `${field}[]`,
              type: typeOf(items),
              required: false,
              defaultValue: items['default'],
              validation: itemRules,
              description: typeof items['description'] === 'string' ? items['description'] : '',
            },
          ]
        : [];
    return [...itemRow, ...rows(items, `${field}[]`)];
  }
  const values = asObject(node['additionalProperties']);
  if (values !== undefined) return rows(values, `${field}.*`);
  return rows(node, field);
}

function table(list: readonly Row[]): string {
  const lines = [
    '| field | type | default | validation | description |',
    '| --- | --- | --- | --- | --- |',
    ...list.map((r) => {
      const validation = [...(r.required ? ['required'] : []), ...r.validation].join('; ');
      const defaultValue = r.defaultValue === undefined ? '' : code(JSON.stringify(r.defaultValue));
      return `| ${cell(code(r.field))} | ${cell(r.type)} | ${cell(defaultValue)} | ${cell(validation)} | ${cell(r.description)} |`;
    }),
  ];
  return lines.join('\n');
}

function kindSection(crd: JsonObject): string {
  const spec = asObject(crd['spec']) ?? {};
  const names = asObject(spec['names']) ?? {};
  const version = asObject((spec['versions'] as unknown[])[0]) ?? {};
  const schema = asObject(asObject(version['schema'])?.['openAPIV3Schema']) ?? {};
  const properties = asObject(schema['properties']) ?? {};
  const kind = String(names['kind']);
  const shortNames = (names['shortNames'] as string[]).map(code).join(', ');
  const rootRules = validationOf({ 'x-kubernetes-validations': schema['x-kubernetes-validations'] });
  const parts = [
    `## ${kind}`,
    `${String(schema['description'])}`,
    [
      `- apiVersion: ${code(`${String(spec['group'])}/${String(version['name'])}`)}`,
      `- scope: ${String(spec['scope'])}; plural ${code(String(names['plural']))}; short names ${shortNames}`,
      ...(rootRules.length > 0 ? [`- whole object: ${rootRules.join('; ')}`] : []),
    ].join('\n'),
    `### ${kind} spec`,
    table(rows(asObject(properties['spec']) ?? {}, 'spec')),
    `### ${kind} status`,
    'Written by MultiNic; never set it yourself.',
    table(rows(asObject(properties['status']) ?? {}, 'status')),
  ];
  return parts.join('\n\n');
}

const PREAMBLE = `<!-- Generated by \`npm run docs\` (tools/api-docs.ts) from the zod schemas in src/api. Do not edit. -->

# API reference

Every field of the four MultiNic kinds, as the API server validates it. The columns come from
the CRDs, which are generated from the zod schemas in \`src/api\`: **default** is filled in by the
API server when the field is omitted, **validation** is enforced on create and update (a
\`rule\` is a CEL expression; the text before it is the message you get when it fails), and
**required** fields must be present whenever their parent object is. Field paths use \`[]\` for
list items and \`*\` for map values.

Kinds: [MultiNicOperator](#multinicoperator), [OpenstackConfig](#openstackconfig),
[MultiNicNodeConfig](#multinicnodeconfig), [MultiNicBizConfig](#multinicbizconfig).
See [architecture.md](architecture.md) for what each kind is for. Descriptions that say G1 or G2
refer to fields of the earlier systems; [migration.md](migration.md) says what each does today.`;

/**
 * The Markdown text of docs/api-reference.md. Tables stay compact (one line per field, no column
 * padding): the file is generated, so .prettierignore lists it instead of padding 200-column regexes.
 */
export function renderApiReference(): string {
  return `${[PREAMBLE, ...crdManifests().map(kindSection)].join('\n\n')}\n`;
}

async function main(check: boolean): Promise<void> {
  const text = renderApiReference();
  const relative = path.relative(REPO_ROOT, API_REFERENCE_FILE);
  if (!check) {
    await writeFile(API_REFERENCE_FILE, text);
    console.log(`wrote ${relative}`);
  } else if ((await readFile(API_REFERENCE_FILE, 'utf8').catch(() => '')) !== text) {
    console.error(`${relative} is stale: run npm run docs`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.includes('--check')).catch((error: unknown) => {
    console.error(`api-docs: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
