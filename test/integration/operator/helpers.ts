// Shared by the operator and protection integration tests: CRDs, the operator's identity (a real
// ServiceAccount token), an in-process operator, and small object helpers on KubeHttp.
import type { KubeConfig } from '@kubernetes/client-node';

import { crdManifests } from '../../../src/api/crds.js';
import { MULTINIC_OPERATOR } from '../../../src/api/groups.js';
import { getObject } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject, ObjectRef } from '../../../src/kube/types.js';
import { startOperator } from '../../../src/operator/operator.js';
import type { OperatorOptions, RunningOperator } from '../../../src/operator/operator.js';
import { adminClients, applyManifests, clientsAsServiceAccount, waitFor } from '../../support/kube.js';
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

/** A KubeConfig for the ServiceAccount `<namespace>/multinic-operator`, bound to cluster-admin. */
export async function operatorKubeConfig(namespace: string): Promise<KubeConfig> {
  const { rbac } = adminClients();
  const name = `multinic-operator-test-${namespace}`;
  await rbac
    .createClusterRoleBinding({
      body: {
        metadata: { name, labels: { 'multinic.test/namespace': namespace } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'multinic-operator', namespace }],
      },
    })
    .catch((error: unknown) => {
      if (!isConflict(error)) throw error;
    });
  const clients = await clientsAsServiceAccount(namespace, 'multinic-operator', { expirationSeconds: 3600 });
  return clients.kc;
}

function isConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 409;
}

export function adminHttp(): KubeHttp {
  return new KubeHttp(adminClients().kc);
}

/** Starts an operator in this process as the ServiceAccount; stop it in afterAll. */
export async function startTestOperator(
  namespace: string,
  options: Partial<Omit<OperatorOptions, 'http'>> = {},
): Promise<RunningOperator> {
  const kc = await operatorKubeConfig(namespace);
  const operator = await startOperator({
    http: new KubeHttp(kc),
    namespace,
    metricsPort: 0,
    webhookPort: null,
    bindHost: '127.0.0.1',
    leaseDurationSeconds: 4,
    resyncMs: 60_000,
    ...options,
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
