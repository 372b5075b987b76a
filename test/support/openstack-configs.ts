/**
 * Helpers for test files that run the controller:
 *
 *   releaseOpenstackConfigs(http, namespace)  -> drops the finalizer of every OpenstackConfig left in
 *                                                `namespace`, so that its deletion never hangs
 *   createOpenStackSecret(namespace, name, c) -> the credentials Secret an OpenstackConfig names
 */
import { OPENSTACK_CONFIG } from '../../src/api/groups.js';
import { listObjects, mergePatchObject } from '../../src/kube/apply.js';
import type { KubeHttp } from '../../src/kube/http.js';
import { adminClients } from './kube.js';

export async function releaseOpenstackConfigs(http: KubeHttp, namespace: string): Promise<void> {
  for (const obj of await listObjects(http, OPENSTACK_CONFIG, { namespace }).catch(() => [])) {
    await mergePatchObject(
      http,
      { ...OPENSTACK_CONFIG, namespace, name: obj.metadata.name ?? '' },
      { metadata: { finalizers: null } },
    ).catch(() => undefined);
  }
}

export interface OpenStackSecretData {
  authUrl: string;
  username?: string;
  password: string;
  projectId?: string;
  /** Extra keys (userDomainName, ...). */
  extra?: Record<string, string>;
}

export async function createOpenStackSecret(
  namespace: string,
  name: string,
  data: OpenStackSecretData,
): Promise<void> {
  await adminClients().core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name },
      stringData: {
        authURL: data.authUrl,
        username: data.username ?? '',
        password: data.password,
        projectID: data.projectId ?? '',
        ...data.extra,
      },
    },
  });
}
