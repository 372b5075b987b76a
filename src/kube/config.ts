// Kubernetes client configuration: in cluster (service account) or from KUBECONFIG /
// ~/.kube/config, and the clients every role uses.
//
// API:
//   loadKubeConfig({ kubeconfig?, context?, inCluster? }): KubeConfig   fail fast with a clear message
//   createKubeClients(kc, { timeoutMs? }): KubeClients                   { kc, http, objects, core, batch }
import { existsSync } from 'node:fs';
import { BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { KubeHttp } from './http.js';

export interface LoadKubeConfigOptions {
  /** Path of a kubeconfig file. @default - $KUBECONFIG, else in-cluster when running in a Pod, else ~/.kube/config */
  kubeconfig?: string;
  /** Context to use. @default - the file's current-context */
  context?: string;
  /** Force the in-cluster service-account configuration. @default - detected from KUBERNETES_SERVICE_HOST */
  inCluster?: boolean;
  /** Environment to read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  const file = options.kubeconfig ?? env['KUBECONFIG'];
  const inCluster = options.inCluster ?? (file === undefined && env['KUBERNETES_SERVICE_HOST'] !== undefined);
  if (inCluster) {
    kc.loadFromCluster();
  } else if (file !== undefined && file !== '') {
    const first = file.split(':')[0] ?? file;
    if (!existsSync(first))
      throw new Error(`kubeconfig '${first}' does not exist (from --kubeconfig or KUBECONFIG)`);
    kc.loadFromFile(first);
  } else {
    kc.loadFromDefault();
  }
  if (options.context !== undefined) kc.setCurrentContext(options.context);
  if (!kc.getCurrentCluster()) {
    throw new Error(
      'no Kubernetes cluster configured: set KUBECONFIG or run in a Pod with a service account',
    );
  }
  return kc;
}

export interface KubeClients {
  kc: KubeConfig;
  /** JSON requests, watches and discovery (what src/kube uses). */
  http: KubeHttp;
  /** client-node's generic object client, for callers that prefer it. */
  objects: KubernetesObjectApi;
  core: CoreV1Api;
  batch: BatchV1Api;
}

export function createKubeClients(kc: KubeConfig, options: { timeoutMs?: number } = {}): KubeClients {
  return {
    kc,
    http: new KubeHttp(kc, options),
    objects: KubernetesObjectApi.makeApiClient(kc),
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
  };
}
