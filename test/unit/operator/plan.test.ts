import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../../../src/kube/types.js';
import {
  decorate,
  ownedBy,
  parsePath,
  plan,
  setsPath,
  takenByOther,
  withoutPaths,
} from '../../../src/operator/plan.js';
import type { Owner } from '../../../src/operator/plan.js';

const owner: Owner = {
  apiVersion: 'multinic.example.com/v1alpha1',
  kind: 'MultiNicOperator',
  namespace: 'multinic-system',
  name: 'biz',
  uid: 'uid-cr',
};

function deployment(env: Array<{ name: string; value: string }> = [{ name: 'A', value: '1' }]): KubeObject {
  return decorate(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'multinic-controller-manager',
        namespace: 'multinic-system',
        labels: { app: 'c', 'multinic.example.com/protected': 'true' },
      },
      spec: {
        replicas: 1,
        template: {
          metadata: { labels: { app: 'c' } },
          spec: { containers: [{ name: 'manager', image: 'img:1', env }] },
        },
      },
    },
    owner,
  );
}

function observedFrom(desired: KubeObject, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  const copy = structuredClone(desired);
  copy.metadata = {
    ...copy.metadata,
    uid: `uid-${copy.metadata.name ?? ''}`,
    resourceVersion: '5',
    ...extra,
  };
  // Server defaults the planner must ignore.
  const spec = copy['spec'] as { revisionHistoryLimit?: number } | undefined;
  if (spec !== undefined) spec.revisionHistoryLimit = 10;
  copy['status'] = { readyReplicas: 1 };
  return copy;
}

const clusterRole = decorate(
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'multinic-biz' },
    rules: [],
  },
  owner,
);

describe('decorate', () => {
  it('labels and owns objects in the CR namespace, keeping the rendered protection label', () => {
    const obj = deployment();
    expect(obj.metadata.labels).toMatchObject({
      'multinic.example.com/protected': 'true',
      'multinic.example.com/managed-by-operator': 'biz',
      app: 'c',
    });
    expect(obj.metadata.ownerReferences).toEqual([
      {
        apiVersion: owner.apiVersion,
        kind: 'MultiNicOperator',
        name: 'biz',
        uid: 'uid-cr',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('labels cluster-scoped objects with the owner namespace instead of an owner reference', () => {
    expect(clusterRole.metadata.ownerReferences).toBeUndefined();
    expect(clusterRole.metadata.labels?.['multinic.example.com/managed-by-namespace']).toBe(
      'multinic-system',
    );
    expect(ownedBy(clusterRole, owner)).toBe(true);
    expect(ownedBy(clusterRole, { ...owner, namespace: 'other' })).toBe(false);
  });
});

describe('plan', () => {
  it('applies every missing object', () => {
    const result = plan([deployment(), clusterRole], [], owner);
    expect(
      result.actions.map((action) => [action.type, action.type === 'apply' ? action.reason : '']),
    ).toEqual([
      ['apply', 'missing'],
      ['apply', 'missing'],
    ]);
  });

  it('issues no write when everything matches (server defaults and status ignored)', () => {
    const desired = [deployment(), clusterRole];
    const result = plan(
      desired,
      desired.map((obj) => observedFrom(obj)),
      owner,
    );
    expect(result.actions).toEqual([]);
    expect(result.unchanged).toBe(2);
  });

  it('re-applies a drifted field', () => {
    const observed = observedFrom(deployment());
    (observed['spec'] as { replicas: number }).replicas = 5;
    const result = plan([deployment()], [observed], owner);
    expect(result.actions).toMatchObject([{ type: 'apply', reason: 'drift' }]);
  });

  it('re-applies a removed protection label', () => {
    const observed = observedFrom(deployment());
    delete observed.metadata.labels?.['multinic.example.com/protected'];
    expect(plan([deployment()], [observed], owner).actions).toMatchObject([
      { type: 'apply', reason: 'drift' },
    ]);
  });

  it('strips a hand-added env var and label owned by another manager', () => {
    const observed = observedFrom(
      deployment([
        { name: 'A', value: '1' },
        { name: 'EXTRA', value: 'x' },
      ]),
    );
    observed.metadata.labels = { ...observed.metadata.labels, sneaky: 'yes' };
    observed.metadata.managedFields = [
      { manager: 'multinic-operator', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      {
        manager: 'kubectl-edit',
        operation: 'Update',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:sneaky': {} } },
          'f:spec': {
            'f:template': {
              'f:spec': {
                'f:containers': {
                  'k:{"name":"manager"}': {
                    'f:env': { 'k:{"name":"EXTRA"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                  },
                },
              },
            },
          },
        },
      },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'status',
        fieldsV1: { 'f:status': {} },
      },
    ];
    const result = plan([deployment()], [observed], owner);
    expect(result.actions).toHaveLength(1);
    const action = result.actions[0];
    if (action?.type !== 'strip') throw new Error(`expected strip, got ${action?.type}`);
    const paths = action.foreign.flatMap((foreign) => foreign.paths);
    expect(paths).toContain('metadata.labels.sneaky');
    expect(paths.some((path) => path.includes('env[name=EXTRA]'))).toBe(true);
    const cleaned = withoutPaths(observed, paths) as {
      metadata: { labels: Record<string, string> };
      spec: { template: { spec: { containers: Array<{ env: unknown[] }> } } };
    };
    expect(cleaned.metadata.labels['sneaky']).toBeUndefined();
    expect(cleaned.spec.template.spec.containers[0]?.env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('does not treat a foreign manager of fields we also set as drift', () => {
    const observed = observedFrom(deployment());
    observed.metadata.managedFields = [
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ];
    expect(plan([deployment()], [observed], owner).actions).toEqual([]);
  });

  it('deletes owned objects that are no longer desired, and leaves foreign ones alone', () => {
    const db = decorate(
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'mariadb', namespace: 'multinic-system' },
        spec: {},
      },
      owner,
    );
    const stranger: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'x',
        namespace: 'multinic-system',
        labels: { 'multinic.example.com/managed-by-operator': 'biz' },
      },
    };
    const observed = [observedFrom(deployment()), observedFrom(db), stranger, observedFrom(clusterRole)];
    const result = plan([deployment()], observed, owner);
    expect(result.actions).toEqual([
      {
        type: 'delete',
        ref: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'mariadb', namespace: 'multinic-system' },
        uid: 'uid-mariadb',
        reason: 'not-desired',
      },
      {
        type: 'delete',
        ref: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'multinic-biz' },
        uid: 'uid-multinic-biz',
        reason: 'not-desired',
      },
    ]);
  });

  it('treats empty maps and lists the API server omits as equal', () => {
    const policy = decorate(
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'np', namespace: 'multinic-system' },
        spec: { ingress: [{ from: [{ namespaceSelector: { matchLabels: {} } }] }], egress: [] },
      },
      owner,
    );
    const observed = observedFrom(policy);
    observed['spec'] = { ingress: [{ from: [{ namespaceSelector: {} }] }], policyTypes: ['Ingress'] };
    expect(plan([policy], [observed], owner).actions).toEqual([]);
  });

  it('re-creates an object that is being deleted', () => {
    const observed = observedFrom(deployment(), { deletionTimestamp: '2026-11-01T00:00:00Z' });
    expect(plan([deployment()], [observed], owner).actions).toMatchObject([
      { type: 'apply', reason: 'missing' },
    ]);
  });
});

describe('paths', () => {
  it('parses keyed list steps and dotted label keys', () => {
    expect(parsePath('spec.template.spec.containers[name=app].env[name=X]')).toEqual([
      { type: 'field', name: 'spec' },
      { type: 'field', name: 'template' },
      { type: 'field', name: 'spec' },
      { type: 'field', name: 'containers' },
      { type: 'key', key: { name: 'app' } },
      { type: 'field', name: 'env' },
      { type: 'key', key: { name: 'X' } },
    ]);
    expect(parsePath('metadata.labels.app.kubernetes.io/name')).toEqual([
      { type: 'field', name: 'metadata' },
      { type: 'field', name: 'labels' },
      { type: 'field', name: 'app.kubernetes.io/name' },
    ]);
  });

  it('knows which paths an object sets', () => {
    const obj = deployment();
    expect(setsPath(obj, 'spec.template.spec.containers[name=manager].env[name=A]')).toBe(true);
    expect(setsPath(obj, 'spec.template.spec.containers[name=manager].env[name=B]')).toBe(false);
    expect(setsPath(obj, 'metadata.labels.app')).toBe(true);
  });
});

describe('data outlives the MultiNicOperator', () => {
  const ownerRef = {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const backupClaim = decorate(
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'biz-db-backups', namespace: 'multinic-system', labels: { app: 'backup' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
    owner,
  );

  it('item 4: gives the backup PVC no owner reference, so deleting the CR keeps the backups', () => {
    expect(backupClaim.metadata.ownerReferences).toBeUndefined();
    expect(backupClaim.metadata.labels?.['multinic.example.com/managed-by-operator']).toBe('biz');
  });

  it('item 4: drops the owner reference an earlier version put on the backup PVC', () => {
    const have = observedFrom(backupClaim, { ownerReferences: [ownerRef] });
    expect(plan([backupClaim], [have], owner).actions).toEqual([
      { type: 'apply', object: backupClaim, reason: 'drift' },
    ]);
    expect(plan([backupClaim], [observedFrom(backupClaim)], owner).actions).toEqual([]);
  });

  it('item 4: never prunes a credentials Secret or a PVC it owned; releases them instead', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'biz-db-credentials',
        namespace: 'multinic-system',
        uid: 'uid-secret',
        labels: { 'multinic.example.com/managed-by-operator': 'biz' },
        ownerReferences: [ownerRef, { apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'uid-other' }],
      },
    };
    const claim = observedFrom(backupClaim, { ownerReferences: [ownerRef] });
    const { actions } = plan([], [secret, claim], owner);
    expect(actions.filter((a) => a.type === 'delete')).toEqual([]);
    expect(actions).toEqual([
      {
        type: 'release',
        ref: { apiVersion: 'v1', kind: 'Secret', name: 'biz-db-credentials', namespace: 'multinic-system' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'uid-other' }],
      },
      {
        type: 'release',
        ref: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          name: 'biz-db-backups',
          namespace: 'multinic-system',
        },
        ownerReferences: [],
      },
    ]);
  });
});

describe('two MultiNicOperators of one name', () => {
  it('item 16: sees that the agent-namespace objects belong to the same-named CR of another namespace', () => {
    const other: Owner = { ...owner, namespace: 'tenant-b', uid: 'uid-b' };
    const binding = (o: Owner): KubeObject =>
      decorate(
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'biz-agent-controller', namespace: 'multinic-agent' },
          subjects: [{ kind: 'ServiceAccount', name: 'biz-agent-controller', namespace: o.namespace }],
        },
        o,
      );
    const theirs = observedFrom(binding(other));
    expect(takenByOther([binding(owner)], [theirs], owner)).toEqual([
      { object: theirs, ownerNamespace: 'tenant-b' },
    ]);
    expect(takenByOther([binding(owner)], [observedFrom(binding(owner))], owner)).toEqual([]);
  });
});
