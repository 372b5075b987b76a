// One wrong value per rule, each with the exact message a user sees (path, what is allowed, value).

import { describe, expect, it } from 'vitest';
import {
  parseMultiNicBizConfig,
  parseMultiNicNodeConfig,
  parseMultiNicOperator,
  parseOpenstackConfig,
  sampleMultiNicBizConfig,
  sampleMultiNicNodeConfig,
  sampleMultiNicOperator,
  sampleOpenstackConfig,
} from '../../../src/api/index.js';
import { issuesOf, withValue } from './helpers.js';

type Row = readonly [path: string, value: unknown, issuePath: string, message: string];

function table(name: string, sample: object, parse: (v: unknown) => unknown, rows: readonly Row[]): void {
  describe(name, () => {
    it('accepts the sample', () => {
      expect(() => parse(sample)).not.toThrow();
    });
    it.each(rows)('%s = %j is rejected', (path, value, issuePath, message) => {
      expect(issuesOf(() => parse(withValue(sample, path, value)))).toEqual([{ path: issuePath, message }]);
    });
  });
}

const IMAGE = 'must be an image reference like registry.example.com/multinic:0.1.0';

table('MultiNicOperator rules', sampleMultiNicOperator, parseMultiNicOperator, [
  ['spec.controller.replicas', 12, 'spec.controller.replicas', 'must be 1..9, got 12'],
  ['spec.controller.replicas', 0, 'spec.controller.replicas', 'must be 1..9, got 0'],
  ['spec.controller.replicas', 1.5, 'spec.controller.replicas', 'must be an integer, got 1.5'],
  ['spec.controller.replicas', '2', 'spec.controller.replicas', 'must be an integer, got "2"'],
  [
    'spec.controller.image',
    'Registry/Bad Image',
    'spec.controller.image',
    `${IMAGE}, got "Registry/Bad Image"`,
  ],
  [
    'spec.controller.resources.cpu',
    '1 core',
    'spec.controller.resources.cpu',
    'must be a quantity like 500m, 256Mi or 10Gi, got "1 core"',
  ],
  ['spec.controller.healthProbe', { port: 0 }, 'spec.controller.healthProbe.port', 'must be 1..65535, got 0'],
  ['spec.agent.mode', 'pod', 'spec.agent.mode', 'must be one of "job", "daemonset", got "pod"'],
  ['spec.agent.maxConcurrentNodes', 0, 'spec.agent.maxConcurrentNodes', 'must be 1..100, got 0'],
  [
    'spec.agent.nodeSelector',
    { 'kubernetes.io/os': 'linux os' },
    'spec.agent.nodeSelector.kubernetes.io/os',
    "must be a label value: letters, digits, '-', '_', '.', got \"linux os\"",
  ],
  [
    'spec.agent.tolerations',
    [{ effect: 'Never' }],
    'spec.agent.tolerations[0].effect',
    'must be one of "NoSchedule", "PreferNoSchedule", "NoExecute", got "Never"',
  ],
  ['spec.database.image', 'MariaDB', 'spec.database.image', `${IMAGE}, got "MariaDB"`],
  [
    'spec.database.storageSize',
    '10 GB',
    'spec.database.storageSize',
    'must be a quantity like 500m, 256Mi or 10Gi, got "10 GB"',
  ],
  ['spec.database.service.port', 70000, 'spec.database.service.port', 'must be 1..65535, got 70000'],
  [
    'spec.database.service.type',
    'ExternalName',
    'spec.database.service.type',
    'must be one of "ClusterIP", "NodePort", "LoadBalancer", got "ExternalName"',
  ],
  [
    'spec.database.service',
    { type: 'NodePort', nodePort: 80 },
    'spec.database.service.nodePort',
    'must be 30000..32767, got 80',
  ],
  [
    'spec.database.service',
    { type: 'ClusterIP', nodePort: 30305 },
    'spec.database.service.nodePort',
    'nodePort is allowed only with type NodePort',
  ],
  [
    'spec.database.enabled',
    false,
    'spec.database.enabled',
    'with enabled: false an external database is required (the controller needs a MariaDB)',
  ],
  [
    'spec.database.external',
    { host: 'db.example.com', secretRef: { name: 'db' } },
    'spec.database.external',
    'external requires enabled: false (the internal MariaDB is not deployed then)',
  ],
  [
    'spec.database.credentials.password',
    'cloud1234',
    'spec.database.credentials',
    '"password" is not accepted: secrets never appear in a spec; put the value in a Secret and name it in the nearest secretRef',
  ],
  [
    'spec.database.credentials.secretRef',
    { name: 'DB_Secret' },
    'spec.database.credentials.secretRef.name',
    "must be a DNS-1123 subdomain: lowercase a-z, 0-9, '-' and '.', got \"DB_Secret\"",
  ],
  [
    'spec.database.backup.schedule',
    'every night',
    'spec.database.backup.schedule',
    "must be a cron schedule like '0 2 * * *' or '@daily', got \"every night\"",
  ],
  ['spec.database.backup.retention', 0, 'spec.database.backup.retention', 'must be 1..365, got 0'],
  [
    'spec.database.backup.storage.size',
    'big',
    'spec.database.backup.storage.size',
    'must be a quantity like 500m, 256Mi or 10Gi, got "big"',
  ],
  [
    'spec.protection.mode',
    'strict',
    'spec.protection.mode',
    'must be one of "policy", "webhook", "both", "off", got "strict"',
  ],
  [
    'spec.networkPolicy.openstackEgress',
    [{ cidr: '10.0.0.0/33' }],
    'spec.networkPolicy.openstackEgress[0].cidr',
    'must be an IPv4 CIDR like 192.168.50.0/24, got "10.0.0.0/33"',
  ],
  [
    'spec.openstack',
    { identityEndpoint: 'keystone:5000', networkEndpoint: 'https://n', computeEndpoint: 'https://c' },
    'spec.openstack.identityEndpoint',
    'must be an http:// or https:// URL, got "keystone:5000"',
  ],
  [
    'spec.reconcileTrigger.mode',
    'sometimes',
    'spec.reconcileTrigger.mode',
    'must be one of "immediate", "scheduled", "manual", "webhook", got "sometimes"',
  ],
  [
    'spec.reconcileTrigger.interval',
    '30s',
    'spec.reconcileTrigger.interval',
    'must be a duration 1m..24h, got "30s"',
  ],
  [
    'spec.reconcileTrigger.interval',
    '5 minutes',
    'spec.reconcileTrigger.interval',
    'must be a duration 1m..24h (Go syntax: 30s, 2m, 1h30m), got "5 minutes"',
  ],
  [
    'spec.reconcileTrigger.schedule',
    '* * *',
    'spec.reconcileTrigger.schedule',
    'must be empty or a cron schedule like \'0 2 * * *\', got "* * *"',
  ],
  ['spec.replicas', 3, 'spec', 'unknown field "replicas"'],
  ['spec.controller', 'multinic', 'spec.controller', 'must be an object, got "multinic"'],
  ['kind', 'MultiNicOperators', 'kind', 'must be MultiNicOperator, got "MultiNicOperators"'],
]);

const CONTRABASS = { openstackProviderID: 'p', k8sProviderID: 'k', projectID: 'x' };

table('OpenstackConfig rules', sampleOpenstackConfig, parseOpenstackConfig, [
  [
    'spec.subnetIDs',
    [],
    'spec',
    'one of subnetIDs, subnetID or subnetName is required (precedence subnetIDs > subnetID > subnetName)',
  ],
  ['spec.subnetID', '', 'spec.subnetID', 'must not be empty, got ""'],
  [
    'spec.vmNames',
    [],
    'spec.vmNames',
    'must list at least one VM (Nova server UUID or name), got an array of 0',
  ],
  ['spec.vmNames', undefined, 'spec.vmNames', 'is required'],
  [
    'spec.credentials',
    {},
    'spec.credentials',
    'exactly one credential source is required: secretRef, openstackProviderID (Contrabass) or authURL (inline, deprecated)',
  ],
  [
    'spec.credentials.openstackProviderID',
    'p',
    'spec.credentials',
    'exactly one credential source is required: secretRef, openstackProviderID (Contrabass) or authURL (inline, deprecated)',
  ],
  [
    'spec.credentials',
    { openstackProviderID: 'p', projectID: 'x' },
    'spec.credentials',
    'Contrabass credentials (openstackProviderID) also need projectID and k8sProviderID',
  ],
  [
    'spec.credentials',
    CONTRABASS,
    'spec.settings.contrabassEndpoint',
    'Contrabass credentials (openstackProviderID) need settings.contrabassEndpoint',
  ],
  [
    'spec.credentials',
    { authURL: 'https://keystone:5000', username: 'admin', projectID: 'x', domainName: 'Default' },
    'spec.credentials',
    'inline credentials (authURL) also need username, password, projectID and domainName',
  ],
  [
    'spec.credentials.secretRef',
    { name: 'creds', key: 'x' },
    'spec.credentials.secretRef',
    'unknown field "key"',
  ],
  [
    'spec.settings.pollFastInterval',
    '0s',
    'spec.settings.pollFastInterval',
    'must be a duration 1s..1h, got "0s"',
  ],
  [
    'spec.settings.pollSlowInterval',
    '10s',
    'spec.settings.pollSlowInterval',
    'pollSlowInterval must be >= pollFastInterval',
  ],
  [
    'spec.settings.pollFastWindow',
    '-1m',
    'spec.settings.pollFastWindow',
    'must be a duration of at most 24h (Go syntax: 30s, 2m, 1h30m), got "-1m"',
  ],
  [
    'spec.settings.openstackTimeout',
    '10m',
    'spec.settings.openstackTimeout',
    'must be a duration 1s..5m, got "10m"',
  ],
  [
    'spec.settings.openstackEndpointInterface',
    'private',
    'spec.settings.openstackEndpointInterface',
    'must be one of "public", "internal", "admin", got "private"',
  ],
  ['spec.settings.downPortFastRetryMax', 0, 'spec.settings.downPortFastRetryMax', 'must be 1..100, got 0'],
  [
    'spec.settings.openstackPortAllowedStatuses',
    ['ACT IVE'],
    'spec.settings.openstackPortAllowedStatuses[0]',
    'must be a Neutron port status like ACTIVE, or \'*\', got "ACT IVE"',
  ],
  [
    'spec.settings.violaEndpoint',
    'viola:8080',
    'spec.settings.violaEndpoint',
    'must be an http:// or https:// URL, got "viola:8080"',
  ],
  [
    'spec.delivery',
    { mode: 'kubeconfig' },
    'spec.delivery.kubeconfigSecretRef',
    'mode kubeconfig needs kubeconfigSecretRef',
  ],
  [
    'spec.delivery',
    { mode: 'viola' },
    'spec.delivery',
    'Viola delivery needs settings.violaEndpoint and credentials.k8sProviderID',
  ],
  [
    'spec.delivery.mode',
    'ssh',
    'spec.delivery.mode',
    'must be one of "local", "kubeconfig", "viola", got "ssh"',
  ],
  [
    'spec.secrets.contrabassEncryptKeySecretRef',
    { name: 'k' },
    'spec.secrets.contrabassEncryptKeySecretRef.key',
    'is required',
  ],
]);

const IFACE = 'spec.interfaces.0';

table('MultiNicNodeConfig rules', sampleMultiNicNodeConfig, parseMultiNicNodeConfig, [
  [`${IFACE}.mtu`, 67, 'spec.interfaces[0].mtu', 'must be 68..9000, got 67'],
  [`${IFACE}.mtu`, 9001, 'spec.interfaces[0].mtu', 'must be 68..9000, got 9001'],
  [`${IFACE}.mtu`, undefined, 'spec.interfaces[0].mtu', 'is required'],
  [
    `${IFACE}.macAddress`,
    'fa:16:3e:4a:10',
    'spec.interfaces[0].macAddress',
    'must be a MAC address like fa:16:3e:4a:10:01, got "fa:16:3e:4a:10"',
  ],
  [
    `${IFACE}.macAddress`,
    'fa-16-3e-4a-10-01',
    'spec.interfaces[0].macAddress',
    'must be a MAC address like fa:16:3e:4a:10:01, got "fa-16-3e-4a-10-01"',
  ],
  [
    `${IFACE}.macAddress`,
    'FA:16:3E:4A:10:02',
    'spec.interfaces',
    'macAddress must be unique within interfaces',
  ],
  [`${IFACE}.address`, '192.168.51.11', 'spec.interfaces[0].address', 'address must lie inside cidr'],
  [
    `${IFACE}.address`,
    '192.168.50.300',
    'spec.interfaces[0].address',
    'must be an IPv4 address like 192.168.50.11, got "192.168.50.300"',
  ],
  [
    `${IFACE}.cidr`,
    '192.168.50.0',
    'spec.interfaces[0].cidr',
    'must be an IPv4 CIDR like 192.168.50.0/24, got "192.168.50.0"',
  ],
  [
    `${IFACE}.name`,
    'multinic10',
    'spec.interfaces[0].name',
    'must be multinic0..multinic9, got "multinic10"',
  ],
  [`${IFACE}.name`, 'eth1', 'spec.interfaces[0].name', 'must be multinic0..multinic9, got "eth1"'],
  [
    `${IFACE}.name`,
    'multinic2',
    'spec.interfaces[0].name',
    'id or name is required, and name must be multinic<id>',
  ],
  [`${IFACE}.id`, 10, 'spec.interfaces[0].id', 'must be 0..9, got 10'],
  [
    `${IFACE}.name`,
    'multinic1',
    'spec.interfaces[0].name',
    'id or name is required, and name must be multinic<id>',
  ],
  ['spec.interfaces', [], 'spec.interfaces', 'must list at least one interface, got an array of 0'],
  [
    'spec.nodeName',
    'Biz_Worker',
    'spec.nodeName',
    "must be a DNS-1123 subdomain: lowercase a-z, 0-9, '-' and '.', got \"Biz_Worker\"",
  ],
  [
    'metadata.name',
    'biz-worker-2',
    'spec.nodeName',
    'metadata.name must equal spec.nodeName (one MultiNicNodeConfig per node, named after it)',
  ],
  [
    'spec.instanceId',
    'not-a-uuid',
    'spec.instanceId',
    'must be a UUID like 1f3a5c7e-2b4d-4e6f-8a0c-9d1e2f3a4b51, got "not-a-uuid"',
  ],
  [
    'status.state',
    'Done',
    'status.state',
    'must be one of "Pending", "InProgress", "Configured", "Failed", got "Done"',
  ],
  [
    'status.interfaceStatuses',
    [{ macAddress: 'FA:16:3E:4A:10:01' }],
    'status.interfaceStatuses[0].macAddress',
    'must be a lower-case MAC address like fa:16:3e:4a:10:01, got "FA:16:3E:4A:10:01"',
  ],
  [
    'status.conditions',
    [{ type: 'Ready', status: 'yes', reason: 'JobSucceeded' }],
    'status.conditions[0].status',
    'must be one of "True", "False", "Unknown", got "yes"',
  ],
  [
    'status.conditions',
    [{ type: 'Ready', status: 'True', reason: 'job succeeded' }],
    'status.conditions[0].reason',
    'must be a CamelCase reason like AllComponentsReady, got "job succeeded"',
  ],
  [
    'status.observedSpecHash',
    'abc',
    'status.observedSpecHash',
    'must be a lower-case SHA-256 hex digest, got "abc"',
  ],
]);

describe('MultiNicNodeConfig list rules', () => {
  const iface = (slot: number) => ({
    id: slot,
    name: `multinic${slot}`,
    macAddress: `fa:16:3e:00:00:${slot.toString(16).padStart(2, '0')}`,
    address: `192.168.50.${slot + 10}`,
    cidr: '192.168.50.0/24',
    mtu: 1450,
  });
  it('rejects an 11th interface', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => ({
      ...iface(i % 10),
      macAddress: `fa:16:3e:00:01:${i.toString(16).padStart(2, '0')}`,
    }));
    const issues = issuesOf(() =>
      parseMultiNicNodeConfig(withValue(sampleMultiNicNodeConfig, 'spec.interfaces', eleven)),
    );
    expect(issues).toContainEqual({
      path: 'spec.interfaces',
      message: 'must list at most 10 interfaces (multinic0..multinic9), got an array of 11',
    });
  });
  it('rejects two interfaces on one slot', () => {
    const issues = issuesOf(() =>
      parseMultiNicNodeConfig(
        withValue(sampleMultiNicNodeConfig, 'spec.interfaces', [
          iface(3),
          { ...iface(4), id: undefined, name: 'multinic3' },
        ]),
      ),
    );
    expect(issues).toEqual([
      { path: 'spec.interfaces', message: 'each slot (name / id) may be used by one interface only' },
    ]);
  });
  it('lists every problem, not only the first', () => {
    const bad = withValue(
      withValue(sampleMultiNicNodeConfig, `${IFACE}.mtu`, 1),
      'spec.interfaces.1.macAddress',
      'x',
    );
    expect(issuesOf(() => parseMultiNicNodeConfig(bad)).map((i) => i.path)).toEqual([
      'spec.interfaces[0].mtu',
      'spec.interfaces[1].macAddress',
    ]);
  });
});

table('MultiNicBizConfig rules', sampleMultiNicBizConfig, parseMultiNicBizConfig, [
  [
    'spec.nodeConfigs.1.attachedNodeName',
    'biz-worker-1',
    'spec.nodeConfigs',
    'attachedNodeName must be unique within nodeConfigs',
  ],
  [
    'spec.nodeConfigs.0.interfaces.0.mtu',
    9001,
    'spec.nodeConfigs[0].interfaces[0].mtu',
    'must be 68..9000, got 9001',
  ],
  [
    'spec.nodeConfigs.0.interfaces.0.cidr',
    '10.0.0.0/8',
    'spec.nodeConfigs[0].interfaces[0].address',
    'address must lie inside cidr',
  ],
  [
    'spec.nodeConfigs.0.attachedNodeId',
    'vm-1',
    'spec.nodeConfigs[0].attachedNodeId',
    'must be a UUID like 1f3a5c7e-2b4d-4e6f-8a0c-9d1e2f3a4b51, got "vm-1"',
  ],
  ['spec.nodeConfigs', [], 'spec.nodeConfigs', 'must list at least one node, got an array of 0'],
  ['status.summary.totalNodes', -1, 'status.summary.totalNodes', 'must be >= 0, got -1'],
]);
