import { describe, expect, it } from 'vitest';

import { parsePolicyDenials, PolicyDenialTracker } from '../../../src/operator/policy-denials.js';
import type { PolicyDenialSample } from '../../../src/operator/policy-denials.js';
import { ProtectionAccounting } from '../../../src/operator/protection-accounting.js';

const METRIC = 'apiserver_validating_admission_policy_check_total';

describe('parsePolicyDenials', () => {
  it.each([
    {
      what: 'one deny series (as kube-apiserver 1.35 prints it)',
      text: [
        `# HELP ${METRIC} [BETA] Validation admission policy check total.`,
        `# TYPE ${METRIC} counter`,
        `${METRIC}{enforcement_action="deny",error_type="invalid_error",policy="p1",policy_binding="p1"} 3`,
        'process_start_time_seconds 1.79545094928e+09',
      ],
      denials: { p1: 3 },
      startTime: 1795450949.28,
    },
    {
      what: 'sums bindings and error types, ignores warn/audit and other metrics',
      text: [
        `${METRIC}{enforcement_action="deny",error_type="invalid_error",policy="p1",policy_binding="p1"} 2`,
        `${METRIC}{enforcement_action="deny",error_type="invalid_error",policy="p1",policy_binding="p1-scale"} 5`,
        `${METRIC}{enforcement_action="deny",error_type="compile_error",policy="p1",policy_binding="p1"} 1`,
        `${METRIC}{enforcement_action="warn",error_type="invalid_error",policy="p1",policy_binding="p1"} 7`,
        `${METRIC}{enforcement_action="audit",error_type="invalid_error",policy="p2",policy_binding="p2"} 4`,
        `apiserver_validating_admission_policy_check_duration_seconds_count{enforcement_action="deny",error_type="invalid_error",policy="p2",policy_binding="p2"} 9`,
      ],
      denials: { p1: 8 },
      startTime: undefined,
    },
    {
      what: 'escaped label values, a timestamp, spaces, and malformed lines',
      text: [
        `${METRIC}{policy="a\\"b",enforcement_action="deny", policy_binding="x\\\\y",} 4 1700000000000`,
        `${METRIC}{policy="broken,enforcement_action="deny"} 1`,
        `${METRIC}{policy="nan",enforcement_action="deny"} NaN`,
        `${METRIC}{enforcement_action="deny"} 6`,
        '',
      ],
      denials: { 'a"b': 4 },
      startTime: undefined,
    },
  ])('$what', ({ text, denials, startTime }) => {
    const sample = parsePolicyDenials(text.join('\n'));
    expect(Object.fromEntries(sample.denials)).toEqual(denials);
    expect(sample.startTime).toBe(startTime);
  });
});

function sample(denials: Record<string, number>, startTime?: number): PolicyDenialSample {
  return { denials: new Map(Object.entries(denials)), ...(startTime !== undefined ? { startTime } : {}) };
}

describe('PolicyDenialTracker', () => {
  it.each([
    {
      what: 'the first read is a baseline',
      samples: [sample({ p: 10 }, 1)],
      deltas: [{}],
    },
    {
      what: 'increases per policy; unchanged policies yield nothing',
      samples: [sample({ p: 10, q: 1 }, 1), sample({ p: 12, q: 1 }, 1), sample({ p: 12, q: 4 }, 1)],
      deltas: [{}, { p: 2 }, { q: 3 }],
    },
    {
      what: 'a policy appearing after the baseline counts in full',
      samples: [sample({ p: 1 }, 1), sample({ p: 1, q: 2 }, 1)],
      deltas: [{}, { q: 2 }],
    },
    {
      what: 'a decreasing series is a reset',
      samples: [sample({ p: 10 }), sample({ p: 3 }), sample({ p: 5 })],
      deltas: [{}, { p: 3 }, { p: 2 }],
    },
    {
      what: 'a new API server start time is a reset even when the counter grew past the old value',
      samples: [sample({ p: 2 }, 1), sample({ p: 5 }, 2), sample({ p: 6 }, 2)],
      deltas: [{}, { p: 5 }, { p: 1 }],
    },
    {
      what: 'a policy that disappears and comes back (restart without start time) counts anew',
      samples: [sample({ p: 4 }), sample({}), sample({ p: 1 })],
      deltas: [{}, {}, { p: 1 }],
    },
  ])('$what', ({ samples, deltas }) => {
    const tracker = new PolicyDenialTracker();
    expect(samples.map((s) => Object.fromEntries(tracker.observe(s)))).toEqual(deltas);
  });

  it('starts from a new baseline after reset()', () => {
    const tracker = new PolicyDenialTracker();
    tracker.observe(sample({ p: 1 }));
    tracker.reset();
    expect(tracker.observe(sample({ p: 9 })).size).toBe(0);
    expect(Object.fromEntries(tracker.observe(sample({ p: 10 })))).toEqual({ p: 1 });
  });
});

describe('ProtectionAccounting.recordPolicy', () => {
  it('adds policy denials to the pending counts and emits one rate-limited Event', () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const events: string[] = [];
    const accounting = new ProtectionAccounting({
      now: () => now,
      eventIntervalMs: 10_000,
      emitEvent: (_owner, _reason, message) => events.push(message),
    });
    const owner = { namespace: 'ns', name: 'op' };
    accounting.recordPolicy(owner, 3, 'multinic-protection-ns-op');
    now = new Date('2026-01-01T00:00:01Z');
    accounting.recordPolicy(owner, 2, 'multinic-protection-ns-op');
    accounting.recordPolicy(owner, 0, 'multinic-protection-ns-op');
    expect(accounting.take(owner)).toEqual({ count: 5, last: now });
    expect(events).toHaveLength(1);
    expect(events[0]).toContain('denied 3 mutations');
    now = new Date('2026-01-01T00:00:20Z');
    accounting.recordPolicy(owner, 1, 'multinic-protection-ns-op');
    expect(events[1]).toContain('(2 more denials not reported separately)');
  });
});
