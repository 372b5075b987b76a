// The local control plane does what the other integration tests rely on: fake Nodes that are
// Ready with distinct systemUUIDs, controllers + scheduler + kwok running Deployments and Jobs.
import { describe, expect, it } from 'vitest';
import { adminClients, testEnv, useNamespace, waitFor } from '../../support/kube.js';

const ns = useNamespace();

const podTemplate = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'main', image: 'registry.invalid/fake:1' }] },
});

describe('local control plane', () => {
  it('has Ready fake nodes with distinct systemUUIDs set through the status subresource', async () => {
    const { core } = adminClients();
    const expected = testEnv().nodes;
    expect(expected).toHaveLength(3);
    const nodes = (await core.listNode()).items.filter((n) => n.metadata?.labels?.['type'] === 'kwok');
    const byName = new Map(nodes.map((n) => [n.metadata?.name, n]));
    for (const node of expected) {
      const actual = byName.get(node.name);
      expect(actual?.status?.nodeInfo?.systemUUID).toBe(node.systemUUID);
      expect(actual?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    expect(new Set(expected.map((n) => n.systemUUID)).size).toBe(expected.length);
  });

  it('brings a Deployment to its ready replicas on the fake nodes', async () => {
    const { apps, core } = adminClients();
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: podTemplate('web') },
      },
    });
    const deployment = await waitFor(
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace: ns.name, name: 'web' });
        return d.status?.readyReplicas === 2 ? d : undefined;
      },
      { timeout: 60_000, what: 'Deployment web with 2 ready replicas' },
    );
    expect(deployment.status?.availableReplicas).toBe(2);
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
    const nodeNames = new Set(testEnv().nodes.map((n) => n.name));
    for (const pod of pods.items) {
      expect(nodeNames.has(pod.spec?.nodeName ?? '')).toBe(true);
      expect(pod.status?.phase).toBe('Running');
    }
  });

  it('runs a Job to completion', async () => {
    const { batch } = adminClients();
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'once' },
        spec: {
          backoffLimit: 0,
          template: { ...podTemplate('once'), spec: { ...podTemplate('once').spec, restartPolicy: 'Never' } },
        },
      },
    });
    const job = await waitFor(
      async () => {
        const j = await batch.readNamespacedJob({ namespace: ns.name, name: 'once' });
        return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
          ? j
          : undefined;
      },
      { timeout: 60_000, what: 'Job once Complete' },
    );
    expect(job.status?.succeeded).toBe(1);
  });

  it('deletes a namespace with its contents (namespace controller and garbage collector run)', async () => {
    const { core } = adminClients();
    const name = `${ns.name}-gc`;
    await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedConfigMap({
      namespace: name,
      body: { metadata: { name: 'c' }, data: { a: 'b' } },
    });
    await core.deleteNamespace({ name });
    await waitFor(
      async () => {
        try {
          await core.readNamespace({ name });
          return false;
        } catch (error) {
          return (error as { code?: number }).code === 404;
        }
      },
      { timeout: 60_000, what: `namespace ${name} gone` },
    );
  });
});
