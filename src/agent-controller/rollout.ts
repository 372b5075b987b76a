// The rollout gate: at most `max` nodes change at once (docs/architecture.md#bounded-rollout). A node holds a slot
// while one of its agent Jobs runs (seen in the Job cache) or from the moment a reconcile
// reserved one until the Job shows up in the cache. Check-and-reserve is synchronous, so
// parallel reconciles can never overshoot. Keys that found no slot wait in FIFO order and
// are handed back, as many as slots are free, when a Job finishes. A reservation whose Job never
// appeared (the reconcile failed before creating it and was not retried) expires after
// `reservationTtlMs`, so a slot cannot leak.
export class RolloutGate {
  private readonly reserved = new Map<string, { job: string | undefined; at: number }>();
  private readonly waiting = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly now: () => number = Date.now,
    private readonly reservationTtlMs = 120_000,
  ) {}

  /** Nodes holding a slot: running Jobs' nodes plus reservations. */
  inFlight(active: ReadonlySet<string>): number {
    const expired = this.now() - this.reservationTtlMs;
    let count = active.size;
    for (const [node, reservation] of this.reserved) {
      if (reservation.at < expired) this.reserved.delete(node);
      else if (!active.has(node)) count += 1;
    }
    return count;
  }

  /** Grants `node` a slot (true if it already holds one). */
  tryAcquire(node: string, active: ReadonlySet<string>): boolean {
    if (active.has(node) || this.reserved.has(node)) return true;
    if (this.inFlight(active) >= this.max) return false;
    this.reserved.set(node, { job: undefined, at: this.now() });
    return true;
  }

  /** Records which Job the reservation of `node` is for. */
  bind(node: string, jobName: string): void {
    const reservation = this.reserved.get(node);
    if (reservation) reservation.job = jobName;
  }

  /** The Job cache now shows `jobName`: if it is the reserved one, the reservation is no longer needed. */
  observed(node: string, jobName: string): void {
    if (this.reserved.get(node)?.job === jobName) this.reserved.delete(node);
  }

  /** Gives a reserved slot back (Job creation failed, or the node needs none any more). */
  release(node: string): void {
    this.reserved.delete(node);
  }

  wait(key: string): void {
    this.waiting.add(key);
  }

  forget(key: string): void {
    this.waiting.delete(key);
  }

  /** Up to `count` waiting keys, oldest first, removed from the waiting list. */
  takeWaiting(count: number): string[] {
    const out: string[] = [];
    for (const key of this.waiting) {
      if (out.length >= count) break;
      out.push(key);
    }
    for (const key of out) this.waiting.delete(key);
    return out;
  }

  get waitingCount(): number {
    return this.waiting.size;
  }
}
