import { describe, expect, it } from 'vitest';
import { AgentJob, agentJobManifest, type AgentJobProps } from '../../../src/constructs/agent/agent-job.js';
import { render } from './support.js';

describe('AgentJob validation', () => {
  it.each<[string, AgentJobProps, string]>([
    [
      'nodeName',
      { nodeName: 'Node_1' },
      'AgentJob: \'nodeName\' must be a DNS-1123 subdomain (lower-case alphanumerics, "-" and ".", at most 253 characters), got \'Node_1\'',
    ],
    [
      'action',
      { nodeName: 'n', action: 'destroy' as 'apply' },
      "AgentJob: 'action' must be one of apply, cleanup, got 'destroy'",
    ],
    [
      'generation',
      { nodeName: 'n', generation: 0 },
      "AgentJob: 'generation' must be an integer 1..9007199254740991, got 0",
    ],
    [
      'ttlSecondsAfterFinished',
      { nodeName: 'n', ttlSecondsAfterFinished: -1 },
      "AgentJob: 'ttlSecondsAfterFinished' must be an integer 0..31536000, got -1",
    ],
    [
      'backoffLimit',
      { nodeName: 'n', backoffLimit: 11 },
      "AgentJob: 'backoffLimit' must be an integer 0..10, got 11",
    ],
    [
      'activeDeadlineSeconds',
      { nodeName: 'n', activeDeadlineSeconds: 5 },
      "AgentJob: 'activeDeadlineSeconds' must be an integer 30..86400, got 5",
    ],
    [
      'osFamily',
      { nodeName: 'n', osFamily: 'windows' as 'ubuntu' },
      "AgentJob: 'osFamily' must be one of ubuntu, rhel, rhel7, suse, got 'windows'",
    ],
    [
      'logLevel',
      { nodeName: 'n', logLevel: 'loud' as 'info' },
      "AgentJob: 'logLevel' must be one of debug, info, warn, error, got 'loud'",
    ],
    ['namespace', { nodeName: 'n', namespace: 'A' }, "AgentJob: 'namespace' must be a DNS-1123 label"],
    [
      'image',
      { nodeName: 'n', image: 'agent' },
      "AgentJob: 'image' must be an image reference with a tag or digest",
    ],
    [
      'tolerations',
      { nodeName: 'n', tolerations: [{ operator: 'Exists', value: 'x' }] },
      "AgentJob: 'tolerations[0].value' must be absent when operator is 'Exists', got 'x'",
    ],
    [
      'resources',
      { nodeName: 'n', resources: { limits: { cpu: 'fast' } } },
      "AgentJob: 'resources.limits.cpu' must be a Kubernetes quantity",
    ],
  ])('rejects a bad %s (function and construct alike)', (_what, props, message) => {
    expect(() => agentJobManifest(props)).toThrow(message);
    expect(() => render((scope) => new AgentJob(scope, 'job', props))).toThrow(message);
  });
});
