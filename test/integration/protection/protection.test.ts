// Protection per mode against the real API server, with real identities: an ordinary user and a
// cluster-admin outside the break-glass group are denied edit / scale / relabel / delete of
// protected objects with a message naming the MultiNicOperator; the operator's ServiceAccount and
// the break-glass group pass; unprotected objects are untouched; the garbage collector still
// removes children; a stopped webhook only affects protected objects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MULTINIC_OPERATOR } from '../../../src/api/groups.js';
import { manifestsOf } from '../../../src/constructs/common/manifests.js';
import { ProtectionWebhook } from '../../../src/constructs/protection/protection-webhook.js';
import { freePorts } from '../../../src/dev/ports.js';
import { createObject, deleteObject, mergePatchObject } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject, ObjectRef } from '../../../src/kube/types.js';
import type { RunningOperator } from '../../../src/operator/operator.js';
import { WEBHOOK_PATH } from '../../../src/operator/webhook-server.js';
import { adminClients, clientsAs, useNamespace, waitFor } from '../../support/kube.js';
import {
  adminHttp,
  crRef,
  exists,
  getCr,
  installCrds,
  operatorKubeConfig,
  startTestOperator,
  waitGone,
} from '../operator/helpers.js';

const crNs = useNamespace('prot-crs');
const opNs = useNamespace('prot-home');
const BREAK_GLASS = 'multinic:break-glass';
const MODES = ['policy', 'webhook', 'both'] as const;
let operator: RunningOperator | undefined;
let webhookName = '';
let alice: KubeHttp;
let carol: KubeHttp;
let bob: KubeHttp;
let operatorHttp: KubeHttp;

function crName(mode: string): string {
  return `p-${mode}`;
}

function cr(mode: string): KubeObject {
  return {
    apiVersion: MULTINIC_OPERATOR.apiVersion,
    kind: MULTINIC_OPERATOR.kind,
    metadata: { name: crName(mode), namespace: crNs.name },
    spec: { protection: { mode, breakGlassGroups: [BREAK_GLASS] }, database: { backup: { enabled: false } } },
  };
}

function protectedRefs(mode: string): ObjectRef[] {
  const name = crName(mode);
  const ns = crNs.name;
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: `${name}-controller` },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns, name: `${name}-mariadb` },
    { apiVersion: 'v1', kind: 'Service', namespace: ns, name: `${name}-mariadb` },
    { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: `${name}-db-credentials` },
  ];
}

type Attempt = { what: string; run: (http: KubeHttp) => Promise<unknown> };

function attempts(ref: ObjectRef): Attempt[] {
  const list: Attempt[] = [
    {
      what: 'edit',
      run: (http) => mergePatchObject(http, ref, { metadata: { annotations: { 'edited-by-hand': 'yes' } } }),
    },
    {
      what: 'relabel',
      run: (http) =>
        mergePatchObject(http, ref, { metadata: { labels: { 'multinic.example.com/protected': null } } }),
    },
    { what: 'delete', run: (http) => deleteObject(http, ref) },
  ];
  if (ref.kind === 'Deployment' || ref.kind === 'StatefulSet') {
    list.splice(1, 0, {
      what: 'scale',
      run: (http) => mergePatchObject(http, ref, { spec: { replicas: 3 } }, { subresource: 'scale' }),
    });
  }
  return list;
}

async function denial(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('the request was allowed');
}

beforeAll(async () => {
  await installCrds();
  const { rbac } = adminClients();
  await rbac.createNamespacedRoleBinding({
    namespace: crNs.name,
    body: {
      metadata: { name: 'alice-admin' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    },
  });
  for (const [binding, subject] of [
    [`prot-carol-${crNs.name}`, { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'carol' }],
    [
      `prot-breakglass-${crNs.name}`,
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: BREAK_GLASS },
    ],
  ] as const) {
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: binding, labels: { 'multinic.test/namespace': crNs.name } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [subject],
      },
    });
  }
  alice = new KubeHttp((await clientsAs('alice')).kc);
  carol = new KubeHttp((await clientsAs('carol', ['ops'])).kc);
  bob = new KubeHttp((await clientsAs('bob', [BREAK_GLASS])).kc);

  // The install's webhook configuration (the construct), scoped to this test's namespace so that
  // parallel test files are never affected.
  webhookName = `multinic-protection-${crNs.name}`.slice(0, 63);
  operatorHttp = new KubeHttp(
    await operatorKubeConfig(opNs.name, { watchNamespace: crNs.name, webhookConfigurationName: webhookName }),
  );
  const [port = 0] = await freePorts(1);
  const [shell] = manifestsOf(
    (scope) =>
      new ProtectionWebhook(scope, 'webhook', {
        name: webhookName,
        service: { name: 'unused', namespace: opNs.name },
      }),
  ) as unknown as KubeObject[];
  if (shell === undefined) throw new Error('ProtectionWebhook rendered nothing');
  const hooks = shell['webhooks'] as Array<Record<string, unknown>>;
  for (const hook of hooks)
    hook['namespaceSelector'] = { matchLabels: { 'kubernetes.io/metadata.name': crNs.name } };
  await createObject(adminHttp(), shell);

  operator = await startTestOperator(opNs.name, {
    watchNamespace: crNs.name,
    leaseName: `multinic-operator-${opNs.name}`,
    webhookPort: port,
    webhookUrl: `https://127.0.0.1:${port}${WEBHOOK_PATH}`,
    webhookConfigurationNames: [webhookName],
    webhookConfigurationName: webhookName,
    webhookDnsNames: ['localhost'],
    webhookIpAddresses: ['127.0.0.1'],
    denialFlushMs: 500,
    policyDenialPollMs: 200,
  });
  await waitFor(() => operator?.isLeader(), { what: 'operator to lead', timeout: 20_000 });
  for (const mode of MODES) await createObject(adminHttp(), cr(mode));
  for (const mode of MODES) {
    for (const ref of protectedRefs(mode))
      await waitFor(() => exists(ref), { what: `${ref.kind} ${ref.name}`, timeout: 60_000 });
  }
});

afterAll(async () => {
  const http = adminHttp();
  await deleteObject(http, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    name: webhookName,
  }).catch(() => undefined);
  await operator?.stop();
  for (const mode of MODES) {
    await mergePatchObject(http, crRef(crNs.name, crName(mode)), { metadata: { finalizers: null } }).catch(
      () => undefined,
    );
  }
});

describe.each(MODES)('protection mode %s', (mode) => {
  it.each(['alice (namespace admin)', 'carol (cluster-admin, not break-glass)'])(
    'denies %s editing, scaling, relabelling and deleting protected objects, naming the MultiNicOperator',
    async (who) => {
      const http = who.startsWith('alice') ? alice : carol;
      for (const ref of protectedRefs(mode)) {
        for (const attempt of attempts(ref)) {
          // The policy takes effect a moment after its creation: retry until the denial shows.
          const message = await waitFor(() => denial(() => attempt.run(http)), {
            what: `${attempt.what} of ${ref.kind} ${ref.name} to be denied`,
            timeout: 20_000,
          });
          expect(message, `${attempt.what} ${ref.kind}`).toContain(`MultiNicOperator '${crName(mode)}'`);
          expect(await exists(ref), `${ref.kind} ${ref.name} still exists`).toBeDefined();
        }
      }
    },
  );

  it("lets the operator's ServiceAccount and the break-glass group change protected objects", async () => {
    const [deployment] = protectedRefs(mode);
    if (deployment === undefined) throw new Error('no protected Deployment');
    await mergePatchObject(operatorHttp, deployment, {
      metadata: { annotations: { 'touched-by': 'operator' } },
    });
    await mergePatchObject(bob, deployment, { metadata: { annotations: { 'touched-by': 'break-glass' } } });
  });

  it('leaves unprotected objects in the namespace alone', async () => {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: crNs.name, name: `plain-${mode}` };
    await createObject(alice, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ref.name, namespace: ref.namespace },
      data: { a: '1' },
    });
    await mergePatchObject(alice, ref, { data: { a: '2' } });
    await mergePatchObject(carol, ref, { metadata: { labels: { x: 'y' } } });
    expect(await deleteObject(alice, ref)).toBe(true);
  });
});

describe('accounting', () => {
  it('counts webhook denials in status.protectionStatus', async () => {
    const got = await waitFor(
      async () => {
        const status = (await getCr(crNs.name, crName('webhook')))?.status?.protectionStatus;
        return (status?.preventedMutations ?? 0) > 0 ? status : undefined;
      },
      { what: 'preventedMutations > 0', timeout: 30_000 },
    );
    expect(got.active).toBe(true);
    expect(got.lastProtectionEvent).toBeDefined();
  });

  it('counts policy denials (read from the API server metrics) in status.protectionStatus', async () => {
    const [deployment] = protectedRefs('policy');
    if (deployment === undefined) throw new Error('no protected Deployment');
    const counted = async (): Promise<number> =>
      (await getCr(crNs.name, crName('policy')))?.status?.protectionStatus?.preventedMutations ?? 0;
    const before = await counted();
    const message = await denial(() =>
      mergePatchObject(alice, deployment, { metadata: { annotations: { 'edited-by-hand': 'again' } } }),
    );
    expect(message).toContain(`MultiNicOperator '${crName('policy')}'`);
    const got = await waitFor(
      async () => {
        const status = (await getCr(crNs.name, crName('policy')))?.status?.protectionStatus;
        return (status?.preventedMutations ?? 0) > before ? status : undefined;
      },
      { what: `preventedMutations of ${crName('policy')} > ${before}`, timeout: 30_000 },
    );
    expect(got.active).toBe(true);
    expect(got.lastProtectionEvent).toBeDefined();
    // Counted from the policy's metric (the policy denies before any webhook is asked).
    await waitFor(
      async () => {
        const events = await adminHttp().request<{ items: Array<{ reason?: string; message?: string }> }>(
          'GET',
          `/api/v1/namespaces/${crNs.name}/events`,
          { query: { fieldSelector: `involvedObject.name=${crName('policy')}` } },
        );
        return events.items.some(
          (event) =>
            event.reason === 'MutationDenied' && event.message?.includes('ValidatingAdmissionPolicy'),
        )
          ? true
          : undefined;
      },
      {
        what: `a MutationDenied Event on ${crName('policy')} naming the ValidatingAdmissionPolicy`,
        timeout: 30_000,
      },
    );
  });
});

describe('deletion and outages', () => {
  it('lets the garbage collector remove the children of a deleted MultiNicOperator, keeping the credentials', async () => {
    for (const mode of ['policy', 'both'] as const) {
      await deleteObject(adminHttp(), crRef(crNs.name, crName(mode)));
      const refs = protectedRefs(mode);
      for (const ref of refs.filter((r) => r.kind !== 'Secret')) await waitGone(ref, 60_000);
      await waitGone(crRef(crNs.name, crName(mode)), 60_000);
      // The database credentials outlive the CR (never owned): a re-created CR reuses them.
      for (const ref of refs.filter((r) => r.kind === 'Secret')) expect(await exists(ref)).toBeDefined();
    }
  });

  it('with the webhook process stopped, blocks only protected objects', async () => {
    await operator?.stop();
    operator = undefined;
    const [deployment] = protectedRefs('webhook');
    if (deployment === undefined) throw new Error('no protected Deployment');
    const message = await denial(() =>
      mergePatchObject(alice, deployment, { metadata: { annotations: { down: 'yes' } } }),
    );
    expect(message).toMatch(/webhook/i);
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: crNs.name, name: 'while-down' };
    await createObject(alice, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: ref.name, namespace: ref.namespace },
      data: { a: '1' },
    });
    await mergePatchObject(alice, ref, { data: { a: '2' } });
    expect(await deleteObject(alice, ref)).toBe(true);
  });
});
