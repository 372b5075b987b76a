import { describe, expect, it } from 'vitest';
import { getCondition, setCondition, statusChanged, type Condition } from '../../../src/kube/conditions.js';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-01T01:00:00.000Z');

describe('setCondition', () => {
  it('adds a condition with the transition time', () => {
    const list = setCondition([], { type: 'Ready', status: 'True', reason: 'Done', message: 'ok' }, t0);
    expect(list).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Done',
        message: 'ok',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('keeps lastTransitionTime when the status is unchanged, even if reason and message change', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, t0);
    const second = setCondition(first, { type: 'Ready', status: 'False', reason: 'B', message: 'b' }, t1);
    expect(getCondition(second, 'Ready')).toMatchObject({
      reason: 'B',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
  });

  it('moves lastTransitionTime when the status flips and keeps the other conditions in order', () => {
    let list: Condition[] = [];
    list = setCondition(list, { type: 'Ready', status: 'False', reason: 'A', message: '' }, t0);
    list = setCondition(list, { type: 'Degraded', status: 'False', reason: 'A', message: '' }, t0);
    list = setCondition(list, { type: 'Ready', status: 'True', reason: 'B', message: '' }, t1);
    expect(list.map((c) => c.type)).toEqual(['Ready', 'Degraded']);
    expect(getCondition(list, 'Ready')?.lastTransitionTime).toBe('2026-01-01T01:00:00Z');
    expect(getCondition(list, 'Degraded')?.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });
});

describe('statusChanged', () => {
  it('ignores timestamps at any depth', () => {
    const a = { state: 'Ok', lastUpdated: 'x', conditions: [{ type: 'Ready', lastTransitionTime: '1' }] };
    const b = { state: 'Ok', lastUpdated: 'y', conditions: [{ type: 'Ready', lastTransitionTime: '2' }] };
    expect(statusChanged(a, b)).toBe(false);
  });

  it('ignores key order and undefined values but sees real changes', () => {
    expect(statusChanged({ a: 1, b: 2, c: undefined }, { b: 2, a: 1 })).toBe(false);
    expect(statusChanged({ a: 1 }, { a: 2 })).toBe(true);
    expect(statusChanged(undefined, {})).toBe(false);
    expect(statusChanged({ list: [1, 2] }, { list: [2, 1] })).toBe(true);
  });
});
