// Time limits of one streamed LLM request: the first-token deadline and the stall gap race each
// step of the stream and abort it when they win; the retry backoff sleeps until a signal aborts.

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
        ctrl.abort();
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
