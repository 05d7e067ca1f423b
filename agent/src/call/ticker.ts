// One timer for every session in the process: endpointing deadlines (no-voice timeout, final
// waits) are checked on ticks, so hundreds of calls cost one interval instead of hundreds.
export interface Ticker {
  /** Calls fn on every tick until the returned function is called. */
  subscribe(fn: () => void): () => void;
  readonly subscribers: number;
}

export function createIntervalTicker(
  intervalMs: number,
  onError: (err: unknown) => void = () => undefined,
): Ticker {
  const fns = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  const run = (): void => {
    for (const fn of fns) {
      try {
        fn();
      } catch (err) {
        onError(err);
      }
    }
  };
  return {
    subscribe(fn) {
      // Wrap so the same function may subscribe twice and unsubscribe independently.
      const entry = (): void => fn();
      fns.add(entry);
      if (timer === undefined) {
        timer = setInterval(run, intervalMs);
        // The server keeps the process alive; the ticker alone must not.
        timer.unref();
      }
      return () => {
        fns.delete(entry);
        if (fns.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    get subscribers() {
      return fns.size;
    },
  };
}

/** The process-wide ticker sessions use unless a test injects its own. */
export const sharedTicker: Ticker = createIntervalTicker(20);
