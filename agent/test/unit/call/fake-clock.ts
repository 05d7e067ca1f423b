// A CallClock on fake time: nothing happens until the test advances it. advance() fires due
// timers in time order (ties in the order they were set) and the 20 ms ticks it crosses, moving
// now() to each one as it fires, so a callback sees the time it was due at.
import type { CallClock, TimerHandle } from '../../../src/call/clock.ts';

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class FakeClock implements CallClock {
  private t: number;
  private seq = 0;
  private timers: FakeTimer[] = [];
  private readonly ticks = new Set<() => void>();
  private nextTickAt: number;
  private readonly tickMs: number;

  constructor(startMs = 0, tickMs = 20) {
    this.t = startMs;
    this.tickMs = tickMs;
    this.nextTickAt = startMs + tickMs;
  }

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  onTick(fn: () => void): () => void {
    const entry = (): void => fn();
    this.ticks.add(entry);
    return () => this.ticks.delete(entry);
  }
  get tickSubscribers(): number {
    return this.ticks.size;
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
  /** One tick now, without moving time (delivers queued endpointer outputs in tests). */
  tick(): void {
    for (const fn of [...this.ticks]) fn();
  }
  /** Moves time forward by ms, firing what falls due on the way (synchronously). */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const timer = this.nextTimer();
      const tickAt = this.nextTickAt;
      if ((timer === undefined || timer.at > target) && tickAt > target) break;
      if (timer !== undefined && timer.at <= tickAt && timer.at <= target) {
        this.timers = this.timers.filter((t) => t !== timer);
        this.t = Math.max(this.t, timer.at);
        timer.fn();
      } else {
        this.t = Math.max(this.t, tickAt);
        this.nextTickAt += this.tickMs;
        this.tick();
      }
    }
    this.t = target;
  }
  /** Like advance, but lets promises settle after each step (an async callback chain runs through). */
  async run(ms: number, stepMs = this.tickMs): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      this.advance(Math.min(stepMs, ms - done));
      await settle();
    }
  }
  private nextTimer(): FakeTimer | undefined {
    let first: FakeTimer | undefined;
    for (const t of this.timers) if (first === undefined || t.at < first.at) first = t;
    return first;
  }
}

/** Lets pending promise callbacks and I/O-free async steps run (no time passes). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
