// Delivery of node configs (docs/architecture.md#delivery): one interface, three targets.
//   KubeNodeConfigDelivery  server-side apply of MultiNicNodeConfigs, into this cluster (`local`)
//                           or a workload cluster reached through a kubeconfig Secret (`kubeconfig`)
//   ViolaDelivery           POST to a Viola-compatible endpoint (`id` always sent);
//                           an emptied node is sent with `interfaces: []` so Viola can clean it up
// Kubernetes targets are observable (what they hold, with the agent's results in status), so
// the diff is level-based and repairs drift; Viola is not, so its delivered hashes live in
// MariaDB (node_table.delivered_hash).
import { MULTINIC_NODE_CONFIG } from '../api/groups.js';
import {
  INSTANCE_ID_LABEL,
  NODE_NAME_LABEL,
  OPENSTACK_CONFIG_LABEL,
  PROVIDER_ID_LABEL,
  toLabelValue,
} from '../api/labels.js';
import type { MultiNicNodeConfigSpec } from '../api/multinic-node-config.js';
import type { DeliveryMode } from '../api/openstack-config.js';
import { applyObject, deleteObject, listObjects } from '../kube/apply.js';
import { KubeHttp } from '../kube/http.js';
import type { KubeObject } from '../kube/types.js';
import { HttpClient } from '../openstack/http.js';
import { mapBounded } from '../openstack/pagination.js';
import { OPENSTACK_CONFIG_REASONS as R } from '../api/openstack-config.js';
import { SyncError } from './errors.js';
import { RemoteKubeconfigError, parseRemoteKubeconfig } from './remote-kubeconfig.js';
import type { DesiredNode } from './plan.js';

/** Annotation holding the hash of the spec the controller applied. */
export const CONFIG_HASH_ANNOTATION = 'multinic.io/config-hash';
export const FIELD_MANAGER = 'multinic-controller';

export interface ConfigOwner {
  namespace: string;
  name: string;
}

/** `multinic.io/openstack-config` value of an owner. */
export function ownerLabel(owner: ConfigOwner): string {
  return toLabelValue(`${owner.namespace}.${owner.name}`);
}

export interface ObservedNodeConfig {
  nodeName: string;
  /** Hash the controller applied (annotation); null when unknown. */
  hash: string | null;
  object?: NodeConfigObject;
}

export type NodeConfigObject = KubeObject & {
  spec?: MultiNicNodeConfigSpec;
  status?: Record<string, unknown>;
};

export interface Delivery {
  readonly mode: DeliveryMode;
  /** What the target holds for `owner` by node name; undefined when the target cannot tell (Viola). */
  observe(owner: ConfigOwner): Promise<Map<string, ObservedNodeConfig> | undefined>;
  /** Creates or updates these node configs. */
  apply(owner: ConfigOwner, nodes: readonly DesiredNode[], providerId: string | undefined): Promise<void>;
  /** Removes the node configs of these nodes (the agent-controller cleans the node first). */
  remove(
    owner: ConfigOwner,
    nodes: readonly { nodeName: string; nodeId: string | null }[],
    providerId: string | undefined,
  ): Promise<void>;
  /** API-server / endpoint writes issued so far (benchmarks). */
  readonly writes: number;
}

export interface KubeDeliveryOptions {
  http: KubeHttp;
  mode: 'local' | 'kubeconfig';
  /** Namespace of the MultiNicNodeConfigs. */
  namespace: string;
  /** The local informer's cache of node configs; without it the target is listed. */
  cache?: () => readonly NodeConfigObject[];
  /** Writes in flight. @default 16 */
  concurrency?: number;
}

export class KubeNodeConfigDelivery implements Delivery {
  readonly mode: 'local' | 'kubeconfig';
  writes = 0;
  constructor(private readonly options: KubeDeliveryOptions) {
    this.mode = options.mode;
  }

  private async all(owner: ConfigOwner): Promise<NodeConfigObject[]> {
    const label = ownerLabel(owner);
    if (this.options.cache !== undefined) {
      return this.options
        .cache()
        .filter(
          (obj) =>
            obj.metadata.namespace === this.options.namespace &&
            obj.metadata.labels?.[OPENSTACK_CONFIG_LABEL] === label,
        );
    }
    return listObjects<NodeConfigObject>(this.options.http, MULTINIC_NODE_CONFIG, {
      namespace: this.options.namespace,
      labelSelector: `${OPENSTACK_CONFIG_LABEL}=${label}`,
    });
  }

  async observe(owner: ConfigOwner): Promise<Map<string, ObservedNodeConfig>> {
    const out = new Map<string, ObservedNodeConfig>();
    for (const object of await this.all(owner)) {
      const nodeName = object.metadata.name ?? '';
      const deleting = object.metadata.deletionTimestamp !== undefined;
      out.set(nodeName, {
        nodeName,
        hash: deleting ? null : (object.metadata.annotations?.[CONFIG_HASH_ANNOTATION] ?? null),
        object,
      });
    }
    return out;
  }

  async apply(
    owner: ConfigOwner,
    nodes: readonly DesiredNode[],
    providerId: string | undefined,
  ): Promise<void> {
    const label = ownerLabel(owner);
    const foreign = this.options
      .cache?.()
      .filter(
        (obj) =>
          obj.metadata.namespace === this.options.namespace &&
          obj.metadata.labels?.[OPENSTACK_CONFIG_LABEL] !== undefined &&
          obj.metadata.labels[OPENSTACK_CONFIG_LABEL] !== label,
      );
    const taken = new Map(
      (foreign ?? []).map((obj) => [obj.metadata.name ?? '', obj.metadata.labels?.[OPENSTACK_CONFIG_LABEL]]),
    );
    const clashes = nodes.filter((node) => taken.has(node.nodeName));
    const failures: string[] = clashes.map(
      (node) => `node ${node.nodeName} is managed by OpenstackConfig ${String(taken.get(node.nodeName))}`,
    );
    await mapBounded(
      nodes.filter((node) => !taken.has(node.nodeName)),
      this.options.concurrency ?? 16,
      async (node) => {
        const labels: Record<string, string> = {
          [NODE_NAME_LABEL]: toLabelValue(node.nodeName),
          [INSTANCE_ID_LABEL]: toLabelValue(node.nodeId),
          [OPENSTACK_CONFIG_LABEL]: label,
        };
        if (providerId !== undefined) labels[PROVIDER_ID_LABEL] = toLabelValue(providerId);
        this.writes += 1;
        try {
          await applyObject(
            this.options.http,
            {
              apiVersion: MULTINIC_NODE_CONFIG.apiVersion,
              kind: MULTINIC_NODE_CONFIG.kind,
              metadata: {
                name: node.nodeName,
                namespace: this.options.namespace,
                labels,
                annotations: { [CONFIG_HASH_ANNOTATION]: node.hash },
              },
              spec: node.spec,
            },
            { fieldManager: FIELD_MANAGER },
          );
        } catch (err) {
          failures.push(`node ${node.nodeName}: ${(err as Error).message}`);
        }
      },
    );
    if (failures.length > 0) {
      throw new SyncError(
        R.DeliveryError,
        `${this.mode} delivery failed for ${failures.length} node(s): ${failures.join('; ')}`,
      );
    }
  }

  async remove(owner: ConfigOwner, nodes: readonly { nodeName: string }[]): Promise<void> {
    const failures: string[] = [];
    await mapBounded(nodes, this.options.concurrency ?? 16, async (node) => {
      this.writes += 1;
      try {
        await deleteObject(this.options.http, {
          apiVersion: MULTINIC_NODE_CONFIG.apiVersion,
          kind: MULTINIC_NODE_CONFIG.kind,
          namespace: this.options.namespace,
          name: node.nodeName,
        });
      } catch (err) {
        failures.push(`node ${node.nodeName}: ${(err as Error).message}`);
      }
    });
    if (failures.length > 0) {
      throw new SyncError(
        R.DeliveryError,
        `removing node configs of ${owner.namespace}/${owner.name} failed: ${failures.join('; ')}`,
      );
    }
  }
}

/**
 * A KubeHttp for the cluster in a kubeconfig (the content of a Secret key). The kubeconfig is
 * untrusted: only inline credentials are accepted (see ./remote-kubeconfig.ts); a refused field
 * is a ConfigError naming it, and no error quotes the Secret's content.
 */
export function kubeHttpFromKubeconfig(
  kubeconfig: string,
  options: { allowExec?: boolean; timeoutMs?: number; source?: string } = {},
): KubeHttp {
  let kc;
  try {
    kc = parseRemoteKubeconfig(kubeconfig, { allowExec: options.allowExec === true });
  } catch (err) {
    throw new SyncError(
      R.ConfigError,
      `kubeconfig Secret${options.source !== undefined ? ` ${options.source}` : ''} is refused: ${err instanceof RemoteKubeconfigError ? err.message : 'unreadable'}`,
    );
  }
  return new KubeHttp(kc, { timeoutMs: options.timeoutMs ?? 30_000 });
}

export interface ViolaDeliveryOptions {
  http: HttpClient;
  endpoint: string;
  /** `Authorization: Bearer` token. */
  bearerToken?: string;
}

/** The Viola wire form of a node (`id` always present). */
export function violaNodeConfig(
  nodeName: string,
  nodeId: string | null,
  spec?: MultiNicNodeConfigSpec,
): unknown {
  return {
    nodeName,
    instanceId: spec?.instanceId ?? nodeId ?? '',
    interfaces: (spec?.interfaces ?? []).map((i) => ({
      id: i.id,
      name: i.name,
      macAddress: i.macAddress,
      address: i.address,
      cidr: i.cidr,
      mtu: i.mtu,
      ...(i.portId !== undefined ? { portId: i.portId } : {}),
    })),
  };
}

export class ViolaDelivery implements Delivery {
  readonly mode = 'viola' as const;
  writes = 0;
  constructor(private readonly options: ViolaDeliveryOptions) {}

  observe(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  private async post(body: unknown[], providerId: string | undefined): Promise<void> {
    if (body.length === 0) return;
    if (providerId === undefined)
      throw new SyncError(R.ConfigError, 'Viola delivery needs credentials.k8sProviderID');
    const headers: Record<string, string> = { 'x-provider-id': providerId };
    if (this.options.bearerToken !== undefined)
      headers['authorization'] = `Bearer ${this.options.bearerToken}`;
    this.writes += 1;
    try {
      await this.options.http.request({
        service: 'viola',
        operation: 'node-configs.post',
        method: 'POST',
        url: `${this.options.endpoint.replace(/\/+$/, '')}/v1/k8s/multinic/node-configs`,
        headers,
        json: body,
        expected: [200, 201, 202, 204],
      });
    } catch (err) {
      throw new SyncError(R.ViolaPostError, `viola: ${(err as Error).message}`, { cause: err });
    }
  }

  apply(_owner: ConfigOwner, nodes: readonly DesiredNode[], providerId: string | undefined): Promise<void> {
    return this.post(
      nodes.map((node) => violaNodeConfig(node.nodeName, node.nodeId, node.spec)),
      providerId,
    );
  }

  remove(
    _owner: ConfigOwner,
    nodes: readonly { nodeName: string; nodeId: string | null }[],
    providerId: string | undefined,
  ): Promise<void> {
    return this.post(
      nodes.map((node) => violaNodeConfig(node.nodeName, node.nodeId)),
      providerId,
    );
  }
}
