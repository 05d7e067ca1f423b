// Streaming recognition that never silently degrades. Composes one raw streaming provider and a
// one-shot recognizer per call:
// - rotation before the provider's stream limit, replaying the audio since the last final into
//   the new stream (call-clock timestamps, duplicate text suppressed at the seam);
// - retryable errors: reopen at once with jittered backoff (first retry < 200 ms), buffering and
//   then replaying the audio;
// - attempts exhausted: fallback, where the local VAD's utterances go out as concurrent one-shot
//   Recognize requests, while a background re-probe returns the call to streaming;
// - fatal errors: the call's STT fails loudly (onError retryable=false, logs, metrics, sttHealth).
import type { Config } from '../config/schema.ts';
import { classifySttError, type ClassifiedSttError } from './errors.ts';
import { FinalOrder } from './final-order.ts';
import { sttHealth } from './health.ts';
import {
  sttBufferDroppedSeconds,
  sttEventDelay,
  sttFallbackEntries,
  sttFallbackExits,
  sttFallbackSeconds,
  sttFatalErrors,
  sttOneShotRequests,
  sttOutOfOrderFinals,
  sttRestarts,
  sttRotations,
  sttSeamDuplicates,
  sttStreamsActive,
} from './metrics.ts';
import type { OneShotRecognizer, RawResult, RawStream, RawStreamingProvider } from './raw.ts';
import { ReplayBuffer, type BufferedChunk } from './replay-buffer.ts';
import type {
  AudioChunk,
  Scheduler,
  SttFinal,
  SttListener,
  SttSessionContext,
  SttState,
  SttStream,
  StreamingStt,
} from './types.ts';

export type { Scheduler };

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ResilienceTuning {
  /** A stream counts as healthy (attempts reset) on its first response or after this long without error. */
  readonly healthyAfterMs: number;
  /** Before the hard rotation deadline, rotate at the first quiet moment within this window. */
  readonly rotationSoftWindowMs: number;
  /** Fallback re-probe backoff: first delay and cap. */
  readonly probeInitialMs: number;
  readonly probeMaxMs: number;
  /** Retry backoff after the first (which is 50-150 ms): base doubling, capped. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** No result at all for an utterance the local VAD cut, this long after the cut: the stream is stalled. 0 disables. */
  readonly stallTimeoutMs: number;
  /** When no audio was written for this long, send silence so the provider's audio timeout never fires. */
  readonly keepaliveMs: number;
  /** Extra audio around a VAD utterance sent to one-shot Recognize. */
  readonly oneShotPadMs: number;
  /** Retries of a retryable one-shot failure. */
  readonly oneShotRetries: number;
  /**
   * A one-shot utterance (all its attempts) still unanswered after this long is given up, so
   * the finals after it, held back to keep utterance order, are released.
   */
  readonly oneShotTimeoutMs: number;
}

export const DEFAULT_TUNING: ResilienceTuning = {
  healthyAfterMs: 1500,
  rotationSoftWindowMs: 30_000,
  probeInitialMs: 1000,
  probeMaxMs: 30_000,
  retryBaseMs: 250,
  retryMaxMs: 3000,
  stallTimeoutMs: 5000,
  keepaliveMs: 2000,
  oneShotPadMs: 150,
  oneShotRetries: 2,
  oneShotTimeoutMs: 8000,
};

export interface ResilientSttDeps {
  readonly config: Pick<
    Config,
    'sttRetryAttempts' | 'sttRotationSeconds' | 'sttBufferSeconds' | 'sttStreaming'
  >;
  readonly streaming: RawStreamingProvider;
  readonly oneShot: OneShotRecognizer;
  readonly name?: string;
  readonly scheduler?: Scheduler;
  readonly random?: () => number;
  readonly tuning?: Partial<ResilienceTuning>;
  /** Called by close() of the returned StreamingStt (e.g. closes the client pool). */
  readonly onClose?: () => Promise<void>;
}

export function createResilientStt(deps: ResilientSttDeps): StreamingStt {
  const tuning: ResilienceTuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const scheduler = deps.scheduler ?? realScheduler;
  const random = deps.random ?? Math.random;
  const sessions = new Set<ResilientSession>();
  return {
    name: deps.name ?? `resilient(${deps.streaming.name})`,
    open(ctx, listener) {
      const s = new ResilientSession(deps, tuning, scheduler, random, ctx, listener, () =>
        sessions.delete(s),
      );
      sessions.add(s);
      s.start();
      return s;
    },
    async close() {
      await Promise.all([...sessions].map((s) => s.close()));
      await deps.onClose?.();
    },
  };
}

interface MapSegment {
  readonly streamStart: number;
  readonly callStart: number;
  dur: number;
}

interface ActiveStream {
  readonly gen: number;
  readonly raw: RawStream;
  readonly segments: MapSegment[];
  streamMs: number;
  confirmed: boolean;
  /** Opened by a fallback re-probe (no replay). */
  readonly probe: boolean;
  /** Opened after a rotation or reconnect: its first final may repeat the previous one. */
  seamPending: boolean;
  readonly openedAtWall: number;
  healthyTimer: unknown;
  softTimer: unknown;
  hardTimer: unknown;
  lastWriteWall: number;
  /** Call time of the latest audio a result covered. */
  lastResultCallMs: number;
}

interface Mark {
  readonly startMs: number;
  readonly endMs: number;
}

const MS_PER_BYTE = 1 / 8;
const SILENCE_100MS = Buffer.alloc(800, 0xff);

function normalizeText(s: string): string {
  return s
    .replace(/[.,?!;:"'\u05be\u05f3\u05f4-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

class ResilientSession implements SttStream {
  private _state: SttState = 'connecting';
  private readonly deps: ResilientSttDeps;
  private readonly tuning: ResilienceTuning;
  private readonly scheduler: Scheduler;
  private readonly random: () => number;
  private readonly ctx: SttSessionContext;
  private readonly listener: SttListener;
  private readonly onClosed: () => void;
  private readonly log: SttSessionContext['logger'];

  private readonly buffer: ReplayBuffer;
  private current: ActiveStream | undefined;
  private gen = 0;
  private attempts = 0;
  private retryTimer: unknown;
  private lastFinalEndMs = 0;
  private lastFinalText = '';
  private partialSinceFinal = false;
  private rotationDue = false;
  private lastAudioEndMs = 0;
  private marks: Mark[] = [];
  private stallTimers = new Set<unknown>();

  private fallbackSinceMs: number | undefined;
  private fallbackTotalMs = 0;
  private probeAttempt = 0;
  private probeTimer: unknown;
  private handoffMs = -Infinity;
  private oneShotOwnedEndMs = -Infinity;
  private readonly inflight = new Set<AbortController>();
  private readonly output: FinalOrder;
  private keepaliveTimer: unknown;

  constructor(
    deps: ResilientSttDeps,
    tuning: ResilienceTuning,
    scheduler: Scheduler,
    random: () => number,
    ctx: SttSessionContext,
    listener: SttListener,
    onClosed: () => void,
  ) {
    this.deps = deps;
    this.tuning = tuning;
    // The call's own clock when the session gives one (one clock per call, fake in tests).
    this.scheduler = ctx.scheduler ?? scheduler;
    this.random = random;
    this.ctx = ctx;
    this.listener = listener;
    this.onClosed = onClosed;
    this.log = ctx.logger.child({ component: 'stt', provider: deps.streaming.name });
    this.buffer = new ReplayBuffer(deps.config.sttBufferSeconds);
    this.output = new FinalOrder(
      (final) => this.deliver(final),
      (timer) => this.scheduler.clearTimeout(timer),
      () => this.ctx.now(),
    );
  }

  get state(): SttState {
    return this._state;
  }

  start(): void {
    sttStreamsActive.inc({ state: this._state });
    this.emitState('connecting', 'open');
    if (!this.deps.config.sttStreaming) {
      this.enterFallback('streaming disabled (STT_STREAMING_ENABLED=false)', false);
      return;
    }
    this.openStream('open', true);
    this.scheduleKeepalive();
  }

  // ---------------- audio in ----------------

  write(chunk: AudioChunk): void {
    if (this._state === 'closed' || this._state === 'failed') return;
    const dur = chunk.mulaw.length * MS_PER_BYTE;
    if (dur === 0) return;
    const c: BufferedChunk = { mulaw: chunk.mulaw, t: chunk.audioTimeMs, dur };
    const { droppedMs, firstDrop } = this.buffer.push(c);
    this.lastAudioEndMs = c.t + dur;
    if (droppedMs > 0) this.noteDropped(droppedMs, firstDrop);
    // A re-probe stream only hears silence: it tests the API, the handoff stream replays the speech.
    if (this.current && !this.current.probe) this.writeToStream(this.current, c);
  }

  markUtterance(startMs: number, endMs: number): void {
    if (this._state === 'closed' || this._state === 'failed' || endMs <= startMs) return;
    const mark: Mark = { startMs, endMs };
    if (this._state === 'fallback' || startMs < this.handoffMs) {
      this.recognizeOnce(mark);
      return;
    }
    this.marks.push(mark);
    if (this.marks.length > 50) this.marks.shift();
    if (this.tuning.stallTimeoutMs > 0 && this._state === 'streaming' && this.current) {
      const stream = this.current;
      const timer = this.scheduler.setTimeout(() => {
        this.stallTimers.delete(timer);
        if (this.current !== stream || this._state !== 'streaming') return;
        if (stream.lastResultCallMs < mark.startMs && this.lastFinalEndMs < mark.endMs) {
          this.onRetryable(stream, {
            code: 'STALL',
            numericCode: undefined,
            message: 'no result for a finished utterance',
            retryable: true,
            reason: 'stall',
          });
        }
      }, this.tuning.stallTimeoutMs);
      this.stallTimers.add(timer);
    }
  }

  private noteDropped(droppedMs: number, warn: boolean): void {
    sttBufferDroppedSeconds.inc(droppedMs / 1000);
    if (warn)
      this.log.warn(
        { bufferSeconds: this.deps.config.sttBufferSeconds },
        'stt replay buffer full: oldest audio dropped',
      );
  }

  private writeToStream(s: ActiveStream, c: BufferedChunk): void {
    const last = s.segments[s.segments.length - 1];
    if (last && Math.abs(last.callStart + last.dur - c.t) < 0.5) last.dur += c.dur;
    else s.segments.push({ streamStart: s.streamMs, callStart: c.t, dur: c.dur });
    s.streamMs += c.dur;
    s.lastWriteWall = this.scheduler.now();
    s.raw.write(c.mulaw);
  }

  /** Stream offset (ms since the stream's first byte) -> call audio clock. */
  private toCallTime(s: ActiveStream, offsetMs: number | undefined): number {
    const segs = s.segments;
    if (segs.length === 0) return this.lastAudioEndMs;
    if (offsetMs === undefined) {
      const last = segs[segs.length - 1]!;
      return last.callStart + last.dur;
    }
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]!.streamStart <= offsetMs) lo = mid;
      else hi = mid - 1;
    }
    const seg = segs[lo]!;
    return seg.callStart + Math.max(0, offsetMs - seg.streamStart);
  }

  private scheduleKeepalive(): void {
    const tick = (): void => {
      if (this._state === 'closed' || this._state === 'failed') return;
      const s = this.current;
      if (s && this.scheduler.now() - s.lastWriteWall >= this.tuning.keepaliveMs) {
        // Nothing came from the caller side for a while: keep the provider's audio timeout away.
        this.writeToStream(s, { mulaw: SILENCE_100MS, t: this.lastAudioEndMs, dur: 100 });
        this.lastAudioEndMs += 100;
      }
      this.keepaliveTimer = this.scheduler.setTimeout(tick, this.tuning.keepaliveMs / 2);
    };
    this.keepaliveTimer = this.scheduler.setTimeout(tick, this.tuning.keepaliveMs / 2);
  }

  // ---------------- streams ----------------

  private openStream(reason: string, replay: boolean, probe = false): void {
    const gen = ++this.gen;
    const rotationMs = this.deps.config.sttRotationSeconds * 1000;
    const s: ActiveStream = {
      gen,
      raw: undefined as unknown as RawStream,
      segments: [],
      streamMs: 0,
      confirmed: false,
      probe,
      seamPending: reason !== 'open' && !probe,
      openedAtWall: this.scheduler.now(),
      healthyTimer: undefined,
      softTimer: undefined,
      hardTimer: undefined,
      lastWriteWall: this.scheduler.now(),
      lastResultCallMs: -Infinity,
    };
    const baseMs = (replay ? this.buffer.firstMs : undefined) ?? this.lastAudioEndMs;
    const raw = this.deps.streaming.open(
      this.ctx.callId,
      {
        onOpen: () => {
          if (this.current === s) this.confirm(s);
        },
        onResult: (r) => {
          if (this.current === s) this.onResult(s, r);
        },
        onSpeechEvent: (kind, offset) => {
          if (this.current !== s) return;
          const at = this.toCallTime(s, offset);
          if (kind === 'begin') this.listener.onSpeechBegin?.(at);
          else this.listener.onSpeechEnd?.(at);
        },
        onError: (err) => {
          if (this.current === s) this.onRetryableOrFatal(s, classifySttError(err));
        },
        onEnd: () => {
          if (this.current === s)
            this.onRetryable(s, {
              code: 'OK',
              numericCode: 0,
              message: 'server ended the stream',
              retryable: true,
              reason: 'server_end',
            });
        },
      },
      { baseMs },
    );
    (s as { raw: RawStream }).raw = raw;
    this.current = s;
    this.log.debug(
      { callId: this.ctx.callId, gen, reason, replay, bufferedMs: this.buffer.ms },
      'stt stream opened',
    );
    if (replay) for (const c of this.buffer.all) this.writeToStream(s, c);
    if (probe)
      for (let i = 0; i < 5; i++)
        this.writeToStream(s, { mulaw: SILENCE_100MS, t: this.lastAudioEndMs, dur: 100 });
    s.healthyTimer = this.scheduler.setTimeout(() => {
      if (this.current === s) this.confirm(s);
    }, this.tuning.healthyAfterMs);
    const soft = Math.max(0, rotationMs - Math.min(this.tuning.rotationSoftWindowMs, rotationMs * 0.3));
    s.softTimer = this.scheduler.setTimeout(() => {
      if (this.current !== s) return;
      this.rotationDue = true;
      if (!this.partialSinceFinal) this.rotate(s, 'quiet');
    }, soft);
    s.hardTimer = this.scheduler.setTimeout(() => {
      if (this.current === s) this.rotate(s, 'deadline');
    }, rotationMs);
  }

  private dropStream(s: ActiveStream): void {
    this.scheduler.clearTimeout(s.healthyTimer);
    this.scheduler.clearTimeout(s.softTimer);
    this.scheduler.clearTimeout(s.hardTimer);
    if (this.current === s) this.current = undefined;
    s.raw.cancel();
  }

  private confirm(s: ActiveStream): void {
    if (s.confirmed) return;
    s.confirmed = true;
    this.scheduler.clearTimeout(s.healthyTimer);
    this.attempts = 0;
    if (s.probe) {
      this.exitFallback(s);
      return;
    }
    if (this._state === 'connecting' || this._state === 'retrying')
      this.emitState('streaming', this._state === 'retrying' ? 'reconnected' : 'opened');
  }

  private rotate(s: ActiveStream, why: string): void {
    this.rotationDue = false;
    sttRotations.inc();
    this.log.info(
      {
        callId: this.ctx.callId,
        why,
        replayMs: Math.round(this.buffer.ms),
        streamAgeMs: Math.round(this.scheduler.now() - s.openedAtWall),
      },
      'stt stream rotation',
    );
    const wasProbe = s.probe && !s.confirmed;
    this.dropStream(s);
    this.openStream('rotation', !wasProbe, wasProbe);
  }

  private onResult(s: ActiveStream, r: RawResult): void {
    const t0 = performance.now();
    this.confirm(s);
    const now = this.ctx.now();
    const at = this.toCallTime(s, r.endOffsetMs);
    s.lastResultCallMs = Math.max(s.lastResultCallMs, at);
    if (!r.isFinal) {
      if (r.text === '') return;
      this.partialSinceFinal = true;
      this.listener.onPartial({ text: r.text, stability: r.stability, audioTimeMs: at, receivedAtMs: now });
      sttEventDelay.observe((performance.now() - t0) / 1000);
      return;
    }
    const startMs = Math.max(this.lastFinalEndMs, s.segments[0]?.callStart ?? at);
    const endMs = Math.max(at, startMs);
    const text = r.text.trim();
    const seam = s.seamPending;
    s.seamPending = false;
    // Google answers one stream in audio order; a final for audio before the last one means the
    // provider reordered its answers (the emulator did, before it queued finals).
    const behindMs = this.lastFinalEndMs - at;
    this.lastFinalEndMs = Math.max(this.lastFinalEndMs, endMs);
    this.partialSinceFinal = false;
    this.buffer.trimBefore(this.lastFinalEndMs);
    this.marks = this.marks.filter((m) => m.endMs > this.lastFinalEndMs);
    let suppress: string | undefined;
    if (text === '') suppress = 'empty';
    else if (seam && this.lastFinalText !== '' && this.isRepeat(text)) suppress = 'seam duplicate';
    else if (startMs <= this.handoffMs && endMs <= this.oneShotOwnedEndMs + 300)
      suppress = 'covered by fallback';
    if (suppress !== undefined) {
      if (suppress !== 'empty') {
        sttSeamDuplicates.inc();
        this.log.info({ callId: this.ctx.callId, text, why: suppress }, 'stt final suppressed');
      }
    } else {
      if (behindMs > 1) {
        sttOutOfOrderFinals.inc();
        this.log.warn(
          { callId: this.ctx.callId, text, behindMs: Math.round(behindMs) },
          'stt final for earlier audio than the previous final (provider answered out of order)',
        );
      }
      const immediate = this.output.emit({
        text,
        confidence: r.confidence,
        audioStartMs: startMs,
        audioEndMs: endMs,
        receivedAtMs: now,
      });
      if (immediate) sttEventDelay.observe((performance.now() - t0) / 1000);
    }
    if (this.rotationDue && this.current === s) this.rotate(s, 'after final');
  }

  private isRepeat(text: string): boolean {
    const a = normalizeText(text);
    const b = normalizeText(this.lastFinalText);
    return a !== '' && (a === b || b.endsWith(a));
  }

  private onRetryableOrFatal(s: ActiveStream, c: ClassifiedSttError): void {
    if (c.retryable) this.onRetryable(s, c);
    else this.fail(c);
  }

  private onRetryable(s: ActiveStream, c: ClassifiedSttError): void {
    const healthy = s.confirmed;
    this.dropStream(s);
    for (const t of this.stallTimers) this.scheduler.clearTimeout(t);
    this.stallTimers.clear();
    if (this._state === 'fallback') {
      this.log.info(
        { callId: this.ctx.callId, code: c.code, reason: c.reason, attempt: this.probeAttempt },
        'stt re-probe failed',
      );
      this.scheduleProbe();
      return;
    }
    sttRestarts.inc({ reason: c.reason });
    this.listener.onError({ code: c.code, message: c.message, retryable: true, atMs: this.ctx.now() });
    if (healthy) this.attempts = 0;
    this.attempts++;
    if (this.attempts > this.deps.config.sttRetryAttempts) {
      this.enterFallback(`${c.reason}: ${c.message}`, true);
      return;
    }
    const delay = this.retryDelay(this.attempts);
    this.log.warn(
      {
        callId: this.ctx.callId,
        code: c.code,
        reason: c.reason,
        message: c.message,
        attempt: this.attempts,
        delayMs: Math.round(delay),
      },
      'stt stream error: reopening',
    );
    this.emitState('retrying', `${c.reason}: ${c.message}`);
    this.retryTimer = this.scheduler.setTimeout(() => {
      if (this._state === 'retrying') this.openStream(c.reason, true);
    }, delay);
  }

  private retryDelay(attempt: number): number {
    if (attempt <= 1) return 50 + this.random() * 100;
    const base = Math.min(this.tuning.retryBaseMs * 2 ** (attempt - 1), this.tuning.retryMaxMs);
    return base * (0.5 + this.random() * 0.5);
  }

  private fail(c: ClassifiedSttError): void {
    if (this.current) this.dropStream(this.current);
    sttFatalErrors.inc({ code: c.code });
    sttHealth.recordFatal(c.code, c.message, this.ctx.callId);
    this.log.error(
      { callId: this.ctx.callId, code: c.code, message: c.message },
      'stt fatal error: recognition for this call has stopped (configuration or credentials)',
    );
    this.stopTimers();
    for (const a of this.inflight) a.abort();
    this.output.drop();
    this.emitState('failed', `${c.code}: ${c.message}`);
    this.listener.onError({ code: c.code, message: c.message, retryable: false, atMs: this.ctx.now() });
  }

  // ---------------- fallback ----------------

  private enterFallback(reason: string, probe: boolean): void {
    sttFallbackEntries.inc();
    this.fallbackSinceMs = this.ctx.now();
    this.probeAttempt = 0;
    this.log.warn(
      { callId: this.ctx.callId, reason, retryAttempts: this.deps.config.sttRetryAttempts },
      'stt entering fallback: one-shot recognition per utterance',
    );
    this.emitState('fallback', reason);
    // Utterances already cut but not yet recognized by a stream go out now.
    const pending = this.marks.filter((m) => m.endMs > this.lastFinalEndMs);
    this.marks = [];
    for (const m of pending) this.recognizeOnce(m);
    if (probe) this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.probeAttempt++;
    const base = Math.min(this.tuning.probeInitialMs * 2 ** (this.probeAttempt - 1), this.tuning.probeMaxMs);
    const delay = base * (0.75 + this.random() * 0.5);
    this.probeTimer = this.scheduler.setTimeout(() => {
      if (this._state !== 'fallback') return;
      this.openStream('probe', false, true);
    }, delay);
  }

  private exitFallback(s: ActiveStream): void {
    sttFallbackExits.inc();
    const spent = this.fallbackSinceMs === undefined ? 0 : this.ctx.now() - this.fallbackSinceMs;
    this.fallbackTotalMs += spent;
    this.fallbackSinceMs = undefined;
    // Hand over at the end of the last utterance the local VAD cut (one-shot owns everything
    // before it): the probe stream proved the API is back, and a fresh stream replays the audio
    // after that point, so an utterance in progress is heard whole by streaming, never split.
    // With no utterance cut during the fallback, everything since the last final is streaming's:
    // handing over at the probe's start instead cut an utterance the caller was still speaking
    // in two (its head trimmed from the buffer, its mark then sent one-shot without it: lost).
    this.handoffMs = Math.max(this.lastFinalEndMs, this.oneShotOwnedEndMs);
    this.lastFinalEndMs = this.handoffMs;
    this.partialSinceFinal = false;
    this.buffer.trimBefore(this.handoffMs);
    this.log.info(
      {
        callId: this.ctx.callId,
        fallbackMs: Math.round(spent),
        probes: this.probeAttempt,
        handoffMs: Math.round(this.handoffMs),
      },
      'stt back to streaming',
    );
    this.dropStream(s);
    this.openStream('handoff', true);
    if (this.current) {
      this.current.seamPending = false;
      this.current.confirmed = true;
      this.scheduler.clearTimeout(this.current.healthyTimer);
    }
    this.emitState('streaming', 'fallback re-probe succeeded');
  }

  private recognizeOnce(m: Mark): void {
    const from = m.startMs - this.tuning.oneShotPadMs;
    const to = m.endMs + this.tuning.oneShotPadMs;
    const held = this.buffer.slice(from, to);
    if (held === undefined) {
      this.log.warn(
        { callId: this.ctx.callId, startMs: m.startMs, endMs: m.endMs },
        'stt fallback: utterance audio no longer buffered',
      );
      return;
    }
    this.oneShotOwnedEndMs = Math.max(this.oneShotOwnedEndMs, m.endMs);
    const { audio, audioStartMs } = held;
    const abort = new AbortController();
    this.inflight.add(abort);
    const slot = this.output.reserve(m.startMs);
    slot.timer = this.scheduler.setTimeout(() => {
      if (slot.settled) return;
      abort.abort();
      sttOneShotRequests.inc({ outcome: 'timeout' });
      this.log.warn(
        {
          callId: this.ctx.callId,
          startMs: m.startMs,
          endMs: m.endMs,
          timeoutMs: this.tuning.oneShotTimeoutMs,
        },
        'stt one-shot recognize timed out; utterance lost',
      );
      this.listener.onError({
        code: 'DEADLINE_EXCEEDED',
        message: 'one-shot recognize timed out',
        retryable: true,
        atMs: this.ctx.now(),
      });
      this.output.settle(slot, undefined);
    }, this.tuning.oneShotTimeoutMs);
    void this.runOneShot(m, audio, abort, audioStartMs)
      .then(
        (f) => this.output.settle(slot, f),
        () => this.output.settle(slot, undefined),
      )
      .finally(() => this.inflight.delete(abort));
  }

  /** Recognizes one utterance (with retries); resolves to its final, or undefined when there is none. */
  private async runOneShot(
    m: Mark,
    audio: Buffer,
    abort: AbortController,
    baseMs: number,
  ): Promise<SttFinal | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.deps.oneShot.recognize(this.ctx.callId, audio, abort.signal, {
          baseMs,
          timeoutMs: this.tuning.oneShotTimeoutMs,
        });
        if (abort.signal.aborted || this._state === 'closed' || this._state === 'failed') return undefined;
        const text = res.text.trim();
        sttOneShotRequests.inc({ outcome: text === '' ? 'empty' : 'ok' });
        if (text === '') return undefined;
        return {
          text,
          confidence: res.confidence,
          audioStartMs: m.startMs,
          audioEndMs: m.endMs,
          receivedAtMs: this.ctx.now(),
          fromFallback: true,
        };
      } catch (err) {
        if (abort.signal.aborted || this._state === 'closed' || this._state === 'failed') return undefined;
        const c = classifySttError(err);
        if (!c.retryable) {
          sttOneShotRequests.inc({ outcome: 'error' });
          this.fail(c);
          return undefined;
        }
        if (attempt >= this.tuning.oneShotRetries) {
          sttOneShotRequests.inc({ outcome: 'error' });
          this.log.warn(
            { callId: this.ctx.callId, code: c.code, message: c.message },
            'stt one-shot recognize failed; utterance lost',
          );
          this.listener.onError({ code: c.code, message: c.message, retryable: true, atMs: this.ctx.now() });
          return undefined;
        }
        sttOneShotRequests.inc({ outcome: 'retry' });
        await new Promise<void>((resolve) =>
          this.scheduler.setTimeout(resolve, 200 * 2 ** attempt * (0.5 + this.random() * 0.5)),
        );
      }
    }
  }

  private deliver(final: SttFinal): void {
    if (this._state === 'closed' || this._state === 'failed') return;
    this.lastFinalText = final.text;
    this.listener.onFinal(final);
  }

  // ---------------- lifecycle ----------------

  private emitState(state: SttState, reason: string): void {
    if (state !== this._state) {
      sttStreamsActive.dec({ state: this._state });
      if (state !== 'closed') sttStreamsActive.inc({ state });
    }
    const prev = this._state;
    this._state = state;
    this.log.info({ callId: this.ctx.callId, from: prev, to: state, reason }, 'stt state');
    // Another attempt in the same state is logged, not re-announced.
    if (state !== prev || reason === 'open') this.listener.onState({ state, reason, atMs: this.ctx.now() });
  }

  private stopTimers(): void {
    this.scheduler.clearTimeout(this.retryTimer);
    this.scheduler.clearTimeout(this.probeTimer);
    this.scheduler.clearTimeout(this.keepaliveTimer);
    for (const t of this.stallTimers) this.scheduler.clearTimeout(t);
    this.stallTimers.clear();
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this.stopTimers();
    if (this.current) this.dropStream(this.current);
    for (const a of this.inflight) a.abort();
    this.output.drop();
    if (this.fallbackSinceMs !== undefined) this.fallbackTotalMs += this.ctx.now() - this.fallbackSinceMs;
    sttFallbackSeconds.observe(this.fallbackTotalMs / 1000);
    this.buffer.clear();
    this.emitState('closed', 'closed by session');
    this.onClosed();
  }
}
