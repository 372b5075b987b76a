import { describe, expect, it } from 'vitest';
import { fieldPaths, foreignFieldOwners, isSubset } from '../../../src/kube/apply.js';
import { mergePatchFor } from '../../../src/kube/status.js';

describe('isSubset', () => {
  const observed = {
    metadata: { name: 'x', labels: { a: '1', extra: 'server' }, uid: 'u' },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            {
              name: 'app',
              image: 'i:1',
              imagePullPolicy: 'IfNotPresent',
              resources: { limits: { cpu: '1', memory: '128Mi' } },
            },
          ],
        },
      },
    },
  };

  it('ignores fields the server added (defaults, uid, extra labels)', () => {
    expect(isSubset({ metadata: { name: 'x', labels: { a: '1' } }, spec: { replicas: 1 } }, observed)).toBe(
      true,
    );
  });

  it('sees a changed value, a missing field and a missing key', () => {
    expect(isSubset({ spec: { replicas: 2 } }, observed)).toBe(false);
    expect(isSubset({ spec: { paused: true } }, observed)).toBe(false);
    expect(isSubset({ metadata: { labels: { b: '2' } } }, observed)).toBe(false);
  });

  it('compares arrays element by element and by length', () => {
    const containers = [{ name: 'app', image: 'i:1' }];
    expect(isSubset({ spec: { template: { spec: { containers } } } }, observed)).toBe(true);
    expect(
      isSubset({ spec: { template: { spec: { containers: [...containers, { name: 'b' }] } } } }, observed),
    ).toBe(false);
    expect(isSubset({ list: [1] }, { list: [1, 2] })).toBe(false);
  });

  it('compares quantities by value', () => {
    const desired = {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'app', resources: { limits: { cpu: '1000m', memory: '134217728' } } }],
          },
        },
      },
    };
    expect(isSubset(desired, observed)).toBe(true);
    expect(isSubset({ cpu: '500m' }, { cpu: '0.5' })).toBe(true);
    expect(isSubset({ cpu: '500m' }, { cpu: '1' })).toBe(false);
  });

  it('treats undefined in desired as not set', () => {
    expect(isSubset({ spec: { replicas: undefined } }, { spec: {} })).toBe(true);
  });
});

describe('foreignFieldOwners', () => {
  const observed = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'x',
      managedFields: [
        { manager: 'multinic-operator', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
        {
          manager: 'kubectl-edit',
          operation: 'Update',
          fieldsV1: {
            'f:metadata': { 'f:labels': { 'f:hacked': {} } },
            'f:spec': {
              'f:template': {
                'f:spec': {
                  'f:containers': {
                    'k:{"name":"app"}': {
                      '.': {},
                      'f:env': { 'k:{"name":"FOO"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
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
          fieldsV1: { 'f:status': { 'f:replicas': {} } },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } } },
        },
      ],
    },
  };

  it('reports other managers with the paths they own, skipping status and bookkeeping', () => {
    expect(foreignFieldOwners(observed, 'multinic-operator')).toEqual([
      {
        manager: 'kubectl-edit',
        operation: 'Update',
        paths: [
          'metadata.labels.hacked',
          'spec.template.spec.containers[name=app].env[name=FOO].name',
          'spec.template.spec.containers[name=app].env[name=FOO].value',
        ],
      },
    ]);
  });

  it('can ignore named managers', () => {
    expect(foreignFieldOwners(observed, 'multinic-operator', { ignoreManagers: ['kubectl-edit'] })).toEqual(
      [],
    );
  });

  it('flattens set members', () => {
    expect(fieldPaths({ 'f:finalizers': { 'v:"a"': {} } })).toEqual(['finalizers[="a"]']);
  });
});

describe('mergePatchFor', () => {
  it('sends only changed keys, nulls removed keys and replaces arrays', () => {
    const observed = { state: 'A', keep: 1, gone: 'x', nested: { a: 1, b: 2 }, list: [1, 2] };
    const desired = { state: 'B', keep: 1, nested: { a: 1, b: 3 }, list: [1] };
    expect(mergePatchFor(observed, desired)).toEqual({ state: 'B', gone: null, nested: { b: 3 }, list: [1] });
  });
});
