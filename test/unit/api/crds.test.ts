import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { crdManifests, KINDS, openApiSchema, toStructural } from '../../../src/api/index.js';
import { crdsYaml, generate, IMPORTS_DIR } from '../../../src/api/generate.js';

type Node = Record<string, unknown>;

const FORBIDDEN = [
  '$ref',
  '$defs',
  'definitions',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'const',
  'propertyNames',
  'patternProperties',
  'exclusiveMinimum',
  'exclusiveMaximum',
];
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/**
 * The rules of a structural schema (Kubernetes "Specifying a structural schema") plus our own
 * hygiene: every node has a type (or preserves unknown fields); no $ref/anyOf/oneOf/allOf/not;
 * no `additionalProperties` beside `properties`; list-map keys are required item fields;
 * strings and lists are bounded so that CEL cost estimates stay within budget.
 */
function structuralProblems(node: Node, at: string, problems: string[] = []): string[] {
  const type = node['type'];
  if (type === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true)
    problems.push(`${at}: no type`);
  if (type !== undefined && (typeof type !== 'string' || !TYPES.has(type)))
    problems.push(`${at}: bad type ${JSON.stringify(type)}`);
  for (const key of FORBIDDEN) if (key in node) problems.push(`${at}: has ${key}`);
  if (node['additionalProperties'] === false || node['additionalProperties'] === true)
    problems.push(`${at}: additionalProperties must be a schema`);
  if (node['properties'] !== undefined && node['additionalProperties'] !== undefined)
    problems.push(`${at}: properties and additionalProperties together`);
  const topLevel = at.split('.').length === 2 && /\.(apiVersion|kind)$/.test(at);
  if (
    type === 'string' &&
    !topLevel &&
    node['maxLength'] === undefined &&
    node['enum'] === undefined &&
    node['format'] === undefined
  )
    problems.push(`${at}: unbounded string`);
  if (type === 'array') {
    if (node['maxItems'] === undefined) problems.push(`${at}: unbounded list`);
    const items = node['items'] as Node | undefined;
    if (items === undefined) problems.push(`${at}: array without items`);
    else {
      const keys = (node['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
      const required = (items['required'] as string[] | undefined) ?? [];
      for (const key of keys)
        if (!required.includes(key)) problems.push(`${at}: list-map key ${key} is not required`);
      structuralProblems(items, `${at}[]`, problems);
    }
  }
  for (const [name, child] of Object.entries(
    (node['properties'] as Record<string, Node> | undefined) ?? {},
  )) {
    structuralProblems(child, `${at}.${name}`, problems);
  }
  if (typeof node['additionalProperties'] === 'object')
    structuralProblems(node['additionalProperties'] as Node, `${at}.*`, problems);
  for (const rule of (node['x-kubernetes-validations'] as
    { rule?: unknown; message?: unknown }[] | undefined) ?? []) {
    if (typeof rule.rule !== 'string' || typeof rule.message !== 'string' || rule.message.length < 10)
      problems.push(`${at}: CEL rule without a clear message`);
  }
  return problems;
}

function versionSchema(crd: Node): Node {
  const spec = crd['spec'] as { versions: { schema: { openAPIV3Schema: Node } }[] };
  return (spec.versions[0] as { schema: { openAPIV3Schema: Node } }).schema.openAPIV3Schema;
}

function at(node: Node, dotted: string): Node {
  let current = node;
  for (const key of dotted.split('.')) {
    const next =
      key === '[]'
        ? (current['items'] as Node)
        : ((current['properties'] as Record<string, Node>)[key] as Node);
    if (next === undefined) throw new Error(`no schema at ${dotted} (${key})`);
    current = next;
  }
  return current;
}

function rulesAt(node: Node, dotted: string): string[] {
  const target = dotted === '' ? node : at(node, dotted);
  return ((target['x-kubernetes-validations'] as { message: string }[] | undefined) ?? []).map(
    (r) => r.message,
  );
}

describe('crdManifests', () => {
  const crds = crdManifests() as Node[];
  const byKind = Object.fromEntries(
    crds.map((crd) => [((crd['spec'] as Node)['names'] as Node)['kind'], crd]),
  );

  it('has one CRD per kind with status subresource, category and names from groups.ts', () => {
    expect(crds.map((c) => (c['metadata'] as Node)['name'])).toEqual([
      'multinicoperators.multinic.example.com',
      'openstackconfigs.multinic.example.com',
      'multinicnodeconfigs.multinic.io',
      'multinicbizconfigs.multinic.io',
    ]);
    for (const [i, crd] of crds.entries()) {
      const spec = crd['spec'] as { names: Node; versions: Node[]; scope: string; group: string };
      const kind = KINDS[i];
      expect(spec.group).toBe(kind?.group);
      expect(spec.scope).toBe('Namespaced');
      expect(spec.names['categories']).toEqual(['multinic']);
      expect(spec.names['shortNames']).toEqual(kind?.shortNames);
      expect(spec.versions).toHaveLength(1);
      expect(spec.versions[0]).toMatchObject({
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
      });
    }
    expect(((byKind['MultiNicNodeConfig'] as Node)['spec'] as { names: Node }).names['shortNames']).toEqual([
      'mnnc',
    ]);
  });

  it.each(KINDS.map((k) => k.kind))('%s: the OpenAPI schema is structural', (kind) => {
    expect(structuralProblems(versionSchema(byKind[kind] as Node), kind)).toEqual([]);
  });

  it('keeps the printer columns of the earlier CRDs', () => {
    const columns = (kind: string) =>
      (
        (
          (byKind[kind] as Node)['spec'] as {
            versions: { additionalPrinterColumns: { name: string; jsonPath: string; type: string }[] }[];
          }
        ).versions[0]?.additionalPrinterColumns ?? []
      ).map((c) => `${c.name}=${c.jsonPath}:${c.type}`);
    expect(columns('MultiNicOperator')).toEqual([
      'Phase=.status.phase:string',
      'Controller=.status.controllerStatus.phase:string',
      'Database=.status.databaseStatus.phase:string',
      'Protection=.status.protectionStatus.active:boolean',
      'Age=.metadata.creationTimestamp:date',
    ]);
    expect(columns('MultiNicNodeConfig')).toEqual([
      'Node=.spec.nodeName:string',
      'State=.status.state:string',
      'Job=.status.lastJobName:string',
      'Age=.metadata.creationTimestamp:date',
    ]);
  });

  it('carries the zod cross-field rules as CEL with the same messages', () => {
    const operator = versionSchema(byKind['MultiNicOperator'] as Node);
    expect(rulesAt(operator, 'spec.database')).toEqual([
      'external requires enabled: false (the internal MariaDB is not deployed then)',
      'with enabled: false an external database is required (the controller needs a MariaDB)',
    ]);
    expect(rulesAt(operator, 'spec.database.service')).toEqual([
      'nodePort is allowed only with type NodePort',
    ]);
    expect(rulesAt(operator, 'spec.reconcileTrigger.interval')).toEqual(['must be a duration 1m..24h']);

    const openstack = versionSchema(byKind['OpenstackConfig'] as Node);
    expect(rulesAt(openstack, 'spec')).toEqual([
      'one of subnetIDs, subnetID or subnetName is required (precedence subnetIDs > subnetID > subnetName)',
      'Contrabass credentials (openstackProviderID) need settings.contrabassEndpoint',
      'Viola delivery needs settings.violaEndpoint and credentials.k8sProviderID',
    ]);
    expect(rulesAt(openstack, 'spec.credentials')).toHaveLength(3);
    expect(rulesAt(openstack, 'spec.settings')).toEqual(['pollSlowInterval must be >= pollFastInterval']);

    const node = versionSchema(byKind['MultiNicNodeConfig'] as Node);
    expect(rulesAt(node, '')).toEqual([
      'metadata.name must equal spec.nodeName (one MultiNicNodeConfig per node, named after it)',
    ]);
    expect(rulesAt(node, 'spec.interfaces')).toEqual([
      'macAddress must be unique within interfaces',
      'each slot (name / id) may be used by one interface only',
    ]);
    expect(rulesAt(node, 'spec.interfaces.[]')).toEqual([
      'id or name is required, and name must be multinic<id>',
      'address must lie inside cidr',
    ]);
  });

  it('puts enums, ranges, patterns and defaults into the schema', () => {
    const operator = versionSchema(byKind['MultiNicOperator'] as Node);
    expect(at(operator, 'spec.controller.replicas')).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 9,
      default: 1,
    });
    expect(at(operator, 'spec.agent.mode')).toMatchObject({
      type: 'string',
      enum: ['job', 'daemonset'],
      default: 'job',
    });
    expect(at(operator, 'spec.protection.mode')).toMatchObject({
      enum: ['policy', 'webhook', 'both', 'off'],
    });
    expect(at(operator, 'spec.database')).toMatchObject({ type: 'object', default: {} });
    const node = versionSchema(byKind['MultiNicNodeConfig'] as Node);
    expect(at(node, 'spec.interfaces')).toMatchObject({ minItems: 1, maxItems: 10 });
    expect(at(node, 'spec.interfaces.[].mtu')).toMatchObject({ type: 'integer', minimum: 68, maximum: 9000 });
    expect(at(node, 'spec.interfaces.[].macAddress')).toMatchObject({
      pattern: '^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$',
    });
    expect(at(node, 'status.interfaceStatuses.[].macAddress')).toMatchObject({
      pattern: '^([0-9a-f]{2}:){5}[0-9a-f]{2}$',
    });
    expect(at(node, 'status.conditions')).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
    expect(at(node, 'status.lastUpdated')).toEqual({ type: 'string', format: 'date-time' });
    expect(versionSchema(byKind['MultiNicNodeConfig'] as Node)['required']).toEqual(['spec']);
    expect(at(node, 'spec')['required']).toEqual(['nodeName', 'interfaces']);
  });

  it('is deterministic and returns fresh objects', () => {
    const first = crdManifests();
    (first[0] as Node)['mutated'] = true;
    expect(JSON.stringify(crdManifests())).toBe(JSON.stringify(crds));
    expect(crdsYaml()).toBe(crdsYaml());
  });
});

describe('toStructural', () => {
  it('turns nullable unions and literals into OpenAPI forms', () => {
    expect(toStructural({ type: ['string', 'null'], maxLength: 3 })).toEqual({
      type: 'string',
      nullable: true,
      maxLength: 3,
    });
    expect(toStructural({ const: 'x' })).toEqual({ type: 'string', enum: ['x'] });
    expect(toStructural({ type: 'object' })).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });
  it('refuses what a CRD cannot express instead of writing a broken schema', () => {
    expect(() =>
      openApiSchema(z.object({ a: z.union([z.object({ b: z.string() }), z.object({ c: z.string() })]) })),
    ).toThrow("(root).a: JSON Schema keyword 'anyOf' has no structural OpenAPI equivalent");
    expect(() => toStructural({ type: ['string', 'integer'] }, 'x')).toThrow(
      'x: a union of types ["string","integer"] is not structural',
    );
  });
});

describe('committed generated files', () => {
  let dir = '';
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('imports/ equals a fresh `npm run import` (run it when this fails)', { timeout: 180_000 }, async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'multinic-import-'));
    const fresh = await generate(dir);
    expect(fresh).toEqual(['crds.yaml', 'multinic.example.com.ts', 'multinic.io.ts']);
    expect(await readdir(IMPORTS_DIR)).toEqual(expect.arrayContaining(fresh));
    for (const file of fresh) {
      const [want, got] = await Promise.all([
        readFile(path.join(dir, file), 'utf8'),
        readFile(path.join(IMPORTS_DIR, file), 'utf8'),
      ]);
      expect(got, `imports/${file} is stale: run npm run import`).toBe(want);
    }
    const documents = parseAllDocuments(await readFile(path.join(IMPORTS_DIR, 'crds.yaml'), 'utf8')).map(
      (d) => d.toJS(),
    );
    expect(documents).toEqual(crdManifests());
  });
});
