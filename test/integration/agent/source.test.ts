// The agent Job's input source: the node's MultiNicNodeConfig read from the real API server.
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { fetchNodeConfig } from '../../../src/agent/source.js';
import { crdManifests } from '../../../src/api/index.js';
import { KubeHttp } from '../../../src/kube/http.js';
import { applyManifests, testEnv, useNamespace } from '../../support/kube.js';

const namespace = useNamespace('agent-source');

function http(): KubeHttp {
  const kc = new KubeConfig();
  kc.loadFromFile(testEnv().kubeconfigPath);
  return new KubeHttp(kc, { timeoutMs: 10_000 });
}

describe('fetchNodeConfig', () => {
  it('reads the spec of the node config named after the node', async () => {
    await applyManifests(crdManifests() as never[]);
    await applyManifests([
      {
        apiVersion: 'multinic.io/v1alpha1',
        kind: 'MultiNicNodeConfig',
        metadata: { name: 'biz-worker-1', namespace: namespace.name },
        spec: {
          nodeName: 'biz-worker-1',
          interfaces: [
            {
              id: 0,
              name: 'multinic0',
              macAddress: 'fa:16:3e:4a:10:01',
              address: '192.168.50.11',
              cidr: '192.168.50.0/24',
              mtu: 1450,
            },
          ],
        },
      } as never,
    ]);
    const input = await fetchNodeConfig({ namespace: namespace.name, name: 'biz-worker-1', http: http() });
    expect(input).toMatchObject({
      nodeName: 'biz-worker-1',
      interfaces: [{ macAddress: 'fa:16:3e:4a:10:01', mtu: 1450 }],
    });
  });

  it('returns undefined for a node config that does not exist', async () => {
    await expect(
      fetchNodeConfig({ namespace: namespace.name, name: 'gone', http: http() }),
    ).resolves.toBeUndefined();
  });
});
