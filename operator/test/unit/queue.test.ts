import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/runtime/queue.ts';

describe('WorkQueue', () => {
  it('deduplicates queued keys and processes one key at a time, re-queueing keys added meanwhile', async () => {
    const q = new WorkQueue({ baseMs: 1, maxMs: 10 });
    const seen: string[] = [];
    let active = 0;
    let maxActiveForA = 0;
    q.add('a');
    q.add('a');
    q.add('b');
    let addedDuringProcessing = false;
    const run = q.run(
      3,
      async (key) => {
        if (key === 'a') {
          active++;
          maxActiveForA = Math.max(maxActiveForA, active);
        }
        seen.push(key);
        if (key === 'a' && !addedDuringProcessing) {
          addedDuringProcessing = true;
          q.add('a'); // arrives while 'a' is processing: must run again afterwards, not in parallel
        }
        await new Promise((r) => setTimeout(r, 10));
        if (key === 'a') active--;
      },
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 80));
    q.shutdown();
    await run;
    expect(seen.filter((k) => k === 'a')).toHaveLength(2);
    expect(seen.filter((k) => k === 'b')).toHaveLength(1);
    expect(maxActiveForA).toBe(1);
  });

  it('backs off exponentially per key and forgets after success', async () => {
    const q = new WorkQueue({ baseMs: 5, maxMs: 20 });
    const delays: number[] = [];
    let calls = 0;
    q.add('k');
    const run = q.run(
      1,
      async () => {
        calls++;
        if (calls <= 4) throw new Error('boom');
      },
      (_key, _err, retryInMs) => delays.push(retryInMs),
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(delays).toEqual([5, 10, 20, 20]);
    expect(calls).toBe(5);
    expect(q.failureCount('k')).toBe(0);
    q.shutdown();
    await run;
  });
});
