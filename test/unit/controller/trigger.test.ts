import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TRIGGER,
  decideTrigger,
  nextCronTime,
  nextScheduledAt,
  parseCron,
  triggerFromSpec,
} from '../../../src/controller/trigger.js';
import type { TriggerConfig } from '../../../src/controller/trigger.js';

const now = Date.parse('2026-01-12T03:00:00Z');
const mode = (m: TriggerConfig['mode'], extra: Partial<TriggerConfig> = {}): TriggerConfig => ({
  ...triggerFromSpec({ mode: m }),
  ...extra,
});

describe('triggerFromSpec', () => {
  it('defaults to immediate with immediateOnCRChange forced on', () => {
    expect(triggerFromSpec(undefined)).toEqual(DEFAULT_TRIGGER);
    expect(triggerFromSpec({ mode: 'immediate', immediateOnCRChange: false }).immediateOnCRChange).toBe(true);
  });
  it('raises intervals below 1 minute and falls back to 5 minutes', () => {
    expect(triggerFromSpec({ mode: 'scheduled', interval: '10s' }).intervalMs).toBe(60_000);
    expect(triggerFromSpec({ mode: 'scheduled', interval: '15m' }).intervalMs).toBe(900_000);
    expect(triggerFromSpec({ mode: 'scheduled' }).intervalMs).toBe(300_000);
  });
  it('keeps schedule and timezone', () => {
    expect(
      triggerFromSpec({ mode: 'scheduled', schedule: '0 2 * * *', timezone: 'Asia/Seoul' }),
    ).toMatchObject({
      schedule: '0 2 * * *',
      timezone: 'Asia/Seoul',
    });
  });
});

describe('decideTrigger', () => {
  const table: Array<[string, Parameters<typeof decideTrigger>[0], ReturnType<typeof decideTrigger>]> = [
    [
      'immediate: spec change syncs',
      { trigger: mode('immediate'), specChanged: true, requested: false, pollAt: now + 1000, now },
      { proceed: true, why: 'specChanged' },
    ],
    [
      'immediate: polls when due',
      { trigger: mode('immediate'), specChanged: false, requested: false, pollAt: now, now },
      { proceed: true, why: 'poll' },
    ],
    [
      'immediate: waits for the poll',
      { trigger: mode('immediate'), specChanged: false, requested: false, pollAt: now + 5000, now },
      { proceed: false, waitMs: 5000 },
    ],
    [
      'immediate: first sight polls',
      { trigger: mode('immediate'), specChanged: false, requested: false, now },
      { proceed: true, why: 'poll' },
    ],
    [
      'scheduled: spec change waits without immediateOnCRChange',
      { trigger: mode('scheduled'), specChanged: true, requested: false, pollAt: now + 60_000, now },
      { proceed: false, waitMs: 60_000 },
    ],
    [
      'scheduled: spec change syncs with immediateOnCRChange',
      {
        trigger: mode('scheduled', { immediateOnCRChange: true }),
        specChanged: true,
        requested: false,
        pollAt: now + 60_000,
        now,
      },
      { proceed: true, why: 'specChanged' },
    ],
    [
      'scheduled: periodic resync when due',
      { trigger: mode('scheduled'), specChanged: false, requested: false, pollAt: now - 1, now },
      { proceed: true, why: 'poll' },
    ],
    [
      'manual: spec change syncs',
      { trigger: mode('manual'), specChanged: true, requested: false, now },
      { proceed: true, why: 'specChanged' },
    ],
    [
      'manual: nothing else',
      { trigger: mode('manual'), specChanged: false, requested: false, pollAt: now - 1, now },
      { proceed: false },
    ],
    [
      'manual: a request syncs',
      { trigger: mode('manual'), specChanged: false, requested: true, now },
      { proceed: true, why: 'requested' },
    ],
    [
      'webhook: a webhook call syncs',
      { trigger: mode('webhook'), specChanged: false, requested: true, now },
      { proceed: true, why: 'requested' },
    ],
    [
      'webhook: no polling',
      { trigger: mode('webhook'), specChanged: false, requested: false, now },
      { proceed: false },
    ],
    [
      'any mode: a failed sync is retried when due',
      { trigger: mode('manual'), specChanged: false, requested: false, retryAt: now, now },
      { proceed: true, why: 'retry' },
    ],
    [
      'any mode: waits for the retry',
      { trigger: mode('webhook'), specChanged: false, requested: false, retryAt: now + 30_000, now },
      { proceed: false, waitMs: 30_000 },
    ],
  ];
  for (const [title, input, expected] of table) {
    it(title, () => expect(decideTrigger(input)).toEqual(expected));
  }
});

describe('cron', () => {
  it('finds the next matching minute in UTC', () => {
    expect(
      new Date(nextCronTime('*/15 * * * *', Date.parse('2026-01-12T03:07:30Z')) ?? 0).toISOString(),
    ).toBe('2026-01-12T03:15:00.000Z');
    expect(new Date(nextCronTime('@daily', now) ?? 0).toISOString()).toBe('2026-01-13T00:00:00.000Z');
  });
  it('honours the time zone', () => {
    // 02:00 in Seoul (UTC+9) is 17:00 UTC the day before.
    expect(new Date(nextCronTime('0 2 * * *', now, 'Asia/Seoul') ?? 0).toISOString()).toBe(
      '2026-01-12T17:00:00.000Z',
    );
  });
  it('handles weekdays, names and ranges', () => {
    // 2026-01-12 is a Monday.
    expect(new Date(nextCronTime('30 8 * * fri', now) ?? 0).toISOString()).toBe('2026-01-16T08:30:00.000Z');
    expect(new Date(nextCronTime('0 0 1 feb *', now) ?? 0).toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
  it('rejects malformed expressions with a message', () => {
    expect(() => parseCron('* * *')).toThrow(/5 fields/);
    expect(() => parseCron('61 * * * *')).toThrow(/outside 0..59/);
    expect(nextCronTime('bad', now)).toBeUndefined();
  });
  it('scheduled time uses the cron when set, else the interval', () => {
    expect(nextScheduledAt(mode('scheduled', { schedule: '0 * * * *' }), now)).toBe(now + 3_600_000);
    expect(nextScheduledAt(mode('scheduled', { intervalMs: 120_000 }), now)).toBe(now + 120_000);
  });
});
