import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentController } from '../../../src/agent-controller/controller.js';
import {
  deleteObject,
  getObject,
  listObjects,
  mergePatchObject,
  createObject,
} from '../../../src/kube/apply.js';
import { Informer } from '../../../src/kube/informer.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { appendFileSync } from 'node:fs';
import { createLogger, silentLogger } from '../../../src/observability/logger.js';
import { adminHttp, eventually } from '../kube/env.js';
import {
  createTestNodes,
  ensureNamespace,
  ensureServiceAccount,
  FakeAgentKubelet,
  installCrds,
  nodeConfig,
  successResult,
  type TestNode,
} from './harness.js';
import { clientsAsSystemRole } from '../../support/role-identity.js';

const NODE_COUNT = 20;
const MAX_CONCURRENT = 3;
const MACS = ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02'];

type Status = {
  state?: string;
  observedGeneration?: number;
  lastJobName?: string;
  conditions?: { type: string; status: string; reason: string; message?: string }[];
  interfaceStatuses?: {
    name?: string;
    status?: string;
    reason?: string;
    message?: string;
    macAddress?: string;
  }[];
};

describe('agent-controller against the real API server', () => {
  const suffix = randomBytes(3).toString('hex');
  const configNs = `ac-configs-${suffix}`;
  const agentNs = `ac-agent-${suffix}`;
  let http: KubeHttp;
  let nodes: TestNode[];
  let controller: AgentController;
  let kubelet: FakeAgentKubelet;
  let jobWatch: Informer;
  let maxActive = 0;
  const failingNodes = new Set<string>();

  const get = async (name: string): Promise<(KubeObject & { status?: Status }) | undefined> =>
    getObject(http, {
      apiVersion: 'multinic.io/v1alpha1',
      kind: 'MultiNicNodeConfig',
      namespace: configNs,
      name,
    });

  beforeAll(async () => {
    http = adminHttp();
    await installCrds(http);
    await ensureNamespace(http, configNs);
    await ensureNamespace(http, agentNs);
    await ensureServiceAccount(http, agentNs, 'multinic-agent');
    nodes = await createTestNodes(
      http,
      Array.from({ length: NODE_COUNT + 3 }, (_, i) => `ac-${suffix}-${String(i).padStart(2, '0')}`),
    );
    kubelet = new FakeAgentKubelet(http, agentNs, (node, action) => {
      if (action === 'apply' && failingNodes.has(node)) {
        return {
          exitCode: 1,
          result: {
            ...successResult(node, MACS),
            failed: 1,
            processed: 1,
            results: [{ id: 0, mac: MACS[0] ?? '', name: 'multinic0', status: 'Configured' }],
            failures: [
              {
                id: 1,
                mac: MACS[1] ?? '',
                name: 'multinic1',
                errorType: 'network',
                reason: 'probe failed: link multinic1 stayed down',
              },
            ],
            rolled_back: true,
          },
        };
      }
      return { exitCode: 0, result: successResult(node, MACS, action) };
    });
    await kubelet.start();
    jobWatch = new Informer({
      http,
      apiVersion: 'batch/v1',
      kind: 'Job',
      namespace: agentNs,
      minReconnectMs: 100,
    });
    const countActive = (): void => {
      const active = jobWatch.list().filter((job) => {
        const conditions =
          (job['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ??
          [];
        return !conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      });
      maxActive = Math.max(
        maxActive,
        new Set(active.map((job) => job.metadata.annotations?.['multinic.io/node-name'])).size,
      );
    };
    jobWatch.addHandler({ add: countActive, update: countActive });
    jobWatch.start();
    await jobWatch.waitForSync();
    // The agent-controller runs with the ServiceAccount and RBAC the system gives it, never as admin.
    const identity = await clientsAsSystemRole('agent-controller', {
      namespace: configNs,
      agentNamespace: agentNs,
    });
    controller = new AgentController({
      http: new KubeHttp(identity.kc),
      nodeConfigNamespace: configNs,
      agentNamespace: agentNs,
      maxConcurrentNodes: MAX_CONCURRENT,
      jobDefaults: {
        image: 'registry.example/multinic:test',
        serviceAccountName: 'multinic-agent',
        ttlSecondsAfterFinished: 3600,
      },
      rollupDelayMs: 100,
      // MULTINIC_TEST_LOG=<file> keeps the controller's debug log of this run.
      logger: process.env['MULTINIC_TEST_LOG']
        ? createLogger({
            level: 'debug',
            write: (line) => appendFileSync(process.env['MULTINIC_TEST_LOG'] ?? '', `${line}\n`),
          })
        : silentLogger,
    });
    await controller.start();
  });

  afterAll(async () => {
    await controller?.stop();
    await kubelet?.stop();
    await jobWatch?.stop();
    for (const node of nodes ?? [])
      await deleteObject(http, { apiVersion: 'v1', kind: 'Node', name: node.name }).catch(() => undefined);
    await deleteObject(http, { apiVersion: 'v1', kind: 'Namespace', name: agentNs }).catch(() => undefined);
    // Node configs carry our finalizer; the controller is stopped, so drop it before deleting the namespace.
    const left = await listObjects(
      http,
      { apiVersion: 'multinic.io/v1alpha1', kind: 'MultiNicNodeConfig' },
      { namespace: configNs },
    ).catch(() => []);
    for (const config of left) {
      await mergePatchObject(
        http,
        {
          apiVersion: 'multinic.io/v1alpha1',
          kind: 'MultiNicNodeConfig',
          namespace: configNs,
          name: config.metadata.name ?? '',
        },
        { metadata: { finalizers: null } },
      ).catch(() => undefined);
    }
    await deleteObject(http, { apiVersion: 'v1', kind: 'Namespace', name: configNs }).catch(() => undefined);
  });

  it('configures 20 nodes through pinned Jobs, never more than maxConcurrentNodes at once', async () => {
    const batch = nodes.slice(0, NODE_COUNT);
    await Promise.all(batch.map((node) => createObject(http, nodeConfig(configNs, node, MACS))));
    await eventually(
      async () => {
        const states = await Promise.all(batch.map(async (node) => (await get(node.name))?.status?.state));
        expect(
          states.filter((state) => state === 'Configured'),
          `states: ${states.join(',')}; in flight ${controller.inFlight()}`,
        ).toHaveLength(NODE_COUNT);
      },
      90_000,
      250,
    );
    expect(maxActive).toBeLessThanOrEqual(MAX_CONCURRENT);
    expect(maxActive).toBeGreaterThan(0);

    const jobs = await listObjects(http, { apiVersion: 'batch/v1', kind: 'Job' }, { namespace: agentNs });
    for (const node of batch) {
      const job = jobs.find((j) => j.metadata.name === `multinic-agent-${node.name}-g1`);
      expect(job, `Job of ${node.name}`).toBeDefined();
      const affinity = JSON.stringify(
        (job?.['spec'] as { template: { spec: { affinity: unknown } } }).template.spec.affinity,
      );
      expect(affinity).toContain(`"key":"metadata.name","operator":"In","values":["${node.name}"]`);
    }
    const first = await get(batch[0]?.name ?? '');
    expect(first?.status).toMatchObject({
      state: 'Configured',
      observedGeneration: 1,
      lastJobName: `multinic-agent-${batch[0]?.name}-g1`,
    });
    expect(first?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'JobSucceeded',
    });
    expect(first?.status?.interfaceStatuses?.map((s) => [s.name, s.status, s.macAddress])).toEqual([
      ['multinic0', 'Configured', MACS[0]],
      ['multinic1', 'Configured', MACS[1]],
    ]);
    expect(kubelet.runs.filter((run) => run.action === 'apply')).toHaveLength(NODE_COUNT);
  });

  it('does not write again once settled (own status writes trigger no reconcile)', async () => {
    await controller.whenIdle();
    const versions = async (): Promise<string[]> =>
      (
        await listObjects(
          http,
          { apiVersion: 'multinic.io/v1alpha1', kind: 'MultiNicNodeConfig' },
          { namespace: configNs },
        )
      )
        .map((config) => `${config.metadata.name}@${config.metadata.resourceVersion}`)
        .sort();
    const before = await versions();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await controller.whenIdle();
    expect(await versions()).toEqual(before);
  });

  it('reports a failing Job as Failed with the reason from the termination message', async () => {
    const node = nodes[NODE_COUNT] as TestNode;
    failingNodes.add(node.name);
    await createObject(http, nodeConfig(configNs, node, MACS));
    const config = await eventually(
      async () => {
        const current = await get(node.name);
        expect(current?.status?.state).toBe('Failed');
        return current;
      },
      60_000,
      250,
    );
    const ready = config?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'JobFailedPartial' });
    expect(ready?.message).toContain('probe failed: link multinic1 stayed down');
    expect(ready?.message).toContain('rolled back');
    expect(config?.status?.interfaceStatuses?.map((s) => [s.status, s.reason])).toEqual([
      ['Configured', 'JobPartialSuccess'],
      ['Failed', 'JobFailed'],
    ]);
    const events = await listObjects(
      http,
      { apiVersion: 'v1', kind: 'Event' },
      { namespace: configNs, fieldSelector: `involvedObject.name=${node.name}` },
    );
    expect(events.map((event) => event['reason'])).toContain('JobFailedPartial');
  });

  it('runs a new Job when the spec changes', async () => {
    const node = nodes[0] as TestNode;
    await mergePatchObject(
      http,
      {
        apiVersion: 'multinic.io/v1alpha1',
        kind: 'MultiNicNodeConfig',
        namespace: configNs,
        name: node.name,
      },
      {
        spec: {
          interfaces: [
            {
              id: 0,
              name: 'multinic0',
              macAddress: MACS[0],
              address: '10.0.0.99',
              cidr: '10.0.0.0/24',
              mtu: 9000,
            },
          ],
        },
      },
    );
    await eventually(
      async () => {
        const current = await get(node.name);
        expect(current?.status).toMatchObject({
          state: 'Configured',
          observedGeneration: 2,
          lastJobName: `multinic-agent-${node.name}-g2`,
        });
      },
      60_000,
      250,
    );
    expect(kubelet.runs.filter((run) => run.node === node.name && run.action === 'apply')).toHaveLength(2);
  });

  it('reports an instance-id mismatch without creating a Job', async () => {
    const node = nodes[NODE_COUNT + 1] as TestNode;
    await createObject(
      http,
      nodeConfig(configNs, { ...node, systemUUID: '00000000-0000-0000-0000-000000000000' }, MACS),
    );
    await eventually(
      async () => {
        const current = await get(node.name);
        expect(current?.status?.state).toBe('Failed');
        expect(current?.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('InstanceMismatch');
      },
      30_000,
      250,
    );
    const jobs = await listObjects(http, { apiVersion: 'batch/v1', kind: 'Job' }, { namespace: agentNs });
    expect(jobs.filter((job) => job.metadata.name?.includes(node.name))).toEqual([]);
  });

  it('runs a cleanup Job on deletion and lets the config go after it', async () => {
    const node = nodes[1] as TestNode;
    await deleteObject(http, {
      apiVersion: 'multinic.io/v1alpha1',
      kind: 'MultiNicNodeConfig',
      namespace: configNs,
      name: node.name,
    });
    await eventually(async () => expect(await get(node.name)).toBeUndefined(), 60_000, 250);
    expect(kubelet.runs.filter((run) => run.node === node.name).map((run) => run.action)).toEqual([
      'apply',
      'cleanup',
    ]);
    const jobs = await listObjects(http, { apiVersion: 'batch/v1', kind: 'Job' }, { namespace: agentNs });
    const left = jobs.filter(
      (job) =>
        job.metadata.annotations?.['multinic.io/node-name'] === node.name && !job.metadata.deletionTimestamp,
    );
    expect(left.map((job) => job.metadata.name)).toEqual([]);
  });

  it('fans a MultiNicBizConfig out into owned node configs and rolls their states up', async () => {
    const node = nodes[NODE_COUNT + 2] as TestNode;
    await createObject(http, {
      apiVersion: 'multinic.io/v1alpha1',
      kind: 'MultiNicBizConfig',
      metadata: { name: 'biz', namespace: configNs },
      spec: {
        nodeConfigs: [
          {
            attachedNodeName: node.name,
            attachedNodeId: node.systemUUID,
            interfaces: [{ macAddress: MACS[0], address: '10.0.0.20', cidr: '10.0.0.0/24', mtu: 1500 }],
          },
        ],
      },
    });
    const biz = await eventually(
      async () => {
        const current = await getObject<
          KubeObject & { status?: { summary?: Record<string, number>; nodeStatuses?: { state: string }[] } }
        >(http, {
          apiVersion: 'multinic.io/v1alpha1',
          kind: 'MultiNicBizConfig',
          namespace: configNs,
          name: 'biz',
        });
        expect(current?.status?.summary).toEqual({
          totalNodes: 1,
          configuredNodes: 1,
          failedNodes: 0,
          pendingNodes: 0,
        });
        return current;
      },
      60_000,
      250,
    );
    expect(biz?.status?.nodeStatuses?.[0]).toMatchObject({
      attachedNodeName: node.name,
      state: 'Configured',
    });
    const owned = await get(node.name);
    expect(owned?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'MultiNicBizConfig',
      name: 'biz',
      controller: true,
    });
    expect(owned?.metadata.labels?.['multinic.io/biz-config']).toBe('biz');
  });
});
