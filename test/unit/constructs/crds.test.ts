import { describe, expect, it } from 'vitest';
import { crdManifests } from '../../../src/api/crds.js';
import { MultiNicCrds } from '../../../src/constructs/crds/multinic-crds.js';
import { all, render } from './support.js';

describe('MultiNicCrds', () => {
  it('renders the four CRDs generated from the zod schemas, labelled part-of multinic', () => {
    const manifests = render((scope) => new MultiNicCrds(scope, 'crds'));
    const crds = all(manifests, 'CustomResourceDefinition');
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      'multinicbizconfigs.multinic.io',
      'multinicnodeconfigs.multinic.io',
      'multinicoperators.multinic.example.com',
      'openstackconfigs.multinic.example.com',
    ]);
    for (const crd of crds) expect(crd.metadata.labels?.['app.kubernetes.io/part-of']).toBe('multinic');
    const source = crdManifests().find(
      (c) => (c.metadata as { name: string }).name === 'multinicoperators.multinic.example.com',
    )!;
    expect(crds.find((c) => c.metadata.name === 'multinicoperators.multinic.example.com')!.spec).toEqual(
      source.spec,
    );
  });
});
