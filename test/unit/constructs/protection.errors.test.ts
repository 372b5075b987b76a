import { describe, expect, it } from 'vitest';
import {
  ProtectionPolicy,
  type ProtectionPolicyProps,
} from '../../../src/constructs/protection/protection-policy.js';
import {
  ProtectionWebhook,
  type ProtectionWebhookProps,
} from '../../../src/constructs/protection/protection-webhook.js';
import { render } from './support.js';

const policy: ProtectionPolicyProps = {
  operatorName: 'a',
  operatorNamespace: 'ns',
  operatorUsernames: ['u'],
};
const webhook: ProtectionWebhookProps = { service: { name: 's', namespace: 'n' } };

describe('ProtectionPolicy validation', () => {
  it.each<[string, Partial<ProtectionPolicyProps>, string]>([
    [
      'operatorName',
      { operatorName: '' },
      "ProtectionPolicy: 'operatorName' must be a non-empty string, got ''",
    ],
    [
      'operatorNamespace',
      { operatorNamespace: 'NS' },
      "ProtectionPolicy: 'operatorNamespace' must be a DNS-1123 label",
    ],
    [
      'operatorUsernames',
      { operatorUsernames: [] },
      "ProtectionPolicy: 'operatorUsernames' must be at least one username, got []",
    ],
    [
      'breakGlassGroups',
      { breakGlassGroups: [' '] },
      "ProtectionPolicy: 'breakGlassGroups[0]' must be a non-empty string, got ' '",
    ],
    [
      'namespaces',
      { namespaces: ['ok', 'Not OK'] },
      "ProtectionPolicy: 'namespaces[1]' must be a DNS-1123 label",
    ],
    ['policyName', { policyName: 'x'.repeat(70) }, "ProtectionPolicy: 'policyName' must be a DNS-1123 label"],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(() => render((scope) => new ProtectionPolicy(scope, 'p', { ...policy, ...props }))).toThrow(
      message,
    );
  });
});

describe('ProtectionWebhook validation', () => {
  it.each<[string, Partial<ProtectionWebhookProps>, string]>([
    [
      'failurePolicy',
      { failurePolicy: 'Retry' as 'Fail' },
      "ProtectionWebhook: 'failurePolicy' must be one of Fail, Ignore, got 'Retry'",
    ],
    [
      'timeoutSeconds',
      { timeoutSeconds: 31 },
      "ProtectionWebhook: 'timeoutSeconds' must be an integer 1..30, got 31",
    ],
    [
      'service.name',
      { service: { name: 'S', namespace: 'n' } },
      "ProtectionWebhook: 'service.name' must be a DNS-1123 label",
    ],
    [
      'service.port',
      { service: { name: 's', namespace: 'n', port: 0 } },
      "ProtectionWebhook: 'service.port' must be an integer 1..65535, got 0",
    ],
    ['name', { name: 'Protect' }, "ProtectionWebhook: 'name' must be a DNS-1123 label"],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(() => render((scope) => new ProtectionWebhook(scope, 'w', { ...webhook, ...props }))).toThrow(
      message,
    );
  });
});
