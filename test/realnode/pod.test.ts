// The project's image as pods on the real node (containerd + kubelet, see src/dev/real-node.ts):
// it runs under the constructs' restricted security context (non-root uid 1000, no privilege
// escalation, every capability dropped, read-only root, seccomp RuntimeDefault), its readiness
// and liveness probes are really executed by the kubelet, and logs come back through the API.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  NODE_UID,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../../src/constructs/common/security.js';
import { hostIpv4Cidrs } from '../../src/dev/real-node.js';
import { adminClients, testEnv, useNamespace, waitFor } from '../support/kube.js';
import { REAL_NODE_SYSTEM_UUID } from '../support/realnode-setup.js';

const namespace = useNamespace('realnode-pod');

function realNode(): NonNullable<ReturnType<typeof testEnv>['realNode']> {
  const node = testEnv().realNode;
  if (node === undefined) throw new Error('no real node: run this file in the vitest "realnode" project');
  return node;
}

/** The OpenStack simulator role of the image, probed on its HTTP port. */
function simulatorPod(name: string, readinessPort: number): V1Pod {
  return {
    metadata: { name },
    spec: {
      securityContext: restrictedPodSecurityContext(NODE_UID),
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'sim',
          image: realNode().image,
          imagePullPolicy: 'IfNotPresent',
          args: ['openstack-sim', '--generate', '1x1', '--host', '0.0.0.0', '--port', '8788'],
          securityContext: restrictedContainerSecurityContext(),
          ports: [{ containerPort: 8788, name: 'http' }],
          readinessProbe: {
            httpGet: { path: '/_admin/faults', port: readinessPort },
            periodSeconds: 1,
            failureThreshold: 1,
          },
          livenessProbe: {
            exec: { command: ['node', '-e', 'process.exit(0)'] },
            periodSeconds: 5,
          },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }],
      terminationGracePeriodSeconds: 2,
    },
  };
}

function ready(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

describe('the real node', () => {
  it('registers Ready with the machine identity it was given as its systemUUID', async () => {
    const { core } = adminClients();
    const node = await core.readNode({ name: realNode().name });
    expect(node.status?.nodeInfo?.systemUUID).toBe(REAL_NODE_SYSTEM_UUID);
    expect(realNode().systemUUID).toBe(REAL_NODE_SYSTEM_UUID);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: realNode().nodeAddress });
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(node.metadata?.annotations?.['kwok.x-k8s.io/node']).toBeUndefined();
  });
});

describe('host networking on the real node', () => {
  it("shows hostNetwork pods only the node namespace's NICs, and the gateway answers ping", async () => {
    const { core } = adminClients();
    const gateway = realNode().hostAddress;
    await core.createNamespacedPod({
      namespace: namespace.name,
      body: {
        metadata: { name: 'hostnet' },
        spec: {
          hostNetwork: true,
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'probe',
              image: realNode().image,
              imagePullPolicy: 'IfNotPresent',
              command: [
                'sh',
                '-c',
                `ip -j -4 addr show && ping -n -q -c 1 -W 5 ${gateway} >/dev/null && echo PING-OK`,
              ],
            },
          ],
        },
      },
    });
    await waitFor(
      async () => {
        const pod = await core.readNamespacedPod({ namespace: namespace.name, name: 'hostnet' });
        const phase = pod.status?.phase;
        if (phase === 'Failed')
          throw new Error(`hostnet pod failed: ${JSON.stringify(pod.status?.containerStatuses)}`);
        return phase === 'Succeeded';
      },
      { timeout: 120_000, interval: 500, what: 'the hostNetwork pod to finish' },
    );
    const log = await core.readNamespacedPodLog({ namespace: namespace.name, name: 'hostnet' });
    const [json = '[]', ...rest] = log.trim().split('\n');
    const links = JSON.parse(json) as { ifname: string; addr_info: { local: string }[] }[];
    const addresses = links.flatMap((link) => link.addr_info.map((a) => `${link.ifname} ${a.local}`));
    expect(addresses).toContain(`eth0 ${realNode().nodeAddress}`);
    expect(addresses).toContain('lo 127.0.0.1');
    // None of the machine's own addresses (other than loopback) is visible from the pod.
    const machine = hostIpv4Cidrs()
      .map((cidr) => cidr.split('/')[0] ?? '')
      .filter((address) => !address.startsWith('127.') && address !== gateway);
    for (const address of machine) expect(addresses.join(' ')).not.toContain(` ${address}`);
    expect(rest).toContain('PING-OK');
  });
});

describe('the image on the real node', () => {
  it('runs under the restricted security context and becomes Ready through its readiness probe', async () => {
    const { core } = adminClients();
    await core.createNamespacedPod({ namespace: namespace.name, body: simulatorPod('sim', 8788) });
    const pod = await waitFor(
      async () => {
        const current = await core.readNamespacedPod({ namespace: namespace.name, name: 'sim' });
        return ready(current) ? current : undefined;
      },
      { timeout: 120_000, interval: 500, what: 'the simulator pod to be Ready' },
    );
    expect(pod.spec?.nodeName).toBe(realNode().name);
    expect(pod.status?.podIP).toMatch(/^10\.88\./);
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.ready).toBe(true);
    expect(status?.restartCount).toBe(0);
    expect(status?.imageID).not.toBe('');

    const log = await core.readNamespacedPodLog({ namespace: namespace.name, name: 'sim' });
    expect(log).toContain('8788');
  });

  it('keeps a pod whose readiness probe fails unready and reports the failed probe as an event', async () => {
    const { core } = adminClients();
    await core.createNamespacedPod({ namespace: namespace.name, body: simulatorPod('sim-wrong-port', 9999) });
    const event = await waitFor(
      async () => {
        const events = await core.listNamespacedEvent({
          namespace: namespace.name,
          fieldSelector: 'involvedObject.name=sim-wrong-port',
        });
        return events.items.find((e) => e.reason === 'Unhealthy');
      },
      { timeout: 120_000, interval: 500, what: 'an Unhealthy event for the pod probed on the wrong port' },
    );
    expect(event.message).toContain('Readiness probe failed');
    expect(event.message).toContain('connection refused');
    const pod = await core.readNamespacedPod({ namespace: namespace.name, name: 'sim-wrong-port' });
    expect(pod.status?.phase).toBe('Running');
    expect(ready(pod)).toBe(false);
  });
});
