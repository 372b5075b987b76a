// Denials by the ValidatingAdmissionPolicy (`protection.mode: policy|both`) are decided inside
// the API server: the operator gets no callback. They are counted from the API server's own
// counter `apiserver_validating_admission_policy_check_total{policy,policy_binding,
// enforcement_action="deny",error_type}` read from `/metrics` (RBAC: `get` on the
// nonResourceURL `/metrics`). The leader polls; the first read is a baseline, later reads yield
// per-policy increases; a changed `process_start_time_seconds` (API server restarted) or a
// decreasing series is a counter reset. Limitation: with several API servers behind one
// address, successive reads may come from different servers and their counters are not
// comparable (each switch looks like a reset).
import type { Clock, TimerHandle } from '../kube/clock.js';
import { isKubeStatus } from '../kube/http.js';
import type { KubeHttp } from '../kube/http.js';
import type { Logger } from '../observability/logger.js';
import type { OwnerRef } from './protection-accounting.js';

export const POLICY_CHECK_METRIC = 'apiserver_validating_admission_policy_check_total';
const START_TIME_METRIC = 'process_start_time_seconds';

export interface PolicyDenialSample {
  /** Policy name -> denials since the API server started (summed over bindings and error types). */
  denials: Map<string, number>;
  /** `process_start_time_seconds` of the API server, when exposed. */
  startTime?: number;
}

/** Labels of one sample line (`{a="x",b="y\"z"}`), or undefined when malformed. */
function parseLabels(text: string): Map<string, string> | undefined {
  const labels = new Map<string, string>();
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
  let index = 0;
  while (index < text.length) {
    re.lastIndex = index;
    const match = re.exec(text);
    if (match === null) return text.slice(index).trim() === '' ? labels : undefined;
    const raw = match[2] ?? '';
    labels.set(
      match[1] ?? '',
      raw.replace(/\\(.)/g, (_all, ch: string) => (ch === 'n' ? '\n' : ch)),
    );
    index = re.lastIndex;
  }
  return labels;
}

/** Extracts the VAP denial counts per policy from Prometheus text exposition format. */
export function parsePolicyDenials(text: string): PolicyDenialSample {
  const denials = new Map<string, number>();
  let startTime: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith(START_TIME_METRIC)) {
      const match = /^process_start_time_seconds\s+(\S+)/.exec(line);
      const value = Number(match?.[1]);
      if (match !== null && Number.isFinite(value)) startTime = value;
      continue;
    }
    if (!line.startsWith(`${POLICY_CHECK_METRIC}{`)) continue;
    const close = line.lastIndexOf('}');
    if (close < 0) continue;
    const labels = parseLabels(line.slice(POLICY_CHECK_METRIC.length + 1, close));
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0],
    );
    const policy = labels?.get('policy');
    if (policy === undefined || labels?.get('enforcement_action') !== 'deny' || !Number.isFinite(value))
      continue;
    denials.set(policy, (denials.get(policy) ?? 0) + value);
  }
  return { denials, ...(startTime !== undefined ? { startTime } : {}) };
}

/** Turns successive samples into per-policy increases (first sample: baseline). */
export class PolicyDenialTracker {
  #last: PolicyDenialSample | undefined;

  /** Increases since the previous sample (policies without an increase are absent). */
  observe(sample: PolicyDenialSample): Map<string, number> {
    const previous = this.#last;
    this.#last = sample;
    const deltas = new Map<string, number>();
    if (previous === undefined) return deltas;
    const restarted =
      previous.startTime !== undefined &&
      sample.startTime !== undefined &&
      previous.startTime !== sample.startTime;
    for (const [policy, value] of sample.denials) {
      const before = restarted ? 0 : (previous.denials.get(policy) ?? 0);
      // A series lower than before was reset: everything it holds is new.
      const delta = value >= before ? value - before : value;
      if (delta > 0) deltas.set(policy, delta);
    }
    return deltas;
  }

  /** Forgets the baseline (e.g. after losing leadership): the next sample is a baseline again. */
  reset(): void {
    this.#last = undefined;
  }
}

export interface PolicyDenialPollerOptions {
  http: KubeHttp;
  /** The MultiNicOperator owning a ValidatingAdmissionPolicy, or undefined when it is not ours. */
  ownerOf: (policy: string) => OwnerRef | undefined;
  /** Counts `count` new denials of `policy` for `owner`. */
  record: (owner: OwnerRef, count: number, policy: string) => void;
  /** Polls only while this holds (the leader; some policy of ours exists). @default - always */
  enabled?: () => boolean;
  /** @default 15_000 */
  intervalMs?: number;
  clock: Clock;
  logger: Logger;
}

export interface PolicyDenialPoller {
  /** One read of `/metrics` (also run by the timer); never throws. */
  poll(): Promise<void>;
  stop(): void;
}

/** Starts the periodic read; failures are logged (403: once) and never reach reconciles. */
export function startPolicyDenialPoller(options: PolicyDenialPollerOptions): PolicyDenialPoller {
  const { http, clock, logger } = options;
  const interval = options.intervalMs ?? 15_000;
  const tracker = new PolicyDenialTracker();
  let warned = false;
  let stopped = false;
  let timer: TimerHandle | undefined;
  let running: Promise<void> | undefined;

  const pollOnce = async (): Promise<void> => {
    if (options.enabled !== undefined && !options.enabled()) {
      tracker.reset();
      return;
    }
    let text: string;
    try {
      text = await http.getText('/metrics');
    } catch (error) {
      if (!warned) {
        warned = true;
        logger.warn(
          isKubeStatus(error, 401, 403)
            ? 'operator: may not read the API server /metrics; policy-mode denials are not counted'
            : 'operator: reading the API server /metrics failed; policy-mode denials are not counted meanwhile',
          { error },
        );
      }
      return;
    }
    if (warned) logger.info('operator: API server /metrics readable again; counting policy-mode denials');
    warned = false;
    for (const [policy, count] of tracker.observe(parsePolicyDenials(text))) {
      const owner = options.ownerOf(policy);
      if (owner !== undefined) options.record(owner, count, policy);
    }
  };
  const poll = (): Promise<void> => {
    running ??= pollOnce()
      .catch((error: unknown) => logger.warn('operator: counting policy-mode denials failed', { error }))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const arm = (): void => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      void poll().finally(arm);
    }, interval);
  };
  void poll().finally(arm);
  return {
    poll,
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
