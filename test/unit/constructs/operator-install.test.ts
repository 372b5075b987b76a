import { describe, expect, it } from 'vitest';
import { MultiNicOperatorInstall, operatorRules } from '../../../src/constructs/operator/operator-install.js';
import { MultiNicSystem } from '../../../src/constructs/system/multinic-system.js';
import { DEFAULT_IMAGE, MULTINIC_VERSION } from '../../../src/constructs/common/version.js';
import { all, containers, dig, envOf, find, podSpec, render } from './support.js';

describe('MultiNicOperatorInstall', () => {
  const manifests = render((scope) => new MultiNicOperatorInstall(scope, 'op'));
  const deployment = find(manifests, 'Deployment', 'multinic-operator');
  const container = containers(deployment)[0]!;

  it('creates a restricted operator namespace and a privileged agent namespace', () => {
    expect(find(manifests, 'Namespace', 'multinic-system').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
    expect(find(manifests, 'Namespace', 'multinic-agent').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
    });
    expect(
      all(
        render((scope) => new MultiNicOperatorInstall(scope, 'op', { createNamespaces: false })),
        'Namespace',
      ),
    ).toEqual([]);
  });

  it('runs `multinic operator` from the package image, non-root, read-only, probed on 8082', () => {
    expect(container.image).toBe(DEFAULT_IMAGE);
    expect(DEFAULT_IMAGE).toBe(`ghcr.io/multinic/multinic:${MULTINIC_VERSION}`);
    expect(container.args).toEqual(['operator']);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(podSpec(deployment).securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(dig(container, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
    expect(dig(container, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
    expect(envOf(container)).toMatchObject({
      MULTINIC_IMAGE: DEFAULT_IMAGE,
      WEBHOOK_SERVICE: 'multinic-operator-webhook',
      WEBHOOK_CONFIGURATION: 'multinic-protection',
    });
    expect(podSpec(deployment).serviceAccountName).toBe('multinic-operator');
  });

  it('holds leases in its own namespace only', () => {
    const role = find(manifests, 'Role', 'multinic-operator-leader-election');
    expect(role.metadata.namespace).toBe('multinic-system');
    expect(dig(role, 'rules', 0)).toEqual({
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'create', 'update'],
    });
  });

  it('has metrics/health and webhook Services and the webhook configuration shell', () => {
    expect(dig(find(manifests, 'Service', 'multinic-operator'), 'spec', 'ports', 0)).toMatchObject({
      port: 8082,
      targetPort: 'http',
    });
    expect(dig(find(manifests, 'Service', 'multinic-operator-webhook'), 'spec', 'ports', 0)).toMatchObject({
      port: 443,
      targetPort: 'webhook',
    });
    expect(
      dig(
        find(manifests, 'ValidatingWebhookConfiguration', 'multinic-protection'),
        'webhooks',
        0,
        'clientConfig',
        'caBundle',
      ),
    ).toBeUndefined();
    const without = render((scope) => new MultiNicOperatorInstall(scope, 'op', { webhook: false }));
    expect(all(without, 'ValidatingWebhookConfiguration')).toEqual([]);
    expect(without.map((m) => m.metadata.name)).not.toContain('multinic-operator-webhook');
  });

  it('derives a least-privilege ClusterRole: every kind the system renders, every permission it grants, no wildcards', () => {
    const all = dig(find(manifests, 'ClusterRole', 'multinic-operator'), 'rules') as {
      apiGroups: string[];
      resources: string[];
      verbs: string[];
      resourceNames?: string[];
      nonResourceURLs?: string[];
    }[];
    const rules = all.filter((r) => r.nonResourceURLs === undefined);
    expect(JSON.stringify(rules)).not.toContain('*');
    const can = (group: string, resource: string, verb: string) =>
      rules.some(
        (r) =>
          r.apiGroups.includes(group) &&
          r.resources.includes(resource) &&
          r.verbs.includes(verb) &&
          r.resourceNames === undefined,
      );
    const system = render(
      (scope) => new MultiNicSystem(scope, 's', { name: 'x', backup: {}, protection: { mode: 'both' } }),
    );
    const plural: Record<string, [string, string]> = {
      Deployment: ['apps', 'deployments'],
      StatefulSet: ['apps', 'statefulsets'],
      Service: ['', 'services'],
      ServiceAccount: ['', 'serviceaccounts'],
      Role: ['rbac.authorization.k8s.io', 'roles'],
      RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings'],
      ClusterRole: ['rbac.authorization.k8s.io', 'clusterroles'],
      ClusterRoleBinding: ['rbac.authorization.k8s.io', 'clusterrolebindings'],
      NetworkPolicy: ['networking.k8s.io', 'networkpolicies'],
      PodDisruptionBudget: ['policy', 'poddisruptionbudgets'],
      CronJob: ['batch', 'cronjobs'],
      PersistentVolumeClaim: ['', 'persistentvolumeclaims'],
      ValidatingAdmissionPolicy: ['admissionregistration.k8s.io', 'validatingadmissionpolicies'],
      ValidatingAdmissionPolicyBinding: ['admissionregistration.k8s.io', 'validatingadmissionpolicybindings'],
    };
    for (const manifest of system) {
      const [group, resource] = plural[manifest.kind]!;
      for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'])
        expect(can(group, resource, verb), `${verb} ${resource}`).toBe(true);
      if (manifest.kind === 'Role' || manifest.kind === 'ClusterRole') {
        for (const rule of manifest.rules as {
          apiGroups: string[];
          resources: string[];
          verbs: string[];
        }[]) {
          for (const g of rule.apiGroups)
            for (const r of rule.resources)
              for (const v of rule.verbs) expect(can(g, r, v), `${v} ${g}/${r}`).toBe(true);
        }
      }
    }
    expect(can('multinic.example.com', 'multinicoperators/status', 'update')).toBe(true);
    expect(rules).toContainEqual({
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      resourceNames: ['multinic-protection'],
      verbs: ['get', 'patch', 'update'],
    });
    expect(rules).toContainEqual({
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      verbs: ['list', 'watch'],
    });
    expect(can('', 'nodes', 'delete')).toBe(false);
    // The API server's metrics (policy-mode denials are counted from them), nothing else.
    expect(all.filter((r) => r.nonResourceURLs !== undefined)).toEqual([
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    expect(
      operatorRules().map(({ nonResourceUrLs, ...rule }) =>
        nonResourceUrLs === undefined ? rule : { ...rule, nonResourceURLs: nonResourceUrLs },
      ),
    ).toEqual(all);
  });

  it('lets only the webhook and health ports in and DNS and the API server out', () => {
    const spec = dig(find(manifests, 'NetworkPolicy', 'multinic-operator'), 'spec');
    expect(spec.ingress[0].ports.map((p: { port: number }) => p.port)).toEqual([8082, 9443]);
    expect(spec.egress[1].ports.map((p: { port: number }) => p.port)).toEqual([443, 6443]);
  });
});
