/**
 * Helpers for test files that run the controller:
 *
 *   releaseOpenstackConfigs(http, namespace)  -> drops the finalizer of every OpenstackConfig left in
 *                                                `namespace`, so that its deletion never hangs
 */
import { OPENSTACK_CONFIG } from '../../src/api/groups.js';
import { listObjects, mergePatchObject } from '../../src/kube/apply.js';
import type { KubeHttp } from '../../src/kube/http.js';

export async function releaseOpenstackConfigs(http: KubeHttp, namespace: string): Promise<void> {
  for (const obj of await listObjects(http, OPENSTACK_CONFIG, { namespace }).catch(() => [])) {
    await mergePatchObject(
      http,
      { ...OPENSTACK_CONFIG, namespace, name: obj.metadata.name ?? '' },
      { metadata: { finalizers: null } },
    ).catch(() => undefined);
  }
}
