// One call's resilient STT session (created by resilient.ts): the state machine (connecting,
// streaming, retrying, fallback, failed, closed) and what each event of the live stream means for
// the caller: partials and finals on the call's clock in audio order, duplicates at a rotation
// seam dropped, retries with backoff, fallback to one-shot recognition and the way back.
import type { ClassifiedSttError } from './errors.ts';
import { FinalOrder } from './final-order.ts';
import { sttHealth } from './health.ts';
import {
  sttBufferDroppedSeconds,
  sttEventDelay,
  sttFatalErrors,
  sttOutOfOrderFinals,
  sttRestarts,
  sttSeamDuplicates,
  sttStreamsActive,
} from './metrics.ts';
import { OneShotFallback, type UtteranceMark } from './one-shot-fallback.ts';
import { PendingUtterances } from './pending-utterances.ts';
import type { RawResult } from './raw.ts';
import { ReplayBuffer, type BufferedChunk } from './replay-buffer.ts';
import { finalSuppression, retryDelayMs, type ResilienceTuning } from './resilience-policy.ts';
import type { ResilientSttDeps } from './resilient.ts';
import { mulawDurationMs, StreamRotation, type ActiveStream, type StreamOwner } from './stream-rotation.ts';
import type {
  AudioChunk,
  Scheduler,
  SttFinal,
  SttListener,
  SttSessionContext,
  SttState,
  SttStream,
} from './types.ts';

export class ResilientSession implements SttStream, StreamOwner {
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
  private readonly streams: StreamRotation;
  private readonly oneShots: OneShotFallback;
  private readonly output: FinalOrder;
  private attempts = 0;
  private retryTimer: unknown;
  private lastFinalEndMs = 0;
  private lastFinalText = '';
  private partialSinceFinal = false;
  private readonly pending: PendingUtterances;
  /** Call time from which streaming owns the audio again after a fallback. */
  private handoffMs = -Infinity;

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
    this.pending = new PendingUtterances(this.scheduler);
    this.output = new FinalOrder(
      (final) => this.deliver(final),
      (timer) => this.scheduler.clearTimeout(timer),
      () => this.ctx.now(),
    );
    this.streams = new StreamRotation({
      streaming: deps.streaming,
      callId: ctx.callId,
      rotationSeconds: deps.config.sttRotationSeconds,
      tuning,
      scheduler: this.scheduler,
      buffer: this.buffer,
      log: this.log,
      owner: this,
    });
    this.oneShots = new OneShotFallback({
      recognizer: deps.oneShot,
      callId: ctx.callId,
      tuning,
      scheduler: this.scheduler,
      random,
      buffer: this.buffer,
      output: this.output,
      log: this.log,
      now: () => this.ctx.now(),
      isLive: () => this.isLive(),
      onError: (e) => this.listener.onError(e),
      fail: (c) => this.fail(c),
    });
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
    this.streams.open('open', true);
    this.streams.startKeepalive();
  }

  isLive(): boolean {
    return this._state !== 'closed' && this._state !== 'failed';
  }

  isMidUtterance(): boolean {
    return this.partialSinceFinal;
  }

  // ---------------- audio in ----------------

  write(chunk: AudioChunk): void {
    if (!this.isLive()) return;
    const dur = mulawDurationMs(chunk.mulaw);
    if (dur === 0) return;
    const c: BufferedChunk = { mulaw: chunk.mulaw, t: chunk.audioTimeMs, dur };
    const { droppedMs, firstDrop } = this.buffer.push(c);
    if (droppedMs > 0) this.noteDropped(droppedMs, firstDrop);
    this.streams.write(c);
  }

  markUtterance(startMs: number, endMs: number): void {
    if (!this.isLive() || endMs <= startMs) return;
    const mark: UtteranceMark = { startMs, endMs };
    if (this._state === 'fallback' || startMs < this.handoffMs) {
      this.oneShots.recognize(mark);
      return;
    }
    this.pending.add(mark);
    const stream = this.streams.current;
    if (this.tuning.stallTimeoutMs > 0 && this._state === 'streaming' && stream)
      this.watchForStall(stream, mark);
  }

  /** A stream that never answers an utterance the VAD cut is stalled: reopen it like a failed one. */
  private watchForStall(stream: ActiveStream, mark: UtteranceMark): void {
    this.pending.watch(this.tuning.stallTimeoutMs, () => {
      if (this.streams.current !== stream || this._state !== 'streaming') return;
      if (stream.lastResultCallMs < mark.startMs && this.lastFinalEndMs < mark.endMs) {
        this.onRetryable(stream, {
          code: 'STALL',
          numericCode: undefined,
          message: 'no result for a finished utterance',
          retryable: true,
          reason: 'stall',
        });
      }
    });
  }

  private noteDropped(droppedMs: number, warn: boolean): void {
    sttBufferDroppedSeconds.inc(droppedMs / 1000);
    if (warn)
      this.log.warn(
        { bufferSeconds: this.deps.config.sttBufferSeconds },
        'stt replay buffer full: oldest audio dropped',
      );
  }

  // ---------------- stream events ----------------

  onConfirmed(s: ActiveStream): void {
    this.attempts = 0;
    if (s.probe) {
      this.exitFallback(s);
      return;
    }
    if (this._state === 'connecting' || this._state === 'retrying')
      this.emitState('streaming', this._state === 'retrying' ? 'reconnected' : 'opened');
  }

  onSpeechEvent(kind: 'begin' | 'end', atMs: number): void {
    if (kind === 'begin') this.listener.onSpeechBegin?.(atMs);
    else this.listener.onSpeechEnd?.(atMs);
  }

  onResult(s: ActiveStream, r: RawResult): void {
    const t0 = performance.now();
    this.streams.confirm(s);
    const now = this.ctx.now();
    const at = this.streams.toCallTime(s, r.endOffsetMs);
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
    const atSeam = s.seamPending;
    s.seamPending = false;
    // Google answers one stream in audio order; a final for audio before the last one means the
    // provider reordered its answers (the emulator did, before it queued finals).
    const behindMs = this.lastFinalEndMs - at;
    this.lastFinalEndMs = Math.max(this.lastFinalEndMs, endMs);
    this.partialSinceFinal = false;
    this.buffer.trimBefore(this.lastFinalEndMs);
    this.pending.coveredUntil(this.lastFinalEndMs);
    const suppress = finalSuppression({
      text,
      startMs,
      endMs,
      atSeam,
      lastFinalText: this.lastFinalText,
      handoffMs: this.handoffMs,
      oneShotOwnedEndMs: this.oneShots.ownedEndMs,
    });
    if (suppress === undefined) {
      if (behindMs > 1) this.noteOutOfOrder(text, behindMs);
      const final = {
        text,
        confidence: r.confidence,
        audioStartMs: startMs,
        audioEndMs: endMs,
        receivedAtMs: now,
      };
      if (this.output.emit(final)) sttEventDelay.observe((performance.now() - t0) / 1000);
    } else if (suppress !== 'empty') {
      sttSeamDuplicates.inc();
      this.log.info({ callId: this.ctx.callId, text, why: suppress }, 'stt final suppressed');
    }
    this.streams.rotateIfDue(s);
  }

  private noteOutOfOrder(text: string, behindMs: number): void {
    sttOutOfOrderFinals.inc();
    this.log.warn(
      { callId: this.ctx.callId, text, behindMs: Math.round(behindMs) },
      'stt final for earlier audio than the previous final (provider answered out of order)',
    );
  }

  onStreamError(s: ActiveStream, c: ClassifiedSttError): void {
    if (c.retryable) this.onRetryable(s, c);
    else this.fail(c);
  }

  private onRetryable(s: ActiveStream, c: ClassifiedSttError): void {
    const healthy = s.confirmed;
    this.streams.drop(s);
    this.pending.clearWatches();
    if (this._state === 'fallback') {
      this.log.info(
        { callId: this.ctx.callId, code: c.code, reason: c.reason, attempt: this.oneShots.probes },
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
    const delay = retryDelayMs(this.attempts, this.tuning, this.random);
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
      if (this._state === 'retrying') this.streams.open(c.reason, true);
    }, delay);
  }

  private fail(c: ClassifiedSttError): void {
    this.streams.dropCurrent();
    sttFatalErrors.inc({ code: c.code });
    sttHealth.recordFatal(c.code, c.message, this.ctx.callId);
    this.log.error(
      { callId: this.ctx.callId, code: c.code, message: c.message },
      'stt fatal error: recognition for this call has stopped (configuration or credentials)',
    );
    this.stopTimers();
    this.oneShots.abortAll();
    this.output.drop();
    this.emitState('failed', `${c.code}: ${c.message}`);
    this.listener.onError({ code: c.code, message: c.message, retryable: false, atMs: this.ctx.now() });
  }

  // ---------------- fallback ----------------

  private enterFallback(reason: string, probe: boolean): void {
    this.oneShots.begin();
    this.log.warn(
      { callId: this.ctx.callId, reason, retryAttempts: this.deps.config.sttRetryAttempts },
      'stt entering fallback: one-shot recognition per utterance',
    );
    this.emitState('fallback', reason);
    // Utterances already cut but not yet recognized by a stream go out now.
    for (const m of this.pending.takeAfter(this.lastFinalEndMs)) this.oneShots.recognize(m);
    if (probe) this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.oneShots.scheduleProbe(() => {
      if (this._state === 'fallback') this.streams.open('probe', false, true);
    });
  }

  private exitFallback(probe: ActiveStream): void {
    const spent = this.oneShots.end();
    // Hand over at the end of the last utterance the local VAD cut (one-shot owns everything
    // before it): the probe stream proved the API is back, and a fresh stream replays the audio
    // after that point, so an utterance in progress is heard whole by streaming, never split.
    // With no utterance cut during the fallback, everything since the last final is streaming's:
    // handing over at the probe's start instead cut an utterance the caller was still speaking
    // in two (its head trimmed from the buffer, its mark then sent one-shot without it: lost).
    this.handoffMs = Math.max(this.lastFinalEndMs, this.oneShots.ownedEndMs);
    this.lastFinalEndMs = this.handoffMs;
    this.partialSinceFinal = false;
    this.buffer.trimBefore(this.handoffMs);
    this.log.info(
      {
        callId: this.ctx.callId,
        fallbackMs: Math.round(spent),
        probes: this.oneShots.probes,
        handoffMs: Math.round(this.handoffMs),
      },
      'stt back to streaming',
    );
    this.streams.handOff(probe);
    this.emitState('streaming', 'fallback re-probe succeeded');
  }

  private deliver(final: SttFinal): void {
    if (!this.isLive()) return;
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
    this.oneShots.stopProbing();
    this.streams.stopKeepalive();
    this.pending.clearWatches();
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this.stopTimers();
    this.streams.dropCurrent();
    this.oneShots.abortAll();
    this.output.drop();
    this.oneShots.observeTotal();
    this.buffer.clear();
    this.emitState('closed', 'closed by session');
    this.onClosed();
  }
}
