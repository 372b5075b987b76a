import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../../../src/kube/types.js';
import { computeStatus, statusChanged, workloadReadiness } from '../../../src/operator/status.js';
import type { StatusInput, WorkloadReadiness } from '../../../src/operator/status.js';

const t1 = new Date('2026-11-01T00:00:00Z');
const t2 = new Date('2026-11-01T00:05:00Z');

function workload(component: string, ready: number, desired = 1, found = true): WorkloadReadiness {
  return {
    component,
    kind: component === 'database' ? 'StatefulSet' : 'Deployment',
    name: component,
    found,
    desiredReplicas: desired,
    readyReplicas: ready,
    rolledOut: found,
  };
}

const base: StatusInput = {
  generation: 3,
  previous: undefined,
  workloads: [workload('controller', 1), workload('database', 1)],
  database: 'internal',
  protectionActive: true,
  protectionMode: 'policy',
  now: t1,
};

describe('computeStatus', () => {
  it('reports Running with every field filled when all components are ready', () => {
    const status = computeStatus(base);
    expect(status).toMatchObject({
      phase: 'Running',
      message: 'All components are running successfully',
      observedGeneration: 3,
      controllerStatus: {
        phase: 'Running',
        readyReplicas: 1,
        desiredReplicas: 1,
        lastUpdated: t1.toISOString(),
      },
      databaseStatus: { phase: 'Running', readyReplicas: 1, desiredReplicas: 1 },
      protectionStatus: { active: true, mode: 'policy', preventedMutations: 0 },
      lastUpdated: t1.toISOString(),
    });
    expect(status.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'AllComponentsReady'],
      ['Progressing', 'False', 'RolloutComplete'],
      ['Degraded', 'False', 'AsExpected'],
      ['controllerReady', 'True', 'Ready'],
      ['databaseReady', 'True', 'Ready'],
    ]);
    expect(status.conditions.every((c) => c.observedGeneration === 3)).toBe(true);
  });

  it('reports Pending with the partially ready component named', () => {
    const status = computeStatus({
      ...base,
      workloads: [workload('controller', 1, 2), workload('database', 1)],
    });
    expect(status.phase).toBe('Pending');
    expect(status.message).toContain('Deployment controller');
    const controller = status.conditions.find((c) => c.type === 'controllerReady');
    expect(controller).toMatchObject({
      status: 'False',
      reason: 'PartiallyReady',
      message: 'Deployment controller: 1/2 replicas ready',
    });
    expect(status.conditions.find((c) => c.type === 'Progressing')?.status).toBe('True');
  });

  it('reports Error and Degraded with the failure reason', () => {
    const status = computeStatus({
      ...base,
      error: { reason: 'ApplyFailed', message: 'Deployment x: forbidden' },
    });
    expect(status.phase).toBe('Error');
    expect(status.conditions.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'ApplyFailed',
    });
    expect(status.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ApplyFailed',
    });
  });

  it('produces an identical status (no write) when nothing changed', () => {
    const first = computeStatus(base);
    const again = computeStatus({
      ...base,
      previous: JSON.parse(JSON.stringify(first)) as typeof first,
      now: t2,
    });
    expect(statusChanged(first, again)).toBe(false);
    expect(again).toEqual(first);
  });

  it('keeps transition times of conditions that did not flip', () => {
    const first = computeStatus({ ...base, workloads: [workload('controller', 0), workload('database', 1)] });
    const second = computeStatus({ ...base, previous: first, now: t2 });
    expect(statusChanged(first, second)).toBe(true);
    expect(second.lastUpdated).toBe(t2.toISOString());
    const find = (type: string, s: typeof first) =>
      s.conditions.find((c) => c.type === type)?.lastTransitionTime;
    expect(find('databaseReady', second)).toBe(t1.toISOString());
    expect(find('controllerReady', second)).toBe(t2.toISOString());
    expect(second.databaseStatus?.lastUpdated).toBe(t1.toISOString());
    expect(second.controllerStatus?.lastUpdated).toBe(t2.toISOString());
  });

  it('adds new denials to the counter', () => {
    const first = computeStatus(base);
    const second = computeStatus({ ...base, previous: first, newDenials: { count: 3, last: t2 }, now: t2 });
    expect(second.protectionStatus).toEqual({
      active: true,
      mode: 'policy',
      preventedMutations: 3,
      lastProtectionEvent: t2.toISOString(),
    });
    const third = computeStatus({ ...base, previous: second, now: t2 });
    expect(third.protectionStatus.preventedMutations).toBe(3);
    expect(statusChanged(second, third)).toBe(false);
  });

  it('says External for an external database and drops the DatabaseReady condition', () => {
    const status = computeStatus({ ...base, database: 'external', workloads: [workload('controller', 1)] });
    expect(status.databaseStatus?.phase).toBe('External');
    expect(status.conditions.some((c) => c.type === 'databaseReady')).toBe(false);
    expect(status.phase).toBe('Running');
  });

  it('reports a missing workload as NotFound', () => {
    const status = computeStatus({ ...base, workloads: [workload('controller', 0, 1, false)] });
    expect(status.controllerStatus?.phase).toBe('Pending');
    expect(status.conditions.find((c) => c.type === 'controllerReady')?.reason).toBe('NotFound');
  });
});

describe('workloadReadiness', () => {
  const desired: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'c' },
    spec: { replicas: 2 },
  };
  it('needs the latest generation observed and every replica updated and ready', () => {
    const observed: KubeObject = {
      ...desired,
      metadata: { name: 'c', generation: 2 },
      status: { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2 },
    };
    expect(workloadReadiness('controller', desired, observed)).toMatchObject({
      found: true,
      rolledOut: true,
      readyReplicas: 2,
    });
    const stale = { ...observed, status: { observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2 } };
    expect(workloadReadiness('controller', desired, stale).rolledOut).toBe(false);
    expect(workloadReadiness('controller', desired, undefined)).toMatchObject({
      found: false,
      desiredReplicas: 2,
    });
  });
});
