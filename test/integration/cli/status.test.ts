// `multinic status` against the real API server: CRDs installed, a MultiNicOperator, an
// OpenstackConfig and two node configs with statuses written through the status subresource (as
// the operator, controller and agent-controller would), then the command run in-process with the
// admin kubeconfig, and once through the kubectl plugin shim as kubectl would run it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  OPENSTACK_CONFIG_LABEL,
  sampleMultiNicNodeConfig,
  sampleMultiNicOperator,
  sampleOpenstackConfig,
} from '../../../src/api/index.js';
import { run } from '../../../src/cli/commands/status.js';
import { statusReportSchema, type StatusReport } from '../../../src/cli/status/report.js';
import { createObject, mergePatchObject } from '../../../src/kube/apply.js';
import { refOf, type KubeObject } from '../../../src/kube/types.js';
import { installCrds } from '../operator/helpers.js';
import { adminClients, testEnv, useNamespace, waitFor } from '../../support/kube.js';

const ns = useNamespace('cli-status');
const ROOT = join(import.meta.dirname, '..', '..', '..');
const at = (minutesAgo: number) =>
  new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function cond(type: string, status: 'True' | 'False', reason: string, message: string) {
  return { type, status, reason, message, lastTransitionTime: at(30) };
}

const CONFIGURED = {
  state: 'Configured',
  observedGeneration: 1,
  conditions: [cond('Ready', 'True', 'JobSucceeded', 'All 2 interfaces configured successfully')],
};
const FAILED_MESSAGE =
  '1 of 2 interfaces failed (every change was rolled back): multinic1: probe: no carrier';
const FAILED = {
  state: 'Failed',
  observedGeneration: 1,
  conditions: [
    cond('Ready', 'False', 'JobFailedPartial', FAILED_MESSAGE),
    cond('Degraded', 'True', 'JobFailedPartial', FAILED_MESSAGE),
  ],
  interfaceStatuses: [
    { name: 'multinic0', status: 'Configured', reason: 'JobPartialSuccess' },
    { name: 'multinic1', status: 'Failed', reason: 'JobFailedPartial', message: 'probe: no carrier' },
  ],
};

async function create(obj: KubeObject, status: Record<string, unknown>): Promise<KubeObject> {
  const { http } = adminClients();
  const created = await createObject(http, obj);
  return mergePatchObject(http, refOf(created), { status }, { subresource: 'status' });
}

async function setNodeStatus(name: string, status: Record<string, unknown>): Promise<void> {
  await mergePatchObject(
    adminClients().http,
    { apiVersion: 'multinic.io/v1alpha1', kind: 'MultiNicNodeConfig', namespace: ns.name, name },
    // A merge patch of status replaces it whole: the Failed-only keys go when the node recovers.
    { status: { interfaceStatuses: null, ...status } },
    { subresource: 'status' },
  );
}

async function status(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(['--kubeconfig', testEnv().kubeconfigPath, ...args], {
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
  });
  return { code, out, err };
}

beforeAll(async () => {
  await installCrds();
  const namespace = ns.name;
  await create({ ...sampleMultiNicOperator, metadata: { name: 'multinic', namespace } } as KubeObject, {
    phase: 'Running',
    message: 'All components are running successfully',
    observedGeneration: 1,
    conditions: [
      cond('Ready', 'True', 'AllComponentsReady', 'All components are running successfully'),
      cond('Progressing', 'False', 'RolloutComplete', 'All managed objects are applied and ready'),
      cond('Degraded', 'False', 'AsExpected', 'No reconcile errors'),
    ],
    controllerStatus: { phase: 'Running', readyReplicas: 1, desiredReplicas: 1, lastUpdated: at(30) },
    agentControllerStatus: { phase: 'Running', readyReplicas: 1, desiredReplicas: 1, lastUpdated: at(30) },
    databaseStatus: {
      phase: 'Running',
      readyReplicas: 1,
      desiredReplicas: 1,
      lastUpdated: at(30),
      lastBackup: { time: at(180), succeeded: true, jobName: 'multinic-backup-1' },
    },
    protectionStatus: { active: true, mode: 'policy', preventedMutations: 2, lastProtectionEvent: at(20) },
  });
  await create(
    {
      ...sampleOpenstackConfig,
      metadata: { name: 'biz', namespace },
      spec: { ...sampleOpenstackConfig.spec, delivery: { mode: 'local', namespace } },
    } as KubeObject,
    {
      observedGeneration: 1,
      lastSyncedAt: at(5),
      conditions: [
        cond('Ready', 'True', 'Synced', 'synced 2 node(s)'),
        cond('Degraded', 'False', 'Healthy', 'controller healthy'),
      ],
      summary: { nodes: 2, interfaces: 4, pending: 0, downPorts: 0, overflowPorts: 0 },
    },
  );
  for (const [name, nodeStatus] of [
    ['worker-1', CONFIGURED],
    ['worker-2', FAILED],
  ] as const) {
    await create(
      {
        ...sampleMultiNicNodeConfig,
        metadata: { name, namespace, labels: { [OPENSTACK_CONFIG_LABEL]: `${namespace}.biz` } },
        spec: { ...sampleMultiNicNodeConfig.spec, nodeName: name },
      } as KubeObject,
      nodeStatus,
    );
  }
});

describe('multinic status against the API server', () => {
  it('one failing node: the table names it with the agent reason and the exit code is 1', async () => {
    const { code, out, err } = await status(['-n', ns.name, 'multinic']);
    expect(err).toBe('');
    expect(code).toBe(1);
    expect(out).toMatch(/^MultiNic: Failing \(1 error, 0 warnings; namespace cli-status-/);
    expect(out).toMatch(
      new RegExp(
        `${ns.name}/multinic +Healthy +Running +1/1 +1/1 +1/1 +ok 3h ago +policy, 2 denials, last 20m ago`,
      ),
    );
    expect(out).toMatch(
      new RegExp(
        `${ns.name}/biz +Healthy +5m ago +2 +4 +0 +0 +local/${ns.name} +1/2 configured, 0 pending, 1 failed`,
      ),
    );
    expect(out).toContain('ROLLOUT: 2 node configs: 1 configured, 0 pending, 1 failed');
    expect(out).toMatch(
      new RegExp(
        `${ns.name}/worker-2 +Failed +1/2 +${ns.name}/biz +JobFailedPartial +1 of 2 interfaces failed`,
      ),
    );
    expect(out).not.toMatch(new RegExp(`${ns.name}/worker-1 `));
  });

  it('one failing node: the JSON has the documented shape, counts and the failure', async () => {
    const { code, out } = await status(['-n', ns.name, 'multinic', '-o', 'json']);
    expect(code).toBe(1);
    const report = statusReportSchema.parse(JSON.parse(out));
    expect(report).toMatchObject({
      health: 'Failing',
      exitCode: 1,
      scope: { namespace: ns.name, name: 'multinic', allNamespaces: false },
      rollout: { total: 2, configured: 1, pending: 0, failed: 1 },
    });
    expect(report.operators).toHaveLength(1);
    expect(report.operators[0]).toMatchObject({
      health: 'Healthy',
      phase: 'Running',
      lastBackup: { succeeded: true, jobName: 'multinic-backup-1' },
      protection: { mode: 'policy', active: true, denials: 2 },
    });
    expect(report.openstackConfigs[0]).toMatchObject({ name: 'biz', nodes: 2, ports: 4, health: 'Healthy' });
    expect(report.rollout.nodes[0]).toMatchObject({
      name: 'worker-2',
      rollout: 'Failed',
      reason: 'JobFailedPartial',
      message: FAILED_MESSAGE,
      openstackConfig: `${ns.name}/biz`,
    });
    expect(report.problems).toEqual([
      {
        severity: 'error',
        kind: 'MultiNicNodeConfig',
        namespace: ns.name,
        name: 'worker-2',
        reason: 'JobFailedPartial',
        message: FAILED_MESSAGE,
      },
    ]);
  });

  it('an operator name that does not exist exits 1 with NotFound', async () => {
    const { code, out } = await status(['-n', ns.name, 'nope', '-o', 'json']);
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      health: 'Failing',
      problems: [{ reason: 'NotFound', name: 'nope' }],
    });
  });

  it('--watch redraws when a node config changes and ends with the last exit code', async () => {
    const controller = new AbortController();
    const reports: StatusReport[] = [];
    let buffer = '';
    const watching = run(['--kubeconfig', testEnv().kubeconfigPath, '-n', ns.name, '-o', 'json', '--watch'], {
      signal: controller.signal,
      tty: false,
      stdout: (text) => {
        buffer += text;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) reports.push(statusReportSchema.parse(JSON.parse(line)));
      },
      stderr: (text) => {
        throw new Error(`unexpected stderr: ${text}`);
      },
    });
    try {
      await waitFor(() => reports.length === 1, { what: 'the first report' });
      expect(reports[0]?.rollout.failed).toBe(1);

      await setNodeStatus('worker-2', CONFIGURED);
      const healthy = await waitFor(() => reports.find((r) => r.health === 'Healthy'), {
        what: 'a Healthy redraw',
      });
      expect(healthy).toMatchObject({
        exitCode: 0,
        rollout: { total: 2, configured: 2, failed: 0 },
        problems: [],
      });
    } finally {
      controller.abort();
    }
    expect(await watching).toBe(0);
    // Redrawn on changes only: one line per distinct state, never a repeat of the same one.
    const states = reports.map((r) => JSON.stringify({ ...r, generatedAt: '' }));
    expect(new Set(states).size).toBe(states.length);
  });

  it('all configured: exit 0 and Healthy, also as `kubectl multinic status` through the plugin shim', async () => {
    await setNodeStatus('worker-2', CONFIGURED);
    const { code, out } = await status(['-n', ns.name]);
    expect(code).toBe(0);
    expect(out).toMatch(/^MultiNic: Healthy \(0 errors, 0 warnings;/);
    expect(out).toContain('ROLLOUT: 2 node configs: 2 configured, 0 pending, 0 failed');
    expect(out).not.toContain('PROBLEMS');

    // kubectl runs a plugin as `kubectl-<name> <args>` with the user's environment.
    const { stdout } = await promisify(execFile)(
      join(ROOT, 'bin', 'kubectl-multinic'),
      ['status', '-n', ns.name, 'multinic', '-o', 'json'],
      { env: { ...process.env, KUBECONFIG: testEnv().kubeconfigPath }, timeout: 60_000 },
    );
    expect(statusReportSchema.parse(JSON.parse(stdout))).toMatchObject({ health: 'Healthy', exitCode: 0 });
  });

  it('the plugin shim passes the exit code through: 1 with a failing node', async () => {
    await setNodeStatus('worker-1', FAILED);
    const failure = await promisify(execFile)(
      join(ROOT, 'bin', 'kubectl-multinic'),
      ['status', '-n', ns.name],
      {
        env: { ...process.env, KUBECONFIG: testEnv().kubeconfigPath },
        timeout: 60_000,
      },
    ).then(
      () => undefined,
      (error: unknown) => error as { code?: number; stdout?: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toMatch(new RegExp(`${ns.name}/worker-1 +Failed .*JobFailedPartial`));
  });
});
