// Capped exponential backoff with optional jitter, shared by the work queue, informers and
// leader election.
//
// API: backoffDelay(attempt, { baseMs, maxMs, jitter? , random? }): number   attempt 0 -> baseMs

export interface BackoffOptions {
  /** Delay after the first failure. @default 5 (work queue) / 500 (watches) */
  baseMs: number;
  /** Upper bound. */
  maxMs: number;
  /** Fraction of random spread added on top (0..1). @default 0 */
  jitter?: number;
  /** @default Math.random */
  random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(attempt, 0), 52);
  const delay = Math.min(options.baseMs * 2 ** exponent, options.maxMs);
  const jitter = options.jitter ?? 0;
  if (jitter <= 0) return delay;
  return Math.min(delay * (1 + jitter * (options.random ?? Math.random)()), options.maxMs);
}
