// Cron schedules (5 fields or an @daily-style macro), parsed once and checked for schedules that
// can never fire (`* * 31 2 *`): those are refused where the spec is validated, so no caller
// ever searches years of minutes for a time that does not exist.
//
// API:
//   parseCron(expression): CronSpec           throws a message naming the bad part
//   cronNeverMatches(spec): string | undefined  why a valid-looking schedule never fires
//   cronProblem(expression): string | undefined  either of the above, for schema refinements
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface CronSpec {
  minute: Set<number>;
  hour: Set<number>;
  day: Set<number>;
  month: Set<number>;
  weekday: Set<number>;
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

function field(
  text: string,
  min: number,
  max: number,
  names: readonly string[] = [],
  nameBase = 0,
): Set<number> {
  const out = new Set<number>();
  const value = (token: string): number => {
    const index = names.indexOf(token.toLowerCase());
    const n = index >= 0 ? index + nameBase : Number(token);
    if (!Number.isInteger(n) || n < min || n > max + (max === 6 ? 1 : 0)) {
      throw new Error(`cron value '${token}' is outside ${min}..${max}`);
    }
    return max === 6 && n === 7 ? 0 : n;
  };
  for (const part of text.split(',')) {
    const [range = '*', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new Error(`cron step '${stepText}' must be a positive integer`);
    let lo = min;
    let hi = max;
    if (range !== '*' && range !== '?') {
      const [a = '', b] = range.split('-');
      lo = value(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : value(b);
    }
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return out;
}

/** Parses a 5-field cron (or @daily-style macro); throws a message naming the bad part. */
export function parseCron(expression: string): CronSpec {
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron '${expression}' must have 5 fields, got ${parts.length}`);
  const [minute = '', hour = '', day = '', month = '', weekday = ''] = parts;
  return {
    minute: field(minute, 0, 59),
    hour: field(hour, 0, 23),
    day: field(day, 1, 31),
    month: field(month, 1, 12, MONTHS, 1),
    weekday: field(weekday, 0, 6, DAYS, 0),
    dayRestricted: day !== '*' && day !== '?',
    weekdayRestricted: weekday !== '*' && weekday !== '?',
  };
}

/** Days in each month (February with its leap day: a schedule on the 29th fires every 4 years). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Why `spec` can never fire, or undefined when some minute matches. */
export function cronNeverMatches(spec: CronSpec): string | undefined {
  for (const [name, set] of [
    ['minute', spec.minute],
    ['hour', spec.hour],
    ['day-of-month', spec.day],
    ['month', spec.month],
    ['day-of-week', spec.weekday],
  ] as const) {
    if (set.size === 0) return `its ${name} field matches no value`;
  }
  // With both day fields restricted either may match, and every week has each weekday.
  if (!spec.dayRestricted || spec.weekdayRestricted) return undefined;
  const longest = Math.max(...[...spec.month].map((m) => MONTH_DAYS[m - 1] ?? 0));
  if ([...spec.day].some((d) => d <= longest)) return undefined;
  return `no month it names has day ${Math.min(...spec.day)}`;
}

/** The problem with a cron expression (unparsable or never firing), or undefined when usable. */
export function cronProblem(expression: string): string | undefined {
  try {
    const never = cronNeverMatches(parseCron(expression));
    return never === undefined ? undefined : `never fires: ${never}`;
  } catch (err) {
    return (err as Error).message;
  }
}
