import { describe, expect, it } from 'vitest';
import {
  MultiNicAgentController,
  AGENT_JOB_DEFAULTS_ENV,
  agentJobDefaultsFromEnv,
} from '../../../src/constructs/agent/agent-controller.js';
import { agentJobManifest, type AgentJobDefaults } from '../../../src/constructs/agent/agent-job.js';
import { MultiNicAgentRbac } from '../../../src/constructs/agent/agent-rbac.js';
import { containers, dig, envOf, find, render } from './support.js';

describe('MultiNicAgentController', () => {
  const manifests = render(
    (scope) =>
      new MultiNicAgentController(scope, 'ac', {
        instance: 'biz',
        namespace: 'ns1',
        agentNamespace: 'agents',
        maxConcurrentNodes: 5,
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        agentJob: { ttlSecondsAfterFinished: 120, privileged: true },
      }),
  );
  const deployment = find(manifests, 'Deployment', 'biz-agent-controller');
  const env = envOf(containers(deployment)[0]!);

  it('passes the Job settings as JSON the agent-controller can hand to agentJobManifest', () => {
    const defaults: AgentJobDefaults = agentJobDefaultsFromEnv(env);
    expect(defaults).toEqual(JSON.parse(env[AGENT_JOB_DEFAULTS_ENV]!));
    expect(defaults).toMatchObject({
      instance: 'biz',
      namespace: 'agents',
      nodeConfigNamespace: 'ns1',
      serviceAccountName: 'biz-agent',
      ttlSecondsAfterFinished: 120,
      privileged: true,
    });
    const job = agentJobManifest({ ...defaults, nodeName: 'worker-1', generation: 3 });
    expect(job.metadata).toMatchObject({ name: 'multinic-agent-worker-1-g3', namespace: 'agents' });
    expect(env).toMatchObject({
      MAX_CONCURRENT_NODES: '5',
      AGENT_NAMESPACE: 'agents',
      NODE_CR_NAMESPACE: 'ns1',
      AGENT_MODE: 'job',
    });
    expect(JSON.parse(env.AGENT_NODE_SELECTOR!)).toEqual({ 'kubernetes.io/os': 'linux' });
  });

  it('may manage Jobs and read their pods only in the agent namespace, and read Nodes cluster-wide', () => {
    const jobsRole = find(manifests, 'Role', 'biz-agent-controller');
    const agentRole = [jobsRole, ...manifests.filter((m) => m.kind === 'Role')].find(
      (m) => m.metadata.namespace === 'agents',
    )!;
    expect(dig(agentRole, 'rules', 0)).toEqual({
      apiGroups: ['batch'],
      resources: ['jobs'],
      verbs: ['get', 'list', 'watch', 'create', 'delete'],
    });
    const clusterRole = find(manifests, 'ClusterRole');
    expect(clusterRole.metadata.name).toBe('multinic-ns1-biz-agent-controller');
    expect(dig(clusterRole, 'rules')).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    ]);
  });

  it('runs `multinic agent-controller` restricted', () => {
    const container = containers(deployment)[0]!;
    expect(container.args).toEqual(['agent-controller']);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
  });
});

describe('agentJobDefaultsFromEnv', () => {
  it('reads nothing as no defaults and rejects bad JSON or bad settings with the variable named', () => {
    expect(agentJobDefaultsFromEnv({})).toEqual({});
    expect(() => agentJobDefaultsFromEnv({ AGENT_JOB_DEFAULTS: '{oops' })).toThrow(
      /^AGENT_JOB_DEFAULTS must be a JSON object, got unparsable text/,
    );
    expect(() => agentJobDefaultsFromEnv({ AGENT_JOB_DEFAULTS: '[1]' })).toThrow(
      'AGENT_JOB_DEFAULTS must be a JSON object, got [1]',
    );
    expect(() => agentJobDefaultsFromEnv({ AGENT_JOB_DEFAULTS: '{"backoffLimit":42}' })).toThrow(
      "AgentJob: 'backoffLimit' must be an integer 0..10, got 42",
    );
  });
});

describe('MultiNicAgentRbac', () => {
  it('gives the agent its own ServiceAccount that can only read node configs and Nodes', () => {
    const manifests = render(
      (scope) =>
        new MultiNicAgentRbac(scope, 'a', { instance: 'biz', namespace: 'ns1', agentNamespace: 'agents' }),
    );
    expect(find(manifests, 'ServiceAccount', 'biz-agent').metadata.namespace).toBe('agents');
    expect(dig(find(manifests, 'Role', 'biz-agent'), 'rules')).toEqual([
      { apiGroups: ['multinic.io'], resources: ['multinicnodeconfigs'], verbs: ['get'] },
    ]);
    expect(find(manifests, 'Role', 'biz-agent').metadata.namespace).toBe('ns1');
    expect(dig(find(manifests, 'RoleBinding'), 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'biz-agent', namespace: 'agents' },
    ]);
    expect(dig(find(manifests, 'ClusterRole'), 'rules')).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
    ]);
  });
});
