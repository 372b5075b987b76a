import { describe, expect, it } from 'vitest';
import {
  SystemNetworkPolicies,
  type SystemNetworkPoliciesProps,
} from '../../../src/constructs/network-policies/system-network-policies.js';
import { render } from './support.js';

const base = { controllerSelector: { a: 'c' }, agentControllerSelector: { a: 'ac' } };

describe('SystemNetworkPolicies validation', () => {
  it.each<[string, Partial<SystemNetworkPoliciesProps>, string]>([
    [
      'openstack cidr',
      { openstack: [{ cidrs: ['10.0.0.0/33'], ports: [443] }] },
      "SystemNetworkPolicies: 'openstack[0].cidrs[0]' must be a CIDR such as '10.0.0.0/8' or 'fd00::/8', got '10.0.0.0/33'",
    ],
    [
      'openstack port',
      { openstack: [{ cidrs: ['10.0.0.0/8'], ports: [0] }] },
      "SystemNetworkPolicies: 'openstack[0].ports[0]' must be an integer 1..65535, got 0",
    ],
    [
      'empty ports',
      { apiServer: { cidrs: ['10.0.0.1/32'], ports: [] } },
      "SystemNetworkPolicies: 'apiServer.ports' must be at least one port, got []",
    ],
    [
      'empty cidrs',
      { externalDatabase: { cidrs: [], ports: [3306] } },
      "SystemNetworkPolicies: 'externalDatabase.cidrs' must be at least one CIDR, got []",
    ],
    [
      'dns cidr',
      { dns: { cidrs: ['169.254.20.10'] } },
      "SystemNetworkPolicies: 'dns.cidrs[0]' must be a CIDR",
    ],
    [
      'dns namespace',
      { dns: { namespace: 'Kube' } },
      "SystemNetworkPolicies: 'dns.namespace' must be a DNS-1123 label",
    ],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(() => render((scope) => new SystemNetworkPolicies(scope, 'np', { ...base, ...props }))).toThrow(
      message,
    );
  });
});
