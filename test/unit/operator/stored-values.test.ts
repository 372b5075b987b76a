// Every value the operator renders must be one the API server stores as rendered: the drift
// check compares desired values with the stored object, so a zero value of a non-pointer
// `omitempty` field (the API server drops it, e.g. a probe's `initialDelaySeconds: 0`) looks
// drifted at every reconcile and re-applies the object forever. Zero values may only appear on
// fields whose Go type is a pointer (stored even when zero); a new one goes in STORED_ZEROS only
// after checking that.
import { describe, expect, it } from 'vitest';

import { parseMultiNicOperator } from '../../../src/api/multinic-operator.js';
import type { MultiNicOperatorInput } from '../../../src/api/multinic-operator.js';
import { renderSystem } from '../../../src/operator/render.js';

/** Pointer fields (`*bool`/`*int`) of the core/apps/batch/networking types: zero is stored. */
const STORED_ZEROS = new Set([
  'allowPrivilegeEscalation',
  'automountServiceAccountToken',
  'enableServiceLinks',
  'readOnlyRootFilesystem',
  'runAsNonRoot',
  'privileged',
]);

function zeroPaths(value: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(value)) value.forEach((item, index) => zeroPaths(item, `${path}[${index}]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if ((item === 0 || item === false || item === '') && !STORED_ZEROS.has(key)) out.push(`${path}.${key}`);
      else zeroPaths(item, `${path}.${key}`, out);
    }
  }
  return out;
}

function render(spec: MultiNicOperatorInput['spec']) {
  return renderSystem(
    parseMultiNicOperator({
      apiVersion: 'multinic.example.com/v1alpha1',
      kind: 'MultiNicOperator',
      metadata: { name: 'stored', namespace: 'tenant-a' },
      spec,
    }),
  ).manifests;
}

describe('rendered values the API server would not store', () => {
  const specs: Array<[string, MultiNicOperatorInput['spec']]> = [
    ['internal MariaDB with backups, both protections', { protection: { mode: 'both' } }],
    ['internal MariaDB without backups', { database: { backup: { enabled: false } } }],
    [
      'external database',
      {
        database: {
          enabled: false,
          external: { host: 'db.example.internal', secretRef: { name: 'external-db' } },
          backup: { enabled: false },
        },
      },
    ],
  ];
  it.each(specs)('%s: no zero value outside pointer fields', (_, spec) => {
    const found = render(spec).flatMap((obj) =>
      zeroPaths(obj, `${obj.kind}/${obj.metadata?.name ?? ''}`, []),
    );
    expect(found).toEqual([]);
  });
});
