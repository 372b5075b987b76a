import { describe, expect, it } from 'vitest';
import { parseAgentControllerConfig } from '../../../src/agent-controller/config.js';

describe('parseAgentControllerConfig', () => {
  it('reads what the MultiNicAgentController construct sets, with defaults', () => {
    const config = parseAgentControllerConfig(
      {
        POD_NAMESPACE: 'multinic-system',
        POD_NAME: 'agent-controller-abc',
        NODE_CR_NAMESPACE: 'multinic-nodes',
        AGENT_NAMESPACE: 'multinic-agent',
        AGENT_MODE: 'job',
        MAX_CONCURRENT_NODES: '5',
        AGENT_NODE_SELECTOR: '{"pool":"a"}',
        AGENT_JOB_DEFAULTS: '{"image":"registry.example/multinic:1.0","ttlSecondsAfterFinished":600}',
      },
      'host',
    );
    expect(config).toMatchObject({
      nodeConfigNamespace: 'multinic-nodes',
      agentNamespace: 'multinic-agent',
      leaseNamespace: 'multinic-system',
      maxConcurrentNodes: 5,
      nodeSelector: { pool: 'a' },
      jobDefaults: { image: 'registry.example/multinic:1.0', ttlSecondsAfterFinished: 600 },
      workers: 8,
      healthPort: 8082,
      leaderElection: true,
      leaseName: 'multinic-agent-controller',
    });
    expect(config.identity).toMatch(/^agent-controller-abc-[0-9a-f]+$/);
    expect(parseAgentControllerConfig({}, 'host')).toMatchObject({
      nodeConfigNamespace: 'multinic-system',
      maxConcurrentNodes: 1,
    });
  });

  it('fails fast naming every bad variable', () => {
    expect(() =>
      parseAgentControllerConfig({ MAX_CONCURRENT_NODES: '0', AGENT_JOB_DEFAULTS: '{nope' }, 'h'),
    ).toThrow(/MAX_CONCURRENT_NODES: .*AGENT_JOB_DEFAULTS: must be JSON/);
    expect(() => parseAgentControllerConfig({ AGENT_MODE: 'daemonset' }, 'h')).toThrow(/daemonset/);
  });
});
