// Fault injection for the simulator: per route (exact id, `prefix.*` or `*`), added latency,
// error replies with a probability, 401 storms and connection resets, optionally limited to
// the next N matching requests.

export interface FaultRule {
  /** Route id (`network.ports.list`), a prefix glob (`network.*`) or `*`. @default '*' */
  route?: string;
  /** Added before the reply. */
  latencyMs?: number;
  /** Reply with this status (503 when only `errorRate` is given). */
  status?: number;
  /** Probability in [0, 1] that `status` is replied. @default 1 when `status` is set */
  errorRate?: number;
  /** Sent with 429/503 replies. */
  retryAfterSeconds?: number;
  /** Reply 401 as if the token had been revoked (a "401 storm" with `times`). */
  unauthorized?: boolean;
  /** Destroy the connection without replying. */
  reset?: boolean;
  /** Only the next N matching requests; the rule is then removed. @default - unlimited */
  times?: number;
}

export type FaultAction =
  | { kind: 'none' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'unauthorized' }
  | { kind: 'reset' };

export interface FaultDecision {
  latencyMs: number;
  action: FaultAction;
}

export function routeMatches(pattern: string | undefined, route: string): boolean {
  if (pattern === undefined || pattern === '*') return true;
  if (pattern.endsWith('*')) return route.startsWith(pattern.slice(0, -1));
  return pattern === route;
}

/** mulberry32: small, seedable, good enough for error rates. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private rules: Array<FaultRule & { remaining?: number }> = [];
  constructor(private readonly random: () => number) {}

  set(rules: readonly FaultRule[]): void {
    this.rules = rules.map((rule) => ({
      ...rule,
      ...(rule.times !== undefined ? { remaining: rule.times } : {}),
    }));
  }

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, ...(rule.times !== undefined ? { remaining: rule.times } : {}) });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** Latencies of all matching rules add up; the first matching rule with an action decides the reply. */
  decide(route: string): FaultDecision {
    let latencyMs = 0;
    let action: FaultAction = { kind: 'none' };
    for (const rule of this.rules) {
      if (!routeMatches(rule.route, route)) continue;
      let used = false;
      if (rule.latencyMs !== undefined && rule.latencyMs > 0) {
        latencyMs += rule.latencyMs;
        used = true;
      }
      if (action.kind === 'none') {
        if (rule.reset === true) {
          action = { kind: 'reset' };
          used = true;
        } else if (rule.unauthorized === true) {
          action = { kind: 'unauthorized' };
          used = true;
        } else if (rule.status !== undefined || rule.errorRate !== undefined) {
          const rate = rule.errorRate ?? 1;
          if (this.random() < rate) {
            action = {
              kind: 'status',
              status: rule.status ?? 503,
              ...(rule.retryAfterSeconds !== undefined ? { retryAfterSeconds: rule.retryAfterSeconds } : {}),
            };
          }
          used = true;
        }
      }
      if (used && rule.remaining !== undefined) rule.remaining -= 1;
    }
    this.rules = this.rules.filter((rule) => rule.remaining === undefined || rule.remaining > 0);
    return { latencyMs, action };
  }
}
