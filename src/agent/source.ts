// Where the agent Job gets its input when none is passed: the node's MultiNicNodeConfig from
// the API server (the earlier agent's DATA_SOURCE=nodecr), read once with a timeout and a few
// retries with backoff. A missing config is not an error for cleanup (it may be gone already).
import { MULTINIC_NODE_CONFIG } from '../api/groups.js';
import { loadKubeConfig } from '../kube/config.js';
import { isKubeStatus, KubeHttp } from '../kube/http.js';
import { parseAgentInput, type AgentInput } from './input.js';

export interface NodeConfigSourceOptions {
  readonly namespace: string;
  readonly name: string;
  /** @default 3 */
  readonly attempts?: number;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default - loadKubeConfig() (in cluster, else KUBECONFIG) */
  readonly http?: KubeHttp;
}

/** Reads `MultiNicNodeConfig <namespace>/<name>`; undefined when it does not exist. */
export async function fetchNodeConfig(options: NodeConfigSourceOptions): Promise<AgentInput | undefined> {
  const http = options.http ?? new KubeHttp(loadKubeConfig(), { timeoutMs: options.timeoutMs ?? 10_000 });
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { group, version, plural } = MULTINIC_NODE_CONFIG;
  const path = `/apis/${group}/${version}/namespaces/${encodeURIComponent(options.namespace)}/${plural}/${encodeURIComponent(options.name)}`;
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const object = await http.request<unknown>('GET', path);
      return parseAgentInput(JSON.stringify(object));
    } catch (error) {
      if (isKubeStatus(error, 404)) return undefined;
      if (isKubeStatus(error, 401, 403) || attempt >= attempts || !isTransient(error)) throw error;
      await sleep(500 * 2 ** (attempt - 1));
    }
  }
}

function isTransient(error: unknown): boolean {
  return !(error instanceof Error && error.message.startsWith('agent input'));
}
