import { describe, expect, it } from 'vitest';
import { MultiNicCrds } from '../../../src/constructs/crds/multinic-crds.js';
import { render } from './support.js';

describe('MultiNicCrds validation', () => {
  it('rejects an object that is not a v1 CRD', () => {
    expect(() =>
      render(
        (scope) =>
          new MultiNicCrds(scope, 'c', {
            crds: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }],
          }),
      ),
    ).toThrow(
      "MultiNicCrds: 'crds[0]' must be an apiextensions.k8s.io/v1 CustomResourceDefinition, got 'v1/ConfigMap'",
    );
  });

  it('rejects a CRD without a name', () => {
    expect(() =>
      render(
        (scope) =>
          new MultiNicCrds(scope, 'c', {
            crds: [{ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: {} }],
          }),
      ),
    ).toThrow(
      'MultiNicCrds: \'crds[0].metadata.name\' must be a non-empty string such as "multinicoperators.multinic.example.com"',
    );
  });
});
