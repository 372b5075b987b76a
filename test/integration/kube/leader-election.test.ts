import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getObject } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import { LeaderElector, runWithLeadership } from '../../../src/kube/leader-election.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { FaultProxy } from './fault-proxy.js';
import { adminHttp, createNamespace, deleteNamespace, eventually } from './env.js';

interface Tracked {
  elector: LeaderElector;
  events: string[];
  lostSignal: () => boolean;
}

function elector(http: KubeHttp, namespace: string, identity: string, leaseDurationSeconds = 2): Tracked {
  const events: string[] = [];
  let signal: AbortSignal | undefined;
  const le = new LeaderElector({
    http,
    namespace,
    name: 'test-lease',
    identity,
    leaseDurationSeconds,
    renewDeadlineMs: 1_500,
    retryPeriodMs: 200,
    onStartedLeading: (s) => {
      signal = s;
      events.push('started');
    },
    onStoppedLeading: () => events.push('stopped'),
  });
  return { elector: le, events, lostSignal: () => signal?.aborted ?? false };
}

describe('LeaderElector against the real API server', () => {
  let admin: KubeHttp;
  let namespace: string;
  let proxy: FaultProxy;

  beforeAll(async () => {
    admin = adminHttp();
    namespace = await createNamespace(admin, 'lease');
    proxy = new FaultProxy(inject('multinic').kubeconfigPath);
    await proxy.start();
  });

  afterAll(async () => {
    await proxy?.stop();
    if (namespace) await deleteNamespace(admin, namespace);
  });

  it('elects exactly one of two candidates and hands over at once when the leader stops', async () => {
    const a = elector(admin, namespace, 'a');
    const b = elector(admin, namespace, 'b');
    a.elector.start();
    b.elector.start();
    await eventually(() =>
      expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    const lease = await getObject<KubeObject & { spec: { holderIdentity?: string } }>(admin, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace,
      name: 'test-lease',
    });
    expect(lease?.spec.holderIdentity).toBe(leader.elector.leaderIdentity);

    const stoppedAt = Date.now();
    await leader.elector.stop();
    expect(leader.events).toEqual(['started', 'stopped']);
    expect(leader.lostSignal()).toBe(true);
    await eventually(() => expect(follower.elector.isLeader()).toBe(true));
    // Released lease: the follower does not wait for the 2 s lease to expire.
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    await follower.elector.stop();
  });

  it('fails over after the lease expires when the leader is cut off, and the old leader steps down', async () => {
    const cutOff = elector(new KubeHttp(proxy.kubeConfig()), namespace, 'cut-off');
    cutOff.elector.start();
    await eventually(() => expect(cutOff.elector.isLeader()).toBe(true));
    const other = elector(admin, namespace, 'other');
    other.elector.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(other.elector.isLeader()).toBe(false);

    proxy.setDown(true);
    await eventually(() => expect(cutOff.elector.isLeader()).toBe(false), 10_000);
    expect(cutOff.events).toEqual(['started', 'stopped']);
    await eventually(() => expect(other.elector.isLeader()).toBe(true), 10_000);
    proxy.setDown(false);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(cutOff.elector.isLeader()).toBe(false);
    await cutOff.elector.stop();
    await other.elector.stop();
  });

  it('runWithLeadership starts the work once leading, reports a cut-off as lost and a stop as not lost', async () => {
    const timing = { leaseDurationSeconds: 2, renewDeadlineMs: 1_500, retryPeriodMs: 200 };
    let starts = 0;
    const stopped = runWithLeadership({
      http: admin,
      logger: silentLogger,
      lease: { namespace, name: 'role-lease-a', identity: 'a', ...timing },
      start: () => (starts += 1),
    });
    await eventually(() => expect(stopped.isLeader()).toBe(true));
    await stopped.stop();
    expect(stopped.hasLost()).toBe(false);

    const cutOff = runWithLeadership({
      http: new KubeHttp(proxy.kubeConfig()),
      logger: silentLogger,
      lease: { namespace, name: 'role-lease-b', identity: 'b', ...timing },
      start: () => (starts += 1),
    });
    await eventually(() => expect(cutOff.isLeader()).toBe(true));
    proxy.setDown(true);
    await cutOff.lost;
    proxy.setDown(false);
    expect(cutOff.hasLost()).toBe(true);
    expect(cutOff.isLeader()).toBe(false);
    expect(starts).toBe(2);
    await cutOff.stop();
  });
});
