// One valid example of each kind, all in one fictitious environment
// (namespace multinic-system, workers biz-worker-1/2, subnets multinic-data-a/b). Used by the
// `samples` chart and by integration tests; the unit tests parse every one of them.

import { MULTINIC_BIZ_CONFIG, MULTINIC_NODE_CONFIG, MULTINIC_OPERATOR, OPENSTACK_CONFIG } from './groups.js';
import { INSTANCE_ID_LABEL, NODE_NAME_LABEL, PROVIDER_ID_LABEL } from './labels.js';
import type { MultiNicBizConfigInput } from './multinic-biz-config.js';
import type { MultiNicNodeConfigInput } from './multinic-node-config.js';
import type { MultiNicOperatorInput } from './multinic-operator.js';
import type { OpenstackConfigInput } from './openstack-config.js';

export const SAMPLE_NAMESPACE = 'multinic-system';
/** The Secret `sampleOpenstackConfig` names; it must hold the keys of `OPENSTACK_SECRET_KEYS`. */
export const SAMPLE_OPENSTACK_SECRET = 'openstack-credentials';

export const sampleMultiNicOperator: MultiNicOperatorInput = {
  apiVersion: MULTINIC_OPERATOR.apiVersion,
  kind: MULTINIC_OPERATOR.kind,
  metadata: { name: 'multinic', namespace: SAMPLE_NAMESPACE },
  spec: {
    controller: { replicas: 1, resources: { cpu: '200m', memory: '256Mi' } },
    agent: { mode: 'job', maxConcurrentNodes: 1, nodeSelector: { 'kubernetes.io/os': 'linux' } },
    database: {
      enabled: true,
      image: 'mariadb:10.11',
      storageSize: '10Gi',
      credentials: { database: 'multinic', user: 'multinic' },
      service: { type: 'ClusterIP', port: 3306 },
      backup: { enabled: true, schedule: '0 2 * * *', retention: 7, storage: { size: '10Gi' } },
    },
    protection: { mode: 'policy', breakGlassGroups: ['multinic:break-glass'] },
    networkPolicy: {
      enabled: true,
      openstackEgress: [{ cidr: '10.0.0.0/8', ports: [443, 5000, 8774, 9696] }],
    },
    reconcileTrigger: { mode: 'immediate' },
  },
};

export const sampleOpenstackConfig: OpenstackConfigInput = {
  apiVersion: OPENSTACK_CONFIG.apiVersion,
  kind: OPENSTACK_CONFIG.kind,
  metadata: { name: 'biz-cluster-a', namespace: SAMPLE_NAMESPACE },
  spec: {
    subnetIDs: ['3d5f7b9d-1e3f-4a5b-8c7d-9e0f1a2b3c84', '8a0c2e4a-6c8e-4f0a-b2c4-d6e8f0a2c4e6'],
    vmNames: ['1f3a5c7e-2b4d-4e6f-8a0c-9d1e2f3a4b51', 'biz-worker-2'],
    credentials: {
      secretRef: { name: SAMPLE_OPENSTACK_SECRET },
      projectID: '7a1c3e5f9b2d4f6a8c0e1b3d5f7a9c2e',
    },
    settings: {
      openstackTimeout: '30s',
      openstackEndpointInterface: 'public',
      openstackEndpointRegion: 'RegionOne',
      openstackPortAllowedStatuses: ['ACTIVE', 'DOWN'],
      pollFastInterval: '20s',
      pollSlowInterval: '2m',
      pollErrorInterval: '30s',
      pollFastWindow: '3m',
      creationTimeBaseline: true,
    },
    delivery: { mode: 'local', namespace: SAMPLE_NAMESPACE },
  },
};

export const sampleMultiNicNodeConfig: MultiNicNodeConfigInput = {
  apiVersion: MULTINIC_NODE_CONFIG.apiVersion,
  kind: MULTINIC_NODE_CONFIG.kind,
  metadata: {
    name: 'biz-worker-1',
    namespace: SAMPLE_NAMESPACE,
    labels: {
      [NODE_NAME_LABEL]: 'biz-worker-1',
      [INSTANCE_ID_LABEL]: '1f3a5c7e-2b4d-4e6f-8a0c-9d1e2f3a4b51',
      [PROVIDER_ID_LABEL]: '9e4d2a71-0c3b-4b8e-a5f6-1d2e3c4b5a60',
    },
  },
  spec: {
    nodeName: 'biz-worker-1',
    instanceId: '1f3a5c7e-2b4d-4e6f-8a0c-9d1e2f3a4b51',
    interfaces: [
      {
        id: 0,
        name: 'multinic0',
        portId: '7e9a1c3e-5a7c-4e9a-b1c3-e5a7c9e1a3c5',
        macAddress: 'fa:16:3e:4a:10:01',
        address: '192.168.50.11',
        cidr: '192.168.50.0/24',
        mtu: 1450,
      },
      {
        id: 1,
        name: 'multinic1',
        portId: '2a4c6e8a-0c2e-4a6c-8e0a-2c4e6a8c0e2a',
        macAddress: 'fa:16:3e:4a:10:02',
        address: '10.20.30.11',
        cidr: '10.20.30.0/24',
        mtu: 1500,
      },
    ],
  },
};

export const sampleMultiNicBizConfig: MultiNicBizConfigInput = {
  apiVersion: MULTINIC_BIZ_CONFIG.apiVersion,
  kind: MULTINIC_BIZ_CONFIG.kind,
  metadata: { name: 'biz-cluster-a-network', namespace: SAMPLE_NAMESPACE },
  spec: {
    providerId: '9e4d2a71-0c3b-4b8e-a5f6-1d2e3c4b5a60',
    nodeConfigs: [
      {
        attachedNodeId: '1f3a5c7e-2b4d-4e6f-8a0c-9d1e2f3a4b51',
        attachedNodeName: 'biz-worker-1',
        interfaces: [
          {
            portId: '7e9a1c3e-5a7c-4e9a-b1c3-e5a7c9e1a3c5',
            macAddress: 'fa:16:3e:4a:10:01',
            address: '192.168.50.11',
            cidr: '192.168.50.0/24',
            mtu: 1450,
          },
        ],
      },
      {
        attachedNodeId: '6c8e0a2c-4e6a-4b8c-9d0e-1f2a3b4c5d72',
        attachedNodeName: 'biz-worker-2',
        interfaces: [
          {
            portId: '9c1e3a5c-7e9a-4c1e-a3c5-7e9a1c3e5a7c',
            macAddress: 'fa:16:3e:4a:20:01',
            address: '192.168.50.12',
            cidr: '192.168.50.0/24',
            mtu: 1450,
          },
        ],
      },
    ],
  },
};

/** Fresh copies of the four samples (safe to mutate), in the CRD order. */
export function allSamples(): [
  MultiNicOperatorInput,
  OpenstackConfigInput,
  MultiNicNodeConfigInput,
  MultiNicBizConfigInput,
] {
  return [
    structuredClone(sampleMultiNicOperator),
    structuredClone(sampleOpenstackConfig),
    structuredClone(sampleMultiNicNodeConfig),
    structuredClone(sampleMultiNicBizConfig),
  ];
}

/** A custom resource the API server must reject, and a part of the message it must say. */
export interface InvalidSample {
  /** What is wrong, for test titles. */
  readonly name: string;
  readonly object: Record<string, unknown>;
  /** A substring of the API server's rejection (our CEL message, or its schema wording). */
  readonly apiServerMessage: string;
  /** The `path: message` our zod schema reports for the same object. */
  readonly zodIssue: string;
}

/** A copy of `sample` named `name` with each dotted path (`spec.interfaces.0.mtu`) set; `undefined` deletes. */
function patch(sample: object, name: string, edits: Record<string, unknown> = {}): Record<string, unknown> {
  const copy = structuredClone(sample) as Record<string, unknown>;
  copy['metadata'] = { ...(copy['metadata'] as object), name };
  for (const [dotted, value] of Object.entries(edits)) {
    const keys = dotted.split('.');
    let node = copy;
    for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = keys[keys.length - 1] as string;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return copy;
}

/**
 * Wrong custom resources, one per kind of rule (range, enum, pattern, required, each CEL rule), for
 * integration tests that send them to a real API server (Task C) and for the unit tests.
 */
export function invalidSamples(): InvalidSample[] {
  return [
    {
      name: 'MultiNicOperator: controller.replicas out of range',
      object: patch(sampleMultiNicOperator, 'bad-replicas', { 'spec.controller.replicas': 12 }),
      apiServerMessage:
        'spec.controller.replicas: Invalid value: 12: spec.controller.replicas in body should be less than or equal to 9',
      zodIssue: 'spec.controller.replicas: must be 1..9, got 12',
    },
    {
      name: 'MultiNicOperator: unknown protection mode',
      object: patch(sampleMultiNicOperator, 'bad-protection', { 'spec.protection.mode': 'strict' }),
      apiServerMessage: 'spec.protection.mode: Unsupported value: "strict"',
      zodIssue: 'spec.protection.mode: must be one of "policy", "webhook", "both", "off", got "strict"',
    },
    {
      name: 'MultiNicOperator: nodePort without type NodePort (CEL)',
      object: patch(sampleMultiNicOperator, 'bad-nodeport', { 'spec.database.service.nodePort': 30305 }),
      apiServerMessage: 'nodePort is allowed only with type NodePort',
      zodIssue: 'spec.database.service.nodePort: nodePort is allowed only with type NodePort',
    },
    {
      name: 'MultiNicOperator: database disabled without external (CEL)',
      object: patch(sampleMultiNicOperator, 'bad-database', { 'spec.database.enabled': false }),
      apiServerMessage: 'with enabled: false an external database is required',
      zodIssue:
        'spec.database.enabled: with enabled: false an external database is required (the controller needs a MariaDB)',
    },
    {
      name: 'MultiNicOperator: reconcile interval below 1m (CEL duration)',
      object: patch(sampleMultiNicOperator, 'bad-interval', { 'spec.reconcileTrigger.interval': '30s' }),
      apiServerMessage: 'must be a duration 1m..24h',
      zodIssue: 'spec.reconcileTrigger.interval: must be a duration 1m..24h, got "30s"',
    },
    {
      name: 'OpenstackConfig: no subnet selector (CEL)',
      object: patch(sampleOpenstackConfig, 'bad-subnet', { 'spec.subnetIDs': undefined }),
      apiServerMessage: 'one of subnetIDs, subnetID or subnetName is required',
      zodIssue:
        'spec: one of subnetIDs, subnetID or subnetName is required (precedence subnetIDs > subnetID > subnetName)',
    },
    {
      name: 'OpenstackConfig: two credential sources (CEL)',
      object: patch(sampleOpenstackConfig, 'bad-credentials', {
        'spec.credentials.openstackProviderID': 'p',
      }),
      apiServerMessage: 'exactly one credential source is required',
      zodIssue:
        'spec.credentials: exactly one credential source is required: secretRef, openstackProviderID (Contrabass) or authURL (inline, deprecated)',
    },
    {
      name: 'OpenstackConfig: pollSlowInterval below pollFastInterval (CEL)',
      object: patch(sampleOpenstackConfig, 'bad-poll', { 'spec.settings.pollSlowInterval': '10s' }),
      apiServerMessage: 'pollSlowInterval must be >= pollFastInterval',
      zodIssue: 'spec.settings.pollSlowInterval: pollSlowInterval must be >= pollFastInterval',
    },
    {
      name: 'OpenstackConfig: empty vmNames',
      object: patch(sampleOpenstackConfig, 'bad-vms', { 'spec.vmNames': [] }),
      apiServerMessage: 'spec.vmNames: Invalid value: 0: spec.vmNames in body should have at least 1 items',
      zodIssue: 'spec.vmNames: must list at least one VM (Nova server UUID or name), got an array of 0',
    },
    {
      name: 'MultiNicNodeConfig: MTU above 9000',
      object: patch(sampleMultiNicNodeConfig, 'biz-worker-1', { 'spec.interfaces.0.mtu': 9001 }),
      apiServerMessage:
        'spec.interfaces[0].mtu: Invalid value: 9001: spec.interfaces[0].mtu in body should be less than or equal to 9000',
      zodIssue: 'spec.interfaces[0].mtu: must be 68..9000, got 9001',
    },
    {
      name: 'MultiNicNodeConfig: malformed MAC',
      object: patch(sampleMultiNicNodeConfig, 'biz-worker-1', {
        'spec.interfaces.0.macAddress': 'fa:16:3e:4a:10',
      }),
      apiServerMessage: 'spec.interfaces[0].macAddress in body should match',
      zodIssue:
        'spec.interfaces[0].macAddress: must be a MAC address like fa:16:3e:4a:10:01, got "fa:16:3e:4a:10"',
    },
    {
      name: 'MultiNicNodeConfig: address outside cidr (CEL cidr library)',
      object: patch(sampleMultiNicNodeConfig, 'biz-worker-1', {
        'spec.interfaces.0.address': '192.168.51.11',
      }),
      apiServerMessage: 'address must lie inside cidr',
      zodIssue: 'spec.interfaces[0].address: address must lie inside cidr',
    },
    {
      name: 'MultiNicNodeConfig: duplicate MAC in another case (CEL)',
      object: patch(sampleMultiNicNodeConfig, 'biz-worker-1', {
        'spec.interfaces.1.macAddress': 'FA:16:3E:4A:10:01',
      }),
      apiServerMessage: 'macAddress must be unique within interfaces',
      zodIssue: 'spec.interfaces: macAddress must be unique within interfaces',
    },
    {
      name: 'MultiNicNodeConfig: name does not match id (CEL)',
      object: patch(sampleMultiNicNodeConfig, 'biz-worker-1', { 'spec.interfaces.0.name': 'multinic5' }),
      apiServerMessage: 'id or name is required, and name must be multinic<id>',
      zodIssue: 'spec.interfaces[0].name: id or name is required, and name must be multinic<id>',
    },
    {
      name: 'MultiNicNodeConfig: metadata.name differs from nodeName (CEL)',
      object: patch(sampleMultiNicNodeConfig, 'biz-worker-9'),
      apiServerMessage: 'metadata.name must equal spec.nodeName',
      zodIssue:
        'spec.nodeName: metadata.name must equal spec.nodeName (one MultiNicNodeConfig per node, named after it)',
    },
    {
      name: 'MultiNicBizConfig: the same node twice (list-map key)',
      object: patch(sampleMultiNicBizConfig, 'bad-duplicate-node', {
        'spec.nodeConfigs.1.attachedNodeName': 'biz-worker-1',
      }),
      apiServerMessage: 'spec.nodeConfigs[1]: Duplicate value',
      zodIssue: 'spec.nodeConfigs: attachedNodeName must be unique within nodeConfigs',
    },
  ];
}
