// Time limits of one streamed LLM request: the first-token deadline and the stall gap race each
// step of the stream and abort it when they win; the retry backoff sleeps until a signal aborts.
import { abortQuietly } from './abort.ts';

export class DeadlineError extends Error {
  readonly kind: 'timeout' | 'stalled';
  constructor(kind: 'timeout' | 'stalled', message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Resolves with `p`, or aborts `ctrl` and rejects with a DeadlineError after `ms`. */
export function withDeadline<T>(
  p: Promise<T>,
  ms: number,
  ctrl: AbortController,
  kind: 'timeout' | 'stalled',
): Promise<T> {
  p.catch(() => undefined); // rejected after the deadline (we aborted it): not unhandled
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        reject(
          new DeadlineError(
            kind,
            kind === 'timeout' ? `no first token within the deadline` : `no delta for ${ms} ms`,
          ),
        );
        abortQuietly(ctrl);
      },
      Math.max(0, ms),
    );
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Waits ms, or less when the signal aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The deadline of each wait for the next event of one streamed answer, on one timer per answer
 * instead of a timer and a promise per event: arm() before a wait, disarm() when the event
 * came. When an armed wait passes its time the watchdog records a DeadlineError and aborts
 * `ctrl`, which ends the pending read; the reader then throws `fired`. The timer is moved only
 * when a wait must end before it: a later time is checked for when the timer fires.
 */
export class StreamWatchdog {
  private readonly ctrl: AbortController;
  private readonly stallMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private due = Infinity;
  private kind: 'timeout' | 'stalled' = 'timeout';
  /** Set when an armed wait ran out; the stream was aborted. */
  fired: DeadlineError | undefined;

  constructor(ctrl: AbortController, stallMs: number) {
    this.ctrl = ctrl;
    this.stallMs = stallMs;
  }

  /** A wait that must end by `at` (performance.now() time). */
  arm(at: number, kind: 'timeout' | 'stalled'): void {
    this.due = at;
    this.kind = kind;
    if (this.timer === undefined || at < this.timerAt) this.schedule(at);
  }

  disarm(): void {
    this.due = Infinity;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = Infinity;
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.check, Math.max(0, at - performance.now()));
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.due === Infinity) return;
    // Timers fire on whole milliseconds of the loop's clock: within 1 ms of the time is the time.
    if (performance.now() < this.due - 1) {
      this.schedule(this.due);
      return;
    }
    this.fired = new DeadlineError(
      this.kind,
      this.kind === 'timeout' ? `no first token within the deadline` : `no delta for ${this.stallMs} ms`,
    );
    abortQuietly(this.ctrl);
  };
}
