// Cron schedules that can never fire are refused where the spec is validated, and the scheduler
// never searches years of minutes for them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiValidationError } from '../../../src/api/errors.js';
import { MULTINIC_OPERATOR } from '../../../src/api/groups.js';
import { parseMultiNicOperator } from '../../../src/api/multinic-operator.js';
import { nextCronTime } from '../../../src/controller/trigger.js';

function operator(spec: Record<string, unknown>): unknown {
  return {
    apiVersion: MULTINIC_OPERATOR.apiVersion,
    kind: MULTINIC_OPERATOR.kind,
    metadata: { name: 'm', namespace: 'multinic-system' },
    spec,
  };
}

function issuesOf(value: unknown): string[] {
  try {
    parseMultiNicOperator(value);
    return [];
  } catch (err) {
    if (!(err instanceof ApiValidationError)) throw err;
    return err.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cron schedules', () => {
  it('item 13: refuses an impossible cron (* * 31 2 *) in reconcileTrigger.schedule and the backup schedule', () => {
    expect(issuesOf(operator({ reconcileTrigger: { mode: 'scheduled', schedule: '* * 31 2 *' } }))).toEqual([
      expect.stringMatching(
        /^spec\.reconcileTrigger\.schedule: cron schedule never fires: no month it names has day 31/,
      ),
    ]);
    expect(issuesOf(operator({ database: { backup: { schedule: '0 3 30 2 *' } } }))).toEqual([
      expect.stringMatching(/^spec\.database\.backup\.schedule: cron schedule never fires/),
    ]);
    expect(issuesOf(operator({ database: { backup: { schedule: '0 3 5-3 * *' } } }))).toEqual([
      expect.stringMatching(/day-of-month field matches no value/),
    ]);
  });

  it('item 13: keeps schedules that fire rarely but do fire', () => {
    expect(issuesOf(operator({ reconcileTrigger: { mode: 'scheduled', schedule: '0 0 29 2 *' } }))).toEqual(
      [],
    );
    expect(issuesOf(operator({ reconcileTrigger: { mode: 'scheduled', schedule: '0 0 31 2 mon' } }))).toEqual(
      [],
    );
    expect(issuesOf(operator({ database: { backup: { schedule: '0 2 31 * *' } } }))).toEqual([]);
    const from = Date.parse('2026-03-01T00:00:00Z');
    expect(new Date(nextCronTime('0 0 29 2 *', from) ?? 0).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('item 13: an impossible cron never starts the minute-by-minute search (no wall-clock reading)', () => {
    const readings = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    expect(nextCronTime('* * 31 2 *', Date.parse('2026-01-01T00:00:00Z'))).toBeUndefined();
    // One reading validates the time zone; the search itself reads none.
    expect(readings.mock.calls.length).toBeLessThanOrEqual(1);
  });

  it('item 13: a rare schedule reads the wall clock about twice a day, not once per minute', () => {
    const readings = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    nextCronTime('0 0 29 2 *', Date.parse('2026-03-01T00:00:00Z'));
    const hours = (Date.parse('2028-02-29T00:00:00Z') - Date.parse('2026-03-01T00:00:00Z')) / 3_600_000;
    expect(readings.mock.calls.length).toBeLessThan(hours / 8);
  });
});
