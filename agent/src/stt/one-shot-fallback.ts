// The fallback of a resilient STT session: each utterance the local VAD cut goes out as its own
// one-shot Recognize over the buffered audio (padded), concurrently, with retries and a deadline
// (its place in the output order reserved up front so finals still leave in audio order), while
// re-probes of streaming back off in the background; the time spent in fallback is measured.
import { classifySttError, type ClassifiedSttError } from './errors.ts';
import type { FinalOrder } from './final-order.ts';
import { sttFallbackEntries, sttFallbackExits, sttFallbackSeconds, sttOneShotRequests } from './metrics.ts';
import type { OneShotRecognizer } from './raw.ts';
import type { ReplayBuffer } from './replay-buffer.ts';
import { oneShotRetryDelayMs, probeDelayMs, type ResilienceTuning } from './resilience-policy.ts';
import type { Scheduler, SttError, SttFinal, SttSessionContext } from './types.ts';

/** Where the local VAD cut an utterance, on the call's audio clock. */
export interface UtteranceMark {
  readonly startMs: number;
  readonly endMs: number;
}

export interface OneShotFallbackDeps {
  readonly recognizer: OneShotRecognizer;
  readonly callId: string;
  readonly tuning: ResilienceTuning;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly buffer: ReplayBuffer;
  readonly output: FinalOrder;
  readonly log: SttSessionContext['logger'];
  readonly now: () => number;
  /** The session still takes results (neither closed nor failed). */
  readonly isLive: () => boolean;
  /** A lost utterance (retryable: the call goes on). */
  readonly onError: (error: SttError) => void;
  /** A fatal error (credentials, configuration): the session's STT fails. */
  readonly fail: (c: ClassifiedSttError) => void;
}

export class OneShotFallback {
  private readonly deps: OneShotFallbackDeps;
  private readonly inflight = new Set<AbortController>();
  private ownedEnd = -Infinity;
  private sinceMs: number | undefined;
  private totalMs = 0;
  private probeAttempt = 0;
  private probeTimer: unknown;

  constructor(deps: OneShotFallbackDeps) {
    this.deps = deps;
  }

  /** Re-probes of streaming made in the current fallback. */
  get probes(): number {
    return this.probeAttempt;
  }

  /** The session entered fallback. */
  begin(): void {
    sttFallbackEntries.inc();
    this.sinceMs = this.deps.now();
    this.probeAttempt = 0;
  }

  /** The next re-probe, backing off; openProbe runs when it is due. */
  scheduleProbe(openProbe: () => void): void {
    this.probeAttempt++;
    const delay = probeDelayMs(this.probeAttempt, this.deps.tuning, this.deps.random);
    this.probeTimer = this.deps.scheduler.setTimeout(openProbe, delay);
  }

  /** A re-probe succeeded; returns the ms spent in this fallback. */
  end(): number {
    sttFallbackExits.inc();
    const spent = this.sinceMs === undefined ? 0 : this.deps.now() - this.sinceMs;
    this.totalMs += spent;
    this.sinceMs = undefined;
    return spent;
  }

  stopProbing(): void {
    this.deps.scheduler.clearTimeout(this.probeTimer);
  }

  /** The session closed: the call's total time in fallback goes to the histogram. */
  observeTotal(): void {
    if (this.sinceMs !== undefined) this.totalMs += this.deps.now() - this.sinceMs;
    sttFallbackSeconds.observe(this.totalMs / 1000);
  }

  /** End of the latest utterance sent one-shot: streaming must not deliver it again. */
  get ownedEndMs(): number {
    return this.ownedEnd;
  }

  recognize(m: UtteranceMark): void {
    const { tuning, scheduler, output } = this.deps;
    const held = this.deps.buffer.slice(m.startMs - tuning.oneShotPadMs, m.endMs + tuning.oneShotPadMs);
    if (held === undefined) {
      this.deps.log.warn(
        { callId: this.deps.callId, startMs: m.startMs, endMs: m.endMs },
        'stt fallback: utterance audio no longer buffered',
      );
      return;
    }
    this.ownedEnd = Math.max(this.ownedEnd, m.endMs);
    const abort = new AbortController();
    this.inflight.add(abort);
    const slot = output.reserve(m.startMs);
    slot.timer = scheduler.setTimeout(() => {
      if (slot.settled) return;
      abort.abort();
      this.noteTimedOut(m);
      output.settle(slot, undefined);
    }, tuning.oneShotTimeoutMs);
    void this.run(m, held.audio, abort, held.audioStartMs)
      .then(
        (f) => output.settle(slot, f),
        () => output.settle(slot, undefined),
      )
      .finally(() => this.inflight.delete(abort));
  }

  abortAll(): void {
    for (const a of this.inflight) a.abort();
  }

  private noteTimedOut(m: UtteranceMark): void {
    sttOneShotRequests.inc({ outcome: 'timeout' });
    this.deps.log.warn(
      {
        callId: this.deps.callId,
        startMs: m.startMs,
        endMs: m.endMs,
        timeoutMs: this.deps.tuning.oneShotTimeoutMs,
      },
      'stt one-shot recognize timed out; utterance lost',
    );
    this.deps.onError({
      code: 'DEADLINE_EXCEEDED',
      message: 'one-shot recognize timed out',
      retryable: true,
      atMs: this.deps.now(),
    });
  }

  /** Recognizes one utterance (with retries); resolves to its final, or undefined when there is none. */
  private async run(
    m: UtteranceMark,
    audio: Buffer,
    abort: AbortController,
    baseMs: number,
  ): Promise<SttFinal | undefined> {
    const { deps } = this;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await deps.recognizer.recognize(deps.callId, audio, abort.signal, {
          baseMs,
          timeoutMs: deps.tuning.oneShotTimeoutMs,
        });
        if (abort.signal.aborted || !deps.isLive()) return undefined;
        const text = res.text.trim();
        sttOneShotRequests.inc({ outcome: text === '' ? 'empty' : 'ok' });
        if (text === '') return undefined;
        return {
          text,
          confidence: res.confidence,
          audioStartMs: m.startMs,
          audioEndMs: m.endMs,
          receivedAtMs: deps.now(),
          fromFallback: true,
        };
      } catch (err) {
        if (abort.signal.aborted || !deps.isLive()) return undefined;
        const c = classifySttError(err);
        if (!this.shouldRetry(c, attempt)) return undefined;
        sttOneShotRequests.inc({ outcome: 'retry' });
        await new Promise<void>((resolve) =>
          deps.scheduler.setTimeout(resolve, oneShotRetryDelayMs(attempt, deps.random)),
        );
      }
    }
  }

  /** After a failed attempt: retry, or give the utterance up (failing the call's STT on a fatal error). */
  private shouldRetry(c: ClassifiedSttError, attempt: number): boolean {
    if (!c.retryable) {
      sttOneShotRequests.inc({ outcome: 'error' });
      this.deps.fail(c);
      return false;
    }
    if (attempt >= this.deps.tuning.oneShotRetries) {
      sttOneShotRequests.inc({ outcome: 'error' });
      this.deps.log.warn(
        { callId: this.deps.callId, code: c.code, message: c.message },
        'stt one-shot recognize failed; utterance lost',
      );
      this.deps.onError({ code: c.code, message: c.message, retryable: true, atMs: this.deps.now() });
      return false;
    }
    return true;
  }
}
