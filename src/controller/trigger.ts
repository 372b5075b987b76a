// When an OpenstackConfig syncs. Pure: the caller
// passes the clock. The trigger configuration is `MultiNicOperator.spec.reconcileTrigger`.
//
//   immediate  spec change -> sync now; OpenStack is polled (fast/slow/error intervals)
//   scheduled  sync every `interval` or on the cron `schedule` in `timezone`; a spec change syncs
//              at once only with `immediateOnCRChange`
//   manual     spec change -> sync; otherwise only a webhook/annotation request
//   webhook    the authenticated trigger endpoint syncs one config or all; spec change -> sync
// A failed sync is retried after pollError in every mode: the spec hash is recorded only after
// a successful sync, so "changed" stays true until one succeeds.
import { parseDuration } from '../api/common.js';
import { DAYS, cronNeverMatches, parseCron } from '../api/cron.js';
import type { CronSpec } from '../api/cron.js';
import type { ReconcileTriggerMode } from '../api/multinic-operator.js';

export { parseCron };

export interface TriggerConfig {
  mode: ReconcileTriggerMode;
  immediateOnCRChange: boolean;
  /** Scheduled interval in ms (≥ 1 min). */
  intervalMs: number;
  /** 5-field cron; wins over `intervalMs` in scheduled mode. */
  schedule?: string;
  /** IANA zone of `schedule`. @default 'UTC' */
  timezone?: string;
}

export const DEFAULT_TRIGGER: TriggerConfig = {
  mode: 'immediate',
  immediateOnCRChange: true,
  intervalMs: 5 * 60_000,
};

/** `spec.reconcileTrigger` (already validated by the API schema) -> TriggerConfig. */
export function triggerFromSpec(
  trigger:
    | {
        mode?: ReconcileTriggerMode | undefined;
        interval?: string | undefined;
        immediateOnCRChange?: boolean | undefined;
        schedule?: string | undefined;
        timezone?: string | undefined;
      }
    | undefined,
): TriggerConfig {
  if (trigger === undefined) return DEFAULT_TRIGGER;
  const mode = trigger.mode ?? 'immediate';
  let intervalMs = DEFAULT_TRIGGER.intervalMs;
  if (trigger.interval !== undefined && trigger.interval !== '') {
    try {
      intervalMs = Math.max(60_000, parseDuration(trigger.interval));
    } catch {
      intervalMs = DEFAULT_TRIGGER.intervalMs;
    }
  }
  const config: TriggerConfig = {
    mode,
    immediateOnCRChange: mode === 'immediate' ? true : (trigger.immediateOnCRChange ?? false),
    intervalMs,
  };
  if (trigger.schedule !== undefined && trigger.schedule.trim() !== '')
    config.schedule = trigger.schedule.trim();
  if (trigger.timezone !== undefined && trigger.timezone !== '') config.timezone = trigger.timezone;
  return config;
}

export interface TriggerInput {
  trigger: TriggerConfig;
  /** The spec hash differs from the one of the last successful sync (or none was recorded). */
  specChanged: boolean;
  /** A webhook call or a manual request is pending for this config. */
  requested: boolean;
  /** The last sync failed; `retryAt` is when to try again. */
  retryAt?: number;
  /** When the periodic sync is due (immediate: adaptive poll; scheduled: next slot). */
  pollAt?: number;
  now: number;
}

export type TriggerDecision =
  | { proceed: true; why: 'specChanged' | 'requested' | 'retry' | 'poll' }
  | { proceed: false; waitMs?: number };

export function decideTrigger(input: TriggerInput): TriggerDecision {
  const { trigger, now } = input;
  if (input.requested) return { proceed: true, why: 'requested' };
  if (input.specChanged && (trigger.immediateOnCRChange || trigger.mode !== 'scheduled')) {
    return { proceed: true, why: 'specChanged' };
  }
  if (input.retryAt !== undefined && now >= input.retryAt) return { proceed: true, why: 'retry' };
  const polls = trigger.mode === 'immediate' || trigger.mode === 'scheduled';
  if (polls && (input.pollAt === undefined || now >= input.pollAt)) return { proceed: true, why: 'poll' };
  const waits = [input.retryAt, polls ? input.pollAt : undefined].filter((t): t is number => t !== undefined);
  return waits.length === 0
    ? { proceed: false }
    : { proceed: false, waitMs: Math.max(1, Math.min(...waits) - now) };
}

/** When the next scheduled sync is due after `from` (cron in its zone, else interval). */
export function nextScheduledAt(trigger: TriggerConfig, from: number): number {
  if (trigger.schedule !== undefined) {
    const next = nextCronTime(trigger.schedule, from, trigger.timezone ?? 'UTC');
    if (next !== undefined) return next;
  }
  return from + trigger.intervalMs;
}

// --- cron ------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(
  at: number,
  timeZone: string,
): { minute: number; hour: number; day: number; month: number; weekday: number } {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      minute: 'numeric',
      hour: 'numeric',
      day: 'numeric',
      month: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(new Date(at));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return {
    minute: Number(get('minute')),
    hour: Number(get('hour')),
    day: Number(get('day')),
    month: Number(get('month')),
    weekday: DAYS.indexOf(get('weekday').toLowerCase().slice(0, 3)),
  };
}

function matches(spec: CronSpec, t: ReturnType<typeof wallClock>): boolean {
  return spec.minute.has(t.minute) && spec.hour.has(t.hour) && spec.month.has(t.month) && dayMatches(spec, t);
}

/** Day fields of `spec` match the wall-clock day `t` (Vixie cron: either, when both are restricted). */
function dayMatches(spec: CronSpec, t: ReturnType<typeof wallClock>): boolean {
  const day = spec.day.has(t.day);
  const weekday = spec.weekday.has(t.weekday);
  if (spec.dayRestricted && spec.weekdayRestricted) return day || weekday;
  return day && weekday;
}

/**
 * The first minute after `from` matching `expression` in `timeZone`; undefined when the
 * expression is invalid or never fires (checked before any search), or nothing matches within
 * ~4 years. Days whose month or day cannot match and hours that cannot match are skipped, so
 * the search reads the wall clock about twice per day plus once per minute of matching hours.
 */
export function nextCronTime(expression: string, from: number, timeZone = 'UTC'): number | undefined {
  let spec: CronSpec;
  try {
    spec = parseCron(expression);
    wallClock(from, timeZone);
  } catch {
    return undefined;
  }
  if (cronNeverMatches(spec) !== undefined) return undefined;
  let t = Math.floor(from / 60_000) * 60_000 + 60_000;
  const limit = t + 4 * 366 * 24 * 60 * 60_000;
  while (t < limit) {
    const wall = wallClock(t, timeZone);
    if (matches(spec, wall)) return t;
    // A day that cannot match is left at once: to 23:00 (a DST change moves that by an hour at
    // most, never past the next midnight), then to the next day's first hour.
    if (!spec.month.has(wall.month) || !dayMatches(spec, wall))
      t += (Math.max(1, 23 - wall.hour) * 60 - wall.minute) * 60_000;
    // Zones have at least 15-minute offsets, so a wall-clock hour starts on a UTC quarter hour.
    else if (!spec.hour.has(wall.hour)) t += (60 - wall.minute) * 60_000;
    else t += 60_000;
  }
  return undefined;
}
