// Shared by the operator and protection integration tests: CRDs, the operator's identity (a real
// ServiceAccount token with exactly the RBAC the install gives it), an in-process operator, and
// small object helpers on KubeHttp.
import type { KubeConfig } from '@kubernetes/client-node';

import { crdManifests } from '../../../src/api/crds.js';
import { MULTINIC_OPERATOR } from '../../../src/api/groups.js';
import { applyObject, getObject } from '../../../src/kube/apply.js';
import { manifestsOf } from '../../../src/constructs/common/manifests.js';
import { MultiNicOperatorInstall } from '../../../src/constructs/operator/operator-install.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject, ObjectRef } from '../../../src/kube/types.js';
import { startOperator } from '../../../src/operator/operator.js';
import type { OperatorOptions, RunningOperator } from '../../../src/operator/operator.js';
import { applyManifests, clientsAsServiceAccount, adminClients, waitFor } from '../../support/kube.js';
import type { KubernetesObject } from '@kubernetes/client-node';

export const AGENT_NAMESPACE = 'multinic-agent';

let crdsInstalled: Promise<void> | undefined;
/** Applies the four CRDs once per file and the shared agent namespace. */
export function installCrds(): Promise<void> {
  crdsInstalled ??= (async () => {
    await applyManifests(crdManifests() as unknown as KubernetesObject[], 'multinic-test-crds');
    await applyManifests(
      [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NAMESPACE } }],
      'multinic-test-crds',
    );
  })();
  return crdsInstalled;
}

export interface OperatorIdentityOptions {
  /** Namespace whose MultiNicOperators it reconciles. @default - `namespace` */
  watchNamespace?: string;
  /** The one ValidatingWebhookConfiguration it may patch. @default 'multinic-protection' */
  webhookConfigurationName?: string;
  /** @default AGENT_NAMESPACE */
  agentNamespace?: string;
}

/**
 * The RBAC the install gives the operator (MultiNicOperatorInstall's ServiceAccount, Roles,
 * ClusterRole and bindings, nothing else), applied as admin. Objects shared by parallel test files
 * (the ClusterRole's binding, the agent-namespace Role and binding) get the namespace as suffix.
 */
export async function installOperatorRbac(
  http: KubeHttp,
  namespace: string,
  options: OperatorIdentityOptions = {},
): Promise<void> {
  const rbacKinds = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
  const manifests = manifestsOf(
    (scope) =>
      new MultiNicOperatorInstall(scope, 'install', {
        namespace,
        agentNamespace: options.agentNamespace ?? AGENT_NAMESPACE,
        createNamespaces: false,
        ...options,
      }),
  ).filter((m) => rbacKinds.has(m.kind));
  const suffix = (name: string): string => `${name}-${namespace}`.slice(0, 253);
  for (const manifest of manifests) {
    const obj = structuredClone(manifest) as unknown as KubeObject & {
      roleRef?: { kind: string; name: string };
    };
    const shared =
      obj.metadata.namespace === undefined ||
      obj.metadata.namespace === (options.agentNamespace ?? AGENT_NAMESPACE);
    if (shared && obj.kind !== 'ServiceAccount') obj.metadata.name = suffix(obj.metadata.name ?? '');
    if (shared && obj.roleRef !== undefined) obj.roleRef.name = suffix(obj.roleRef.name);
    obj.metadata.labels = { ...obj.metadata.labels, 'multinic.test/namespace': namespace };
    await applyObject(http, obj, { fieldManager: 'multinic-test-rbac' });
  }
}

/** A KubeConfig for the ServiceAccount `<namespace>/multinic-operator` with the install's RBAC. */
export async function operatorKubeConfig(
  namespace: string,
  options: OperatorIdentityOptions = {},
): Promise<KubeConfig> {
  await installCrds();
  await installOperatorRbac(adminHttp(), namespace, options);
  const clients = await clientsAsServiceAccount(namespace, 'multinic-operator', { expirationSeconds: 3600 });
  return clients.kc;
}

export function adminHttp(): KubeHttp {
  return new KubeHttp(adminClients().kc);
}

/** Starts an operator in this process as the ServiceAccount; stop it in afterAll. */
export async function startTestOperator(
  namespace: string,
  options: Partial<Omit<OperatorOptions, 'http'>> &
    Pick<OperatorIdentityOptions, 'webhookConfigurationName'> = {},
): Promise<RunningOperator> {
  const { webhookConfigurationName, ...operatorOptions } = options;
  const kc = await operatorKubeConfig(namespace, {
    ...(options.watchNamespace !== undefined ? { watchNamespace: options.watchNamespace } : {}),
    ...(webhookConfigurationName !== undefined ? { webhookConfigurationName } : {}),
  });
  const operator = await startOperator({
    http: new KubeHttp(kc),
    namespace,
    metricsPort: 0,
    webhookPort: null,
    bindHost: '127.0.0.1',
    leaseDurationSeconds: 4,
    resyncMs: 60_000,
    ...operatorOptions,
  });
  await operator.ready();
  return operator;
}

export function crRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: MULTINIC_OPERATOR.apiVersion, kind: MULTINIC_OPERATOR.kind, namespace, name };
}

export interface CrObject extends KubeObject {
  status?: {
    phase?: string;
    message?: string;
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string; reason: string }>;
    protectionStatus?: { active?: boolean; preventedMutations?: number; lastProtectionEvent?: string };
    controllerStatus?: { phase?: string; readyReplicas?: number };
    databaseStatus?: { phase?: string };
    lastUpdated?: string;
  };
}

export async function getCr(namespace: string, name: string): Promise<CrObject | undefined> {
  return getObject<CrObject>(adminHttp(), crRef(namespace, name));
}

export async function exists(ref: ObjectRef): Promise<KubeObject | undefined> {
  return getObject(adminHttp(), ref);
}

export async function waitGone(ref: ObjectRef, timeout = 30_000): Promise<void> {
  await waitFor(async () => (await exists(ref)) === undefined, {
    timeout,
    what: `${ref.kind} ${ref.namespace ?? ''}/${ref.name} gone`,
  });
}

/** A MultiNicOperator with an external database (no StatefulSet, so kwok can make it Ready). */
export function externalDbCr(
  namespace: string,
  name: string,
  protection: Record<string, unknown> = { mode: 'off' },
): KubeObject {
  return {
    apiVersion: MULTINIC_OPERATOR.apiVersion,
    kind: MULTINIC_OPERATOR.kind,
    metadata: { name, namespace },
    spec: {
      database: {
        enabled: false,
        external: { host: 'db.example.internal', secretRef: { name: 'external-db' } },
        backup: { enabled: false },
      },
      protection,
    },
  };
}
