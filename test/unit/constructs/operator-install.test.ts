import { describe, expect, it } from 'vitest';
import { MultiNicOperatorInstall } from '../../../src/constructs/operator/operator-install.js';
import { operatorAccess } from '../../../src/constructs/operator/operator-access.js';
import { imageRepository } from '../../../src/constructs/protection/agent-namespace-policy.js';
import { MultiNicSystem } from '../../../src/constructs/system/multinic-system.js';
import { DEFAULT_IMAGE, MULTINIC_VERSION } from '../../../src/constructs/common/version.js';
import { all, containers, dig, envOf, find, podSpec, render } from './support.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** `can(namespace, group, resource, verb)` from the install's Roles (bound in their namespace) and ClusterRole. */
function grants(
  manifests: ReturnType<typeof render>,
): (ns: string | undefined, group: string, resource: string, verb: string) => boolean {
  const matches = (rule: Rule, group: string, resource: string, verb: string) =>
    rule.apiGroups?.includes(group) === true &&
    rule.resources?.includes(resource) === true &&
    rule.verbs.includes(verb) &&
    rule.resourceNames === undefined;
  const cluster = all(manifests, 'ClusterRole').flatMap((r) => r.rules as Rule[]);
  return (ns, group, resource, verb) =>
    cluster.some((rule) => matches(rule, group, resource, verb)) ||
    (ns !== undefined &&
      all(manifests, 'Role')
        .filter((r) => r.metadata.namespace === ns)
        .flatMap((r) => r.rules as Rule[])
        .some((rule) => matches(rule, group, resource, verb)));
}

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
    const roles = all(manifests, 'Role').filter((r) => r.metadata.name === 'multinic-operator');
    const withLeases = roles.filter((r) =>
      (r.rules as Rule[]).some((rule) => rule.resources.includes('leases')),
    );
    expect(withLeases.map((r) => r.metadata.namespace)).toEqual(['multinic-system']);
    expect(dig(find(manifests, 'ClusterRole', 'multinic-operator'), 'rules')).not.toContainEqual(
      expect.objectContaining({ resources: expect.arrayContaining(['leases']) }),
    );
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

  it('derives least-privilege Roles per namespace: every kind the system renders there, every permission it grants, no wildcards', () => {
    const can = grants(manifests);
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
      const ns = manifest.metadata.namespace;
      for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'])
        expect(can(ns, group, resource, verb), `${verb} ${resource} in ${ns ?? 'cluster'}`).toBe(true);
      if (manifest.kind === 'Role' || manifest.kind === 'ClusterRole') {
        for (const rule of manifest.rules as Rule[]) {
          for (const g of rule.apiGroups)
            for (const r of rule.resources)
              for (const v of rule.verbs)
                expect(can(ns, g, r, v), `${v} ${g}/${r} in ${ns ?? 'cluster'}`).toBe(true);
        }
      }
    }
    expect(can('multinic-system', 'multinic.example.com', 'multinicoperators/status', 'update')).toBe(true);
    expect(can('multinic-system', '', 'secrets', 'create')).toBe(true);
    // Credentials outlive the CR: the operator can create them once but never delete them.
    expect(can('multinic-system', '', 'secrets', 'delete')).toBe(false);
    // Nothing namespaced cluster-wide, and never a bulk read of Secrets anywhere.
    expect(can('kube-system', 'apps', 'deployments', 'get')).toBe(false);
    expect(can('kube-system', '', 'secrets', 'get')).toBe(false);
    expect(can('kube-system', 'batch', 'jobs', 'create')).toBe(false);
    expect(can('kube-system', '', 'pods', 'list')).toBe(false);
    for (const ns of ['multinic-system', 'multinic-agent', 'kube-system']) {
      expect(can(ns, '', 'secrets', 'list'), ns).toBe(false);
      expect(can(ns, '', 'secrets', 'watch'), ns).toBe(false);
    }
    expect(can('multinic-agent', 'apps', 'deployments', 'create')).toBe(false);
    const rules = all(manifests, 'Role')
      .concat(all(manifests, 'ClusterRole'))
      .flatMap((r) => r.rules as Rule[]);
    expect(JSON.stringify(rules.filter((r) => r.nonResourceURLs === undefined))).not.toContain('*');
    const cluster = dig(find(manifests, 'ClusterRole', 'multinic-operator'), 'rules') as Rule[];
    expect(cluster).toContainEqual({
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      resourceNames: ['multinic-protection'],
      verbs: ['get', 'patch', 'update'],
    });
    expect(can(undefined, '', 'nodes', 'delete')).toBe(false);
    // The API server's metrics (policy-mode denials are counted from them), nothing else.
    expect(cluster.filter((r) => r.nonResourceURLs !== undefined)).toEqual([
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
  });

  it('starts informers only where its Roles let it list and watch (one source for both)', () => {
    const can = grants(manifests);
    for (const kind of operatorAccess().informers) {
      const namespaces = kind.namespaced
        ? kind.scopes.map((scope) => (scope === 'agent' ? 'multinic-agent' : 'multinic-system'))
        : [undefined];
      for (const ns of namespaces)
        for (const verb of ['list', 'watch'])
          expect(
            can(ns, kind.group, kind.resource, verb),
            `${verb} ${kind.resource} in ${ns ?? 'cluster'}`,
          ).toBe(true);
    }
    expect(operatorAccess().informers.map((k) => k.kind)).not.toContain('Secret');
  });

  it("grants the watched-namespace rules cluster-wide only with watchNamespace '*'", () => {
    const everywhere = render((scope) => new MultiNicOperatorInstall(scope, 'op', { watchNamespace: '*' }));
    expect(grants(everywhere)('tenant-a', 'apps', 'deployments', 'create')).toBe(true);
    expect(grants(everywhere)('tenant-a', '', 'secrets', 'list')).toBe(false);
    expect(envOf(containers(find(everywhere, 'Deployment', 'multinic-operator'))[0]!).WATCH_NAMESPACE).toBe(
      '*',
    );
    const other = render((scope) => new MultiNicOperatorInstall(scope, 'op', { watchNamespace: 'tenants' }));
    expect(grants(other)('tenants', 'apps', 'deployments', 'create')).toBe(true);
    expect(grants(other)('multinic-system', 'apps', 'deployments', 'create')).toBe(false);
    expect(grants(other)('multinic-system', 'coordination.k8s.io', 'leases', 'update')).toBe(true);
  });

  it('lets only the webhook and health ports in and DNS and the API server out', () => {
    const spec = dig(find(manifests, 'NetworkPolicy', 'multinic-operator'), 'spec');
    expect(spec.ingress[0].ports.map((p: { port: number }) => p.port)).toEqual([8082, 9443]);
    expect(spec.egress[1].ports.map((p: { port: number }) => p.port)).toEqual([443, 6443]);
  });
});

describe('imageRepository', () => {
  it.each([
    ['ghcr.io/example/multinic:1.2.3', 'ghcr.io/example/multinic'],
    ['localhost:5000/multinic:dev', 'localhost:5000/multinic'],
    ['localhost:5000/multinic', 'localhost:5000/multinic'],
    [`multinic@sha256:${'a'.repeat(64)}`, 'multinic'],
    [`r.example/m:1@sha256:${'b'.repeat(64)}`, 'r.example/m'],
  ])('%s -> %s', (image, repository) => expect(imageRepository(image)).toBe(repository));

  it('pins the agent namespace to the install image repository unless told otherwise', () => {
    const install = render((scope) => new MultiNicOperatorInstall(scope, 'op', { image: 'r.example/m:9' }));
    const policy = find(install, 'ValidatingAdmissionPolicy', 'multinic-agent-namespace-multinic-agent');
    expect(JSON.stringify(policy)).toContain("c.image.startsWith('r.example/m:')");
    const binding = find(
      install,
      'ValidatingAdmissionPolicyBinding',
      'multinic-agent-namespace-multinic-agent',
    );
    expect(dig(binding, 'spec', 'matchResources', 'namespaceSelector')).toEqual({
      matchLabels: { 'kubernetes.io/metadata.name': 'multinic-agent' },
    });
    const off = render((scope) => new MultiNicOperatorInstall(scope, 'op', { agentNamespacePolicy: false }));
    expect(all(off, 'ValidatingAdmissionPolicy')).toEqual([]);
  });
});
