// Acting as someone else against the local control plane: a user with groups (client
// certificate signed by the client CA) or a ServiceAccount (a real TokenRequest token).
import { readFile } from 'node:fs/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { makeKubeConfig, renderKubeconfig, type ClusterEndpoint } from './kubeconfig.js';
import { issueClientCertificate, loadCertificateAuthority, type CertificateAuthority } from './pki.js';

export interface Identities {
  /** A KubeConfig authenticating as `user` in `groups` (client certificate: CN=user, O=group...). */
  kubeconfigFor(user: string, groups?: readonly string[]): Promise<KubeConfig>;
  /** The same as kubeconfig YAML (to hand to a child process). */
  kubeconfigYamlFor(user: string, groups?: readonly string[]): Promise<string>;
  /**
   * A KubeConfig authenticating as ServiceAccount `namespace/name` with a token from the
   * TokenRequest API. The ServiceAccount is created first when it does not exist.
   */
  serviceAccountKubeConfig(
    namespace: string,
    name: string,
    options?: ServiceAccountTokenOptions,
  ): Promise<KubeConfig>;
}

export interface ServiceAccountTokenOptions {
  /** @default 3600 */
  expirationSeconds?: number;
  /** @default [] (the API server's own audience) */
  audiences?: readonly string[];
}

/** Requests a ServiceAccount token (creating the ServiceAccount when missing) using `admin`. */
export async function requestServiceAccountToken(
  admin: KubeConfig,
  namespace: string,
  name: string,
  options: ServiceAccountTokenOptions = {},
): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  try {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
  const response = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: {
      spec: {
        audiences: [...(options.audiences ?? [])],
        expirationSeconds: options.expirationSeconds ?? 3600,
      },
    },
  });
  const token = response.status?.token;
  if (token === undefined || token === '')
    throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return token;
}

export function createIdentities(
  cluster: ClusterEndpoint,
  clientCa: CertificateAuthority,
  admin: KubeConfig,
): Identities {
  const yamlFor = async (user: string, groups: readonly string[] = []): Promise<string> =>
    renderKubeconfig(cluster, user, { certificate: await issueClientCertificate(clientCa, user, groups) });
  return {
    kubeconfigYamlFor: yamlFor,
    async kubeconfigFor(user, groups = []) {
      return makeKubeConfig(cluster, user, {
        certificate: await issueClientCertificate(clientCa, user, groups),
      });
    },
    async serviceAccountKubeConfig(namespace, name, options = {}) {
      const token = await requestServiceAccountToken(admin, namespace, name, options);
      return makeKubeConfig(cluster, `system:serviceaccount:${namespace}:${name}`, { token });
    },
  };
}

/** Identities from files on disk (what a test worker gets from the global setup). */
export async function loadIdentities(
  cluster: ClusterEndpoint,
  clientCaCertPath: string,
  clientCaKeyPath: string,
  admin: KubeConfig,
): Promise<Identities> {
  const ca = await loadCertificateAuthority(
    await readFile(clientCaCertPath, 'utf8'),
    await readFile(clientCaKeyPath, 'utf8'),
  );
  return createIdentities(cluster, ca, admin);
}
