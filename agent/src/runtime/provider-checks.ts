// Boot checks of the Speech, TTS and LLM endpoints. An unreachable or misconfigured provider is
// logged as an error naming the endpoint and the reason within seconds, /readyz names it, and
// the check is retried in the background until it passes (then an info line says so).
import { connect } from 'node:net';
import type { Logger } from '../telemetry/logger.ts';

export type ProviderName = 'stt' | 'tts' | 'llm';

export interface ProviderCheck {
  readonly provider: ProviderName;
  /** What is checked, for logs and /readyz (host:port or URL). */
  readonly endpoint: string;
  readonly run: () => Promise<void>;
  /** Overrides ProviderCheckOptions.timeoutMs for this check. */
  readonly timeoutMs?: number;
}

export interface ProviderCheckOptions {
  readonly logger: Logger;
  /** A check without an answer by then fails. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** First retry delay after a failure (doubles up to 30 s). Default 5000 ms. */
  readonly retryMs?: number;
}

type State = { status: 'checking' } | { status: 'ready' } | { status: 'failed'; reason: string };

export class ProviderChecks {
  private readonly states = new Map<ProviderName, State>();
  private readonly checks: readonly ProviderCheck[];
  private readonly options: ProviderCheckOptions;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Resolves once every check has passed or failed at least once. */
  readonly settled: Promise<void>;

  constructor(checks: readonly ProviderCheck[], options: ProviderCheckOptions) {
    this.checks = checks;
    this.options = options;
    for (const c of checks) this.states.set(c.provider, { status: 'checking' });
    this.settled = Promise.all(checks.map((c) => this.attempt(c, options.retryMs ?? 5000))).then(
      () => undefined,
    );
  }

  /** '' when ready, else why not: one reason per provider that is not ready. */
  reasons(): string[] {
    const out: string[] = [];
    for (const c of this.checks) {
      const s = this.states.get(c.provider)!;
      if (s.status === 'checking') out.push(`${c.provider} not ready: checking ${c.endpoint}`);
      else if (s.status === 'failed') out.push(`${c.provider} not ready: ${c.endpoint}: ${s.reason}`);
    }
    return out;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Runs one check; on failure logs (first time or new reason), records it and schedules a retry. */
  private async attempt(check: ProviderCheck, retryMs: number): Promise<void> {
    const timeoutMs = check.timeoutMs ?? this.options.timeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const previous = this.states.get(check.provider)!;
    try {
      await Promise.race([
        check.run(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          timer.unref();
        }),
      ]);
      this.states.set(check.provider, { status: 'ready' });
      if (previous.status === 'failed')
        this.options.logger.info(
          { provider: check.provider, endpoint: check.endpoint },
          `${check.provider} provider ready again`,
        );
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.states.set(check.provider, { status: 'failed', reason });
      if (previous.status !== 'failed' || previous.reason !== reason) {
        this.options.logger.error(
          { provider: check.provider, endpoint: check.endpoint, reason },
          `${check.provider.toUpperCase()} provider not ready at ${check.endpoint}: ${reason}`,
        );
      }
      if (this.stopped) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.attempt(check, Math.min(retryMs * 2, 30_000));
      }, retryMs);
      t.unref();
      this.timers.add(t);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}

/** Connects to host:port and hangs up: the endpoint is reachable (DNS resolves, something listens). */
export function tcpReachable(hostPort: string, timeoutMs = 5000): Promise<void> {
  const i = hostPort.lastIndexOf(':');
  const host = i > 0 ? hostPort.slice(0, i).replace(/^\[|\]$/g, '') : hostPort;
  const port = i > 0 ? Number(hostPort.slice(i + 1)) : 443;
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`connect timed out after ${timeoutMs} ms`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(new Error(`unreachable (${err.code ?? err.message})`));
    });
  });
}
