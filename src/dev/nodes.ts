// Fake Nodes for kwok: plain Node objects that kwok (--manage-all-nodes) turns Ready and keeps
// heart-beating. Each gets a distinct status.nodeInfo.systemUUID (written through the /status
// subresource, which kwok's node-initialize stage preserves), because MultiNic maps a Node to its
// Nova server by that UUID.
import { randomUUID } from 'node:crypto';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Node,
} from '@kubernetes/client-node';

export interface FakeNodeSpec {
  name: string;
  /** @default - a random UUID */
  systemUUID?: string;
  /** Extra labels. */
  labels?: Record<string, string>;
}

export interface FakeNode {
  name: string;
  systemUUID: string;
}

/** kwok-node-0 .. kwok-node-(count-1). */
export function defaultNodeSpecs(count: number): FakeNodeSpec[] {
  if (!Number.isInteger(count) || count < 0 || count > 1000) {
    throw new Error(`'nodes' must be an integer 0..1000, got ${count}`);
  }
  return Array.from({ length: count }, (_, index) => ({ name: `kwok-node-${index}` }));
}

function nodeObject(spec: FakeNodeSpec): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/worker': '',
        type: 'kwok',
        ...spec.labels,
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
  };
}

/** Creates the Nodes (or reuses existing ones) and sets their systemUUIDs. */
export async function createFakeNodes(kc: KubeConfig, specs: readonly FakeNodeSpec[]): Promise<FakeNode[]> {
  const core = kc.makeApiClient(CoreV1Api);
  return Promise.all(
    specs.map(async (spec) => {
      const systemUUID = spec.systemUUID ?? randomUUID();
      try {
        await core.createNode({ body: nodeObject(spec) });
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
      await core.patchNodeStatus(
        {
          name: spec.name,
          body: {
            status: {
              nodeInfo: {
                systemUUID,
                machineID: systemUUID.replaceAll('-', ''),
                operatingSystem: 'linux',
                architecture: 'amd64',
                osImage: 'kwok fake node',
              },
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return { name: spec.name, systemUUID };
    }),
  );
}

export interface WaitNodesOptions {
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Resolves when every named Node has Ready=True; throws naming the ones that are not. */
export async function waitForNodesReady(
  kc: KubeConfig,
  names: readonly string[],
  options: WaitNodesOptions,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + options.timeoutMs;
  let notReady: string[] = [...names];
  for (;;) {
    const list = await core.listNode();
    const ready = new Set(list.items.filter(isReady).map((node) => node.metadata?.name));
    notReady = names.filter((name) => !ready.has(name));
    if (notReady.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `fake nodes not Ready within ${Math.round(options.timeoutMs / 1000)}s: ${notReady.join(', ')} (is kwok running?)`,
      );
    }
    await sleep(250);
  }
}
