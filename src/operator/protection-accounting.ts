// Counting of denied mutations: the metric at once, per-CR deltas that the status writer drains
// into `status.protectionStatus`, and Events on the CR rate-limited per CR so that a script
// hammering a protected object cannot flood the event store.
import { counter } from '../observability/metrics.js';
import type { AdmissionDecision, AdmissionRequest } from './admission.js';

export const protectionEvents = counter<'kind' | 'operation' | 'reason'>({
  name: 'multinic_operator_protection_events_total',
  help: 'Mutations of protected objects denied by the protection webhook or ValidatingAdmissionPolicy',
  labelNames: ['kind', 'operation', 'reason'],
});

export interface OwnerRef {
  namespace: string;
  name: string;
}

export interface PendingDenials {
  count: number;
  last: Date;
}

export interface ProtectionAccountingOptions {
  /** @default - the wall clock */
  now?: () => Date;
  /** Minimum time between two Events for one CR. @default 10_000 ms */
  eventIntervalMs?: number;
  /** Emits a Warning Event on the CR (best effort; must not throw). */
  emitEvent?: (owner: OwnerRef, reason: string, message: string) => void;
  /** Told when a CR has new denials to write into its status. */
  onPending?: (owner: OwnerRef) => void;
}

const keyOf = (owner: OwnerRef): string => `${owner.namespace}/${owner.name}`;

export class ProtectionAccounting {
  readonly #now: () => Date;
  readonly #interval: number;
  readonly #emit: NonNullable<ProtectionAccountingOptions['emitEvent']>;
  readonly #onPending: NonNullable<ProtectionAccountingOptions['onPending']>;
  readonly #pending = new Map<string, PendingDenials>();
  readonly #events = new Map<string, { at: number; suppressed: number }>();

  constructor(options: ProtectionAccountingOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#interval = options.eventIntervalMs ?? 10_000;
    this.#emit = options.emitEvent ?? (() => undefined);
    this.#onPending = options.onPending ?? (() => undefined);
  }

  /** Records one decision; only real (non-dry-run) denials of objects with a known CR count. */
  record(request: AdmissionRequest, decision: AdmissionDecision): void {
    if (decision.allowed) return;
    protectionEvents.inc({ kind: request.kind.kind, operation: request.operation, reason: decision.reason });
    if (request.dryRun === true || decision.owner?.namespace === undefined) return;
    const owner: OwnerRef = { namespace: decision.owner.namespace, name: decision.owner.name };
    this.#count(owner, 1, decision.message);
  }

  /**
   * Records `count` denials by the ValidatingAdmissionPolicy `policy` (read from the API server's
   * metrics: no kind, operation or dry-run flag is known; dry-run denials are included).
   */
  recordPolicy(owner: OwnerRef, count: number, policy: string): void {
    if (count <= 0) return;
    protectionEvents.inc({ kind: 'unknown', operation: 'unknown', reason: 'PolicyDenied' }, count);
    this.#count(
      owner,
      count,
      `ValidatingAdmissionPolicy ${policy} denied ${count} mutation${count === 1 ? '' : 's'} of objects managed by MultiNicOperator ${owner.namespace}/${owner.name}`,
    );
  }

  #count(owner: OwnerRef, count: number, message: string): void {
    const key = keyOf(owner);
    const now = this.#now();
    const pending = this.#pending.get(key);
    this.#pending.set(key, { count: (pending?.count ?? 0) + count, last: now });

    const last = this.#events.get(key);
    if (last === undefined || now.getTime() - last.at >= this.#interval) {
      const more =
        last !== undefined && last.suppressed > 0
          ? ` (${last.suppressed} more denials not reported separately)`
          : '';
      this.#events.set(key, { at: now.getTime(), suppressed: 0 });
      this.#emit(owner, 'MutationDenied', `${message}${more}`);
    } else {
      last.suppressed += count;
    }
    this.#onPending(owner);
  }

  /** Removes and returns the denials not yet written to the CR's status. */
  take(owner: OwnerRef): PendingDenials | undefined {
    const key = keyOf(owner);
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    return pending;
  }

  /** Puts back denials whose status write failed, so the next write includes them. */
  restore(owner: OwnerRef, denials: PendingDenials): void {
    const key = keyOf(owner);
    const pending = this.#pending.get(key);
    this.#pending.set(key, {
      count: (pending?.count ?? 0) + denials.count,
      last: pending !== undefined && pending.last > denials.last ? pending.last : denials.last,
    });
  }

  /** CRs with denials waiting for a status write. */
  owners(): OwnerRef[] {
    return [...this.#pending.keys()].map((key) => {
      const [namespace = '', name = ''] = key.split('/');
      return { namespace, name };
    });
  }
}
