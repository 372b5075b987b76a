// The whole synthesized install, server-side applied to a real kube-apiserver: the CRDs become
// Established, every object of the install and system charts is accepted, every sample CR is
// accepted, and wrong CRs are rejected by the API server with the schema's message.
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allSamples, invalidSamples } from '../../../src/api/samples.js';
import { buildApp } from '../../../src/cli/commands/synth.js';
import { createObject, deleteObject } from '../../../src/kube/apply.js';
import { KubeApiError } from '../../../src/kube/http.js';
import { refOf, type KubeObject } from '../../../src/kube/types.js';
import { adminClients, applyManifests } from '../../support/kube.js';

const FIELD_MANAGER = 'multinic-install-test';
const app = buildApp({ outdir: '/dev/null' });
const chart = (id: string): KubernetesObject[] => {
  const found = app.charts.find((c) => c.node.id === id);
  if (found === undefined) throw new Error(`no chart '${id}' in buildApp()`);
  return found.toJson() as KubernetesObject[];
};
const install = chart('install');
const system = chart('system');
// Nothing serves the protection webhook here, so its configuration goes last: applied earlier,
// it would (rightly) block the protected objects of the system chart.
const isWebhookConfig = (o: KubernetesObject): boolean => o.kind === 'ValidatingWebhookConfiguration';
const admissionKinds = new Set([
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === 'object' && body !== null && 'message' in body) return String(body.message);
  return error instanceof Error ? error.message : String(error);
}

const applied = new Map<KubernetesObject, KubernetesObject>();

beforeAll(async () => {
  const ordered = [
    ...install.filter((o) => !isWebhookConfig(o)),
    ...system,
    ...install.filter(isWebhookConfig),
  ];
  const results = await applyManifests(ordered, FIELD_MANAGER);
  ordered.forEach((object, index) => applied.set(object, results[index] as KubernetesObject));
}, 180_000);

afterAll(async () => {
  // Leave the shared cluster as other test files expect it: no admission objects that guard
  // things nobody serves, no namespaces of ours. The CRDs stay (applying them again is a no-op).
  const { http } = adminClients();
  const leftovers = [...install, ...system].filter(
    (o) =>
      admissionKinds.has(o.kind ?? '') ||
      o.kind === 'ClusterRole' ||
      o.kind === 'ClusterRoleBinding' ||
      o.kind === 'Namespace',
  );
  for (const object of leftovers)
    await deleteObject(http, refOf(object as unknown as KubeObject)).catch(() => undefined);
});

describe('synthesized install on a real API server', () => {
  it('has CustomResourceDefinitions that reach Established with every served version', async () => {
    const { apiext } = adminClients();
    const crds = install.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds.length).toBe(4);
    for (const crd of crds) {
      const live = await apiext.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' });
      expect(live.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
      expect(live.status?.conditions?.find((c) => c.type === 'NamesAccepted')?.status).toBe('True');
    }
  });

  it.each(
    [...install, ...system].map((o) => [`${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o]),
  )('accepts %s', (_title, object) => {
    const live = applied.get(object as KubernetesObject);
    expect(live?.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(live?.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER)).toBe(true);
  });

  const samples = allSamples() as unknown as KubernetesObject[];
  it.each(samples.map((s) => [`${s.kind} ${s.metadata?.name}`, s]))(
    'accepts the sample %s',
    async (_t, sample) => {
      const [live] = await applyManifests([sample as KubernetesObject], FIELD_MANAGER);
      expect(live?.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it.each(invalidSamples().map((s) => [s.name, s]))('rejects %s', async (_t, invalid) => {
    const error = await createObject(adminClients().http, invalid.object as unknown as KubeObject).then(
      () => new Error(`accepted: ${invalid.name}`),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).statusCode).toBe(422);
    expect(apiMessage(error)).toContain(invalid.apiServerMessage);
  });
});
