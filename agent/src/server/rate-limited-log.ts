// Warnings about rejected requests, rate-limited per kind: a flood of bad requests must not turn
// into a flood of log lines (the counters still count every one). Each key may log `burst` lines
// per window; the first line after a window with suppressed lines says how many were dropped.
import type { Logger } from '../telemetry/logger.ts';

export interface RateLimitedLogOptions {
  readonly logger: Logger;
  readonly burst?: number;
  readonly windowMs?: number;
  /** Monotonic clock in ms (injected in tests). */
  readonly now?: () => number;
}

interface Window {
  startMs: number;
  logged: number;
  suppressed: number;
}

/** Keys tracked at most; a flood of distinct keys cannot grow the map (the oldest is forgotten). */
const MAX_KEYS = 256;

export class RateLimitedLog {
  private readonly logger: Logger;
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(options: RateLimitedLogOptions) {
    this.logger = options.logger;
    this.burst = options.burst ?? 5;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Logs at warn level unless `key` used up its burst in the current window. Returns whether it logged. */
  warn(key: string, fields: Record<string, unknown>, message: string): boolean {
    const now = this.now();
    let w = this.windows.get(key);
    if (w === undefined || now - w.startMs >= this.windowMs) {
      const suppressed = w?.suppressed ?? 0;
      w = { startMs: now, logged: 0, suppressed: 0 };
      this.windows.delete(key);
      this.windows.set(key, w);
      if (this.windows.size > MAX_KEYS) this.windows.delete(this.windows.keys().next().value!);
      if (suppressed > 0) fields = { ...fields, suppressedSinceLastLine: suppressed };
    }
    if (w.logged >= this.burst) {
      w.suppressed += 1;
      return false;
    }
    w.logged += 1;
    this.logger.warn(fields, message);
    return true;
  }
}
