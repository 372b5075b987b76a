import { describe, expect, it } from 'vitest';
import {
  ApiValidationError,
  credentialSource,
  deliveryMode,
  deprecatedFields,
  parseMultiNicBizConfig,
  parseMultiNicBizConfigSpec,
  parseMultiNicNodeConfig,
  parseMultiNicOperator,
  parseOpenstackConfig,
  subnetSelector,
  multiNicBizConfigStatusSchema,
  NODE_API_VERSION,
} from '../../../src/api/index.js';
import { exampleResources, issuesOf, onlyExample, withValue } from './helpers.js';

describe('spec examples (shared/spec/examples/crds)', () => {
  it('accepts the G2 OpenstackConfig (Contrabass source) with its status', () => {
    const [config, ...rest] = exampleResources('openstackconfig.yaml');
    expect(rest).toEqual([]);
    const parsed = parseOpenstackConfig(config);
    expect(credentialSource(parsed.spec.credentials)).toBe('contrabass');
    expect(deliveryMode(parsed.spec)).toBe('viola');
    expect(subnetSelector(parsed.spec)).toEqual({
      kind: 'ids',
      ids: ['3d5f7b9d-1e3f-4a5b-8c7d-9e0f1a2b3c84', '8a0c2e4a-6c8e-4f0a-b2c4-d6e8f0a2c4e6'],
    });
    expect(parsed.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Synced'],
      ['Degraded', 'False', 'Healthy'],
    ]);
    expect(parsed.status?.downPortRetry?.fastAttempts).toBe(1);
    expect(deprecatedFields(parsed.spec)).toEqual([]);
  });

  it('accepts the G1 OpenstackConfig with inline credentials and reports them as deprecated', () => {
    const parsed = parseOpenstackConfig(onlyExample('openstackconfig-g1.yaml'));
    expect(credentialSource(parsed.spec.credentials)).toBe('inline');
    expect(deliveryMode(parsed.spec)).toBe('local');
    expect(subnetSelector(parsed.spec)).toEqual({ kind: 'name', name: 'multinic-data-a' });
    expect(deprecatedFields(parsed.spec)).toEqual([
      'spec.credentials.authURL (inline credentials)',
      'spec.credentials.password',
    ]);
    expect(parsed.status?.status).toBe('Completed');
    expect(parsed.status?.vmNetworkInfos?.map((v) => v.macAddress)).toEqual([
      'fa:16:3e:4a:10:01',
      'fa:16:3e:4a:20:01',
    ]);
  });

  it('accepts the MultiNicNodeConfig with its controller-written status', () => {
    const parsed = parseMultiNicNodeConfig(onlyExample('multinicnodeconfig.yaml'));
    expect(parsed.metadata.name).toBe(parsed.spec.nodeName);
    expect(parsed.spec.interfaces.map((i) => [i.name, i.macAddress, i.mtu])).toEqual([
      ['multinic0', 'fa:16:3e:4a:10:01', 1450],
      ['multinic1', 'fa:16:3e:4a:10:02', 1500],
    ]);
    expect(parsed.status?.state).toBe('Configured');
    expect(parsed.status?.interfaceStatuses).toHaveLength(2);
  });

  it('rejects the G1 MultiNicOperator only for its plain-text passwords, and accepts it without them', () => {
    const example = onlyExample('multinicoperator.yaml');
    expect(issuesOf(() => parseMultiNicOperator(example))).toEqual([
      {
        path: 'spec.database.credentials',
        message:
          '"rootPassword", "password" are not accepted: secrets never appear in a spec; put the value in a Secret and name it in the nearest secretRef',
      },
    ]);
    const withoutPasswords = withValue(
      withValue(example, 'spec.database.credentials.password', undefined),
      'spec.database.credentials.rootPassword',
      undefined,
    );
    const parsed = parseMultiNicOperator(withoutPasswords);
    expect(parsed.spec.controller).toEqual({
      image: 'registry.example.com/multinic:v1alpha1',
      replicas: 2,
      resources: { cpu: '200m', memory: '256Mi' },
      healthProbe: { port: 8082, path: '/healthz' },
      allowedEndpoints: [],
      insecureKubeconfigExec: false,
    });
    expect(parsed.spec.database.service).toEqual({ type: 'NodePort', nodePort: 30305, port: 3306 });
    expect(parsed.spec.reconcileTrigger).toEqual({
      mode: 'scheduled',
      interval: '15m',
      immediateOnCRChange: true,
      schedule: '',
      timezone: 'UTC',
    });
    expect(parsed.spec.protection.mode).toBe('policy');
    expect(parsed.status?.protectionStatus).toEqual({ active: true, preventedMutations: 0 });
  });

  it('accepts the MultiNicBizConfig design example under our group version (the example says multinic.io/v1)', () => {
    const example = onlyExample('multinicbizconfig.yaml');
    expect(issuesOf(() => parseMultiNicBizConfig(example))).toEqual([
      { path: 'apiVersion', message: 'must be multinic.io/v1alpha1, got "multinic.io/v1"' },
    ]);
    const parsed = parseMultiNicBizConfig({ ...example, apiVersion: NODE_API_VERSION });
    expect(parsed.spec.nodeConfigs.map((n) => n.attachedNodeName)).toEqual(['biz-worker-1', 'biz-worker-2']);
    expect(parseMultiNicBizConfigSpec(example['spec']).nodeConfigs[0]?.interfaces[0]?.cidr).toBe(
      '192.168.50.11/24',
    );
    expect(multiNicBizConfigStatusSchema.parse(example['status']).summary).toEqual({
      totalNodes: 2,
      configuredNodes: 1,
      failedNodes: 0,
      pendingNodes: 1,
    });
  });

  it('names the object in the error message', () => {
    const example = withValue(onlyExample('multinicnodeconfig.yaml'), 'spec.interfaces.0.mtu', 70000);
    expect(() => parseMultiNicNodeConfig(example)).toThrow(
      new ApiValidationError('MultiNicNodeConfig multinic-system/biz-worker-1', [
        { path: 'spec.interfaces[0].mtu', message: 'must be 68..9000, got 70000' },
      ]),
    );
    expect(() => parseMultiNicNodeConfig(example)).toThrow(
      'invalid MultiNicNodeConfig multinic-system/biz-worker-1:\n  - spec.interfaces[0].mtu: must be 68..9000, got 70000',
    );
  });
});
