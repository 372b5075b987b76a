// Tests can act as other users (client certificates from the client CA) and as ServiceAccounts
// (TokenRequest tokens), and RBAC applies to them for real.
import { AuthenticationV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  adminClients,
  clientsAs,
  clientsAsServiceAccount,
  useNamespace,
  waitFor,
} from '../../support/kube.js';

const ns = useNamespace();

async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

describe('identities', () => {
  it('denies a user without RBAC (403) and allows it once a RoleBinding grants access', async () => {
    const alice = await clientsAs('alice', ['team-a']);
    expect(await statusOf(alice.core.listNamespacedConfigMap({ namespace: ns.name }))).toBe(403);

    const { rbac } = adminClients();
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'team-a-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'team-a' }],
      },
    });
    await waitFor(() => alice.core.listNamespacedConfigMap({ namespace: ns.name }), {
      what: 'alice (group team-a) may list ConfigMaps',
    });
    // view does not include writes
    expect(
      await statusOf(
        alice.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'x' } } }),
      ),
    ).toBe(403);
    const bob = await clientsAs('bob', ['team-b']);
    expect(await statusOf(bob.core.listNamespacedConfigMap({ namespace: ns.name }))).toBe(403);
  });

  it('reports the user and groups of a client certificate to the API server', async () => {
    const carol = await clientsAs('carol', ['g1', 'g2']);
    const review = await carol.kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe('carol');
    expect(review.status?.userInfo?.groups).toEqual(
      expect.arrayContaining(['g1', 'g2', 'system:authenticated']),
    );
  });

  it('authenticates a ServiceAccount with a TokenRequest token, subject to RBAC', async () => {
    const sa = await clientsAsServiceAccount(ns.name, 'robot');
    const review = await sa.kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns.name}:robot`);
    expect(review.status?.userInfo?.groups).toEqual(
      expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns.name}`]),
    );
    expect(await statusOf(sa.core.listNamespacedSecret({ namespace: ns.name }))).toBe(403);

    await adminClients().rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'robot-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: ns.name }],
      },
    });
    await waitFor(() => sa.core.listNamespacedSecret({ namespace: ns.name }), {
      what: 'robot may list Secrets',
    });
  });
});
