// CRDs generated from the zod schemas (also the source of docs/api-reference.md): `z.toJSONSchema` of the input side (what a
// user writes), converted to a structural OpenAPI v3 schema the API server accepts. Deterministic:
// the same schemas always give the same objects, key order included.

import { z } from 'zod';
import {
  CATEGORY,
  KINDS,
  MULTINIC_BIZ_CONFIG,
  MULTINIC_NODE_CONFIG,
  MULTINIC_OPERATOR,
  OPENSTACK_CONFIG,
} from './groups.js';
import type { KindNames } from './groups.js';
import { APP_NAME_LABEL, APP_PART_OF_LABEL, PART_OF } from './labels.js';
import {
  multiNicBizConfigSchema,
  multiNicBizConfigSpecSchema,
  multiNicBizConfigStatusSchema,
} from './multinic-biz-config.js';
import {
  multiNicNodeConfigSchema,
  multiNicNodeConfigSpecSchema,
  multiNicNodeConfigStatusSchema,
} from './multinic-node-config.js';
import {
  multiNicOperatorSchema,
  multiNicOperatorSpecSchema,
  multiNicOperatorStatusSchema,
} from './multinic-operator.js';
import {
  openstackConfigSchema,
  openstackConfigSpecSchema,
  openstackConfigStatusSchema,
} from './openstack-config.js';
import { celRules } from './common.js';

type JsonObject = Record<string, unknown>;

/** A printer column of `kubectl get`. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

interface KindDefinition {
  readonly names: KindNames;
  readonly description: string;
  readonly resource: z.ZodType;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly printerColumns: readonly PrinterColumn[];
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const READY = (jsonPath = '.status.conditions[?(@.type=="Ready")]'): PrinterColumn[] => [
  { name: 'Ready', type: 'string', jsonPath: `${jsonPath}.status` },
  { name: 'Reason', type: 'string', jsonPath: `${jsonPath}.reason` },
];

const DEFINITIONS: readonly KindDefinition[] = [
  {
    names: MULTINIC_OPERATOR,
    description:
      'Installs and protects the MultiNic controller, agent-controller and MariaDB in its namespace.',
    resource: multiNicOperatorSchema,
    spec: multiNicOperatorSpecSchema,
    status: multiNicOperatorStatusSchema,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Controller', type: 'string', jsonPath: '.status.controllerStatus.phase' },
      { name: 'Database', type: 'string', jsonPath: '.status.databaseStatus.phase' },
      { name: 'Protection', type: 'boolean', jsonPath: '.status.protectionStatus.active' },
      AGE,
    ],
  },
  {
    names: OPENSTACK_CONFIG,
    description:
      'Which OpenStack VMs and subnets to discover; the controller turns their ports into MultiNicNodeConfigs.',
    resource: openstackConfigSchema,
    spec: openstackConfigSpecSchema,
    status: openstackConfigStatusSchema,
    printerColumns: [
      ...READY(),
      { name: 'Nodes', type: 'integer', jsonPath: '.status.summary.nodes' },
      { name: 'Last-Synced', type: 'date', jsonPath: '.status.lastSyncedAt' },
      AGE,
    ],
  },
  {
    names: MULTINIC_NODE_CONFIG,
    description: 'The managed NICs of one node (metadata.name = node name); applied by the agent Job.',
    resource: multiNicNodeConfigSchema,
    spec: multiNicNodeConfigSpecSchema,
    status: multiNicNodeConfigStatusSchema,
    printerColumns: [
      { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
      { name: 'State', type: 'string', jsonPath: '.status.state' },
      { name: 'Job', type: 'string', jsonPath: '.status.lastJobName', priority: 1 },
      AGE,
    ],
  },
  {
    names: MULTINIC_BIZ_CONFIG,
    description:
      'NIC configurations of many nodes; the agent-controller fans it out into MultiNicNodeConfigs.',
    resource: multiNicBizConfigSchema,
    spec: multiNicBizConfigSpecSchema,
    status: multiNicBizConfigStatusSchema,
    printerColumns: [
      { name: 'Nodes', type: 'integer', jsonPath: '.status.summary.totalNodes' },
      { name: 'Configured', type: 'integer', jsonPath: '.status.summary.configuredNodes' },
      { name: 'Failed', type: 'integer', jsonPath: '.status.summary.failedNodes' },
      AGE,
    ],
  },
];

if (DEFINITIONS.length !== KINDS.length)
  throw new Error('crds.ts: every kind in groups.ts needs a definition');

// JSON Schema keywords that have the same meaning in a Kubernetes structural schema.
const KEPT = new Set([
  'type',
  'description',
  'default',
  'enum',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'required',
  'nullable',
  'x-kubernetes-validations',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-int-or-string',
  'x-kubernetes-map-type',
]);
// JSON Schema keywords that are dropped: k8s has no equivalent, or the information is elsewhere.
const DROPPED = new Set(['$schema', 'propertyNames', 'title', 'examples', 'id']);
const SAFE_INT = Number.MAX_SAFE_INTEGER;

/**
 * Converts one JSON Schema node (zod's output, draft 2020-12) into a structural OpenAPI v3 node.
 * Throws on any keyword the API server would reject or that cannot be expressed (`anyOf`, `$ref`,
 * ...), so an unsupported zod construct fails generation instead of producing a broken CRD.
 */
export function toStructural(node: JsonObject, path = '(root)'): JsonObject {
  const out: JsonObject = {};
  let type = node['type'];
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    if (nonNull.length !== 1)
      throw new Error(`${path}: a union of types ${JSON.stringify(type)} is not structural`);
    type = nonNull[0];
    out['nullable'] = true;
  }
  if (node['const'] !== undefined) {
    out['type'] = type ?? typeof node['const'];
    out['enum'] = [node['const']];
  } else if (type !== undefined) {
    out['type'] = type;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type' || key === 'const' || DROPPED.has(key)) continue;
    if (key === 'properties') {
      const properties: JsonObject = {};
      for (const [name, child] of Object.entries(value as JsonObject)) {
        properties[name] = toStructural(child as JsonObject, `${path}.${name}`);
      }
      out['properties'] = properties;
    } else if (key === 'additionalProperties') {
      // `false` (strict objects) is the API server's pruning anyway; a schema describes a map.
      if (typeof value === 'object' && value !== null)
        out['additionalProperties'] = toStructural(value as JsonObject, `${path}.*`);
    } else if (key === 'items') {
      out['items'] = toStructural(value as JsonObject, `${path}[]`);
    } else if (key === 'pattern' && node['format'] === 'date-time') {
      continue; // zod's RFC 3339 regex; `format: date-time` is what the API server checks
    } else if ((key === 'maximum' && value === SAFE_INT) || (key === 'minimum' && value === -SAFE_INT)) {
      continue; // zod's safe-integer bounds on z.int(): noise in a CRD
    } else if (KEPT.has(key)) {
      out[key] = value;
    } else {
      throw new Error(`${path}: JSON Schema keyword '${key}' has no structural OpenAPI equivalent`);
    }
  }
  if (out['type'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    throw new Error(`${path}: every node needs a type (or x-kubernetes-preserve-unknown-fields)`);
  }
  if (
    out['type'] === 'object' &&
    out['properties'] === undefined &&
    out['additionalProperties'] === undefined
  ) {
    out['x-kubernetes-preserve-unknown-fields'] = true;
  }
  return out;
}

/** The structural OpenAPI schema of a zod schema, as a user writes the object (defaults not yet applied). */
export function openApiSchema(schema: z.ZodType, path = '(root)'): JsonObject {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    cycles: 'throw',
    reused: 'inline',
  });
  return toStructural(json as JsonObject, path);
}

function crd(definition: KindDefinition): JsonObject {
  const { names } = definition;
  const rootRules = celRules(definition.resource);
  const openAPIV3Schema: JsonObject = {
    type: 'object',
    description: definition.description,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: openApiSchema(definition.spec, 'spec'),
      status: openApiSchema(definition.status, 'status'),
    },
    required: ['spec'],
    ...(rootRules.length > 0 ? { 'x-kubernetes-validations': rootRules } : {}),
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${names.group}`,
      labels: { [APP_NAME_LABEL]: 'multinic', [APP_PART_OF_LABEL]: PART_OF },
    },
    spec: {
      group: names.group,
      names: {
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: [CATEGORY],
      },
      scope: names.scope,
      versions: [
        {
          name: names.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: definition.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

/** The four CRDs as plain `apiextensions.k8s.io/v1` objects, in a fixed order. Fresh objects per call. */
export function crdManifests(): Record<string, unknown>[] {
  return DEFINITIONS.map(crd);
}
