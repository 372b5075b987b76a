import { describe, expect, it } from 'vitest';
import { Chart, App } from 'cdk8s';
import {
  AgentJob,
  agentJobManifest,
  agentJobName,
  HOST_PATHS,
} from '../../../src/constructs/agent/agent-job.js';
import { dig } from './support.js';

const LONG_NODE = `${'worker-'.repeat(12)}1.example.com`;

describe('agentJobManifest', () => {
  const job = agentJobManifest({ nodeName: 'biz-worker-1', generation: 2 });
  const pod = dig(job, 'spec', 'template', 'spec');
  const container = pod.containers[0];

  it('names apply Jobs multinic-agent-<node>-g<generation> and cleanup Jobs multinic-agent-cleanup-<node>', () => {
    expect(job.metadata.name).toBe('multinic-agent-biz-worker-1-g2');
    expect(agentJobName('biz-worker-1', 'cleanup')).toBe('multinic-agent-cleanup-biz-worker-1');
  });

  it('keeps names of long node names within 63 characters, deterministic and distinct', () => {
    const a = agentJobName(LONG_NODE, 'apply', 7);
    const b = agentJobName(`${LONG_NODE}x`, 'apply', 7);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).toMatch(/^multinic-agent-worker-.*-[0-9a-f]{8}-g7$/);
    expect(agentJobName(LONG_NODE, 'apply', 7)).toBe(a);
    expect(b).not.toBe(a);
    expect(agentJobName(LONG_NODE, 'cleanup').length).toBeLessThanOrEqual(63);
    const long = agentJobManifest({ nodeName: LONG_NODE });
    expect(long.metadata.labels['multinic.io/node-name']!.length).toBeLessThanOrEqual(63);
    expect(long.metadata.annotations['multinic.io/node-name']).toBe(LONG_NODE);
  });

  it('pins the pod to its node by node affinity on metadata.name', () => {
    expect(
      pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['biz-worker-1'] }] }]);
    expect(pod.nodeName).toBeUndefined();
  });

  it('uses the host network with NET_ADMIN only, not privileged, no hostPID', () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.hostPID).toBeUndefined();
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(container.securityContext).toEqual({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
    });
    expect(container.ports).toBeUndefined();
    expect(container.livenessProbe).toBeUndefined();
  });

  it('runs privileged only when asked', () => {
    const privileged = agentJobManifest({ nodeName: 'n1', privileged: true });
    expect(
      dig(privileged, 'spec', 'template', 'spec', 'containers', 0, 'securityContext', 'privileged'),
    ).toBe(true);
  });

  it('mounts every OS family directory under /host when the OS is unknown, and only its own when known', () => {
    const all = Object.values(HOST_PATHS).flat();
    const mounts = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    for (const path of all) expect(mounts).toContain(`/host${path}`);
    expect(mounts).toContain('/host/etc/os-release');
    const ubuntu = agentJobManifest({ nodeName: 'n1', osFamily: 'ubuntu' });
    const ubuntuPaths = dig(ubuntu, 'spec', 'template', 'spec', 'volumes')
      .filter((v: { hostPath?: unknown }) => v.hostPath !== undefined)
      .map((v: { hostPath: { path: string } }) => v.hostPath.path);
    expect(ubuntuPaths).toEqual(['/etc/os-release', '/etc/netplan']);
    expect(container.args).toEqual(['agent', 'apply', '--root', '/host']);
  });

  it('has its own ServiceAccount, a TTL, a bounded backoff and a termination message from logs on error', () => {
    expect(pod.serviceAccountName).toBe('multinic-agent');
    expect(pod.restartPolicy).toBe('Never');
    expect(dig(job, 'spec', 'ttlSecondsAfterFinished')).toBe(3600);
    expect(dig(job, 'spec', 'backoffLimit')).toBe(1);
    expect(dig(job, 'spec', 'activeDeadlineSeconds')).toBe(600);
    expect(container.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    const custom = agentJobManifest({
      nodeName: 'n1',
      ttlSecondsAfterFinished: 60,
      backoffLimit: 3,
      serviceAccountName: 'x-agent',
    });
    expect(dig(custom, 'spec', 'ttlSecondsAfterFinished')).toBe(60);
    expect(dig(custom, 'spec', 'backoffLimit')).toBe(3);
    expect(dig(custom, 'spec', 'template', 'spec', 'serviceAccountName')).toBe('x-agent');
  });

  it('tells the agent which node config to read and what to do', () => {
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      NODE_CONFIG_NAME: 'biz-worker-1',
      NODE_CR_NAMESPACE: 'multinic-system',
      AGENT_ACTION: 'apply',
      RUN_MODE: 'job',
    });
    const cleanup = agentJobManifest({ nodeName: 'n1', action: 'cleanup' });
    expect(cleanup.metadata.labels['multinic.io/action']).toBe('cleanup');
    expect(dig(cleanup, 'spec', 'template', 'spec', 'containers', 0, 'args', 1)).toBe('cleanup');
  });

  it('tolerates NoSchedule taints by default and takes custom tolerations', () => {
    expect(pod.tolerations).toEqual([{ operator: 'Exists', effect: 'NoSchedule' }]);
    const custom = agentJobManifest({
      nodeName: 'n1',
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'net', effect: 'NoExecute' }],
    });
    expect(dig(custom, 'spec', 'template', 'spec', 'tolerations')).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'net', effect: 'NoExecute' },
    ]);
  });

  it('renders the same object through the AgentJob construct', () => {
    const app = new App();
    const chart = new Chart(app, 'c');
    const construct = new AgentJob(chart, 'job', { nodeName: 'biz-worker-1', generation: 2 });
    expect(construct.jobName).toBe(job.metadata.name);
    expect(chart.toJson()[0]).toEqual(JSON.parse(JSON.stringify(job)));
  });
});
