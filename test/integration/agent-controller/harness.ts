// Test harness for the agent-controller against a real API server (also used by
// bench/agent-controller.bench.ts).
//
// Who completes the agent pods: this file's `FakeAgentKubelet` acts as the kubelet. The test
// Nodes carry a NoExecute taint the agent Job does not tolerate, so the scheduler never binds
// the pods and kwok (which would mark them Succeeded without a termination message, and race
// with us) never touches them. The fake kubelet sees each new agent pod, asks a script what
// the agent "did" on that node, and writes the pod status a kubelet would: phase, and a
// terminated container with exit code and the agent's termination-message JSON
// (serializeAgentResult of src/agent). The Job controller then completes or fails the Job as
// for real pods. Node pinning is asserted on the Job spec.
import { randomUUID } from 'node:crypto';
import { serializeAgentResult, type AgentResult } from '../../../src/agent/result.js';
import { NODE_NAME_ANNOTATION, ACTION_LABEL } from '../../../src/constructs/agent/agent-job.js';
import { crdManifests } from '../../../src/api/index.js';
import { applyObject, createObject, listObjects, mergePatchObject } from '../../../src/kube/apply.js';
import type { KubeHttp } from '../../../src/kube/http.js';
import { isKubeStatus } from '../../../src/kube/http.js';
import { Informer } from '../../../src/kube/informer.js';
import type { KubeObject } from '../../../src/kube/types.js';

export const TEST_TAINT = { key: 'multinic.test/fake-kubelet', value: 'true', effect: 'NoExecute' };

export async function installCrds(http: KubeHttp): Promise<void> {
  for (const crd of crdManifests())
    await applyObject(http, crd as KubeObject, { fieldManager: 'multinic-test' });
  for (const crd of crdManifests()) {
    const names = (crd as { spec: { group: string; versions: { name: string }[]; names: { kind: string } } })
      .spec;
    const apiVersion = `${names.group}/${names.versions[0]?.name ?? 'v1alpha1'}`;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await http.resource({ apiVersion, kind: names.names.kind });
        break;
      } catch (err) {
        if (attempt > 100) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

export async function ensureNamespace(http: KubeHttp, name: string): Promise<void> {
  try {
    await createObject(http, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (err) {
    if (!isKubeStatus(err, 409)) throw err;
  }
}

export async function ensureServiceAccount(http: KubeHttp, namespace: string, name: string): Promise<void> {
  try {
    await createObject(http, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  } catch (err) {
    if (!isKubeStatus(err, 409)) throw err;
  }
}

export interface TestNode {
  name: string;
  systemUUID: string;
}

/**
 * Nodes the scheduler will not bind agent pods to (see the file header); kwok keeps them Ready.
 * kwok's node-initialize stage rewrites `status.nodeInfo` once when it first sees a Node, so the
 * systemUUID is written after kwok made the Node Ready, and re-written until it sticks.
 */
export async function createTestNodes(
  http: KubeHttp,
  names: readonly string[],
  osImage = 'Ubuntu 24.04.1 LTS',
): Promise<TestNode[]> {
  const wanted = new Map(names.map((name) => [name, randomUUID()]));
  const batch = 25;
  for (let i = 0; i < names.length; i += batch) {
    await Promise.all(
      names.slice(i, i + batch).map(async (name) => {
        try {
          await createObject(http, {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: {
              name,
              labels: { 'kubernetes.io/hostname': name, type: 'kwok', 'multinic.test/node': 'true' },
              annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
            },
            spec: { taints: [TEST_TAINT] },
          });
        } catch (err) {
          if (!isKubeStatus(err, 409)) throw err;
        }
      }),
    );
  }
  type NodeStatus = { conditions?: { type: string; status: string }[]; nodeInfo?: { systemUUID?: string } };
  const deadline = Date.now() + 900_000;
  let stable = 0;
  while (stable < 2) {
    if (Date.now() > deadline)
      throw new Error('test Nodes did not become Ready with their systemUUIDs within 900 s');
    const nodes = await listObjects(
      http,
      { apiVersion: 'v1', kind: 'Node' },
      { labelSelector: 'multinic.test/node=true' },
    );
    const todo = nodes.filter((node) => {
      const uuid = wanted.get(node.metadata.name ?? '');
      const status = node['status'] as NodeStatus | undefined;
      const ready = status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      return uuid !== undefined && (!ready || status?.nodeInfo?.systemUUID !== uuid);
    });
    const missing = names.length - nodes.filter((node) => wanted.has(node.metadata.name ?? '')).length;
    stable = todo.length === 0 && missing === 0 ? stable + 1 : 0;
    for (let i = 0; i < todo.length; i += 4 * batch) {
      await Promise.all(
        todo.slice(i, i + 4 * batch).map((node) => {
          const status = node['status'] as NodeStatus | undefined;
          if (!status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
            return Promise.resolve();
          const systemUUID = wanted.get(node.metadata.name ?? '') ?? '';
          return mergePatchObject(
            http,
            { apiVersion: 'v1', kind: 'Node', name: node.metadata.name ?? '' },
            {
              status: {
                nodeInfo: {
                  systemUUID,
                  machineID: systemUUID.replaceAll('-', ''),
                  osImage,
                  operatingSystem: 'linux',
                  architecture: 'amd64',
                },
              },
            },
            { subresource: 'status' },
          );
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return names.map((name) => ({ name, systemUUID: wanted.get(name) ?? '' }));
}

export function nodeConfig(
  namespace: string,
  node: TestNode,
  macs: readonly string[],
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'multinic.io/v1alpha1',
    kind: 'MultiNicNodeConfig',
    metadata: { name: node.name, namespace },
    spec: {
      nodeName: node.name,
      instanceId: node.systemUUID,
      interfaces: macs.map((mac, index) => ({
        id: index,
        name: `multinic${index}`,
        macAddress: mac,
        address: `10.${index}.0.${10 + (macs.length % 200)}`,
        cidr: `10.${index}.0.0/24`,
        mtu: 1450,
      })),
      ...extra,
    },
  };
}

export interface AgentRun {
  exitCode: number;
  result: AgentResult;
}

export type AgentScript = (nodeName: string, action: 'apply' | 'cleanup', pod: KubeObject) => AgentRun;

/** The agent result of a fully successful apply of `macs`. */
export function successResult(
  nodeName: string,
  macs: readonly string[],
  action: 'apply' | 'cleanup' = 'apply',
): AgentResult {
  return {
    action,
    delete_errors: 0,
    deleted_total: action === 'cleanup' ? macs.length : 0,
    failed: 0,
    failures: [],
    node: nodeName,
    processed: macs.length,
    results: macs.map((mac, id) => ({
      id,
      mac,
      name: `multinic${id}`,
      status: action === 'cleanup' ? 'Removed' : 'Configured',
    })),
    timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    total: macs.length,
  };
}

/** Plays the kubelet for agent pods (see the file header). */
export class FakeAgentKubelet {
  private readonly pods: Informer;
  private readonly handled = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  /** Pods completed, by node name. */
  readonly runs: { node: string; action: string; exitCode: number }[] = [];

  constructor(
    private readonly http: KubeHttp,
    namespace: string,
    private readonly script: AgentScript,
  ) {
    this.pods = new Informer({
      http,
      apiVersion: 'v1',
      kind: 'Pod',
      namespace,
      labelSelector: 'app.kubernetes.io/name=multinic-agent',
      minReconnectMs: 100,
    });
    const onPod = (pod: KubeObject): void => {
      const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
      const uid = pod.metadata.uid ?? '';
      if (
        phase === 'Succeeded' ||
        phase === 'Failed' ||
        this.handled.has(uid) ||
        pod.metadata.deletionTimestamp
      )
        return;
      this.handled.add(uid);
      const run = this.complete(pod).catch(() => {
        this.handled.delete(uid);
      });
      this.pending.add(run);
      void run.finally(() => this.pending.delete(run));
    };
    this.pods.addHandler({ add: onPod, update: (_old, pod) => onPod(pod) });
  }

  async start(): Promise<void> {
    this.pods.start();
    await this.pods.waitForSync();
  }

  async stop(): Promise<void> {
    await this.pods.stop();
    await Promise.all([...this.pending]);
  }

  private async complete(pod: KubeObject): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.completeOnce(pod);
        return;
      } catch (err) {
        if (attempt >= 5 || isKubeStatus(err, 404)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  private async completeOnce(pod: KubeObject): Promise<void> {
    const node = pod.metadata.annotations?.[NODE_NAME_ANNOTATION] ?? '';
    const action = pod.metadata.labels?.[ACTION_LABEL] === 'cleanup' ? 'cleanup' : 'apply';
    const { exitCode, result } = this.script(node, action, pod);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const container = (pod['spec'] as { containers: { name: string; image: string }[] }).containers[0];
    await mergePatchObject(
      this.http,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: pod.metadata.namespace ?? '',
        name: pod.metadata.name ?? '',
      },
      {
        status: {
          phase: exitCode === 0 ? 'Succeeded' : 'Failed',
          startTime: now,
          containerStatuses: [
            {
              name: container?.name ?? 'agent',
              image: container?.image ?? 'agent',
              imageID: '',
              ready: false,
              started: false,
              restartCount: 0,
              state: {
                terminated: {
                  exitCode,
                  reason: exitCode === 0 ? 'Completed' : 'Error',
                  message: serializeAgentResult(result),
                  startedAt: now,
                  finishedAt: now,
                },
              },
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    this.runs.push({ node, action, exitCode });
  }
}
