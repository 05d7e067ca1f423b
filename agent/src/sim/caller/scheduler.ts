// One scheduler shared by every simulated call in a process. Hundreds of calls each sending a
// frame every 20 ms would mean tens of thousands of timers per second; instead all deadlines
// live in one min-heap behind a single armed setTimeout, and every wake-up runs all tasks that
// are due (within a small tolerance), so calls whose deadlines are close share a wake-up.
import { performance } from 'node:perf_hooks';

export interface ScheduledTask {
  /** Prevents the task from running; safe to call more than once or after it ran. */
  cancel(): void;
}

/** A task in the heap; a class, so a frame's entry is one object without a closure of its own. */
class Entry implements ScheduledTask {
  cancelled = false;
  readonly time: number;
  readonly seq: number;
  readonly fn: () => void;
  constructor(time: number, seq: number, fn: () => void) {
    this.time = time;
    this.seq = seq;
    this.fn = fn;
  }
  cancel(): void {
    this.cancelled = true;
  }
}

export interface SchedulerOptions {
  /** Tasks due within this many ms of a wake-up run in it (coalescing). Default 1. */
  toleranceMs?: number;
  /** Monotonic clock in ms; default performance.now. */
  now?: () => number;
  /** Called when a task throws; the scheduler keeps running. Default: rethrow asynchronously. */
  onError?: (err: unknown) => void;
}

export class Scheduler {
  private readonly heap: Entry[] = [];
  private readonly toleranceMs: number;
  private readonly clock: () => number;
  private readonly onError: (err: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private seq = 0;
  private running = false;
  /** Wake-ups so far (for benchmarks: shows how well deadlines coalesce). */
  wakeups = 0;

  constructor(options: SchedulerOptions = {}) {
    this.toleranceMs = options.toleranceMs ?? 1;
    this.clock = options.now ?? (() => performance.now());
    this.onError =
      options.onError ??
      ((err) => {
        queueMicrotask(() => {
          throw err;
        });
      });
  }

  now(): number {
    return this.clock();
  }

  /** Number of tasks waiting (cancelled ones included until they reach the top). */
  get pending(): number {
    return this.heap.length;
  }

  /** Runs fn at absolute clock time `time` (ms, same clock as now()). */
  at(time: number, fn: () => void): ScheduledTask {
    const entry = new Entry(time, this.seq++, fn);
    this.push(entry);
    if (!this.running) this.arm();
    return entry;
  }

  /** Runs fn after delayMs. */
  after(delayMs: number, fn: () => void): ScheduledTask {
    return this.at(this.clock() + delayMs, fn);
  }

  private arm(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    if (this.heap.length === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    const due = this.heap[0]!.time;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    const delay = Math.max(0, due - this.clock() - this.toleranceMs);
    this.timer = setTimeout(() => this.run(), delay);
    // Sockets keep a process alive while calls run; a leftover deadline must not.
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    this.running = true;
    this.wakeups++;
    try {
      const limit = this.clock() + this.toleranceMs;
      while (this.heap.length > 0 && this.heap[0]!.time <= limit) {
        const entry = this.pop()!;
        if (entry.cancelled) continue;
        entry.cancelled = true;
        try {
          entry.fn();
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      const t = h[i]!;
      h[i] = h[parent]!;
      h[parent] = t;
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        const t = h[i]!;
        h[i] = h[m]!;
        h[m] = t;
        i = m;
      }
    }
    return top;
  }
}

let shared: Scheduler | undefined;

/** The process-wide scheduler every SimulatedCall uses unless given another. */
export function sharedScheduler(): Scheduler {
  shared ??= new Scheduler();
  return shared;
}
