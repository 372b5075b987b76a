// Shared set-up for the src/kube integration tests: the admin KubeHttp, a fresh namespace per
// file, and a small polling `eventually` for asserting on asynchronous outcomes.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createObject, deleteObject } from '../../../src/kube/apply.js';
import { loadKubeConfig } from '../../../src/kube/config.js';
import { KubeHttp } from '../../../src/kube/http.js';

export function adminHttp(): KubeHttp {
  const env = inject('multinic');
  if (!env?.kubeconfigPath)
    throw new Error('integration env missing: run through the vitest integration project (global setup)');
  return new KubeHttp(loadKubeConfig({ kubeconfig: env.kubeconfigPath }));
}

export async function createNamespace(http: KubeHttp, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await createObject(http, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

export async function deleteNamespace(http: KubeHttp, name: string): Promise<void> {
  await deleteObject(http, { apiVersion: 'v1', kind: 'Namespace', name });
}

/** Polls `check` until it returns without throwing (or `timeoutMs` passes, then rethrows). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
