// Graceful drain: readiness goes false and new streams are refused at once; existing calls run
// until they end or the deadline passes; then everything is closed and the exit callback gets 0.
// A second trigger (second SIGTERM) or the deadline ends the remaining calls cleanly. Exiting is
// an injected callback so tests drive the whole flow inside the test process.
import type { Logger } from '../telemetry/logger.ts';

export interface DrainOptions {
  readonly drainSeconds: number;
  readonly logger: Logger;
  readonly activeCalls: () => number;
  /** Ends every remaining call (close frames, handler disposal); resolves when done. */
  readonly endAllCalls: (reason: string) => Promise<void>;
  /** Closes listeners and releases process resources. */
  readonly shutdown: () => Promise<void>;
  readonly onExit: (code: number) => void;
}

export type DrainPhase = 'running' | 'draining' | 'finishing' | 'done';

export class DrainController {
  private readonly options: DrainOptions;
  private phaseValue: DrainPhase = 'running';
  private deadline: NodeJS.Timeout | undefined;
  private completion: Promise<void> | undefined;
  private resolveCompletion: (() => void) | undefined;
  private finishing: Promise<void> | undefined;

  constructor(options: DrainOptions) {
    this.options = options;
  }

  get phase(): DrainPhase {
    return this.phaseValue;
  }

  get draining(): boolean {
    return this.phaseValue !== 'running';
  }

  /** Starts draining (idempotent). Resolves after shutdown and onExit(0). */
  start(reason: string): Promise<void> {
    if (this.completion !== undefined) return this.completion;
    this.completion = new Promise<void>((resolve) => {
      this.resolveCompletion = resolve;
    });
    this.phaseValue = 'draining';
    const active = this.options.activeCalls();
    this.options.logger.info(
      { reason, activeCalls: active, drainSeconds: this.options.drainSeconds },
      'drain started: refusing new streams',
    );
    this.deadline = setTimeout(() => void this.finish('drain_deadline'), this.options.drainSeconds * 1000);
    this.deadline.unref();
    if (active === 0) void this.finish('drained');
    return this.completion;
  }

  /** A second SIGTERM: end the remaining calls now. */
  force(reason: string): Promise<void> {
    if (this.completion === undefined) void this.start(reason);
    void this.finish(reason);
    return this.completion!;
  }

  /** The edge calls this whenever a call ends. */
  callEnded(): void {
    if (this.phaseValue === 'draining' && this.options.activeCalls() === 0) void this.finish('drained');
  }

  private finish(reason: string): Promise<void> {
    if (this.finishing !== undefined) return this.finishing;
    this.phaseValue = 'finishing';
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.deadline = undefined;
    this.finishing = (async () => {
      const remaining = this.options.activeCalls();
      if (remaining > 0) this.options.logger.warn({ reason, remaining }, 'drain: ending remaining calls');
      try {
        await this.options.endAllCalls(reason);
        await this.options.shutdown();
      } catch (err) {
        this.options.logger.error({ err }, 'drain: error while shutting down');
      }
      this.phaseValue = 'done';
      this.options.logger.info({ reason }, 'drain complete: exiting with code 0');
      this.resolveCompletion?.();
      this.options.onExit(0);
    })();
    return this.finishing;
  }

  /** Stops the deadline timer without exiting (used when the agent is closed directly). */
  cancel(): void {
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.deadline = undefined;
  }
}
