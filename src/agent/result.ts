// The agent's result: the termination-message JSON the earlier agent wrote (keys alphabetical, written to
// /dev/termination-log, at most 4096 bytes) and its parser for the agent-controller.
import { z } from 'zod';

/** Kubernetes keeps at most this many bytes of a termination message. */
export const TERMINATION_MESSAGE_LIMIT = 4096;

export const InterfaceResultSchema = z.object({
  id: z.number().int(),
  mac: z.string(),
  name: z.string(),
  status: z.string(),
});
export type InterfaceResult = z.infer<typeof InterfaceResultSchema>;

export const InterfaceFailureSchema = z.object({
  id: z.number().int(),
  mac: z.string(),
  name: z.string(),
  errorType: z.enum(['validation', 'network', 'timeout', 'system', 'unknown']).catch('unknown'),
  reason: z.string(),
});
export type InterfaceFailureResult = z.infer<typeof InterfaceFailureSchema>;

/**
 * The earlier agent's fields, plus three optional ones it did not have: `action`
 * (`apply|cleanup`), `backend` (netplan, networkmanager, ifcfg, wicked) and `rolled_back`
 * (the apply failed after changing something and every change was undone).
 */
export const AgentResultSchema = z.object({
  action: z.enum(['apply', 'cleanup']).optional(),
  backend: z.string().optional(),
  delete_errors: z.number().int().min(0),
  deleted_total: z.number().int().min(0),
  failed: z.number().int().min(0),
  failures: z
    .array(InterfaceFailureSchema)
    .nullable()
    .transform((value) => value ?? []),
  node: z.string(),
  processed: z.number().int().min(0),
  results: z
    .array(InterfaceResultSchema)
    .nullable()
    .transform((value) => value ?? []),
  rolled_back: z.boolean().optional(),
  timestamp: z.string(),
  total: z.number().int().min(0),
});
export type AgentResult = z.output<typeof AgentResultSchema>;

/** How the agent-controller should read a result. */
export const AgentOutcome = {
  /** Every interface configured, no failures. */
  succeeded: 'Succeeded',
  /** Some interfaces configured, some failed (`JobFailedPartial`). */
  partial: 'Partial',
  /** Nothing configured. */
  failed: 'Failed',
} as const;
export type AgentOutcome = (typeof AgentOutcome)[keyof typeof AgentOutcome];

export function outcomeOf(result: AgentResult): AgentOutcome {
  if (result.failed === 0 && result.delete_errors === 0 && result.rolled_back !== true)
    return AgentOutcome.succeeded;
  return result.processed > 0 ? AgentOutcome.partial : AgentOutcome.failed;
}

/**
 * Parses a termination message (the container's `state.terminated.message`). Pure. Accepts the
 * reference's shape (`failures: null`) and ours; throws an `Error` saying what is wrong.
 */
export function parseAgentResult(terminationMessage: string): AgentResult {
  let value: unknown;
  try {
    value = JSON.parse(terminationMessage);
  } catch (error) {
    throw new Error(`agent termination message is not JSON: ${(error as Error).message}`);
  }
  const parsed = AgentResultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `agent termination message is invalid at '${issue?.path.join('.') ?? ''}': ${issue?.message ?? ''}`,
    );
  }
  return parsed.data;
}

function sortedTop(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, value[key]]),
  );
}

/**
 * Serializes with the top-level keys in alphabetical order (per-interface objects keep the
 * earlier agent's field order; `failures` is null when empty, as it wrote it) and shortens
 * failure reasons until the message fits in 4096 bytes.
 */
export function serializeAgentResult(result: AgentResult): string {
  for (let reasonLimit = 512; ; reasonLimit = Math.floor(reasonLimit / 2)) {
    const failures =
      result.failures.length === 0
        ? null
        : result.failures.map((failure) => ({
            ...failure,
            reason:
              failure.reason.length > reasonLimit
                ? `${failure.reason.slice(0, reasonLimit - 3)}...`
                : failure.reason,
          }));
    const text = JSON.stringify(sortedTop({ ...result, failures }), null, 2);
    if (Buffer.byteLength(text) <= TERMINATION_MESSAGE_LIMIT || reasonLimit <= 16) return text;
  }
}
