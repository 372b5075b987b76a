import { describe, expect, it } from 'vitest';
import type { AgentResult } from '../../../src/agent/result.js';
import {
  FINALIZER,
  buildJob,
  jobView,
  osFamilyOf,
  planBizConfig,
  planNodeConfig,
  specHash,
  type Action,
  type BizConfigObject,
  type JobView,
  type NodeConfigObject,
  type NodeConfigPlanInput,
} from '../../../src/agent-controller/plan.js';
import { RolloutGate } from '../../../src/agent-controller/rollout.js';
import { isSubset } from '../../../src/kube/apply.js';

const now = new Date('2026-01-01T00:00:00Z');
const UUID = '11111111-2222-3333-4444-555555555555';

function config(
  overrides: Partial<NodeConfigObject['metadata']> = {},
  status?: NodeConfigObject['status'],
): NodeConfigObject {
  return {
    apiVersion: 'multinic.io/v1alpha1',
    kind: 'MultiNicNodeConfig',
    metadata: {
      name: 'node-a',
      namespace: 'multinic-system',
      uid: 'uid-1',
      generation: 1,
      finalizers: [FINALIZER],
      ...overrides,
    },
    spec: {
      nodeName: 'node-a',
      instanceId: UUID,
      interfaces: [
        { id: 0, macAddress: 'fa:16:3e:00:00:01', address: '10.0.0.5', cidr: '10.0.0.0/24', mtu: 1450 },
        { id: 1, macAddress: 'FA:16:3E:00:00:02', address: '10.0.1.5', cidr: '10.0.1.0/24', mtu: 1450 },
      ],
    },
    ...(status ? { status } : {}),
  };
}

const node = { name: 'node-a', systemUUID: UUID.toUpperCase(), osImage: 'Ubuntu 24.04.1 LTS' };

function input(overrides: Partial<NodeConfigPlanInput> = {}): NodeConfigPlanInput {
  return {
    config: config(),
    node,
    jobs: [],
    slotGranted: true,
    maxConcurrentNodes: 1,
    jobDefaults: { namespace: 'multinic-agent' },
    now,
    ...overrides,
  };
}

function job(overrides: Partial<JobView>): JobView {
  return {
    name: 'multinic-agent-node-a-g1',
    action: 'apply',
    generation: 1,
    nodeName: 'node-a',
    phase: 'Active',
    configKey: 'multinic-system/node-a',
    configUid: 'uid-1',
    deleting: false,
    ...overrides,
  };
}

const types = (actions: Action[]): string[] =>
  actions.map((a) => (a.type === 'event' ? `event:${a.reason}` : a.type));
const statusOf = (actions: Action[]) => {
  const write = actions.find((a) => a.type === 'writeStatus');
  if (write?.type !== 'writeStatus') throw new Error(`no writeStatus in ${types(actions).join(',')}`);
  return write.status;
};

const success: AgentResult = {
  delete_errors: 0,
  deleted_total: 0,
  failed: 0,
  failures: [],
  node: 'node-a',
  processed: 2,
  results: [
    { id: 0, mac: 'fa:16:3e:00:00:01', name: 'multinic0', status: 'Configured' },
    { id: 1, mac: 'fa:16:3e:00:00:02', name: 'multinic1', status: 'Configured' },
  ],
  timestamp: '2026-01-01T00:00:00Z',
  total: 2,
};
const partial: AgentResult = {
  ...success,
  failed: 1,
  processed: 1,
  results: [success.results[0]!],
  failures: [
    {
      id: 1,
      mac: 'fa:16:3e:00:00:02',
      name: 'multinic1',
      errorType: 'network',
      reason: 'link did not come up',
    },
  ],
  rolled_back: true,
};

describe('planNodeConfig', () => {
  it('adds the finalizer first', () => {
    expect(types(planNodeConfig(input({ config: config({ finalizers: [] }) })))).toEqual(['addFinalizer']);
  });

  it('creates the Job of the generation, pinned to the node, and reports InProgress/SpecChanged', () => {
    const actions = planNodeConfig(input());
    expect(types(actions)).toEqual(['createJob', 'writeStatus', 'event:JobCreated']);
    const create = actions[0];
    if (create?.type !== 'createJob') throw new Error('expected createJob');
    expect(create.job.metadata.name).toBe('multinic-agent-node-a-g1');
    expect(create.job.metadata.namespace).toBe('multinic-agent');
    expect(JSON.stringify(create.job.spec)).toContain('"values":["node-a"]');
    expect(create.job.metadata.annotations['multinic.io/node-config-uid']).toBe('uid-1');
    const status = statusOf(actions);
    expect(status).toMatchObject({
      state: 'InProgress',
      observedGeneration: 1,
      observedSpecHash: specHash(config().spec),
      lastJobName: 'multinic-agent-node-a-g1',
    });
    expect(status.conditions?.find((c) => c.type === 'InProgress')).toMatchObject({
      status: 'True',
      reason: 'SpecChanged',
    });
    expect(status.interfaceStatuses?.map((s) => [s.name, s.macAddress, s.status])).toEqual([
      ['multinic0', 'fa:16:3e:00:00:01', 'InProgress'],
      ['multinic1', 'fa:16:3e:00:00:02', 'InProgress'],
    ]);
  });

  it('asks for a rollout slot and reports Pending/WaitingForRollout when it has none', () => {
    const actions = planNodeConfig(input({ slotGranted: false, maxConcurrentNodes: 3 }));
    expect(types(actions)).toEqual(['waitForSlot', 'writeStatus']);
    expect(statusOf(actions).state).toBe('Pending');
    expect(statusOf(actions).conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      'at most 3 node(s)',
    );
  });

  it('reports a missing Node as Pending/NodeNotFound without a Job', () => {
    const actions = planNodeConfig(input({ node: undefined }));
    expect(types(actions)).toEqual(['writeStatus']);
    expect(statusOf(actions)).toMatchObject({ state: 'Pending' });
    expect(statusOf(actions).conditions?.find((c) => c.type === 'Ready')?.reason).toBe('NodeNotFound');
  });

  it('fails on an instance-id mismatch (case-insensitive, trimmed compare) with an Event', () => {
    expect(
      types(planNodeConfig(input({ node: { ...node, systemUUID: ` ${UUID.toUpperCase()} ` } }))),
    ).toContain('createJob');
    const actions = planNodeConfig(input({ node: { ...node, systemUUID: 'other' } }));
    expect(types(actions)).toEqual(['writeStatus', 'event:InstanceMismatch']);
    expect(statusOf(actions).state).toBe('Failed');
  });

  it('leaves a Node outside the agent node selector alone (Pending/NodeNotSelected)', () => {
    const actions = planNodeConfig(
      input({ nodeSelector: { pool: 'net' }, node: { ...node, labels: { pool: 'other' } } }),
    );
    expect(types(actions)).toEqual(['writeStatus']);
    expect(statusOf(actions).conditions?.find((c) => c.type === 'Ready')?.reason).toBe('NodeNotSelected');
    expect(
      types(
        planNodeConfig(input({ nodeSelector: { pool: 'net' }, node: { ...node, labels: { pool: 'net' } } })),
      ),
    ).toContain('createJob');
  });

  it('keeps InProgress/JobScheduled while the Job runs', () => {
    const running = config({}, { state: 'InProgress', observedGeneration: 1 });
    const actions = planNodeConfig(input({ config: running, jobs: [job({})] }));
    expect(types(actions)).toEqual(['writeStatus']);
    expect(statusOf(actions).conditions?.find((c) => c.type === 'InProgress')?.reason).toBe('JobScheduled');
  });

  const finishedCases: {
    title: string;
    phase: 'Succeeded' | 'Failed';
    result?: AgentResult;
    state: string;
    reason: string;
    interfaces: [string | undefined, string | undefined][];
  }[] = [
    {
      title: 'succeeded with results',
      phase: 'Succeeded',
      result: success,
      state: 'Configured',
      reason: 'JobSucceeded',
      interfaces: [
        ['Configured', 'JobSucceeded'],
        ['Configured', 'JobSucceeded'],
      ],
    },
    {
      title: 'succeeded without a message',
      phase: 'Succeeded',
      state: 'Configured',
      reason: 'JobSucceeded',
      interfaces: [
        ['Configured', 'JobSucceeded'],
        ['Configured', 'JobSucceeded'],
      ],
    },
    {
      title: 'succeeded but listing failures',
      phase: 'Succeeded',
      result: partial,
      state: 'Failed',
      reason: 'JobFailedPartial',
      interfaces: [
        ['Configured', 'JobSucceeded'],
        ['Failed', 'JobFailedPartial'],
      ],
    },
    {
      title: 'failed with one of two interfaces failing',
      phase: 'Failed',
      result: partial,
      state: 'Failed',
      reason: 'JobFailedPartial',
      interfaces: [
        ['Configured', 'JobPartialSuccess'],
        ['Failed', 'JobFailed'],
      ],
    },
    {
      title: 'failed without a message',
      phase: 'Failed',
      state: 'Failed',
      reason: 'JobFailed',
      interfaces: [
        ['Failed', 'JobFailed'],
        ['Failed', 'JobFailed'],
      ],
    },
  ];
  for (const c of finishedCases) {
    it(`turns a Job that ${c.title} into ${c.state}/${c.reason}`, () => {
      const running = config({}, { state: 'InProgress', observedGeneration: 1 });
      const actions = planNodeConfig(
        input({
          config: running,
          jobs: [
            job({
              phase: c.phase,
              ...(c.phase === 'Failed'
                ? { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }
                : {}),
            }),
          ],
          result: c.result,
          resultError: c.result ? undefined : 'no termination message',
        }),
      );
      const status = statusOf(actions);
      expect(status.state).toBe(c.state);
      expect(status.conditions?.find((x) => x.type === 'Ready')).toMatchObject({
        status: c.state === 'Configured' ? 'True' : 'False',
        reason: c.reason,
      });
      expect(status.interfaceStatuses?.map((s) => [s.status, s.reason])).toEqual(c.interfaces);
      expect(types(actions).some((t) => t.startsWith('event:'))).toBe(c.state === 'Failed');
    });
  }

  it('names the failure and the rollback in the Failed message', () => {
    const actions = planNodeConfig(
      input({
        config: config({}, { state: 'InProgress', observedGeneration: 1 }),
        jobs: [job({ phase: 'Failed' })],
        result: partial,
      }),
    );
    const ready = statusOf(actions).conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).toBe(
      '1 of 2 interfaces failed (every change was rolled back): multinic1: link did not come up',
    );
    expect(statusOf(actions).interfaceStatuses?.[1]?.message).toBe('network: link did not come up');
  });

  it('does nothing once the generation is settled, except removing finished older Jobs', () => {
    const settled = config(
      { generation: 2 },
      { state: 'Configured', observedGeneration: 2, observedSpecHash: specHash(config().spec) },
    );
    const jobs = [
      job({ name: 'multinic-agent-node-a-g2', generation: 2, phase: 'Succeeded' }),
      job({ phase: 'Succeeded' }),
    ];
    expect(planNodeConfig(input({ config: settled, jobs }))).toEqual([
      { type: 'deleteJob', name: 'multinic-agent-node-a-g1' },
    ]);
  });

  it('waits for an in-flight Job of an older generation instead of killing it', () => {
    const changed = config({ generation: 2 }, { state: 'InProgress', observedGeneration: 1 });
    const actions = planNodeConfig(input({ config: changed, jobs: [job({ phase: 'Active' })] }));
    expect(types(actions)).toEqual(['writeStatus']);
    expect(statusOf(actions).conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      'waiting for Job multinic-agent-node-a-g1',
    );
  });

  it('starts a new Job for a new generation once the old one finished', () => {
    const changed = config({ generation: 2 }, { state: 'Configured', observedGeneration: 1 });
    const actions = planNodeConfig(input({ config: changed, jobs: [job({ phase: 'Succeeded' })] }));
    const create = actions.find((a) => a.type === 'createJob');
    expect(create?.type === 'createJob' && create.job.metadata.name).toBe('multinic-agent-node-a-g2');
    expect(statusOf(actions).conditions?.find((c) => c.type === 'InProgress')?.reason).toBe('SpecChanged');
  });

  it('removes a same-named Job left by a deleted and recreated config before creating its own', () => {
    expect(planNodeConfig(input({ jobs: [job({ configUid: 'old-uid', phase: 'Succeeded' })] }))).toEqual([
      { type: 'deleteJob', name: 'multinic-agent-node-a-g1' },
    ]);
  });

  describe('deletion', () => {
    const deleting = (status?: NodeConfigObject['status']) =>
      config({ deletionTimestamp: '2026-01-01T00:00:00Z' }, status);
    const cleanupJob = (phase: JobView['phase'], configUid = 'uid-1') =>
      job({
        name: 'multinic-agent-cleanup-node-a',
        action: 'cleanup',
        generation: undefined,
        phase,
        configUid,
      });

    it('runs a cleanup Job (rollout-gated)', () => {
      const actions = planNodeConfig(input({ config: deleting() }));
      expect(types(actions)).toEqual(['createJob']);
      const create = actions[0];
      expect(create?.type === 'createJob' && create.job.metadata.labels['multinic.io/action']).toBe(
        'cleanup',
      );
      expect(types(planNodeConfig(input({ config: deleting(), slotGranted: false })))).toEqual([
        'waitForSlot',
      ]);
    });

    it('waits for a running apply Job before cleaning', () => {
      expect(planNodeConfig(input({ config: deleting(), jobs: [job({ phase: 'Active' })] }))).toEqual([]);
    });

    it('removes Jobs and the finalizer after a successful cleanup', () => {
      const actions = planNodeConfig(
        input({ config: deleting(), jobs: [cleanupJob('Succeeded'), job({ phase: 'Succeeded' })] }),
      );
      expect(types(actions)).toEqual(['event:CleanedUp', 'deleteJob', 'deleteJob', 'removeFinalizer']);
    });

    it('lets the config go with a Warning when cleanup failed (never blocks deletion forever)', () => {
      expect(types(planNodeConfig(input({ config: deleting(), jobs: [cleanupJob('Failed')] })))).toEqual([
        'event:CleanupFailed',
        'deleteJob',
        'removeFinalizer',
      ]);
    });

    it('replaces a cleanup Job of another incarnation and drops the finalizer at once when the Node is gone', () => {
      expect(planNodeConfig(input({ config: deleting(), jobs: [cleanupJob('Succeeded', 'old')] }))).toEqual([
        { type: 'deleteJob', name: 'multinic-agent-cleanup-node-a' },
      ]);
      expect(types(planNodeConfig(input({ config: deleting(), node: undefined })))).toEqual([
        'removeFinalizer',
      ]);
    });
  });
});

describe('views and helpers', () => {
  it('reads a Job into a view', () => {
    const manifest = buildJob(config(), node, 'apply', { namespace: 'multinic-agent' });
    const view = jobView({
      ...(manifest as unknown as NodeConfigObject),
      status: {
        conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'too slow' }],
      },
    });
    expect(view).toMatchObject({
      name: 'multinic-agent-node-a-g1',
      action: 'apply',
      generation: 1,
      nodeName: 'node-a',
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      configKey: 'multinic-system/node-a',
      configUid: 'uid-1',
    });
  });

  it('maps osImage to the agent backend family', () => {
    expect(
      [
        'Ubuntu 22.04.4 LTS',
        'Red Hat Enterprise Linux 9.4 (Plow)',
        'Rocky Linux 8.10',
        'CentOS Linux 7 (Core)',
        'SUSE Linux Enterprise Server 15 SP5',
        'kwok fake node',
      ].map(osFamilyOf),
    ).toEqual(['ubuntu', 'rhel', 'rhel', 'rhel7', 'suse', undefined]);
  });

  it('hashes the spec independent of key order', () => {
    expect(specHash({ b: 1, a: { d: 2, c: 3 } })).toBe(specHash({ a: { c: 3, d: 2 }, b: 1 }));
    expect(specHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('RolloutGate', () => {
  it('grants at most max slots, counts running Jobs, and hands slots to waiting keys in order', () => {
    const gate = new RolloutGate(2);
    const active = new Set(['n1']);
    expect(gate.tryAcquire('n2', active)).toBe(true);
    expect(gate.tryAcquire('n3', active)).toBe(false);
    expect(gate.tryAcquire('n1', active)).toBe(true);
    gate.wait('k3');
    gate.wait('k4');
    gate.bind('n2', 'job-n2');
    gate.observed('n2', 'other-job');
    expect(gate.inFlight(active)).toBe(2);
    gate.observed('n2', 'job-n2');
    expect(gate.inFlight(active)).toBe(1);
    expect(gate.takeWaiting(1)).toEqual(['k3']);
    expect(gate.takeWaiting(5)).toEqual(['k4']);
  });
});

describe('planBizConfig', () => {
  const biz: BizConfigObject = {
    apiVersion: 'multinic.io/v1alpha1',
    kind: 'MultiNicBizConfig',
    metadata: { name: 'biz', namespace: 'multinic-system', uid: 'biz-uid', generation: 3 },
    spec: {
      nodeConfigs: [
        {
          attachedNodeName: 'node-a',
          attachedNodeId: UUID,
          interfaces: [
            { macAddress: 'fa:16:3e:00:00:01', address: '10.0.0.5', cidr: '10.0.0.0/24', mtu: 1450 },
          ],
        },
        {
          attachedNodeName: 'node-b',
          interfaces: [
            { macAddress: 'fa:16:3e:00:00:02', address: '10.0.0.6', cidr: '10.0.0.0/24', mtu: 1450 },
          ],
        },
        {
          attachedNodeName: 'node-c',
          interfaces: [
            { macAddress: 'fa:16:3e:00:00:03', address: '10.0.0.7', cidr: '10.0.0.0/24', mtu: 1450 },
          ],
        },
      ],
    },
  };
  const owner = [
    {
      apiVersion: 'multinic.io/v1alpha1',
      kind: 'MultiNicBizConfig',
      name: 'biz',
      uid: 'biz-uid',
      controller: true,
    },
  ];

  it('creates owned node configs with slots in list order, prunes unlisted ones and rolls states up', () => {
    const plan0 = planBizConfig({ biz, nodeConfigs: [], now }, isSubset);
    expect(plan0.apply.map((o) => o.metadata.name)).toEqual(['node-a', 'node-b', 'node-c']);
    expect(plan0.apply[0]).toMatchObject({
      metadata: {
        labels: { 'multinic.io/biz-config': 'biz' },
        ownerReferences: [{ uid: 'biz-uid', controller: true }],
      },
      spec: {
        nodeName: 'node-a',
        instanceId: UUID,
        interfaces: [{ id: 0, name: 'multinic0', macAddress: 'fa:16:3e:00:00:01' }],
      },
    });

    const existing = plan0.apply.map((desired, index) => ({
      ...(desired as NodeConfigObject),
      metadata: { ...desired.metadata, generation: 1, uid: `u${index}` },
      status: {
        state: index === 0 ? ('Configured' as const) : ('Failed' as const),
        observedGeneration: 1,
        conditions: [],
      },
    }));
    const stray = {
      ...(existing[0] as NodeConfigObject),
      metadata: { ...existing[0]!.metadata, name: 'node-z', ownerReferences: owner },
    };
    const foreign = {
      ...(existing[2] as NodeConfigObject),
      metadata: { ...existing[2]!.metadata, ownerReferences: [] },
    };
    const plan = planBizConfig(
      { biz, nodeConfigs: [existing[0]!, existing[1]!, foreign, stray], now },
      isSubset,
    );
    expect(plan.apply).toEqual([]);
    expect(plan.remove).toEqual(['node-z']);
    expect(plan.status['summary']).toEqual({
      totalNodes: 3,
      configuredNodes: 1,
      failedNodes: 2,
      pendingNodes: 0,
    });
    const conditions = plan.status['conditions'] as { type: string; status: string; reason: string }[];
    expect(conditions.find((c) => c.type === 'Applied')).toMatchObject({
      status: 'False',
      reason: 'NodeConfigConflict',
    });
    expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'NodesFailed',
    });
  });
});

describe('RolloutGate reservations', () => {
  it('expires a reservation whose Job never appeared, so a slot cannot leak', () => {
    let now = 0;
    const gate = new RolloutGate(1, () => now, 1_000);
    expect(gate.tryAcquire('n1', new Set())).toBe(true);
    expect(gate.tryAcquire('n2', new Set())).toBe(false);
    now = 1_001;
    expect(gate.tryAcquire('n2', new Set())).toBe(true);
  });
});
