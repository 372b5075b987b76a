// Kubeconfig files and KubeConfig objects for the local control plane: a client certificate
// user (CN = user, O = groups) or a bearer-token user (e.g. a ServiceAccount's TokenRequest token).
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { KeyPairPem } from './pki.js';

export interface ClusterEndpoint {
  /** https://127.0.0.1:<port> */
  server: string;
  /** The CA that signed the API server's serving certificate. */
  caCertPem: string;
}

export type KubeconfigCredentials = { certificate: KeyPairPem } | { token: string };

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** A self-contained kubeconfig (YAML) with one cluster, one user and one context, all named `name`. */
export function renderKubeconfig(
  cluster: ClusterEndpoint,
  name: string,
  credentials: KubeconfigCredentials,
): string {
  const user =
    'token' in credentials
      ? { token: credentials.token }
      : {
          'client-certificate-data': b64(credentials.certificate.certPem),
          'client-key-data': b64(credentials.certificate.keyPem),
        };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'multinic-dev',
        cluster: { server: cluster.server, 'certificate-authority-data': b64(cluster.caCertPem) },
      },
    ],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: 'multinic-dev', user: name } }],
    'current-context': name,
    preferences: {},
  });
}

/** The same, loaded into a client-node KubeConfig. */
export function makeKubeConfig(
  cluster: ClusterEndpoint,
  name: string,
  credentials: KubeconfigCredentials,
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(renderKubeconfig(cluster, name, credentials));
  return kc;
}
