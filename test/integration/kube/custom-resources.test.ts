import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyObject,
  createObject,
  deleteObject,
  getObject,
  mergePatchObject,
} from '../../../src/kube/apply.js';
import { ManualClock } from '../../../src/kube/clock.js';
import { setCondition } from '../../../src/kube/conditions.js';
import { EventRecorder } from '../../../src/kube/events.js';
import { KubeHttp } from '../../../src/kube/http.js';
import { generationOrMetaChanged, Informer } from '../../../src/kube/informer.js';
import { patchStatus } from '../../../src/kube/status.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { adminHttp, createNamespace, deleteNamespace, eventually } from './env.js';

const GROUP = 'kubetest.multinic.io';
const API_VERSION = `${GROUP}/v1`;

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

describe('custom resources: informer, status writes and Events', () => {
  let http: KubeHttp;
  let namespace: string;

  beforeAll(async () => {
    http = adminHttp();
    await applyObject(http, crd, { fieldManager: 'multinic-test' });
    await eventually(async () => {
      await http.resource({ apiVersion: API_VERSION, kind: 'Widget' });
    });
    namespace = await createNamespace(http, 'widgets');
  });

  afterAll(async () => {
    if (namespace) await deleteNamespace(http, namespace);
  });

  it('writes status only when it changed and the generation filter ignores status-only updates', async () => {
    const informer = new Informer<KubeObject>({ http, apiVersion: API_VERSION, kind: 'Widget', namespace });
    const relevant: string[] = [];
    const all: string[] = [];
    informer.addHandler({
      add: (obj) => relevant.push(`add:${obj.metadata.generation}`),
      update: (old, obj) => {
        all.push(`update:${obj.metadata.resourceVersion}`);
        if (generationOrMetaChanged(old, obj)) relevant.push(`update:${obj.metadata.generation}`);
      },
    });
    informer.start();
    await informer.waitForSync();

    const created = await createObject<KubeObject>(http, {
      apiVersion: API_VERSION,
      kind: 'Widget',
      metadata: { name: 'w', namespace },
      spec: { size: 1 },
    });
    await eventually(() => expect(informer.get('w', namespace)).toBeDefined());

    const now = new Date();
    const status = {
      state: 'Ready',
      conditions: setCondition([], { type: 'Ready', status: 'True', reason: 'Done', message: 'ok' }, now),
    };
    const first = await patchStatus(http, created, status);
    expect(first.written).toBe(true);
    expect(first.object['status']).toMatchObject({ state: 'Ready' });

    // Same status with a later timestamp: nothing to write.
    const later = {
      state: 'Ready',
      conditions: setCondition(
        [],
        { type: 'Ready', status: 'True', reason: 'Done', message: 'ok' },
        new Date(now.getTime() + 60_000),
      ),
    };
    const second = await patchStatus(http, first.object, later);
    expect(second.written).toBe(false);

    // A removed key is removed on the server.
    const third = await patchStatus(http, first.object, { conditions: status.conditions });
    expect(third.written).toBe(true);
    expect(third.object['status']).not.toHaveProperty('state');

    await eventually(() => expect(all.length).toBeGreaterThanOrEqual(2));
    expect(relevant).toEqual(['add:1']);

    await mergePatchObject(
      http,
      { apiVersion: API_VERSION, kind: 'Widget', namespace, name: 'w' },
      { spec: { size: 2 } },
    );
    await eventually(() => expect(relevant).toEqual(['add:1', 'update:2']));
    await informer.stop();
  });

  it('aggregates repeated Events into one with a count', async () => {
    const widget = (await getObject(http, {
      apiVersion: API_VERSION,
      kind: 'Widget',
      namespace,
      name: 'w',
    })) as KubeObject;
    // A clock that does not move: every repeat falls inside the rate-limit interval.
    const recorder = new EventRecorder({
      http,
      component: 'multinic-test',
      minIntervalMs: 1_000,
      clock: new ManualClock(),
    });
    for (let i = 0; i < 5; i += 1) await recorder.record(widget, 'Warning', 'SomethingFailed', 'it broke');
    await recorder.record(widget, 'Normal', 'Repaired', 'fixed');
    await recorder.flush();
    const list = await http.request<{ items: KubeObject[] }>('GET', `/api/v1/namespaces/${namespace}/events`);
    const failed = list.items.filter((event) => event['reason'] === 'SomethingFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      type: 'Warning',
      count: 5,
      message: 'it broke',
      involvedObject: { kind: 'Widget', name: 'w', namespace, uid: widget.metadata.uid },
      source: { component: 'multinic-test' },
    });
    expect(list.items.filter((event) => event['reason'] === 'Repaired')).toHaveLength(1);
    // One create per Event, plus one patch carrying the four aggregated repeats.
    expect(recorder.writes).toBe(3);
    await deleteObject(http, { apiVersion: API_VERSION, kind: 'Widget', namespace, name: 'w' });
  });
});
