// MultiNicNodeConfig (multinic.io/v1alpha1): one per node, `metadata.name` = node name.
// Written by the controller (or Viola), read by the agent Job; status owned by the agent-controller.
// Stricter than the earlier generation's CRD where the agent needed it anyway (address, cidr and mtu are
// required, names are multinic0..multinic9), so a bad entry is rejected instead of skipped.

import { z } from 'zod';
import {
  cidrContains,
  conditionsSchema,
  count,
  dateTime,
  intRange,
  ipv4,
  ipv4Cidr,
  k8sName,
  lowerMacAddress,
  macAddress,
  mtu,
  patterned,
  resourceSchema,
  sha256Hex,
  text,
  uuid,
  withRule,
  REASON,
} from './common.js';
import { describeObject, parseWith } from './errors.js';
import { MULTINIC_NODE_CONFIG } from './groups.js';

/** At most 10 managed NICs per node: multinic0..multinic9 (docs/architecture.md#sticky-names). */
export const MAX_INTERFACES_PER_NODE = 10;
export const INTERFACE_NAME = /^multinic[0-9]$/;

/** `multinic<N>` for slot N. */
export function interfaceName(slot: number): string {
  return `multinic${slot}`;
}

/** Fields shared by a node config interface and a BizConfig interface. */
const interfaceFields = {
  portId: text(64).optional().describe('Neutron port id (informational).'),
  macAddress: macAddress().describe('MAC of the NIC to manage; either case, stored lower-case.'),
  address: ipv4().describe('Static IPv4 address.'),
  cidr: ipv4Cidr().describe('Subnet CIDR (192.168.50.0/24) or address/prefix; must contain address.'),
  mtu: mtu(),
};

const ADDRESS_IN_CIDR = {
  rule: 'cidr(self.cidr).containsIP(self.address)',
  message: 'address must lie inside cidr',
  fieldPath: '.address',
};

/** Adds the `address ∈ cidr` rule to an interface object. */
export function addressInCidr<S extends z.ZodType<{ address: string; cidr: string }>>(schema: S): S {
  return withRule(schema, ADDRESS_IN_CIDR, (i) => cidrContains(i.cidr, i.address), ['address']);
}

export const nodeInterfaceSchema = addressInCidr(
  withRule(
    z.strictObject({
      id: intRange(0, 9).optional().describe('Slot 0..9; equals the index in name.'),
      name: patterned(INTERFACE_NAME, 'must be multinic0..multinic9', 9).optional().describe('multinic<id>.'),
      ...interfaceFields,
    }),
    {
      rule: 'has(self.name) ? (!has(self.id) || int(self.name.substring(8)) == self.id) : has(self.id)',
      message: 'id or name is required, and name must be multinic<id>',
      fieldPath: '.name',
    },
    (i) => (i.name !== undefined ? i.id === undefined || i.name === interfaceName(i.id) : i.id !== undefined),
    ['name'],
  ),
);
export type NodeInterface = z.output<typeof nodeInterfaceSchema>;

/** The slot (0..9) of an interface: the index in `name`, else `id`. */
export function interfaceSlot(iface: Pick<NodeInterface, 'id' | 'name'>): number {
  if (iface.name !== undefined) return Number(iface.name.slice('multinic'.length));
  return iface.id ?? 0;
}

const UNIQUE_MACS = {
  rule: 'self.all(x, self.exists_one(y, y.macAddress.lowerAscii() == x.macAddress.lowerAscii()))',
  message: 'macAddress must be unique within interfaces',
};
// Slot numbers, not names: CEL's cost estimate treats string(int) as unbounded.
const SLOT_OF = (v: string) => `(has(${v}.name) ? int(${v}.name.substring(8)) : has(${v}.id) ? ${v}.id : -1)`;
const UNIQUE_SLOTS = {
  rule: `self.all(x, self.exists_one(y, ${SLOT_OF('y')} == ${SLOT_OF('x')}))`,
  message: 'each slot (name / id) may be used by one interface only',
};

function unique<T>(values: T[]): boolean {
  return new Set(values).size === values.length;
}

export const nodeInterfacesSchema = withRule(
  withRule(
    z
      .array(nodeInterfaceSchema)
      .min(1, { error: 'must list at least one interface' })
      .max(MAX_INTERFACES_PER_NODE, {
        error: `must list at most ${MAX_INTERFACES_PER_NODE} interfaces (multinic0..multinic9)`,
      }),
    UNIQUE_MACS,
    (list) => unique(list.map((i) => i.macAddress)),
  ),
  UNIQUE_SLOTS,
  (list) => unique(list.map((i) => interfaceSlot(i))),
);

export const multiNicNodeConfigSpecSchema = z.strictObject({
  nodeName: k8sName().describe('Kubernetes node name; equals metadata.name.'),
  instanceId: uuid()
    .optional()
    .describe('OpenStack instance UUID; must equal the Node SystemUUID (case-insensitive).'),
  interfaces: nodeInterfacesSchema,
});

// --- status ----------------------------------------------------------------------------------

export const NODE_STATES = ['Pending', 'InProgress', 'Configured', 'Failed'] as const;
export type NodeState = (typeof NODE_STATES)[number];
export const INTERFACE_STATES = ['Pending', 'InProgress', 'Configured', 'Failed'] as const;
export const ACTUAL_STATES = ['Configured', 'NodeNotReady', 'Unknown'] as const;

/** Reasons of node config conditions and interface statuses (docs/operations.md#multinicnodeconfig). */
export const NODE_CONFIG_REASONS = {
  SpecChanged: 'SpecChanged',
  JobScheduled: 'JobScheduled',
  JobSucceeded: 'JobSucceeded',
  JobFailed: 'JobFailed',
  JobFailedPartial: 'JobFailedPartial',
  JobPartialSuccess: 'JobPartialSuccess',
  AllInterfacesConfigured: 'AllInterfacesConfigured',
  WaitingForRollout: 'WaitingForRollout',
  NodeNotFound: 'NodeNotFound',
  InstanceMismatch: 'InstanceMismatch',
  RolledBack: 'RolledBack',
} as const;
export const NODE_CONFIG_CONDITIONS = {
  Ready: 'Ready',
  InProgress: 'InProgress',
  Degraded: 'Degraded',
} as const;

export const interfaceStatusSchema = z.strictObject({
  name: patterned(INTERFACE_NAME, 'must be multinic0..multinic9', 9).optional(),
  interfaceIndex: count().optional().describe('Position in spec.interfaces.'),
  id: intRange(0, 9).optional(),
  macAddress: lowerMacAddress().optional(),
  address: ipv4().optional(),
  cidr: ipv4Cidr().optional(),
  mtu: mtu().optional(),
  status: z.enum(INTERFACE_STATES).optional(),
  reason: patterned(REASON, 'must be a CamelCase reason like JobSucceeded', 1024).optional(),
  message: z.string().max(32768).optional(),
  actualState: z.enum(ACTUAL_STATES).optional(),
  lastUpdated: dateTime().optional(),
  lastChecked: dateTime().optional(),
  lastConfigured: dateTime().optional(),
});
export type InterfaceStatus = z.output<typeof interfaceStatusSchema>;

export const multiNicNodeConfigStatusSchema = z.strictObject({
  state: z.enum(NODE_STATES).optional(),
  observedGeneration: count().optional(),
  observedSpecHash: sha256Hex().optional().describe('SHA-256 of the JSON of spec (keys sorted).'),
  lastProcessed: dateTime().optional(),
  lastJobName: k8sName().optional(),
  conditions: conditionsSchema.optional(),
  interfaceStatuses: z
    .array(interfaceStatusSchema)
    .max(MAX_INTERFACES_PER_NODE * 2)
    .optional(),
  lastUpdated: dateTime().optional(),
  lastInterfaceCheck: dateTime().optional(),
  nodeReady: z.boolean().optional(),
});

export const multiNicNodeConfigSchema = withRule(
  resourceSchema(
    MULTINIC_NODE_CONFIG.apiVersion,
    MULTINIC_NODE_CONFIG.kind,
    multiNicNodeConfigSpecSchema,
    multiNicNodeConfigStatusSchema,
  ),
  {
    rule: 'self.metadata.name == self.spec.nodeName',
    message: 'metadata.name must equal spec.nodeName (one MultiNicNodeConfig per node, named after it)',
  },
  (o) => o.metadata.name === undefined || o.metadata.name === o.spec.nodeName,
  ['spec', 'nodeName'],
);

export type MultiNicNodeConfigSpec = z.output<typeof multiNicNodeConfigSpecSchema>;
export type MultiNicNodeConfigSpecInput = z.input<typeof multiNicNodeConfigSpecSchema>;
export type MultiNicNodeConfigStatus = z.output<typeof multiNicNodeConfigStatusSchema>;
export type MultiNicNodeConfig = z.output<typeof multiNicNodeConfigSchema>;
export type MultiNicNodeConfigInput = z.input<typeof multiNicNodeConfigSchema>;

/** Validates a whole MultiNicNodeConfig and applies defaults; throws `ApiValidationError`. */
export function parseMultiNicNodeConfig(value: unknown): MultiNicNodeConfig {
  return parseWith(multiNicNodeConfigSchema, value, {
    subject: describeObject(MULTINIC_NODE_CONFIG.kind, value),
  });
}

/** Validates a MultiNicNodeConfig spec on its own (issue paths start with `spec.`). */
export function parseMultiNicNodeConfigSpec(value: unknown): MultiNicNodeConfigSpec {
  return parseWith(multiNicNodeConfigSpecSchema, value, {
    subject: 'MultiNicNodeConfig spec',
    pathPrefix: ['spec'],
  });
}

export { interfaceFields as nodeInterfaceFields };
