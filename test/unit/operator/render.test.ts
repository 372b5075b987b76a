import { describe, expect, it } from 'vitest';
import { parseMultiNicOperator, type MultiNicOperatorInput } from '../../../src/api/multinic-operator.js';
import { sampleMultiNicOperator } from '../../../src/api/samples.js';
import { DEFAULT_IMAGE } from '../../../src/constructs/common/version.js';
import { renderSystem, systemPropsFromSpec } from '../../../src/operator/render.js';
import { all, containers, dig, envOf, find } from '../constructs/support.js';

function cr(spec: MultiNicOperatorInput['spec'], name = 'biz-network', namespace = 'tenant-a') {
  return parseMultiNicOperator({
    apiVersion: 'multinic.example.com/v1alpha1',
    kind: 'MultiNicOperator',
    metadata: { name, namespace },
    spec,
  });
}

describe('renderSystem', () => {
  it('renders the defaults: internal MariaDB with backups, policy protection, NetworkPolicies, the operator image', () => {
    const rendered = renderSystem(cr({}));
    const kinds = rendered.manifests.map((m) => m.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'StatefulSet',
        'CronJob',
        'ValidatingAdmissionPolicy',
        'NetworkPolicy',
        'Deployment',
      ]),
    );
    expect(rendered.protectionMode).toBe('policy');
    expect(rendered.requiredSecrets).toEqual([
      { name: 'biz-network-db-credentials', namespace: 'tenant-a', purpose: 'database-credentials' },
    ]);
    expect(rendered.managedLabels).toEqual({
      'multinic.example.com/managed-by-operator': 'biz-network',
      'multinic.example.com/protected': 'true',
    });
    const controller = containers(find(rendered.manifests, 'Deployment', 'biz-network-controller'))[0]!;
    expect(controller.image).toBe(DEFAULT_IMAGE);
    expect(envOf(controller)).toMatchObject({
      DB_HOST: 'biz-network-mariadb.tenant-a.svc',
      MULTINIC_OPERATOR_NAME: 'biz-network',
    });
    for (const m of rendered.manifests)
      if (m.metadata.namespace !== undefined)
        expect(['tenant-a', 'multinic-agent']).toContain(m.metadata.namespace);
  });

  it('uses the image the operator passes unless the CR names one per role', () => {
    const rendered = renderSystem(
      cr({ controller: { image: 'reg.example.com/ctl:1.0' }, agent: { image: 'reg.example.com/agent:2.0' } }),
      {
        image: 'reg.example.com/multinic:9.9.9',
      },
    );
    expect(containers(find(rendered.manifests, 'Deployment', 'biz-network-controller'))[0]!.image).toBe(
      'reg.example.com/ctl:1.0',
    );
    const agentController = containers(
      find(rendered.manifests, 'Deployment', 'biz-network-agent-controller'),
    )[0]!;
    expect(agentController.image).toBe('reg.example.com/multinic:9.9.9');
    expect(JSON.parse(envOf(agentController).AGENT_JOB_DEFAULTS!).image).toBe('reg.example.com/agent:2.0');
  });

  it('maps the G1 one-value resources to request and limit, and the Service port to DB_PORT', () => {
    const rendered = renderSystem(
      cr({
        controller: { replicas: 2, resources: { cpu: '200m' } },
        database: {
          resources: { memory: '1Gi' },
          service: { type: 'NodePort', port: 3307, nodePort: 30305 },
        },
      }),
    );
    const controller = find(rendered.manifests, 'Deployment', 'biz-network-controller');
    expect(dig(controller, 'spec', 'replicas')).toBe(2);
    expect(containers(controller)[0]!.resources).toEqual({
      requests: { cpu: '200m', memory: '128Mi' },
      limits: { cpu: '200m', memory: '256Mi' },
    });
    expect(envOf(containers(controller)[0]!).DB_PORT).toBe('3307');
    expect(containers(find(rendered.manifests, 'StatefulSet'))[0]!.resources).toEqual({
      requests: { cpu: '100m', memory: '1Gi' },
      limits: { cpu: '1', memory: '1Gi' },
    });
    expect(
      dig(find(rendered.manifests, 'Service', 'biz-network-mariadb'), 'spec', 'ports', 0, 'nodePort'),
    ).toBe(30305);
  });

  it('renders an external database: no StatefulSet, the user and password from the named Secret', () => {
    const rendered = renderSystem(
      cr({
        database: {
          enabled: false,
          external: {
            host: 'mariadb.corp.example',
            port: 3307,
            secretRef: { name: 'corp-db', usernameKey: 'user' },
          },
        },
      }),
    );
    expect(all(rendered.manifests, 'StatefulSet')).toEqual([]);
    expect(rendered.requiredSecrets).toEqual([]);
    const controller = containers(find(rendered.manifests, 'Deployment', 'biz-network-controller'))[0]!;
    expect(envOf(controller)).toMatchObject({ DB_HOST: 'mariadb.corp.example', DB_PORT: '3307' });
    expect(controller.env!.find((e) => e.name === 'DB_USER')!.valueFrom).toEqual({
      secretKeyRef: { name: 'corp-db', key: 'user' },
    });
    expect(all(rendered.manifests, 'CronJob')).toHaveLength(1);
  });

  it('renders with the database disabled when the schema allows it: no database objects and no DB settings', () => {
    const parsed = cr({});
    const disabled = {
      ...parsed,
      spec: { ...parsed.spec, database: { ...parsed.spec.database, enabled: false } },
    };
    const rendered = renderSystem(disabled);
    expect(rendered.manifests.filter((m) => /mariadb|db-backup/.test(m.metadata.name))).toEqual([]);
    expect(
      envOf(containers(find(rendered.manifests, 'Deployment', 'biz-network-controller'))[0]!).DB_HOST,
    ).toBeUndefined();
  });

  it('leaves backups out when disabled', () => {
    expect(all(renderSystem(cr({ database: { backup: { enabled: false } } })).manifests, 'CronJob')).toEqual(
      [],
    );
  });

  it.each([
    ['policy', 1, 0],
    ['webhook', 0, 1],
    ['both', 1, 1],
    ['off', 0, 0],
  ] as const)(
    'protection mode %s renders %i policies and %i webhook-labelled objects',
    (mode, policies, webhook) => {
      const rendered = renderSystem(cr({ protection: { mode, breakGlassGroups: ['ops'] } }));
      expect(all(rendered.manifests, 'ValidatingAdmissionPolicy')).toHaveLength(policies);
      const labelled = rendered.manifests.some(
        (m) => m.metadata.labels?.['multinic.example.com/webhook-protected'] === 'true',
      );
      expect(labelled).toBe(webhook === 1);
      expect(rendered.protectionMode).toBe(mode);
    },
  );

  it('turns protection off for the G1 flag enableMutationPrevention: false', () => {
    expect(renderSystem(cr({ protection: { enableMutationPrevention: false } })).protectionMode).toBe('off');
  });

  it('restricts OpenStack egress to the CIDRs of the CR', () => {
    const rendered = renderSystem(
      cr({ networkPolicy: { openstackEgress: [{ cidr: '10.20.0.0/16', ports: [5000] }] } }),
    );
    expect(
      dig(find(rendered.manifests, 'NetworkPolicy', 'biz-network-controller'), 'spec', 'egress'),
    ).toContainEqual({
      to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
      ports: [{ protocol: 'TCP', port: 5000 }],
    });
    expect(all(renderSystem(cr({ networkPolicy: { enabled: false } })).manifests, 'NetworkPolicy')).toEqual(
      [],
    );
  });

  it('passes the G1 OpenStack endpoints and agent settings through', () => {
    const props = systemPropsFromSpec(
      cr({
        openstack: {
          identityEndpoint: 'https://keystone.example.com:5000/v3',
          networkEndpoint: 'https://neutron.example.com:9696',
          computeEndpoint: 'https://nova.example.com:8774/v2.1',
        },
        agent: { maxConcurrentNodes: 4, tolerations: [{ key: 'net', operator: 'Exists' }] },
      }),
    );
    expect(props.controller?.env).toEqual({
      OPENSTACK_AUTH_URL: 'https://keystone.example.com:5000/v3',
      OPENSTACK_NETWORK_ENDPOINT: 'https://neutron.example.com:9696',
      OPENSTACK_COMPUTE_ENDPOINT: 'https://nova.example.com:8774/v2.1',
    });
    expect(props.agent).toMatchObject({
      maxConcurrentNodes: 4,
      tolerations: [{ key: 'net', operator: 'Exists' }],
    });
  });

  it('refuses the daemonset agent mode with a clear message (only Jobs are implemented)', () => {
    expect(() => renderSystem(cr({ agent: { mode: 'daemonset' } }))).toThrow(
      "MultiNicSystem: 'agent.mode' must be 'job' (the daemonset mode is not implemented yet), got 'daemonset'",
    );
  });

  it('lets the operator of another namespace through the policy', () => {
    const rendered = renderSystem(cr({}), { operatorNamespace: 'ops' });
    expect(JSON.stringify(find(rendered.manifests, 'ValidatingAdmissionPolicy'))).toContain(
      'system:serviceaccount:ops:multinic-operator',
    );
  });

  it('renders the sample CR deterministically', () => {
    const sample = parseMultiNicOperator(sampleMultiNicOperator);
    expect(JSON.stringify(renderSystem(sample).manifests)).toBe(
      JSON.stringify(renderSystem(sample).manifests),
    );
  });
});
