import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/kube/backoff.js';
import { ManualClock, sleep } from '../../../src/kube/clock.js';

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 60].map((attempt) =>
      backoffDelay(attempt, { baseMs: 100, maxMs: 1000 }),
    );
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('adds bounded jitter', () => {
    expect(backoffDelay(1, { baseMs: 100, maxMs: 1000, jitter: 0.5, random: () => 1 })).toBe(300);
    expect(backoffDelay(9, { baseMs: 100, maxMs: 1000, jitter: 0.5, random: () => 1 })).toBe(1000);
  });
});

describe('ManualClock', () => {
  it('fires timers in time order only when advanced', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    const slept = sleep(clock, 15).then(() => fired.push('sleep'));
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(20);
    await slept;
    expect(fired).toEqual(['a', 'b', 'sleep']);
    expect(clock.now()).toBe(29);
  });
});
