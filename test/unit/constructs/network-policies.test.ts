import { describe, expect, it } from 'vitest';
import { SystemNetworkPolicies } from '../../../src/constructs/network-policies/system-network-policies.js';
import { dig, find, render } from './support.js';

const selectors = {
  controllerSelector: { app: 'controller' },
  agentControllerSelector: { app: 'agent-controller' },
};

describe('SystemNetworkPolicies', () => {
  const manifests = render(
    (scope) =>
      new SystemNetworkPolicies(scope, 'np', {
        instance: 'biz',
        ...selectors,
        databaseSelector: { app: 'db' },
        backupSelector: { app: 'backup' },
        openstack: [{ cidrs: ['10.0.0.0/8'], ports: [5000, 9696] }],
      }),
  );

  it('denies all ingress and egress of the installation by default', () => {
    expect(dig(find(manifests, 'NetworkPolicy', 'biz-default-deny'), 'spec')).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/instance': 'biz', 'app.kubernetes.io/part-of': 'multinic' },
      },
      policyTypes: ['Ingress', 'Egress'],
    });
  });

  it('lets the controller resolve names, reach the API server, the database and OpenStack', () => {
    const egress = dig(find(manifests, 'NetworkPolicy', 'biz-controller'), 'spec', 'egress');
    expect(egress[0].ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    expect(egress[0].to[0]).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    });
    expect(egress[1].ports.map((p: { port: number }) => p.port)).toEqual([443, 6443]);
    expect(egress[2]).toEqual({
      to: [{ podSelector: { matchLabels: { app: 'db' } } }],
      ports: [{ protocol: 'TCP', port: 3306 }],
    });
    expect(egress[3]).toEqual({
      to: [{ ipBlock: { cidr: '10.0.0.0/8' } }],
      ports: [
        { protocol: 'TCP', port: 5000 },
        { protocol: 'TCP', port: 9696 },
      ],
    });
  });

  it('admits MariaDB connections only from the controller and the backup', () => {
    const spec = dig(find(manifests, 'NetworkPolicy', 'biz-mariadb'), 'spec');
    expect(spec.ingress).toEqual([
      {
        from: [
          { podSelector: { matchLabels: { app: 'controller' } } },
          { podSelector: { matchLabels: { app: 'backup' } } },
        ],
        ports: [{ protocol: 'TCP', port: 3306 }],
      },
    ]);
    expect(spec.egress).toEqual([]);
  });

  it('sends the controller to an external database by CIDR and port', () => {
    const external = render(
      (scope) =>
        new SystemNetworkPolicies(scope, 'np', {
          ...selectors,
          externalDatabase: { cidrs: ['192.168.1.10/32'], ports: [3307] },
        }),
    );
    const egress = dig(find(external, 'NetworkPolicy', 'multinic-controller'), 'spec', 'egress');
    expect(egress).toContainEqual({
      to: [{ ipBlock: { cidr: '192.168.1.10/32' } }],
      ports: [{ protocol: 'TCP', port: 3307 }],
    });
    expect(external.map((m) => m.metadata.name)).not.toContain('multinic-mariadb');
  });
});
