// The one clock of a call. Every timer a call sets (the session's waits, the first-token
// deadline, the policies, the STT stream's retry/rotation/keepalive scheduler) and the
// endpointer's 20 ms tick go through it, so a test drives a whole call on fake time
// (agent/test/unit/call/fake-clock.ts) and production uses real timers and one shared ticker.
import { sharedTicker, type Ticker } from './ticker.ts';

export type TimerHandle = unknown;

export interface CallClock {
  /** The call's monotonic clock in ms since `start` (same origin as AudioChunk.audioTimeMs). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Calls fn on every endpointing tick (20 ms) until the returned function is called. */
  onTick(fn: () => void): () => void;
}

/** Real timers on the call's own time origin; ticks come from the process-wide ticker. */
export function createCallClock(now: () => number, ticker: Ticker = sharedTicker): CallClock {
  return {
    now,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    onTick: (fn) => ticker.subscribe(fn),
  };
}

/** Timers a call owns: each callback is guarded, and all are released at once when the call ends. */
export interface OwnedTimers {
  /** The clock's time (the timers' time origin). */
  now(): number;
  set(fn: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle | undefined): void;
  /** A promise resolved after ms (released with the rest at call end: it then never resolves). */
  delay(ms: number): { promise: Promise<void>; handle: TimerHandle };
  clearAll(): void;
}

export function ownedTimers(clock: CallClock, guard: (where: string, fn: () => void) => void): OwnedTimers {
  const live = new Set<TimerHandle>();
  const set = (fn: () => void, ms: number): TimerHandle => {
    const handle = clock.setTimeout(() => {
      live.delete(handle);
      guard('timer', fn);
    }, ms);
    live.add(handle);
    return handle;
  };
  return {
    now: () => clock.now(),
    set,
    clear(handle) {
      if (handle === undefined || !live.delete(handle)) return;
      clock.clearTimeout(handle);
    },
    delay(ms) {
      let handle: TimerHandle;
      const promise = new Promise<void>((resolve) => (handle = set(resolve, ms)));
      return { promise, handle: handle! };
    },
    clearAll() {
      for (const handle of live) clock.clearTimeout(handle);
      live.clear();
    },
  };
}
