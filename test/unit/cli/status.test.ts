import { describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/status.js';
import { formatAge, renderJson, renderText } from '../../../src/cli/status/render.js';
import {
  buildReport,
  statusReportSchema,
  type Snapshot,
  type StatusReport,
  type StatusScope,
} from '../../../src/cli/status/report.js';
import type { KubeObject } from '../../../src/kube/types.js';

const NOW = new Date('2026-12-03T12:00:00Z');
const NS = 'multinic-system';
const ALL: StatusScope = { allNamespaces: false };

interface Cond {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
}
function cond(type: string, status: Cond['status'], reason: string, message = ''): Cond {
  return { type, status, reason, message };
}

function operator(
  name: string,
  status?: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'multinic.example.com/v1alpha1',
    kind: 'MultiNicOperator',
    metadata: { name, namespace: NS, generation: 1, ...meta },
    spec: {},
    ...(status === undefined ? {} : { status }),
  };
}

const running = (ready: number) => ({ phase: 'Running', readyReplicas: ready, desiredReplicas: ready });

function healthyOperatorStatus(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    phase: 'Running',
    message: 'All components are running successfully',
    observedGeneration: 1,
    conditions: [
      cond('Ready', 'True', 'AllComponentsReady', 'All components are running successfully'),
      cond('Progressing', 'False', 'RolloutComplete'),
      cond('Degraded', 'False', 'AsExpected', 'No reconcile errors'),
      cond('controllerReady', 'True', 'Ready', 'all replicas ready'),
    ],
    controllerStatus: running(2),
    agentControllerStatus: running(1),
    databaseStatus: {
      ...running(1),
      lastBackup: { time: '2026-12-03T02:00:00Z', succeeded: true, jobName: 'multinic-backup-29412' },
    },
    protectionStatus: {
      active: true,
      mode: 'policy',
      preventedMutations: 3,
      lastProtectionEvent: '2026-12-03T11:50:00Z',
    },
    ...extra,
  };
}

function openstackConfig(
  name: string,
  status?: Record<string, unknown>,
  options: { namespace?: string; deliveryNamespace?: string; mode?: string; generation?: number } = {},
): KubeObject {
  return {
    apiVersion: 'multinic.example.com/v1alpha1',
    kind: 'OpenstackConfig',
    metadata: { name, namespace: options.namespace ?? NS, generation: options.generation ?? 1 },
    spec: {
      subnetIDs: ['3d5f7b9d-1e3f-4a5b-8c7d-9e0f1a2b3c84'],
      vmNames: ['biz-worker-1'],
      credentials: { secretRef: { name: 'openstack-credentials' }, projectID: 'p' },
      delivery: {
        ...(options.mode === undefined ? {} : { mode: options.mode }),
        ...(options.mode === 'kubeconfig' ? { kubeconfigSecretRef: { name: 'workload' } } : {}),
        namespace: options.deliveryNamespace ?? NS,
      },
    },
    ...(status === undefined ? {} : { status }),
  };
}

function syncedStatus(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    observedGeneration: 1,
    lastSyncedAt: '2026-12-03T11:57:00Z',
    conditions: [
      cond('Ready', 'True', 'NoChange', 'no changes detected'),
      cond('Degraded', 'False', 'Healthy', 'controller healthy'),
    ],
    summary: { nodes: 2, interfaces: 4, pending: 0, downPorts: 0, overflowPorts: 0 },
    ...extra,
  };
}

const iface = (n: number) => ({
  id: n,
  name: `multinic${n}`,
  macAddress: `fa:16:3e:00:00:0${n}`,
  address: `192.168.50.1${n}`,
  cidr: '192.168.50.0/24',
  mtu: 1450,
});

function nodeConfig(
  name: string,
  status?: Record<string, unknown>,
  options: { namespace?: string; owner?: string | null; generation?: number; deleting?: boolean } = {},
): KubeObject {
  const owner = options.owner === undefined ? `${NS}.biz` : options.owner;
  return {
    apiVersion: 'multinic.io/v1alpha1',
    kind: 'MultiNicNodeConfig',
    metadata: {
      name,
      namespace: options.namespace ?? NS,
      generation: options.generation ?? 1,
      ...(owner === null ? {} : { labels: { 'multinic.io/openstack-config': owner } }),
      ...(options.deleting === true ? { deletionTimestamp: '2026-12-03T11:59:00Z' } : {}),
    },
    spec: { nodeName: name, interfaces: [iface(0), iface(1)] },
    ...(status === undefined ? {} : { status }),
  };
}

const configured = {
  state: 'Configured',
  observedGeneration: 1,
  conditions: [cond('Ready', 'True', 'JobSucceeded', 'All 2 interfaces configured successfully')],
  interfaceStatuses: [
    { name: 'multinic0', status: 'Configured', reason: 'JobSucceeded' },
    { name: 'multinic1', status: 'Configured', reason: 'JobSucceeded' },
  ],
};
const failedMessage = '1 of 2 interfaces failed (every change was rolled back): multinic1: probe: no carrier';
const failed = {
  state: 'Failed',
  observedGeneration: 1,
  conditions: [
    cond('Ready', 'False', 'JobFailedPartial', failedMessage),
    cond('Degraded', 'True', 'JobFailedPartial', failedMessage),
  ],
  interfaceStatuses: [
    { name: 'multinic0', status: 'Configured', reason: 'JobPartialSuccess' },
    { name: 'multinic1', status: 'Failed', reason: 'JobFailedPartial', message: 'probe: no carrier' },
  ],
};
const waiting = {
  state: 'Pending',
  conditions: [cond('Ready', 'False', 'WaitingForRollout', 'waiting for a rollout slot (1 of 1 in use)')],
};

const healthy: Snapshot = {
  operators: [operator('multinic', healthyOperatorStatus())],
  openstackConfigs: [openstackConfig('biz', syncedStatus())],
  nodeConfigs: [nodeConfig('worker-1', configured), nodeConfig('worker-2', configured)],
};

function report(snapshot: Partial<Snapshot>, scope: StatusScope = ALL): StatusReport {
  return buildReport({ ...healthy, ...snapshot }, scope, NOW);
}

const summary = (r: StatusReport) => ({
  health: r.health,
  exitCode: r.exitCode,
  problems: r.problems.map((p) => `${p.severity} ${p.kind} ${p.name} ${p.reason}`),
});

describe('buildReport: health, exit code and problems', () => {
  const cases: {
    title: string;
    snapshot: Partial<Snapshot>;
    scope?: StatusScope;
    health: StatusReport['health'];
    problems: string[];
  }[] = [
    { title: 'all ready and configured is Healthy', snapshot: {}, health: 'Healthy', problems: [] },
    {
      title: 'a Degraded operator is Failing with its condition as the problem',
      snapshot: {
        operators: [
          operator(
            'multinic',
            healthyOperatorStatus({
              phase: 'Error',
              conditions: [
                cond('Ready', 'False', 'ApplyFailed', 'apply Deployment multinic-controller: 422'),
                cond('Progressing', 'False', 'ReconcileFailed'),
                cond('Degraded', 'True', 'ApplyFailed', 'apply Deployment multinic-controller: 422'),
              ],
            }),
          ),
        ],
      },
      health: 'Failing',
      problems: ['error MultiNicOperator multinic ApplyFailed'],
    },
    {
      title: 'an operator rolling out is Progressing; not-ready components are warnings',
      snapshot: {
        operators: [
          operator(
            'multinic',
            healthyOperatorStatus({
              phase: 'Pending',
              conditions: [
                cond('Ready', 'False', 'ComponentsNotReady'),
                cond('Progressing', 'True', 'RollingOut'),
                cond('Degraded', 'False', 'AsExpected'),
                cond(
                  'databaseReady',
                  'False',
                  'NotReady',
                  'StatefulSet multinic-mariadb: 0/1 replicas ready',
                ),
              ],
              databaseStatus: { phase: 'Pending', readyReplicas: 0, desiredReplicas: 1 },
            }),
          ),
        ],
      },
      health: 'Progressing',
      problems: ['warning MultiNicOperator multinic NotReady'],
    },
    {
      title: 'a failed last backup is Failing',
      snapshot: {
        operators: [
          operator(
            'multinic',
            healthyOperatorStatus({
              databaseStatus: {
                ...running(1),
                lastBackup: {
                  time: '2026-12-03T02:00:00Z',
                  succeeded: false,
                  message: 'BackoffLimitExceeded',
                },
              },
            }),
          ),
        ],
      },
      health: 'Failing',
      problems: ['error MultiNicOperator multinic BackupFailed'],
    },
    {
      title: 'a spec change the operator has not observed is Progressing',
      snapshot: { operators: [operator('multinic', healthyOperatorStatus(), { generation: 2 })] },
      health: 'Progressing',
      problems: [],
    },
    {
      title: 'one failed node is Failing with the agent reason',
      snapshot: { nodeConfigs: [nodeConfig('worker-1', configured), nodeConfig('worker-2', failed)] },
      health: 'Failing',
      problems: ['error MultiNicNodeConfig worker-2 JobFailedPartial'],
    },
    {
      title: 'a node waiting for its rollout slot is Progressing, not a problem',
      snapshot: { nodeConfigs: [nodeConfig('worker-1', configured), nodeConfig('worker-2', waiting)] },
      health: 'Progressing',
      problems: [],
    },
    {
      title: 'an OpenstackConfig that fails to sync is Failing once (Ready and Degraded say the same)',
      snapshot: {
        openstackConfigs: [
          openstackConfig(
            'biz',
            syncedStatus({
              lastError: 'Keystone 401: the credentials were refused',
              conditions: [
                cond('Ready', 'False', 'KeystoneError', 'Keystone 401: the credentials were refused'),
                cond('Degraded', 'True', 'Error', 'Keystone 401: the credentials were refused'),
              ],
            }),
          ),
        ],
      },
      health: 'Failing',
      problems: ['error OpenstackConfig biz KeystoneError'],
    },
    {
      title: 'an OpenstackConfig synced with problems (Degraded) is Failing',
      snapshot: {
        openstackConfigs: [
          openstackConfig(
            'biz',
            syncedStatus({
              conditions: [
                cond('Ready', 'True', 'Synced', 'synced 2 node(s)'),
                cond('Degraded', 'True', 'SubnetNotFound', 'subnet 3d5f7b9d-... not found'),
              ],
            }),
          ),
        ],
      },
      health: 'Failing',
      problems: ['error OpenstackConfig biz SubnetNotFound'],
    },
    {
      title: 'a Deprecated OpenstackConfig is a warning that keeps the exit code 0',
      snapshot: {
        openstackConfigs: [
          openstackConfig(
            'biz',
            syncedStatus({
              conditions: [
                cond('Ready', 'True', 'NoChange'),
                cond('Degraded', 'False', 'Healthy'),
                cond(
                  'Deprecated',
                  'True',
                  'InlineCredentials',
                  'deprecated fields in use: credentials.password',
                ),
              ],
            }),
          ),
        ],
      },
      health: 'Healthy',
      problems: ['warning OpenstackConfig biz InlineCredentials'],
    },
    {
      title: 'missing status everywhere is Unknown with a hint per object',
      snapshot: {
        operators: [operator('multinic')],
        openstackConfigs: [openstackConfig('biz')],
        nodeConfigs: [nodeConfig('worker-1')],
      },
      health: 'Unknown',
      problems: ['warning MultiNicOperator multinic NoStatus', 'warning OpenstackConfig biz NoStatus'],
    },
    {
      title: 'a status that does not parse is Unknown, not trusted',
      snapshot: { operators: [operator('multinic', { phase: 'Exploded' })] },
      health: 'Unknown',
      problems: ['warning MultiNicOperator multinic InvalidStatus'],
    },
    {
      title: 'a named operator that does not exist is Failing',
      snapshot: {},
      scope: { allNamespaces: false, namespace: NS, name: 'other' },
      health: 'Failing',
      problems: ['error MultiNicOperator other NotFound'],
    },
    {
      title: 'nothing at all is Unknown (exit 1), not a silent success',
      snapshot: { operators: [], openstackConfigs: [], nodeConfigs: [] },
      health: 'Unknown',
      problems: ['warning MultiNicOperator  NothingFound'],
    },
  ];
  it.each(cases)('$title', ({ snapshot, scope, health, problems }) => {
    const r = report(snapshot, scope);
    expect(summary(r)).toEqual({ health, exitCode: health === 'Healthy' ? 0 : 1, problems });
    expect(statusReportSchema.parse(JSON.parse(renderJson(r)))).toEqual(r);
  });
});

describe('buildReport: the rollout of node configs', () => {
  const cases: {
    title: string;
    status?: Record<string, unknown>;
    options?: Parameters<typeof nodeConfig>[2];
    rollout: string;
    reason: string | null;
  }[] = [
    { title: 'Configured', status: configured, rollout: 'Configured', reason: 'JobSucceeded' },
    { title: 'Failed (reason from Degraded)', status: failed, rollout: 'Failed', reason: 'JobFailedPartial' },
    {
      title: 'Pending, waiting for a slot',
      status: waiting,
      rollout: 'Pending',
      reason: 'WaitingForRollout',
    },
    {
      title: 'InProgress',
      status: {
        state: 'InProgress',
        conditions: [cond('Ready', 'False', 'JobScheduled', 'agent Job x applies generation 1')],
      },
      rollout: 'Pending',
      reason: 'JobScheduled',
    },
    { title: 'no status yet', rollout: 'Pending', reason: 'NotProcessed' },
    {
      title: 'Configured but a newer spec not applied yet',
      status: configured,
      options: { generation: 2 },
      rollout: 'Pending',
      reason: 'SpecChanged',
    },
    {
      title: 'being deleted',
      status: configured,
      options: { deleting: true },
      rollout: 'Pending',
      reason: 'Deleting',
    },
    {
      title: 'Failed with no conditions: the interfaces say why',
      status: {
        state: 'Failed',
        interfaceStatuses: [{ name: 'multinic1', status: 'Failed', reason: 'JobFailed', message: 'mtu' }],
      },
      rollout: 'Failed',
      reason: 'JobFailed',
    },
  ];
  it.each(cases)('$title -> $rollout ($reason)', ({ status, options, rollout, reason }) => {
    const r = report({ nodeConfigs: [nodeConfig('worker-1', status, options)] });
    const node = r.rollout.nodes[0];
    expect([node?.rollout, node?.reason]).toEqual([rollout, reason]);
    expect(r.rollout).toMatchObject({
      total: 1,
      configured: rollout === 'Configured' ? 1 : 0,
      pending: rollout === 'Pending' ? 1 : 0,
      failed: rollout === 'Failed' ? 1 : 0,
    });
  });

  it('keeps the agent message and interface counts of a failed node, failed nodes first', () => {
    const r = report({
      nodeConfigs: [
        nodeConfig('a-node', configured),
        nodeConfig('b-node', waiting),
        nodeConfig('c-node', failed),
      ],
    });
    expect(r.rollout.nodes.map((n) => `${n.name}:${n.rollout}`)).toEqual([
      'c-node:Failed',
      'b-node:Pending',
      'a-node:Configured',
    ]);
    expect(r.rollout.nodes[0]).toMatchObject({
      openstackConfig: `${NS}/biz`,
      message: failedMessage,
      interfaces: { total: 2, configured: 1, failed: 1 },
    });
    expect(r.openstackConfigs[0]?.rollout).toEqual({ total: 3, configured: 1, pending: 1, failed: 1 });
  });
});

describe('buildReport: scope', () => {
  const snapshot: Snapshot = {
    operators: [
      operator('multinic', healthyOperatorStatus()),
      {
        ...operator('other', healthyOperatorStatus()),
        metadata: { name: 'other', namespace: 'team-b', generation: 1 },
      },
    ],
    openstackConfigs: [
      openstackConfig('biz', syncedStatus(), { deliveryNamespace: 'biz-nodes' }),
      openstackConfig('lonely', syncedStatus(), { namespace: 'no-operator' }),
      openstackConfig('remote', syncedStatus(), { mode: 'kubeconfig' }),
    ],
    nodeConfigs: [
      nodeConfig('worker-1', configured, { namespace: 'biz-nodes' }),
      nodeConfig('worker-9', configured, { namespace: 'unrelated', owner: null }),
      nodeConfig('lonely-1', configured, { namespace: 'no-operator', owner: 'no-operator.lonely' }),
    ],
  };
  const names = (r: StatusReport) => ({
    operators: r.operators.map((o) => `${o.namespace}/${o.name}`),
    openstackConfigs: r.openstackConfigs.map((c) => `${c.namespace}/${c.name}`),
    nodes: r.rollout.nodes.map((n) => `${n.namespace}/${n.name}`),
  });

  it('-n NS NAME: that operator, the OpenstackConfigs of its namespace and the node configs they deliver here', () => {
    expect(
      names(buildReport(snapshot, { allNamespaces: false, namespace: NS, name: 'multinic' }, NOW)),
    ).toEqual({
      operators: [`${NS}/multinic`],
      openstackConfigs: [`${NS}/biz`, `${NS}/remote`],
      nodes: ['biz-nodes/worker-1'],
    });
  });

  it('no flags: every operator; OpenstackConfigs only where an operator is', () => {
    expect(names(buildReport(snapshot, ALL, NOW))).toEqual({
      operators: [`${NS}/multinic`, 'team-b/other'],
      openstackConfigs: [`${NS}/biz`, `${NS}/remote`],
      nodes: ['biz-nodes/worker-1'],
    });
  });

  it('-A: OpenstackConfigs and node configs of every namespace', () => {
    expect(names(buildReport(snapshot, { allNamespaces: true }, NOW))).toEqual({
      operators: [`${NS}/multinic`, 'team-b/other'],
      openstackConfigs: [`${NS}/biz`, `${NS}/remote`, 'no-operator/lonely'],
      nodes: ['biz-nodes/worker-1', 'no-operator/lonely-1', 'unrelated/worker-9'],
    });
  });

  it('a config delivered to another cluster says so instead of counting zero nodes', () => {
    const r = buildReport(snapshot, ALL, NOW);
    expect(r.openstackConfigs.find((c) => c.name === 'remote')?.delivery).toEqual({
      mode: 'kubeconfig',
      namespace: null,
    });
    expect(renderText(r, NOW)).toMatch(/multinic-system\/remote .* kubeconfig +in the workload cluster/);
  });
});

describe('renderText', () => {
  const mixed = report({
    nodeConfigs: [
      nodeConfig('worker-1', configured),
      nodeConfig('worker-2', failed),
      nodeConfig('worker-3', waiting),
    ],
  });

  it('matches the golden table', async () => {
    await expect(renderText(mixed, NOW)).toMatchFileSnapshot('__snapshots__/status-table.txt');
  });

  it('lists configured nodes only with wide', () => {
    expect(renderText(mixed, NOW)).not.toContain('multinic-system/worker-1 ');
    expect(renderText(mixed, NOW, { wide: true })).toMatch(/multinic-system\/worker-1 +Configured +2\/2/);
  });

  it('shows components, backup age, protection and the failing node with its reason', () => {
    const text = renderText(mixed, NOW);
    expect(text).toMatch(/^MultiNic: Failing \(1 error, 0 warnings; all namespaces\)$/m);
    expect(text).toMatch(
      /multinic-system\/multinic +Healthy +Running +2\/2 +1\/1 +1\/1 +ok 10h ago +policy, 3 denials, last 10m ago/,
    );
    expect(text).toMatch(
      /multinic-system\/biz +Healthy +3m ago +2 +4 +0 +0 +local\/multinic-system +1\/3 configured, 1 pending, 1 failed/,
    );
    expect(text).toContain('ROLLOUT: 3 node configs: 1 configured, 1 pending, 1 failed');
    expect(text).toMatch(
      /multinic-system\/worker-2 +Failed +1\/2 +multinic-system\/biz +JobFailedPartial +1 of 2 interfaces failed/,
    );
    expect(text).toMatch(/multinic-system\/worker-3 +Pending +0\/2 .*WaitingForRollout/);
  });

  it('prints a dash for what a missing status does not say', () => {
    const text = renderText(
      report({ operators: [operator('multinic')], openstackConfigs: [openstackConfig('biz')] }),
      NOW,
    );
    expect(text).toMatch(/multinic-system\/multinic +Unknown +- +- +- +- +- +-$/m);
    expect(text).toMatch(/multinic-system\/biz +Unknown +- +- +- +- +- +local\/multinic-system/);
  });

  it.each([
    ['2026-12-03T11:59:15Z', '45s'],
    ['2026-12-03T11:48:00Z', '12m'],
    ['2026-12-03T09:00:00Z', '3h'],
    ['2026-11-30T12:00:00Z', '3d'],
    [null, '-'],
  ])('formatAge(%s) = %s', (iso, text) => {
    expect(formatAge(iso, NOW)).toBe(text);
  });
});

describe('run: usage errors exit 2 before touching a cluster', () => {
  it.each([
    [['-o', 'yaml'], "--output must be one of table, wide, json, got 'yaml'"],
    [['one', 'two'], 'at most one MultiNicOperator NAME'],
    [['-n', NS, '-A'], '--namespace and --all-namespaces exclude each other'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('%j', async (args, message) => {
    let err = '';
    const code = await run(args, { stdout: () => undefined, stderr: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(err).toContain('usage: multinic status');
  });

  it('--help prints the usage and exits 0', async () => {
    let out = '';
    expect(await run(['--help'], { stdout: (t) => (out += t) })).toBe(0);
    expect(out).toContain('-o, --output FORMAT');
  });
});
