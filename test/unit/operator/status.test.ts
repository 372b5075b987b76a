import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../../../src/kube/types.js';
import {
  computeStatus,
  lastBackupOf,
  statusChanged,
  workloadReadiness,
} from '../../../src/operator/status.js';
import type { LastBackup, StatusInput, WorkloadReadiness } from '../../../src/operator/status.js';

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

describe('lastBackupOf', () => {
  const cronJob = (lastSuccessfulTime?: string): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'db-backup', namespace: 'ns', uid: 'cron-uid' },
    ...(lastSuccessfulTime !== undefined ? { status: { lastSuccessfulTime } } : {}),
  });
  const job = (
    name: string,
    condition: { type: string; status?: string; time: string; reason?: string; message?: string } | undefined,
    owner = 'cron-uid',
    completionTime?: string,
  ): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'ns',
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'db-backup', uid: owner }],
    },
    status: {
      ...(completionTime !== undefined ? { completionTime } : {}),
      conditions:
        condition === undefined
          ? []
          : [
              {
                type: condition.type,
                status: condition.status ?? 'True',
                lastTransitionTime: condition.time,
                ...(condition.reason !== undefined ? { reason: condition.reason } : {}),
                ...(condition.message !== undefined ? { message: condition.message } : {}),
              },
            ],
    },
  });
  const T1 = '2026-11-01T02:00:10Z';
  const T2 = '2026-11-02T02:00:10Z';
  const T3 = '2026-11-03T02:00:10Z';

  const cases: Array<{
    what: string;
    cron: KubeObject | undefined;
    jobs: KubeObject[];
    previous?: LastBackup;
    want: LastBackup | undefined;
  }> = [
    { what: 'nothing ran yet', cron: cronJob(), jobs: [], want: undefined },
    {
      what: 'a completed Job',
      cron: cronJob(T1),
      jobs: [job('b-1', { type: 'Complete', time: T1 }, 'cron-uid', T1)],
      want: { time: T1, succeeded: true, jobName: 'b-1' },
    },
    {
      what: 'the newest of several finished Jobs (a failure, with its reason)',
      cron: cronJob(T1),
      jobs: [
        job('b-1', { type: 'Complete', time: T1 }, 'cron-uid', T1),
        job('b-2', {
          type: 'Failed',
          time: T2,
          reason: 'BackoffLimitExceeded',
          message: 'has reached the limit',
        }),
      ],
      want: {
        time: T2,
        succeeded: false,
        jobName: 'b-2',
        message: 'BackoffLimitExceeded: has reached the limit',
      },
    },
    {
      what: 'a running Job does not count',
      cron: cronJob(T1),
      jobs: [job('b-1', { type: 'Complete', time: T1 }, 'cron-uid', T1), job('b-2', undefined)],
      want: { time: T1, succeeded: true, jobName: 'b-1' },
    },
    {
      what: 'a condition that is not True does not count',
      cron: cronJob(),
      jobs: [job('b-1', { type: 'Failed', status: 'False', time: T1 })],
      want: undefined,
    },
    {
      what: 'Jobs of another owner are ignored',
      cron: cronJob(),
      jobs: [job('agent-x', { type: 'Complete', time: T3 }, 'other-uid', T3)],
      want: undefined,
    },
    {
      what: 'only the CronJob time is left (Jobs deleted)',
      cron: cronJob(T2),
      jobs: [],
      want: { time: T2, succeeded: true },
    },
    {
      what: 'the CronJob time of the backup already recorded keeps the Job name',
      cron: cronJob(T2),
      jobs: [],
      previous: { time: T2, succeeded: true, jobName: 'b-2' },
      want: { time: T2, succeeded: true, jobName: 'b-2' },
    },
    {
      what: 'a newer failure in the status survives its Job being deleted',
      cron: cronJob(T1),
      jobs: [],
      previous: { time: T2, succeeded: false, jobName: 'b-2', message: 'BackoffLimitExceeded' },
      want: { time: T2, succeeded: false, jobName: 'b-2', message: 'BackoffLimitExceeded' },
    },
    {
      what: 'a newer Job replaces the previous value',
      cron: cronJob(T1),
      jobs: [job('b-3', { type: 'Complete', time: T3 }, 'cron-uid', T3)],
      previous: { time: T2, succeeded: false, jobName: 'b-2' },
      want: { time: T3, succeeded: true, jobName: 'b-3' },
    },
    {
      what: 'CronJob not observed yet: the previous value stays',
      cron: undefined,
      jobs: [job('b-3', { type: 'Complete', time: T3 }, 'cron-uid', T3)],
      previous: { time: T2, succeeded: true, jobName: 'b-2' },
      want: { time: T2, succeeded: true, jobName: 'b-2' },
    },
  ];
  it.each(cases)('$what', ({ cron, jobs, previous, want }) => {
    expect(lastBackupOf(cron, jobs, previous)).toEqual(want);
  });

  it('computeStatus reports it under databaseStatus and writes only when it changes', () => {
    const lastBackup: LastBackup = { time: T1, succeeded: true, jobName: 'b-1' };
    const first = computeStatus({ ...base, lastBackup });
    expect(first.databaseStatus?.lastBackup).toEqual(lastBackup);
    const derived = lastBackupOf(cronJob(T1), [], first.databaseStatus?.lastBackup);
    expect(derived).toEqual(lastBackup);
    const again = computeStatus({
      ...base,
      previous: first,
      ...(derived ? { lastBackup: derived } : {}),
      now: t2,
    });
    expect(statusChanged(first, again)).toBe(false);
    const failed = computeStatus({
      ...base,
      previous: first,
      lastBackup: { time: T2, succeeded: false, jobName: 'b-2' },
      now: t2,
    });
    expect(statusChanged(first, failed)).toBe(true);
    expect(failed.databaseStatus).toMatchObject({ phase: 'Running', lastBackup: { succeeded: false } });
    expect(computeStatus(base).databaseStatus).not.toHaveProperty('lastBackup');
  });
});
