import { describe, expect, it } from 'vitest';
import {
  allSamples,
  parseMultiNicBizConfig,
  parseMultiNicNodeConfig,
  parseMultiNicNodeConfigSpec,
  parseMultiNicOperator,
  parseMultiNicOperatorSpec,
  parseOpenstackConfig,
  parseOpenstackConfigSpec,
  interfaceSlot,
  type MultiNicOperatorSpec,
} from '../../../src/api/index.js';

describe('defaults', () => {
  it('fills a MultiNicOperator spec of {} with every default (no password anywhere)', () => {
    const expected: MultiNicOperatorSpec = {
      controller: { replicas: 1, allowedEndpoints: [], insecureKubeconfigExec: false },
      agent: { mode: 'job', maxConcurrentNodes: 1 },
      database: {
        enabled: true,
        image: 'mariadb:10.11',
        storageSize: '10Gi',
        credentials: { database: 'multinic', user: 'multinic' },
        service: { type: 'ClusterIP', port: 3306 },
        backup: { enabled: true, schedule: '0 2 * * *', retention: 7, storage: { size: '10Gi' } },
      },
      protection: { mode: 'policy', breakGlassGroups: [] },
      networkPolicy: { enabled: true, openstackEgress: [] },
      reconcileTrigger: { mode: 'immediate', immediateOnCRChange: true },
    };
    const spec = parseMultiNicOperatorSpec({});
    expect(spec).toEqual(expected);
    expect(JSON.stringify(spec)).not.toMatch(/password/i);
  });

  it('resolves the G1 protection and trigger fields', () => {
    expect(
      parseMultiNicOperatorSpec({ protection: { enableMutationPrevention: false } }).protection.mode,
    ).toBe('off');
    expect(
      parseMultiNicOperatorSpec({ protection: { enableMutationPrevention: false, mode: 'both' } }).protection
        .mode,
    ).toBe('both');
    expect(
      parseMultiNicOperatorSpec({ reconcileTrigger: { mode: 'immediate', immediateOnCRChange: false } })
        .reconcileTrigger.immediateOnCRChange,
    ).toBe(true);
    expect(parseMultiNicOperatorSpec({ reconcileTrigger: { mode: 'scheduled' } }).reconcileTrigger).toEqual({
      mode: 'scheduled',
      immediateOnCRChange: false,
    });
  });

  it('fills external database and egress defaults', () => {
    const spec = parseMultiNicOperatorSpec({
      database: {
        enabled: false,
        external: { host: 'db.example.com', secretRef: { name: 'db-credentials' } },
      },
      networkPolicy: { openstackEgress: [{ cidr: '10.0.0.0/8' }] },
    });
    expect(spec.database.external).toEqual({
      host: 'db.example.com',
      port: 3306,
      database: 'multinic',
      secretRef: { name: 'db-credentials', usernameKey: 'username', passwordKey: 'password' },
    });
    expect(spec.networkPolicy.openstackEgress).toEqual([
      { cidr: '10.0.0.0/8', ports: [443, 5000, 8774, 9696] },
    ]);
  });

  it('fills the OpenstackConfig settings defaults (polling intervals included)', () => {
    const spec = parseOpenstackConfigSpec({
      subnetName: 'multinic-data-a',
      vmNames: ['biz-worker-1'],
      credentials: { secretRef: { name: 'creds' } },
    });
    expect(spec.settings).toEqual({
      contrabassTimeout: '30s',
      contrabassInsecureTLS: false,
      openstackTimeout: '30s',
      openstackInsecureTLS: false,
      openstackEndpointInterface: 'public',
      openstackPortAllowedStatuses: ['ACTIVE', 'DOWN'],
      downPortFastRetryMax: 5,
      pollFastInterval: '20s',
      pollSlowInterval: '2m',
      pollErrorInterval: '30s',
      pollFastWindow: '3m',
      creationTimeBaseline: true,
    });
    expect(spec.delivery).toEqual({ namespace: 'multinic-system' });
    expect(spec.secrets).toEqual({});
  });

  it('lower-cases MACs from a node config spec and derives slots', () => {
    const spec = parseMultiNicNodeConfigSpec({
      nodeName: 'biz-worker-1',
      interfaces: [
        {
          name: 'multinic3',
          macAddress: 'FA:16:3E:4A:10:01',
          address: '192.168.50.11',
          cidr: '192.168.50.11/24',
          mtu: 1450,
        },
        { id: 4, macAddress: 'fa:16:3e:4a:10:02', address: '10.20.30.11', cidr: '10.20.30.0/24', mtu: 1500 },
      ],
    });
    expect(spec.interfaces.map((i) => [i.macAddress, interfaceSlot(i)])).toEqual([
      ['fa:16:3e:4a:10:01', 3],
      ['fa:16:3e:4a:10:02', 4],
    ]);
  });

  it('parses every sample', () => {
    const [operator, openstack, node, biz] = allSamples();
    expect(parseMultiNicOperator(operator).metadata.name).toBe('multinic');
    expect(parseOpenstackConfig(openstack).spec.credentials.secretRef).toEqual({
      name: 'openstack-credentials',
    });
    expect(parseMultiNicNodeConfig(node).spec.interfaces).toHaveLength(2);
    expect(parseMultiNicBizConfig(biz).spec.nodeConfigs).toHaveLength(2);
  });
});
