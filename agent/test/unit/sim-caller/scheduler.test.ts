import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../../src/sim/caller/scheduler.ts';
import { MsHistogram } from '../../../src/sim/caller/histogram.ts';

describe('Scheduler', () => {
  it('runs tasks in deadline order, skips cancelled ones, and coalesces deadlines within the tolerance', async () => {
    let clock = 0; // a manual clock: the real timer only decides when the scheduler looks at it
    const s = new Scheduler({ toleranceMs: 2, now: () => clock });
    const order: string[] = [];
    const wakeOf: Record<string, number> = {};
    const task = (name: string) => () => {
      order.push(name);
      wakeOf[name] = s.wakeups;
    };
    s.at(30, task('c'));
    s.at(10, task('a'));
    s.at(11.5, task('b'));
    s.at(20, task('x')).cancel();
    clock = 10;
    await new Promise((r) => setTimeout(r, 40));
    expect(order).toEqual(['a', 'b']);
    expect(wakeOf.b).toBe(wakeOf.a); // 11.5 is within 2 ms of 10: one wake-up runs both
    clock = 30;
    await new Promise((r) => setTimeout(r, 40));
    expect(order).toEqual(['a', 'b', 'c']);
    expect(wakeOf.c).toBeGreaterThan(wakeOf.a!);
    expect(s.pending).toBe(0);
  });

  it('runs a task scheduled in the past on the next wake-up and keeps going after a throwing task', async () => {
    const errors: unknown[] = [];
    const s = new Scheduler({ onError: (e) => errors.push(e) });
    const ran: number[] = [];
    s.at(s.now() - 50, () => {
      throw new Error('boom');
    });
    s.at(s.now() - 40, () => ran.push(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual([1]);
    expect(errors).toHaveLength(1);
  });
});

describe('MsHistogram', () => {
  it('gives percentiles within one bin and merges', () => {
    const a = new MsHistogram(1, 100);
    for (let i = 1; i <= 100; i++) a.add(i - 0.5);
    expect(a.quantile(0.5)).toBe(50);
    expect(a.quantile(0.99)).toBe(99);
    const b = new MsHistogram(1, 100);
    b.add(250);
    a.merge(b);
    expect(a.count).toBe(101);
    expect(a.max).toBe(250);
    expect(a.quantile(1)).toBe(250);
  });

  it('keeps seconds-long values readable in the coarse bins', () => {
    const h = new MsHistogram();
    for (let i = 0; i < 98; i++) h.add(1);
    h.add(5010);
    h.add(7000);
    expect(h.quantile(0.5)).toBe(1.5); // upper edge of the 0.5 ms bin holding 1
    expect(h.quantile(0.99)).toBeGreaterThanOrEqual(5010);
    expect(h.quantile(0.99)).toBeLessThanOrEqual(5050);
    expect(h.summary().maxMs).toBe(7000);
  });
});
