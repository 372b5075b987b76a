import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createObject, deleteObject, mergePatchObject } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import { Informer } from '../../../src/kube/informer.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { registry } from '../../../src/observability/metrics.js';
import { FaultProxy } from './fault-proxy.js';
import { adminHttp, createNamespace, deleteNamespace, eventually } from './env.js';
import { inject } from 'vitest';

interface Seen {
  adds: string[];
  updates: string[];
  deletes: string[];
  resyncs: number;
}

function record(informer: Informer): Seen {
  const seen: Seen = { adds: [], updates: [], deletes: [], resyncs: 0 };
  informer.addHandler({
    add: (obj) => seen.adds.push(obj.metadata.name ?? ''),
    update: (old, obj) => {
      if (old === obj) seen.resyncs += 1;
      else
        seen.updates.push(
          `${obj.metadata.name}=${String((obj['data'] as Record<string, string> | undefined)?.['v'])}`,
        );
    },
    delete: (obj) => seen.deletes.push(obj.metadata.name ?? ''),
  });
  return seen;
}

function configMap(namespace: string, name: string, v: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { suite: 'informer' } },
    data: { v },
  };
}

async function restarts(reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('multinic_kube_watch_restarts_total')?.get();
  return (metric?.values ?? [])
    .filter((value) => value.labels['kind'] === 'ConfigMap' && value.labels['reason'] === reason)
    .reduce((sum, value) => sum + value.value, 0);
}

describe('Informer against the real API server', () => {
  let admin: KubeHttp;
  let proxy: FaultProxy;
  let http: KubeHttp;
  let namespace: string;

  beforeAll(async () => {
    admin = adminHttp();
    namespace = await createNamespace(admin, 'informer');
    proxy = new FaultProxy(inject('multinic').kubeconfigPath);
    await proxy.start();
    http = new KubeHttp(proxy.kubeConfig());
  });

  const started: Informer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((inf) => inf.stop()));
  });

  afterAll(async () => {
    await proxy?.stop();
    if (namespace) await deleteNamespace(admin, namespace);
  });

  function informer(extra: Partial<ConstructorParameters<typeof Informer>[0]> = {}): Informer {
    const inf = new Informer({
      http,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace,
      labelSelector: 'suite=informer',
      minReconnectMs: 100,
      backoff: { baseMs: 100, maxMs: 1_000 },
      ...extra,
    });
    started.push(inf);
    return inf;
  }

  it('lists existing objects, then sees add, update and delete; the cache is readable', async () => {
    await createObject(admin, configMap(namespace, 'before', '1'));
    const inf = informer();
    const seen = record(inf);
    inf.start();
    await inf.waitForSync();
    expect(inf.hasSynced()).toBe(true);
    expect(seen.adds).toContain('before');

    await createObject(admin, configMap(namespace, 'a', '1'));
    await mergePatchObject(
      admin,
      { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'a' },
      { data: { v: '2' } },
    );
    await eventually(() => expect(seen.updates).toContain('a=2'));
    expect(inf.get('a', namespace)?.['data']).toEqual({ v: '2' });
    expect(inf.get('a', namespace)?.kind).toBe('ConfigMap');

    await deleteObject(admin, { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'a' });
    await eventually(() => expect(seen.deletes).toContain('a'));
    expect(inf.get('a', namespace)).toBeUndefined();
    expect(inf.list().map((obj) => obj.metadata.name)).toEqual(['before']);
    await inf.stop();
    await deleteObject(admin, { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'before' });
  });

  it('reconnects after dropped connections and an unreachable API server, and catches up on missed changes', async () => {
    const inf = informer();
    const seen = record(inf);
    inf.start();
    await inf.waitForSync();
    const before = await restarts('error');

    proxy.dropAll();
    await createObject(admin, configMap(namespace, 'after-drop', '1'));
    await eventually(() => expect(seen.adds).toContain('after-drop'));

    proxy.setDown(true);
    await createObject(admin, configMap(namespace, 'while-down', '1'));
    await mergePatchObject(
      admin,
      { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'after-drop' },
      { data: { v: '9' } },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(seen.adds).not.toContain('while-down');
    proxy.setDown(false);
    await eventually(() => {
      expect(seen.adds).toContain('while-down');
      expect(seen.updates).toContain('after-drop=9');
    });
    expect(await restarts('error')).toBeGreaterThan(before);
    await inf.stop();
  });

  it('re-lists after 410 Gone and turns objects deleted meanwhile into delete events', async () => {
    await createObject(admin, configMap(namespace, 'gone-victim', '1'));
    const inf = informer();
    const seen = record(inf);
    inf.start();
    await inf.waitForSync();
    expect(inf.get('gone-victim', namespace)).toBeDefined();
    const before = await restarts('gone');

    // While the watch is frozen the deletion is not delivered; the next watch gets 410 and must re-list.
    await eventually(() => expect(proxy.openWatches).toBeGreaterThan(0));
    proxy.stallWatches();
    await deleteObject(admin, { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'gone-victim' });
    await createObject(admin, configMap(namespace, 'gone-new', '1'));
    proxy.expireNextWatch();
    proxy.dropAll();
    const watchesBefore = proxy.watchRequests;

    await eventually(() => {
      expect(seen.deletes).toContain('gone-victim');
      expect(seen.adds).toContain('gone-new');
    });
    expect(await restarts('gone')).toBeGreaterThan(before);
    expect(proxy.watchRequests).toBeGreaterThan(watchesBefore);
    expect(inf.get('gone-victim', namespace)).toBeUndefined();
    await inf.stop();
  });

  it('restarts a watch that went silent (stall detection)', async () => {
    const inf = informer({ stallMs: 1_500 });
    const seen = record(inf);
    inf.start();
    await inf.waitForSync();
    const before = await restarts('stall');
    await eventually(() => expect(proxy.openWatches).toBeGreaterThan(0));
    proxy.stallWatches();
    await createObject(admin, configMap(namespace, 'during-stall', '1'));
    await eventually(() => expect(seen.adds).toContain('during-stall'), 15_000);
    expect(await restarts('stall')).toBeGreaterThan(before);
    await inf.stop();
  });

  it('re-emits every cached object on resync', async () => {
    const inf = informer({ resyncMs: 300 });
    const seen = record(inf);
    inf.start();
    await inf.waitForSync();
    const cached = inf.size;
    expect(cached).toBeGreaterThan(0);
    await eventually(() => expect(seen.resyncs).toBeGreaterThanOrEqual(cached * 2));
    await inf.stop();
  });

  it('watches cluster-scoped built-in kinds (Nodes) without a namespace', async () => {
    const nodes = new Informer({ http: admin, apiVersion: 'v1', kind: 'Node' });
    nodes.start();
    await nodes.waitForSync();
    expect(nodes.list().length).toBe(inject('multinic').nodes.length);
    const first = inject('multinic').nodes[0];
    expect(nodes.get(first?.name ?? '')?.kind).toBe('Node');
    await nodes.stop();
  });
});
