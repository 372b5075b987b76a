// metav1.Condition helpers. Pure functions: callers pass the time.
//
// API:
//   setCondition(list, { type, status, reason, message, observedGeneration? }, now: Date): Condition[]
//        returns a new list; keeps lastTransitionTime when the status did not change
//   getCondition(list, type) / isConditionTrue(list, type) / removeCondition(list, type)
//   statusChanged(a, b): boolean      deep comparison that ignores timestamps
//        (lastTransitionTime, lastUpdateTime, lastHeartbeatTime, lastUpdated, lastProbeTime, lastChecked)
//   stripTimestamps(value)            the comparison form used by statusChanged

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };

export function getCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((condition) => condition.type === type);
}

export function isConditionTrue(list: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(list, type)?.status === 'True';
}

export function removeCondition(list: readonly Condition[] | undefined, type: string): Condition[] {
  return (list ?? []).filter((condition) => condition.type !== type);
}

/** Sets (adds or replaces) the condition of `cond.type`; order of the others is kept. */
export function setCondition(
  list: readonly Condition[] | undefined,
  cond: ConditionInput,
  now: Date,
): Condition[] {
  const current = getCondition(list, cond.type);
  const lastTransitionTime =
    current && current.status === cond.status
      ? current.lastTransitionTime
      : (cond.lastTransitionTime ?? now.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const next: Condition = {
    type: cond.type,
    status: cond.status,
    reason: cond.reason,
    message: cond.message,
    lastTransitionTime,
    ...(cond.observedGeneration !== undefined ? { observedGeneration: cond.observedGeneration } : {}),
  };
  const out = (list ?? []).map((condition) => (condition.type === cond.type ? next : condition));
  if (!current) out.push(next);
  return out;
}

const TIMESTAMP_KEYS = new Set([
  'lastTransitionTime',
  'lastUpdateTime',
  'lastHeartbeatTime',
  'lastProbeTime',
  'lastUpdated',
  'lastChecked',
]);

export function stripTimestamps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTimestamps);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (TIMESTAMP_KEYS.has(key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) out[key] = stripTimestamps(item);
  }
  return out;
}

/** True when `a` and `b` differ in anything but timestamps. */
export function statusChanged(a: unknown, b: unknown): boolean {
  return JSON.stringify(stripTimestamps(a ?? {})) !== JSON.stringify(stripTimestamps(b ?? {}));
}
