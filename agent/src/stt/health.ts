// Process-level STT health the readiness check reads: fatal (configuration/auth) errors are
// recorded here so a misconfigured pod reports it instead of silently degrading.

export interface SttFatalReason {
  readonly code: string;
  readonly message: string;
  readonly count: number;
  readonly lastCallId: string | undefined;
  readonly lastAtMs: number;
}

class SttHealth {
  private readonly fatal = new Map<string, SttFatalReason>();

  /** True while no fatal STT error has been recorded. */
  get ok(): boolean {
    return this.fatal.size === 0;
  }

  recordFatal(code: string, message: string, callId?: string): void {
    const key = `${code}: ${message}`;
    const prev = this.fatal.get(key);
    this.fatal.set(key, {
      code,
      message,
      count: (prev?.count ?? 0) + 1,
      lastCallId: callId,
      lastAtMs: Date.now(),
    });
  }

  /** Distinct fatal reasons ("CODE: message"), for the readiness body. */
  reasons(): string[] {
    return [...this.fatal.keys()];
  }

  details(): SttFatalReason[] {
    return [...this.fatal.values()];
  }

  /** Clears the record (tests; or after a configuration reload). */
  reset(): void {
    this.fatal.clear();
  }
}

export const sttHealth = new SttHealth();
