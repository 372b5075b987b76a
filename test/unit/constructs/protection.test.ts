import { describe, expect, it } from 'vitest';
import { ProtectionPolicy } from '../../../src/constructs/protection/protection-policy.js';
import { ProtectionWebhook } from '../../../src/constructs/protection/protection-webhook.js';
import { dig, find, render } from './support.js';

describe('ProtectionPolicy', () => {
  const manifests = render(
    (scope) =>
      new ProtectionPolicy(scope, 'p', {
        operatorName: 'biz-network',
        operatorNamespace: 'multinic-system',
        operatorUsernames: ['system:serviceaccount:multinic-system:multinic-operator'],
        breakGlassGroups: ['ops:break-glass'],
        namespaces: ['multinic-system', 'multinic-agent'],
      }),
  );
  const policy = find(manifests, 'ValidatingAdmissionPolicy');
  const binding = find(manifests, 'ValidatingAdmissionPolicyBinding');
  const variables = Object.fromEntries(
    dig(policy, 'spec', 'variables').map((v: { name: string; expression: string }) => [v.name, v.expression]),
  );

  it('is admissionregistration.k8s.io/v1, fails closed and only denies', () => {
    expect(policy.apiVersion).toBe('admissionregistration.k8s.io/v1');
    expect(binding.apiVersion).toBe('admissionregistration.k8s.io/v1');
    expect(dig(policy, 'spec', 'failurePolicy')).toBe('Fail');
    expect(dig(binding, 'spec', 'validationActions')).toEqual(['Deny']);
    expect(dig(binding, 'spec', 'policyName')).toBe(policy.metadata.name);
    expect(policy.metadata.name).toBe('multinic-protection-multinic-system-biz-network');
  });

  it('binds to objects labelled protected and managed by this MultiNicOperator in its namespaces', () => {
    expect(dig(binding, 'spec', 'matchResources')).toEqual({
      namespaceSelector: {
        matchExpressions: [
          {
            key: 'kubernetes.io/metadata.name',
            operator: 'In',
            values: ['multinic-system', 'multinic-agent'],
          },
        ],
      },
      objectSelector: {
        matchLabels: {
          'multinic.example.com/protected': 'true',
          'multinic.example.com/managed-by-operator': 'biz-network',
        },
      },
    });
  });

  it('covers create, update and delete of the kinds the constructs create, plus scale, never status', () => {
    const rules = dig(policy, 'spec', 'matchConstraints', 'resourceRules');
    const resources = rules.flatMap((r: { resources: string[] }) => r.resources);
    expect(resources).toEqual(
      expect.arrayContaining([
        'deployments',
        'deployments/scale',
        'statefulsets',
        'services',
        'secrets',
        'networkpolicies',
        'clusterroles',
      ]),
    );
    expect(resources.filter((r: string) => r.endsWith('/status'))).toEqual([]);
    expect(resources).not.toContain('pods');
    for (const rule of rules) expect(rule.operations).toEqual(['CREATE', 'UPDATE', 'DELETE']);
  });

  it('allows the operator, break-glass groups and the control plane, and names the CR to edit', () => {
    expect(variables.operator).toBe(
      "variables.username in ['system:serviceaccount:multinic-system:multinic-operator']",
    );
    expect(variables.breakGlass).toBe("variables.groups.exists(g, g in ['ops:break-glass'])");
    expect(variables.fullAccess).toContain("'system:serviceaccount:kube-system:generic-garbage-collector'");
    expect(variables.fullAccess).toContain("'system:serviceaccount:kube-system:namespace-controller'");
    expect(variables.workload).toContain("'system:serviceaccount:kube-system:deployment-controller'");
    const [labels, change] = dig(policy, 'spec', 'validations');
    expect(labels.expression).toBe('variables.operator || variables.breakGlass || variables.labelsKept');
    expect(labels.message).toContain('protection labels');
    expect(change.message).toContain("MultiNicOperator 'biz-network' in namespace multinic-system");
    expect(change.message).toContain('kubectl edit multinicoperator biz-network -n multinic-system');
    expect(change.messageExpression).toContain('variables.username');
  });

  it('reads both protection labels on old and new object, guarded for CREATE and DELETE', () => {
    expect(variables.oldProtected).toBe(
      "request.operation != 'CREATE' && has(oldObject.metadata.labels) && 'multinic.example.com/protected' in oldObject.metadata.labels ? oldObject.metadata.labels['multinic.example.com/protected'] : ''",
    );
    expect(variables.newOwner).toContain("request.operation != 'DELETE'");
  });

  it('guards scale requests by name: a Scale object carries no labels for the object selector', () => {
    const withScale = render(
      (scope) =>
        new ProtectionPolicy(scope, 'p', {
          operatorName: 'biz',
          operatorNamespace: 'ns1',
          operatorUsernames: ['u'],
          scaleTargets: {
            deployments: ['biz-controller', 'biz-agent-controller'],
            statefulSets: ['biz-mariadb'],
          },
        }),
    );
    const scale = find(withScale, 'ValidatingAdmissionPolicyBinding', 'multinic-protection-ns1-biz-scale');
    expect(dig(scale, 'spec', 'matchResources', 'resourceRules')).toEqual([
      {
        apiGroups: ['apps'],
        apiVersions: ['*'],
        operations: ['UPDATE'],
        resources: ['deployments/scale'],
        resourceNames: ['biz-agent-controller', 'biz-controller'],
      },
      {
        apiGroups: ['apps'],
        apiVersions: ['*'],
        operations: ['UPDATE'],
        resources: ['statefulsets/scale'],
        resourceNames: ['biz-mariadb'],
      },
    ]);
    expect(dig(scale, 'spec', 'matchResources', 'objectSelector')).toBeUndefined();
    expect(manifests.filter((m) => m.kind === 'ValidatingAdmissionPolicyBinding')).toHaveLength(1);
  });

  it('reads the subresource safely (the field is absent on main-resource requests)', () => {
    expect(variables.subResource).toBe("has(request.subResource) ? request.subResource : ''");
    expect(JSON.stringify(dig(policy, 'spec', 'validations'))).not.toContain('request.subResource');
  });

  it('has no break-glass branch when no group is given', () => {
    const none = render(
      (scope) =>
        new ProtectionPolicy(scope, 'p', {
          operatorName: 'a',
          operatorNamespace: 'b',
          operatorUsernames: ['u'],
        }),
    );
    const vars = dig(find(none, 'ValidatingAdmissionPolicy'), 'spec', 'variables');
    expect(vars.find((v: { name: string }) => v.name === 'breakGlass').expression).toBe('false');
  });
});

describe('ProtectionWebhook', () => {
  const manifests = render(
    (scope) =>
      new ProtectionWebhook(scope, 'w', {
        service: { name: 'multinic-operator-webhook', namespace: 'multinic-system' },
      }),
  );
  const webhook = dig(
    find(manifests, 'ValidatingWebhookConfiguration', 'multinic-protection'),
    'webhooks',
    0,
  );

  it('is scoped by object selector to protected, webhook-protected objects', () => {
    expect(webhook.objectSelector).toEqual({
      matchExpressions: [
        { key: 'multinic.example.com/protected', operator: 'In', values: ['true'] },
        { key: 'multinic.example.com/webhook-protected', operator: 'In', values: ['true'] },
      ],
    });
  });

  it('fails closed with a short timeout and no side effects, and leaves the caBundle to the operator', () => {
    expect(webhook).toMatchObject({
      name: 'protection.multinic.example.com',
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
    });
    expect(webhook.clientConfig).toEqual({
      service: {
        name: 'multinic-operator-webhook',
        namespace: 'multinic-system',
        path: '/validate-multinic-protection',
        port: 443,
      },
    });
  });

  it('takes another failure policy and timeout', () => {
    const ignore = render(
      (scope) =>
        new ProtectionWebhook(scope, 'w', {
          service: { name: 's', namespace: 'n' },
          failurePolicy: 'Ignore',
          timeoutSeconds: 2,
        }),
    );
    expect(dig(find(ignore, 'ValidatingWebhookConfiguration'), 'webhooks', 0)).toMatchObject({
      failurePolicy: 'Ignore',
      timeoutSeconds: 2,
    });
  });
});
