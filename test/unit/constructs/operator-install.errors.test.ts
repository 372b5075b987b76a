import { describe, expect, it } from 'vitest';
import {
  MultiNicOperatorInstall,
  type MultiNicOperatorInstallProps,
} from '../../../src/constructs/operator/operator-install.js';
import { render } from './support.js';

describe('MultiNicOperatorInstall validation', () => {
  it.each<[string, MultiNicOperatorInstallProps, string]>([
    [
      'namespace',
      { namespace: 'Multinic' },
      "MultiNicOperatorInstall: 'namespace' must be a DNS-1123 label (lower-case alphanumerics and \"-\", at most 63 characters), got 'Multinic'",
    ],
    [
      'agentNamespace',
      { agentNamespace: '' },
      "MultiNicOperatorInstall: 'agentNamespace' must be a DNS-1123 label",
    ],
    ['replicas', { replicas: 6 }, "MultiNicOperatorInstall: 'replicas' must be an integer 1..5, got 6"],
    [
      'image',
      { image: 'ghcr.io/multinic/multinic' },
      "MultiNicOperatorInstall: 'image' must be an image reference with a tag or digest",
    ],
    [
      'imagePullSecrets',
      { imagePullSecrets: ['Reg Cred'] },
      "MultiNicOperatorInstall: 'imagePullSecrets[0]' must be a DNS-1123 label",
    ],
    [
      'resources',
      { resources: { requests: { memory: '1 Gi' } } },
      "MultiNicOperatorInstall: 'resources.requests.memory' must be a Kubernetes quantity",
    ],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(() => render((scope) => new MultiNicOperatorInstall(scope, 'op', props))).toThrow(message);
  });
});
