// MultiNicBizConfig (multinic.io/v1alpha1): a convenience over many
// MultiNicNodeConfigs. The agent-controller turns each `nodeConfigs[]` entry into a node config it
// owns (slots assigned in list order) and rolls their states up into `status.summary`.

import { z } from 'zod';
import {
  conditionsSchema,
  count,
  dateTime,
  k8sName,
  resourceSchema,
  text,
  uuid,
  withRule,
} from './common.js';
import { describeObject, parseWith } from './errors.js';
import { MULTINIC_BIZ_CONFIG } from './groups.js';
import {
  addressInCidr,
  MAX_INTERFACES_PER_NODE,
  NODE_STATES,
  nodeInterfaceFields,
} from './multinic-node-config.js';

export const bizInterfaceSchema = addressInCidr(z.strictObject({ ...nodeInterfaceFields }));

export const bizNodeConfigSchema = z.strictObject({
  attachedNodeId: uuid().optional().describe('OpenStack instance id (= Node SystemUUID).'),
  attachedNodeName: k8sName().describe('Kubernetes node name.'),
  interfaces: withRule(
    z
      .array(bizInterfaceSchema)
      .min(1, { error: 'must list at least one interface' })
      .max(MAX_INTERFACES_PER_NODE, { error: `must list at most ${MAX_INTERFACES_PER_NODE} interfaces` }),
    {
      rule: 'self.all(x, self.exists_one(y, y.macAddress.lowerAscii() == x.macAddress.lowerAscii()))',
      message: 'macAddress must be unique within interfaces',
    },
    (list) => new Set(list.map((i) => i.macAddress)).size === list.length,
  ),
});

export const multiNicBizConfigSpecSchema = z.strictObject({
  providerId: text(255).optional().describe('Provider (workload cluster) id.'),
  specHash: text(128).optional().describe('Producer-computed hash for change detection.'),
  nodeConfigs: z
    .array(bizNodeConfigSchema)
    .min(1, { error: 'must list at least one node' })
    .max(500)
    .refine((list) => new Set(list.map((n) => n.attachedNodeName)).size === list.length, {
      error: 'attachedNodeName must be unique within nodeConfigs',
    })
    // The API server enforces the uniqueness itself for a list-map (no CEL cost for 500 entries).
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['attachedNodeName'] }),
});

export const bizNodeStatusSchema = z.strictObject({
  attachedNodeId: uuid().optional(),
  attachedNodeName: k8sName(),
  state: z.enum(NODE_STATES).optional(),
  lastProcessed: dateTime().optional(),
  lastJobName: k8sName().optional(),
  message: z.string().max(32768).optional(),
});

export const bizSummarySchema = z.strictObject({
  totalNodes: count().optional(),
  configuredNodes: count().optional(),
  failedNodes: count().optional(),
  pendingNodes: count().optional(),
});

export const multiNicBizConfigStatusSchema = z.strictObject({
  observedGeneration: count().optional(),
  observedSpecHash: z.string().max(128).optional(),
  conditions: conditionsSchema.optional(),
  nodeStatuses: z.array(bizNodeStatusSchema).max(500).optional(),
  summary: bizSummarySchema.optional(),
});

export const BIZ_CONFIG_CONDITIONS = {
  Ready: 'Ready',
  InProgress: 'InProgress',
  Applied: 'Applied',
} as const;
export const BIZ_CONFIG_REASONS = {
  ProcessingNodes: 'ProcessingNodes',
  AllNodesConfigured: 'AllNodesConfigured',
  NodesFailed: 'NodesFailed',
  NodeConfigConflict: 'NodeConfigConflict',
} as const;

export const multiNicBizConfigSchema = resourceSchema(
  MULTINIC_BIZ_CONFIG.apiVersion,
  MULTINIC_BIZ_CONFIG.kind,
  multiNicBizConfigSpecSchema,
  multiNicBizConfigStatusSchema,
);

export type MultiNicBizConfigSpec = z.output<typeof multiNicBizConfigSpecSchema>;
export type MultiNicBizConfigSpecInput = z.input<typeof multiNicBizConfigSpecSchema>;
export type MultiNicBizConfigStatus = z.output<typeof multiNicBizConfigStatusSchema>;
export type MultiNicBizConfig = z.output<typeof multiNicBizConfigSchema>;
export type MultiNicBizConfigInput = z.input<typeof multiNicBizConfigSchema>;

/** Validates a whole MultiNicBizConfig and applies defaults; throws `ApiValidationError`. */
export function parseMultiNicBizConfig(value: unknown): MultiNicBizConfig {
  return parseWith(multiNicBizConfigSchema, value, {
    subject: describeObject(MULTINIC_BIZ_CONFIG.kind, value),
  });
}

/** Validates a MultiNicBizConfig spec on its own (issue paths start with `spec.`). */
export function parseMultiNicBizConfigSpec(value: unknown): MultiNicBizConfigSpec {
  return parseWith(multiNicBizConfigSpecSchema, value, {
    subject: 'MultiNicBizConfig spec',
    pathPrefix: ['spec'],
  });
}
