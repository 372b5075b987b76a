import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kube/clock.js';
import { TerminalError, WorkQueue } from '../../../src/kube/work-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WorkQueue', () => {
  it('dedupes a key added several times before it runs', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue({ name: 'test_dedupe' }, async (key) => {
      seen.push(key);
    });
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    queue.start();
    await queue.whenIdle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once and re-runs a key added while it was processing', async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const queue = new WorkQueue({ name: 'test_single', workers: 4 }, async () => {
      running += 1;
      runs += 1;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await gate.promise;
      running -= 1;
    });
    queue.start();
    queue.add('a');
    await flush();
    queue.add('a');
    queue.add('a');
    await flush();
    expect(queue.processing).toBe(1);
    expect(queue.len).toBe(0);
    gate.resolve();
    await queue.whenIdle();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('runs at most N keys in parallel', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>>();
    let running = 0;
    let maxRunning = 0;
    const queue = new WorkQueue({ name: 'test_parallel', workers: 3 }, async (key) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const gate = deferred();
      gates.set(key, gate);
      await gate.promise;
      running -= 1;
    });
    queue.start();
    for (let i = 0; i < 10; i += 1) queue.add(`k${i}`);
    await flush();
    expect(queue.processing).toBe(3);
    expect(queue.len).toBe(7);
    while (queue.processing > 0) {
      for (const gate of gates.values()) gate.resolve();
      await flush();
    }
    await queue.whenIdle();
    expect(maxRunning).toBe(3);
    expect(gates.size).toBe(10);
  });

  it('retries a failing key with capped exponential backoff and forgets the count on success', async () => {
    const clock = new ManualClock();
    const attempts: number[] = [];
    let failuresLeft = 6;
    const queue = new WorkQueue(
      { name: 'test_backoff', clock, backoff: { baseMs: 10, maxMs: 100 } },
      async () => {
        attempts.push(clock.now());
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('transient');
        }
      },
    );
    queue.start();
    queue.add('a');
    const start = clock.now();
    for (let ms = 0; ms < 1_000 && attempts.length < 7; ms += 1) {
      await queue.whenIdle();
      clock.advance(1);
      await flush();
    }
    await queue.whenIdle();
    const delays = attempts.slice(1).map((at, index) => at - (attempts[index] ?? start));
    expect(delays).toEqual([10, 20, 40, 80, 100, 100]);
    expect(queue.numRequeues('a')).toBe(0);
  });

  it('does not retry a TerminalError', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const queue = new WorkQueue({ name: 'test_terminal', clock }, async () => {
      runs += 1;
      throw new TerminalError('InstanceMismatch', 'no');
    });
    queue.start();
    queue.add('a');
    await queue.whenIdle();
    clock.advance(1_000_000);
    await flush();
    await queue.whenIdle();
    expect(runs).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('requeues after the delay the handler asks for, keeping the earliest of two delayed adds', async () => {
    const clock = new ManualClock();
    const runsAt: number[] = [];
    const start = clock.now();
    const queue = new WorkQueue({ name: 'test_after', clock }, async () => {
      runsAt.push(clock.now() - start);
      return runsAt.length === 1 ? { requeueAfterMs: 500 } : undefined;
    });
    queue.start();
    queue.add('a');
    await queue.whenIdle();
    queue.addAfter('a', 900);
    queue.addAfter('a', 200);
    expect(clock.pending()).toBe(1);
    clock.advance(200);
    await queue.whenIdle();
    clock.advance(10_000);
    await queue.whenIdle();
    expect(runsAt).toEqual([0, 200]);
  });

  it('shuts down cleanly: waits for running handlers and drops delayed and queued keys', async () => {
    const clock = new ManualClock();
    const gate = deferred();
    const seen: string[] = [];
    const queue = new WorkQueue({ name: 'test_shutdown', clock }, async (key) => {
      seen.push(key);
      await gate.promise;
    });
    queue.start();
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 100);
    await flush();
    const done = queue.shutdown();
    let finished = false;
    void done.then(() => (finished = true));
    await flush();
    expect(finished).toBe(false);
    gate.resolve();
    await done;
    clock.advance(1000);
    queue.add('d');
    await flush();
    expect(seen).toEqual(['a']);
    expect(clock.pending()).toBe(0);
  });

  it('rejects a name that cannot be a metric name', () => {
    expect(() => new WorkQueue({ name: 'Bad-Name' }, async () => undefined)).toThrow(/must match/);
  });
});
