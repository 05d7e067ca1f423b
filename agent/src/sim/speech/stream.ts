// One emulated StreamingRecognize call (v1 or v2): validates the first request, "hears" speech
// with its own energy VAD, answers interims during an utterance and a final after it (in audio
// order), follows the pause set's mid-sentence pauses, and applies the stream's faults, the
// stream duration limit and the audio timeout. An interim covers the audio received minus the
// profile's interimLagBehindAudioMs (drawn per response), as Google's interims trail the audio:
// the last words of a part come in interims after the caller stopped, until the final.
import * as grpc from '@grpc/grpc-js';
import { seededRandom } from '../profile.ts';
import { STREAM_BASE_METADATA, type ApiVersion, type EmulatorContext } from './context.ts';
import type { StreamFaults } from './faults.ts';
import { MS_PER_WORD, ScriptedUtterance, spokenLine, utteranceSeed, type ShapedResult } from './utterance.ts';
import { EnergySegmenter, type SegmentEvent } from './vad.ts';
import {
  StatusError,
  V1_MAX_AUDIO_BYTES,
  V2_MAX_AUDIO_BYTES,
  firstV1Request,
  firstV2Request,
  streamBaseOf,
  toDuration,
  type RecognitionSettings,
} from './wire.ts';
import type { PlannedStreamFailure } from '../faults/speech-hook.ts';

/** Silence inside a marked line that counts as the caller's pause (longer than gaps between words). */
const PART_GAP_MS = 200;
/**
 * Silence after which the words said so far count as finished (an interim may then show the last
 * one): longer than the pauses at commas in the fixtures' speech (up to 320 ms), so a pause
 * inside a sentence does not reveal its last word before it is said.
 */
export const WORDS_FINISHED_SILENCE_MS = 350;
/** A marked line whose caller never resumes ends after this much silence. */
const ABANDONED_LINE_MS = 4000;

type DuplexCall = grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>;

/** The utterance between the VAD's start and end. */
interface HeardUtterance {
  startMs: number;
  line?: string;
  interimTimer?: NodeJS.Timeout;
  shaped?: ScriptedUtterance;
  /** The emulator's segment ended but the line has parts left: a mid-sentence pause. */
  paused?: boolean;
  /** A silence inside the line is under way (its parts advance when voice resumes). */
  inGap?: boolean;
  /** A mid-utterance final was already sent in the current gap. */
  gapFinalSent?: boolean;
  /** The speech ended (the VAD's end): interims trail until every word was shown or the final went out. */
  ended?: boolean;
  /** The audio the last interim covered: the recognizer's position never goes back. */
  coveredMs?: number;
}

interface QueuedFinal {
  dueAt: number;
  text: string;
  endMs: number;
  /** The utterance whose final this is (its trailing interims stop once it is written). */
  utterance?: HeardUtterance;
}

export function handleStream(ctx: EmulatorContext, apiVersion: ApiVersion, call: DuplexCall): void {
  new EmulatedStream(ctx, apiVersion, call).start();
}

class EmulatedStream {
  private readonly ctx: EmulatorContext;
  private readonly apiVersion: ApiVersion;
  private readonly call: DuplexCall;
  private readonly callId: string;
  private readonly baseMs: number | undefined;
  private readonly faults: StreamFaults;
  private readonly openedAt = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private settings: RecognitionSettings | undefined;
  private segmenter: EnergySegmenter | undefined;
  private audioMs = 0;
  private bytesPerMs = 8;
  /**
   * Finals waiting to be written, in utterance order: like Google, a stream answers in audio
   * order, so a final never overtakes an earlier one even when its drawn latency is shorter
   * (e.g. several utterances heard at once from a replayed buffer).
   */
  private readonly finalQueue: QueuedFinal[] = [];
  private halfClosed = false;
  private utterance: HeardUtterance | undefined;
  /** A fault plan's failure for this stream (sim/faults/speech-hook.ts), armed at open or at the first speech. */
  private readonly planned: PlannedStreamFailure | undefined;
  private plannedArmed = false;
  private audioTimer: NodeJS.Timeout | undefined;

  constructor(ctx: EmulatorContext, apiVersion: ApiVersion, call: DuplexCall) {
    this.ctx = ctx;
    this.apiVersion = apiVersion;
    this.call = call;
    this.callId = ctx.callIdOf(call.metadata);
    this.baseMs = streamBaseOf(call.metadata, STREAM_BASE_METADATA);
    this.faults = ctx.faults.forStream(this.callId);
    this.planned = ctx.streamFaults?.(this.callId);
  }

  start(): void {
    const { ctx, call } = this;
    ctx.stats.streamsOpened++;
    ctx.stats.streamsActive++;
    ctx.activeCalls.add(call as grpc.ServerDuplexStream<unknown, unknown>);
    if (this.faults.unavailableAtOpen) {
      this.fail(grpc.status.UNAVAILABLE, 'The service is currently unavailable.');
      return;
    }
    this.armLimits();
    call.on('data', (msg: Record<string, unknown>) => this.onData(msg));
    call.on('end', () => this.onHalfClose());
    call.on('cancelled', () => this.cleanup());
    call.on('error', () => this.cleanup());
    call.on('close', () => this.cleanup());
  }

  private armLimits(): void {
    const { ctx, faults } = this;
    this.audioTimer = setTimeout(() => {
      this.fail(
        grpc.status.OUT_OF_RANGE,
        'Audio Timeout Error: Long duration elapsed without audio. Audio should be sent close to real time.',
      );
    }, ctx.audioTimeoutMs);
    this.later(Math.min(ctx.streamLimitMs, faults.outOfRangeAtMs ?? Infinity), () => {
      this.fail(
        grpc.status.OUT_OF_RANGE,
        `Exceeded maximum allowed stream duration of ${Math.round(ctx.streamLimitMs / 1000)} seconds.`,
      );
    });
    if (this.planned?.afterMs !== undefined) this.later(this.planned.afterMs, () => this.failPlanned());
    if (faults.unavailableAfterMs !== undefined)
      this.later(faults.unavailableAfterMs, () =>
        this.fail(grpc.status.UNAVAILABLE, 'The service is currently unavailable.'),
      );
    this.later(ctx.latency(ctx.profile.streamOpenMs), () => this.call.sendMetadata(new grpc.Metadata()));
  }

  // ---------------- requests in ----------------

  private onData(msg: Record<string, unknown>): void {
    if (this.closed) return;
    try {
      if (this.settings === undefined) {
        this.settings =
          this.apiVersion === 'v1' ? firstV1Request(msg) : firstV2Request(msg, this.ctx.v2Location);
        this.segmenter = new EnergySegmenter(this.settings.encoding, this.ctx.segmenter);
        this.bytesPerMs = this.settings.encoding === 'MULAW' ? 8 : 16;
        return;
      }
      if (msg.streamingConfig !== undefined) {
        throw new StatusError(
          grpc.status.INVALID_ARGUMENT,
          'Invalid request: streaming_config may only be sent in the first request.',
        );
      }
      const audio = (this.apiVersion === 'v1' ? msg.audioContent : msg.audio) as Buffer | undefined;
      if (!audio || audio.length === 0) return;
      const max = this.apiVersion === 'v1' ? V1_MAX_AUDIO_BYTES : V2_MAX_AUDIO_BYTES;
      if (audio.length > max) {
        throw new StatusError(
          grpc.status.INVALID_ARGUMENT,
          `Request audio content is too large: ${audio.length} bytes in one request; the maximum is ${max} bytes.`,
        );
      }
      this.ctx.stats.audioBytes += audio.length;
      this.ctx.stats.audioMessages++;
      this.audioTimer?.refresh();
      this.audioMs += audio.length / this.bytesPerMs;
      for (const ev of this.segmenter!.push(audio)) this.onSegment(ev);
      this.followPause();
    } catch (err) {
      if (err instanceof StatusError) this.fail(err.code, err.message);
      else this.fail(grpc.status.INTERNAL, String(err));
    }
  }

  private onHalfClose(): void {
    if (this.closed) return;
    this.halfClosed = true;
    for (const ev of this.segmenter?.flush() ?? []) this.onSegment(ev);
    if (this.finalQueue.length === 0) this.finish();
  }

  // ---------------- utterances ----------------

  private onSegment(ev: SegmentEvent): void {
    if (ev.type === 'start') {
      if (this.utterance?.paused) {
        // The caller goes on after a mid-sentence pause: the same line continues.
        this.utterance.paused = false;
        this.stopInterims(this.utterance);
        this.scheduleInterim(this.ctx.latency(this.ctx.profile.interimIntervalMs));
        return;
      }
      if (this.planned?.afterSpeechMs !== undefined && !this.plannedArmed) {
        this.plannedArmed = true;
        this.later(this.planned.afterSpeechMs, () => this.failPlanned());
      }
      this.utterance =
        this.baseMs === undefined
          ? { startMs: ev.atMs }
          : { startMs: ev.atMs, line: this.ctx.scripts.lineAt(this.callId, this.baseMs + ev.atMs) };
      this.sendEvent('begin', ev.atMs);
      this.scheduleInterim(this.ctx.latency(this.ctx.profile.firstPartialAfterSpeechStartMs));
      return;
    }
    const u = this.utterance;
    if (u && this.shapedFor(u).hasMoreParts) {
      // A pause inside a line whose script says the caller goes on; its interims trail on
      // until they showed the words said before it.
      u.paused = true;
      return;
    }
    this.endUtterance(ev.atMs, ev.decidedAtMs);
  }

  private stopInterims(u: HeardUtterance): void {
    if (!u.interimTimer) return;
    clearTimeout(u.interimTimer);
    this.timers.delete(u.interimTimer);
    u.interimTimer = undefined;
  }

  /**
   * The audio an interim now covers (the audio received minus a drawn lag, never going back) and
   * whether the caller's current part had ended by then: silence since the last voiced frame
   * long enough to be more than a comma's pause, and that frame inside the covered audio.
   */
  private recognizerPosition(u: HeardUtterance): { readonly coveredMs: number; readonly partEnded: boolean } {
    const lag = this.ctx.latency(this.ctx.profile.interimLagBehindAudioMs);
    const coveredMs = Math.max(u.coveredMs ?? 0, this.audioMs - lag);
    u.coveredMs = coveredMs;
    const seg = this.segmenter;
    const partEnded =
      seg !== undefined &&
      seg.processedMs - seg.lastVoicedMs >= WORDS_FINISHED_SILENCE_MS &&
      coveredMs >= seg.lastVoicedMs;
    return { coveredMs, partEnded };
  }

  /** The utterance's shaped words for its line (made again if the line it peeked changed). */
  private shapedFor(
    u: HeardUtterance,
    line = u.line ?? this.ctx.scripts.peek(this.callId),
  ): ScriptedUtterance {
    if (u.shaped?.line !== line) {
      const random = seededRandom(utteranceSeed(this.ctx.seed, this.callId, (this.baseMs ?? 0) + u.startMs));
      u.shaped = new ScriptedUtterance(line, u.startMs, this.ctx.behaviour, this.apiVersion, random);
    }
    return u.shaped;
  }

  private scheduleInterim(delay: number): void {
    const u = this.utterance;
    if (!u || !this.settings?.interim) return;
    this.scheduleInterimOf(u, delay);
  }

  /**
   * The next interim of `u`: while it is the current utterance, or after its speech ended until
   * it has shown every word without a tail guess (or its final went out), or in a pause until it
   * has shown the words said before it. No results for later audio while an earlier utterance's
   * final is still due.
   */
  private scheduleInterimOf(u: HeardUtterance, delay: number): void {
    u.interimTimer = this.later(delay + this.faults.extraMs, () => {
      u.interimTimer = undefined;
      const current = this.utterance === u;
      if (!current && !u.ended) return;
      const head = this.finalQueue[0];
      if (head !== undefined && head.utterance !== u) {
        if (current) this.scheduleInterimOf(u, this.ctx.latency(this.ctx.profile.interimIntervalMs));
        return;
      }
      let shownAll = false;
      let tailIsGuess = false;
      if (!this.stalled()) {
        // The same line the final will carry: placed at speech start, or (without a stream
        // base) the next unused line, which the final takes.
        const shaped = this.shapedFor(u);
        const { coveredMs, partEnded } = this.recognizerPosition(u);
        const finished = partEnded || u.ended === true;
        // The result reaches the end of the words it shows: with the last word held back, about
        // a word before the caller's last voiced audio (as Google's result_end_time would).
        const lastVoiced = this.segmenter?.lastVoicedMs ?? coveredMs;
        const endMs = finished ? coveredMs : Math.min(coveredMs, lastVoiced - MS_PER_WORD);
        this.sendResults(false, shaped.interim(coveredMs, finished), Math.max(u.startMs, endMs));
        shownAll = shaped.heardAll(coveredMs, finished);
        tailIsGuess = shaped.tailIsGuess;
      }
      // A tail guess is revised by the next interim (the profile's tailRevision), never left for
      // the final alone: only an interim showing every word as said ends the interims.
      if (shownAll && !tailIsGuess && (u.ended || u.paused)) return;
      this.scheduleInterimOf(u, this.ctx.latency(this.ctx.profile.interimIntervalMs));
    });
  }

  private endUtterance(atMs: number, decidedAtMs: number): void {
    const { ctx } = this;
    const u = this.utterance;
    this.utterance = undefined;
    this.sendEvent('end', atMs);
    // The final covers the speech and a little of the silence after it, never the next speech.
    const endMs = Math.min(decidedAtMs, atMs + 100);
    const alreadyWaited = ctx.scale === 0 ? 0 : decidedAtMs - atMs;
    const delay =
      Math.max(0, ctx.latency(ctx.profile.finalAfterSpeechEndMs) - alreadyWaited) + this.faults.extraMs;
    // Without a stream base the line is taken now, so interims of the next utterance (which
    // peek the next unused line) already show the line its final will carry.
    const line = u?.line ?? ctx.scripts.take(this.callId);
    const text = u ? this.shapedFor(u, line).endFinal() : spokenLine(line);
    this.queueFinal(performance.now() + delay, text, endMs, u);
    if (u) {
      u.ended = true;
      u.paused = false;
      // The interims already under way trail the speech end; start them if a pause had stopped them.
      if (!u.interimTimer && this.settings?.interim)
        this.scheduleInterimOf(u, this.ctx.latency(this.ctx.profile.interimIntervalMs));
    }
  }

  /**
   * Silence inside a line with parts left (the pause set): the next part starts when voice
   * resumes; Google-like profiles send a final for the words so far once the pause is long
   * enough; a caller who never resumes ends the line.
   */
  private followPause(): void {
    const u = this.utterance;
    const segmenter = this.segmenter;
    if (!u?.shaped || !segmenter || !(u.shaped.hasMoreParts || u.inGap)) return;
    const lastVoiced = segmenter.lastVoicedMs;
    const silentFor = segmenter.processedMs - lastVoiced;
    if (silentFor < PART_GAP_MS) {
      if (u.inGap) {
        u.inGap = false;
        u.gapFinalSent = false;
        u.shaped.nextPart(lastVoiced - 20);
      }
      return;
    }
    u.inGap = true;
    const finalAfter = this.ctx.behaviour.midUtteranceFinalAfterPauseMs;
    if (finalAfter !== undefined && !u.gapFinalSent && silentFor >= finalAfter) {
      u.gapFinalSent = true;
      const text = u.shaped.midFinal();
      if (text !== undefined) {
        this.ctx.stats.midUtteranceFinals++;
        this.queueFinal(performance.now(), text, lastVoiced + 100);
      }
    }
    if (u.paused && silentFor >= ABANDONED_LINE_MS) this.endUtterance(lastVoiced, segmenter.processedMs);
  }

  // ---------------- responses out ----------------

  private queueFinal(dueAt: number, text: string, endMs: number, utterance?: HeardUtterance): void {
    const last = this.finalQueue[this.finalQueue.length - 1];
    this.finalQueue.push({
      dueAt: Math.max(dueAt, last?.dueAt ?? 0),
      text,
      endMs,
      ...(utterance ? { utterance } : {}),
    });
    if (this.finalQueue.length === 1) this.scheduleFinal();
  }

  private scheduleFinal(): void {
    const head = this.finalQueue[0];
    if (!head) return;
    this.later(Math.max(0, head.dueAt - performance.now()), () => {
      const f = this.finalQueue.shift()!;
      if (f.utterance) this.stopInterims(f.utterance);
      if (!this.stalled()) this.sendResults(true, [{ text: f.text, stability: 0 }], f.endMs);
      if (this.finalQueue.length > 0) this.scheduleFinal();
      else if (this.halfClosed) this.finish();
    });
  }

  /** One response holding `results` in order (Google may split one interim into several). */
  private sendResults(isFinal: boolean, shaped: readonly ShapedResult[], endMs: number): void {
    if (shaped.length === 0) return;
    const languageCode = this.settings?.languageCode.toLowerCase();
    const results = shaped.map(({ text, stability }) => {
      const alternatives = [{ transcript: text, confidence: isFinal ? 0.92 : 0 }];
      // Stability 0 is proto3's default: not on the wire, i.e. unset, as Google sends it.
      return this.apiVersion === 'v1'
        ? { alternatives, isFinal, stability, resultEndTime: toDuration(endMs), languageCode }
        : { alternatives, isFinal, stability, resultEndOffset: toDuration(endMs), languageCode };
    });
    this.call.write({ results });
    if (isFinal) this.ctx.stats.finalsSent++;
    else this.ctx.stats.interimsSent++;
    const text = shaped.map((r) => r.text).join('');
    this.ctx.onResponse?.({
      callId: this.callId,
      apiVersion: this.apiVersion,
      isFinal,
      text,
      sentAt: performance.now(),
    });
  }

  private sendEvent(kind: 'begin' | 'end', atMs: number): void {
    if (!this.settings?.vadEvents || this.stalled()) return;
    const type = kind === 'begin' ? 'SPEECH_ACTIVITY_BEGIN' : 'SPEECH_ACTIVITY_END';
    this.call.write(
      this.apiVersion === 'v1'
        ? { speechEventType: type, speechEventTime: toDuration(atMs) }
        : { speechEventType: type, speechEventOffset: toDuration(atMs) },
    );
  }

  // ---------------- lifecycle ----------------

  private stalled(): boolean {
    const stall = this.faults.stall;
    if (!stall) return false;
    const elapsed = performance.now() - this.openedAt;
    return elapsed >= stall.afterMs && elapsed < stall.afterMs + stall.durationMs;
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private failPlanned(): void {
    if (this.closed || !this.planned) return;
    this.planned.fired();
    this.fail(this.planned.code, this.planned.details);
  }

  private fail(code: grpc.status, details: string): void {
    if (this.closed) return;
    this.ctx.countError(code);
    if (code === grpc.status.INVALID_ARGUMENT) this.ctx.stats.streamsRejected++;
    this.ctx.logger.debug(
      { callId: this.callId, apiVersion: this.apiVersion, code: grpc.status[code], details },
      'speech emulator: stream error',
    );
    this.cleanup();
    this.call.emit('error', { code, details, metadata: new grpc.Metadata() });
  }

  private finish(): void {
    if (this.closed) return;
    this.cleanup();
    this.call.end();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.stats.streamsActive--;
    this.ctx.activeCalls.delete(this.call as grpc.ServerDuplexStream<unknown, unknown>);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.audioTimer) clearTimeout(this.audioTimer);
  }
}
