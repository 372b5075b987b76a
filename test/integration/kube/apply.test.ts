import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyObject,
  deleteObject,
  foreignFieldOwners,
  getObject,
  isSubset,
  listByLabel,
  mergePatchObject,
} from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { adminHttp, createNamespace, deleteNamespace, eventually } from './env.js';

const MANAGER = 'multinic-test';

function deployment(namespace: string, image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace, labels: { 'multinic.example.com/managed-by-operator': 'suite' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              resources: { limits: { cpu: '500m', memory: '64Mi' } },
              env: [{ name: 'A', value: '1' }],
            },
          ],
        },
      },
    },
  };
}

describe('server-side apply and drift helpers against the real API server', () => {
  let http: KubeHttp;
  let namespace: string;

  beforeAll(async () => {
    http = adminHttp();
    namespace = await createNamespace(http, 'apply');
  });

  afterAll(async () => {
    if (namespace) await deleteNamespace(http, namespace);
  });

  it('applies, sees no drift against server defaults, and detects edits and foreign additions', async () => {
    const desired = deployment(namespace, 'nginx:1');
    const applied = await applyObject(http, desired, { fieldManager: MANAGER });
    expect(applied.metadata.uid).toBeDefined();
    const observed = await getObject(http, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace,
      name: 'web',
    });
    expect(observed).toBeDefined();
    expect(isSubset(desired, observed)).toBe(true);
    expect(foreignFieldOwners(observed as KubeObject, MANAGER)).toEqual([]);

    // Someone edits the image and adds an env var and a label with another field manager.
    await http.request('PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/web`, {
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldManager: 'kubectl-edit' },
      body: {
        metadata: { labels: { hacked: 'yes' } },
        spec: {
          template: {
            spec: { containers: [{ name: 'web', image: 'evil:1', env: [{ name: 'B', value: '2' }] }] },
          },
        },
      },
    });
    const edited = (await getObject(http, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace,
      name: 'web',
    })) as KubeObject;
    expect(isSubset(desired, edited)).toBe(false);
    const foreign = foreignFieldOwners(edited, MANAGER);
    expect(foreign.map((owner) => owner.manager)).toEqual(['kubectl-edit']);
    expect(foreign[0]?.paths).toEqual(
      expect.arrayContaining([
        'metadata.labels.hacked',
        'spec.template.spec.containers[name=web].image',
        'spec.template.spec.containers[name=web].env[name=B].value',
      ]),
    );

    // Re-apply with force takes the image back; the foreign env var stays (it is theirs) until removed.
    await applyObject(http, desired, { fieldManager: MANAGER, force: true });
    const healed = (await getObject(http, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace,
      name: 'web',
    })) as KubeObject;
    const container = (
      healed['spec'] as { template: { spec: { containers: { image: string; env: unknown[] }[] } } }
    ).template.spec.containers[0];
    expect(container?.image).toBe('nginx:1');
    expect(container?.env).toHaveLength(2);
    expect(isSubset(desired, healed)).toBe(false);
  });

  it('lists managed objects across kinds by label, skipping kinds the server does not serve', async () => {
    await applyObject(
      http,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', namespace, labels: { 'multinic.example.com/managed-by-operator': 'suite' } },
        data: {},
      },
      { fieldManager: MANAGER },
    );
    const found = await listByLabel(
      http,
      [
        { apiVersion: 'apps/v1', kind: 'Deployment' },
        { apiVersion: 'v1', kind: 'ConfigMap' },
        { apiVersion: 'nothere.example.com/v1', kind: 'Missing' },
      ],
      'multinic.example.com/managed-by-operator=suite',
      { namespace },
    );
    expect(found.map((obj) => `${obj.kind}/${obj.metadata.name}`).sort()).toEqual([
      'ConfigMap/cm',
      'Deployment/web',
    ]);
  });

  it('deletes with a propagation policy and reports an already-missing object', async () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' };
    expect(await deleteObject(http, ref, { propagationPolicy: 'Foreground' })).toBe(true);
    await eventually(async () => expect(await getObject(http, ref)).toBeUndefined());
    expect(await deleteObject(http, ref)).toBe(false);
    await expect(mergePatchObject(http, ref, { metadata: { labels: { a: 'b' } } })).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});
