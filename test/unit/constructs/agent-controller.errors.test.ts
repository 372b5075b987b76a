import { describe, expect, it } from 'vitest';
import {
  MultiNicAgentController,
  type MultiNicAgentControllerProps,
} from '../../../src/constructs/agent/agent-controller.js';
import { MultiNicAgentRbac, type MultiNicAgentRbacProps } from '../../../src/constructs/agent/agent-rbac.js';
import { render } from './support.js';

describe('MultiNicAgentController validation', () => {
  it.each<[string, MultiNicAgentControllerProps, string]>([
    ['replicas', { replicas: 11 }, "MultiNicAgentController: 'replicas' must be an integer 1..10, got 11"],
    [
      'maxConcurrentNodes',
      { maxConcurrentNodes: 0 },
      "MultiNicAgentController: 'maxConcurrentNodes' must be an integer 1..1000, got 0",
    ],
    [
      'agentMode',
      { agentMode: 'pod' as 'job' },
      "MultiNicAgentController: 'agentMode' must be one of job, daemonset, got 'pod'",
    ],
    [
      'agentNamespace',
      { agentNamespace: '-x' },
      "MultiNicAgentController: 'agentNamespace' must be a DNS-1123 label",
    ],
    [
      'clusterRoleName',
      { clusterRoleName: 'Role!' },
      "MultiNicAgentController: 'clusterRoleName' must be a DNS-1123 label",
    ],
    [
      'agentJob (checked at synth time)',
      { agentJob: { backoffLimit: 99 } },
      "AgentJob: 'backoffLimit' must be an integer 0..10, got 99",
    ],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(() => render((scope) => new MultiNicAgentController(scope, 'ac', props))).toThrow(message);
  });
});

describe('MultiNicAgentRbac validation', () => {
  it.each<[string, MultiNicAgentRbacProps, string]>([
    [
      'agentNamespace',
      { agentNamespace: 'Agents' },
      "MultiNicAgentRbac: 'agentNamespace' must be a DNS-1123 label (lower-case alphanumerics and \"-\", at most 63 characters), got 'Agents'",
    ],
    [
      'clusterRoleName',
      { clusterRoleName: 'x'.repeat(64) },
      "MultiNicAgentRbac: 'clusterRoleName' must be a DNS-1123 label",
    ],
    ['instance', { instance: 'a_b' }, "MultiNicAgentRbac: 'instance' must be a DNS-1123 label"],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(() => render((scope) => new MultiNicAgentRbac(scope, 'a', props))).toThrow(message);
  });
});
