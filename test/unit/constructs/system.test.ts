import { describe, expect, it } from 'vitest';
import { MultiNicSystem, type MultiNicSystemProps } from '../../../src/constructs/system/multinic-system.js';
import { all, containers, dig, envOf, find, render } from './support.js';

function system(props: Partial<MultiNicSystemProps> = {}) {
  let construct: MultiNicSystem | undefined;
  const manifests = render((scope) => {
    construct = new MultiNicSystem(scope, 's', { name: 'biz', ...props });
  });
  return { manifests, construct: construct! };
}

describe('MultiNicSystem', () => {
  it('labels every object with the managing MultiNicOperator and, in policy mode, as protected', () => {
    const { manifests } = system();
    for (const m of manifests) {
      expect(
        m.metadata.labels?.['multinic.example.com/managed-by-operator'],
        `${m.kind}/${m.metadata.name}`,
      ).toBe('biz');
      expect(m.metadata.labels?.['multinic.example.com/protected'], `${m.kind}/${m.metadata.name}`).toBe(
        'true',
      );
      expect(m.metadata.labels?.['multinic.example.com/webhook-protected']).toBeUndefined();
    }
    for (const m of manifests.filter((x) => x.metadata.namespace === undefined)) {
      expect(
        m.metadata.labels?.['multinic.example.com/managed-by-namespace'],
        `${m.kind}/${m.metadata.name}`,
      ).toBe('multinic-system');
    }
    expect(all(manifests, 'ValidatingAdmissionPolicy')).toHaveLength(1);
  });

  it.each([
    ['policy', 1, false, 'true'],
    ['webhook', 0, true, 'true'],
    ['both', 1, true, 'true'],
    ['off', 0, false, undefined],
  ] as const)(
    'protection mode %s: %i policy, webhook label %s, protected label %s',
    (mode, policies, webhookLabel, protectedLabel) => {
      const { manifests, construct } = system({ protection: { mode } });
      expect(construct.protectionMode).toBe(mode);
      expect(all(manifests, 'ValidatingAdmissionPolicy')).toHaveLength(policies);
      expect(all(manifests, 'ValidatingAdmissionPolicyBinding')).toHaveLength(policies * 2);
      const deployment = find(manifests, 'Deployment', 'biz-controller');
      expect(deployment.metadata.labels?.['multinic.example.com/protected']).toBe(protectedLabel);
      expect(deployment.metadata.labels?.['multinic.example.com/webhook-protected'] === 'true').toBe(
        webhookLabel,
      );
    },
  );

  it('guards scaling of its Deployments and StatefulSet by name', () => {
    const { manifests } = system();
    const scale = find(
      manifests,
      'ValidatingAdmissionPolicyBinding',
      'multinic-protection-multinic-system-biz-scale',
    );
    expect(
      dig(scale, 'spec', 'matchResources', 'resourceRules').map(
        (r: { resourceNames: string[] }) => r.resourceNames,
      ),
    ).toEqual([['biz-agent-controller', 'biz-controller'], ['biz-mariadb']]);
  });

  it('does not protect agent Jobs: the agent-controller creates and deletes them', () => {
    const { manifests } = system();
    const defaults = JSON.parse(
      envOf(containers(find(manifests, 'Deployment', 'biz-agent-controller'))[0]!).AGENT_JOB_DEFAULTS!,
    );
    expect(defaults.labels).toBeUndefined();
  });

  it('runs MariaDB in-cluster by default and asks for its generated Secret', () => {
    const { manifests, construct } = system();
    find(manifests, 'StatefulSet', 'biz-mariadb');
    expect(construct.requiredSecrets).toEqual([
      { name: 'biz-db-credentials', namespace: 'multinic-system', purpose: 'database-credentials' },
    ]);
    expect(envOf(containers(find(manifests, 'Deployment', 'biz-controller'))[0]!).DB_HOST).toBe(
      'biz-mariadb.multinic-system.svc',
    );
  });

  it('points at an external database without a StatefulSet', () => {
    const { manifests, construct } = system({
      database: {
        mode: 'external',
        host: 'db.corp',
        port: 3307,
        secretName: 'ext-db',
        userKey: 'username',
        cidrs: ['10.1.2.3/32'],
      },
      backup: { retention: 3 },
    });
    expect(all(manifests, 'StatefulSet')).toEqual([]);
    expect(construct.requiredSecrets).toEqual([]);
    expect(envOf(containers(find(manifests, 'Deployment', 'biz-controller'))[0]!)).toMatchObject({
      DB_HOST: 'db.corp',
      DB_PORT: '3307',
    });
    expect(dig(find(manifests, 'NetworkPolicy', 'biz-controller'), 'spec', 'egress')).toContainEqual({
      to: [{ ipBlock: { cidr: '10.1.2.3/32' } }],
      ports: [{ protocol: 'TCP', port: 3307 }],
    });
    expect(containers(find(manifests, 'CronJob'))[0]!.args).toContain('3');
  });

  it('runs without a database in mode none', () => {
    const { manifests } = system({ database: { mode: 'none' } });
    expect(all(manifests, 'StatefulSet')).toEqual([]);
    expect(envOf(containers(find(manifests, 'Deployment', 'biz-controller'))[0]!).DB_HOST).toBeUndefined();
  });

  it('backs up on the schedule with retention into a PVC', () => {
    const { manifests } = system({ backup: { schedule: '30 1 * * *', retention: 14, storageSize: '5Gi' } });
    const cron = find(manifests, 'CronJob', 'biz-db-backup');
    expect(dig(cron, 'spec', 'schedule')).toBe('30 1 * * *');
    expect(dig(cron, 'spec', 'concurrencyPolicy')).toBe('Forbid');
    expect(containers(cron)[0]!.args).toEqual([
      'db',
      'backup',
      '--url',
      'mysql://multinic@biz-mariadb.multinic-system.svc:3306/multinic?passwordFile=%2Fvar%2Frun%2Fsecrets%2Fmultinic%2Fdb%2Fpassword',
      '--dir',
      '/backups',
      '--retention',
      '14',
    ]);
    expect(
      dig(
        find(manifests, 'PersistentVolumeClaim', 'biz-db-backups'),
        'spec',
        'resources',
        'requests',
        'storage',
      ),
    ).toBe('5Gi');
  });

  it('can leave NetworkPolicies out', () => {
    expect(all(system({ networkPolicies: { enabled: false } }).manifests, 'NetworkPolicy')).toEqual([]);
    expect(all(system().manifests, 'NetworkPolicy').length).toBeGreaterThanOrEqual(4);
  });

  it('lets the operator ServiceAccount of another namespace through the policy', () => {
    const { manifests } = system({ protection: { operatorNamespace: 'ops' } });
    const vars = dig(find(manifests, 'ValidatingAdmissionPolicy'), 'spec', 'variables');
    expect(vars.find((v: { name: string }) => v.name === 'operator').expression).toBe(
      "variables.username in ['system:serviceaccount:ops:multinic-operator']",
    );
  });

  it('is deterministic', () => {
    expect(JSON.stringify(system({ backup: {} }).manifests)).toBe(
      JSON.stringify(system({ backup: {} }).manifests),
    );
  });
});
