// Reading what `multinic status` reports on: one list per kind for a single report, or informers
// (list + watch) whose caches feed every redraw of `--watch`.
//
// Which collections are read: without `-n`, every namespace (the report then keeps what the
// scope covers); with `-n NS`, NS plus the namespaces NS's OpenstackConfigs deliver their node
// configs to (added to the watch as they appear).
import { MULTINIC_NODE_CONFIG, MULTINIC_OPERATOR, OPENSTACK_CONFIG } from '../../api/groups.js';
import { listObjects } from '../../kube/apply.js';
import { isKubeStatus, type KubeHttp } from '../../kube/http.js';
import { Informer } from '../../kube/informer.js';
import type { KindRef, KubeObject } from '../../kube/types.js';
import { deliveryNamespaces, type Snapshot, type StatusScope } from './report.js';

/** The namespace the reads are limited to; undefined = all namespaces. */
function readNamespace(scope: StatusScope): string | undefined {
  return scope.allNamespaces ? undefined : scope.namespace;
}

function explain(err: unknown): Error {
  if (isKubeStatus(err, 404) && /\/apis\/multinic\.(example\.com|io)\//.test(err.path)) {
    return new Error(
      'the MultiNic CRDs are not installed in this cluster (kubectl apply --server-side -f dist/install.k8s.yaml)',
    );
  }
  if (isKubeStatus(err, 401, 403)) {
    return new Error(`the API server refused the read (${err.statusCode} ${err.reason}): ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** One read of everything the report needs. */
export async function readSnapshot(http: KubeHttp, scope: StatusScope): Promise<Snapshot> {
  const namespace = readNamespace(scope);
  const where = namespace === undefined ? {} : { namespace };
  try {
    const [operators, openstackConfigs] = await Promise.all([
      listObjects(http, MULTINIC_OPERATOR, where),
      listObjects(http, OPENSTACK_CONFIG, where),
    ]);
    const nodeNamespaces =
      namespace === undefined
        ? [undefined]
        : [...new Set([namespace, ...deliveryNamespaces(openstackConfigs)])];
    const nodeConfigs = (
      await Promise.all(
        nodeNamespaces.map((ns) =>
          listObjects(http, MULTINIC_NODE_CONFIG, ns === undefined ? {} : { namespace: ns }),
        ),
      )
    ).flat();
    return { operators, openstackConfigs, nodeConfigs };
  } catch (err) {
    throw explain(err);
  }
}

/** Informers over the same collections as `readSnapshot`; `onChange` fires on every event. */
export class WatchedSnapshot {
  private readonly informers = new Map<string, Informer>();
  private readonly namespace: string | undefined;
  private listener: () => void = () => undefined;

  constructor(
    private readonly http: KubeHttp,
    scope: StatusScope,
  ) {
    this.namespace = readNamespace(scope);
  }

  onChange(listener: () => void): void {
    this.listener = listener;
  }

  /** Starts the informers and resolves once each has listed. */
  async start(signal: AbortSignal): Promise<void> {
    this.ensure(MULTINIC_OPERATOR, this.namespace);
    this.ensure(OPENSTACK_CONFIG, this.namespace);
    this.ensure(MULTINIC_NODE_CONFIG, this.namespace);
    await this.synced(signal);
    if (this.ensureDeliveryNamespaces()) await this.synced(signal);
  }

  /** The caches as a Snapshot; adds node-config informers for delivery namespaces seen since. */
  snapshot(): Snapshot {
    this.ensureDeliveryNamespaces();
    const all = (kind: KindRef) =>
      [...this.informers.entries()]
        .filter(([key]) => key.startsWith(`${kind.kind}|`))
        .flatMap(([, inf]) => inf.list());
    return {
      operators: all(MULTINIC_OPERATOR),
      openstackConfigs: all(OPENSTACK_CONFIG),
      nodeConfigs: all(MULTINIC_NODE_CONFIG),
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.stop()));
  }

  private synced(signal: AbortSignal): Promise<void[]> {
    return Promise.all([...this.informers.values()].map((informer) => informer.waitForSync(signal)));
  }

  /** True when it added an informer. */
  private ensureDeliveryNamespaces(): boolean {
    if (this.namespace === undefined) return false;
    const configs = this.informers.get(`${OPENSTACK_CONFIG.kind}|${this.namespace}`)?.list() ?? [];
    let added = false;
    for (const ns of deliveryNamespaces(configs)) added = this.ensure(MULTINIC_NODE_CONFIG, ns) || added;
    return added;
  }

  private ensure(kind: KindRef, namespace: string | undefined): boolean {
    const key = `${kind.kind}|${namespace ?? '*'}`;
    if (this.informers.has(key)) return false;
    const informer = new Informer<KubeObject>({
      http: this.http,
      apiVersion: kind.apiVersion,
      kind: kind.kind,
      ...(namespace === undefined ? {} : { namespace }),
      resyncMs: 0,
    });
    const changed = () => this.listener();
    informer.addHandler({ add: changed, update: changed, delete: changed });
    this.informers.set(key, informer);
    informer.start();
    return true;
  }
}
