// The one live provider stream of a resilient STT session: opening it (replaying the buffered
// audio, or silence for a re-probe), rotating it before the provider's stream limit, keeping the
// provider's audio timeout away, and mapping its stream offsets back to the call's audio clock.
// What an event means (retry, fallback, delivery) is decided by the owner, the session.
import type { ClassifiedSttError } from './errors.ts';
import { classifySttError } from './errors.ts';
import { sttRotations } from './metrics.ts';
import type { RawResult, RawStream, RawStreamingProvider } from './raw.ts';
import type { BufferedChunk, ReplayBuffer } from './replay-buffer.ts';
import { softRotationMs, type ResilienceTuning } from './resilience-policy.ts';
import type { Scheduler, SttSessionContext } from './types.ts';

/** A run of audio written contiguously: stream offset -> call time. */
interface MapSegment {
  readonly streamStart: number;
  readonly callStart: number;
  dur: number;
}

export interface ActiveStream {
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

/** What the session decides when the current stream speaks. Only the current stream's events arrive. */
export interface StreamOwner {
  /** The session still takes audio (neither closed nor failed). */
  isLive(): boolean;
  /** The caller is mid-utterance (partials since the last final): no quiet moment to rotate. */
  isMidUtterance(): boolean;
  /** The stream answered, or ran healthyAfterMs without error. */
  onConfirmed(s: ActiveStream): void;
  onResult(s: ActiveStream, r: RawResult): void;
  onSpeechEvent(kind: 'begin' | 'end', atMs: number): void;
  /** The stream failed or the server ended it. */
  onStreamError(s: ActiveStream, c: ClassifiedSttError): void;
}

export interface StreamRotationDeps {
  readonly streaming: RawStreamingProvider;
  readonly callId: string;
  readonly rotationSeconds: number;
  readonly tuning: ResilienceTuning;
  readonly scheduler: Scheduler;
  readonly buffer: ReplayBuffer;
  readonly log: SttSessionContext['logger'];
  readonly owner: StreamOwner;
}

const MS_PER_BYTE = 1 / 8;
const SILENCE_100MS = Buffer.alloc(800, 0xff);

/** Call time of a chunk of mu-law audio's duration. */
export function mulawDurationMs(mulaw: Buffer): number {
  return mulaw.length * MS_PER_BYTE;
}

export class StreamRotation {
  private readonly deps: StreamRotationDeps;
  private live: ActiveStream | undefined;
  private gen = 0;
  private rotationDue = false;
  private keepaliveTimer: unknown;
  /** Call time of the end of the latest audio heard (or keepalive silence sent). */
  private audioEndMs = 0;

  constructor(deps: StreamRotationDeps) {
    this.deps = deps;
  }

  get current(): ActiveStream | undefined {
    return this.live;
  }

  get lastAudioEndMs(): number {
    return this.audioEndMs;
  }

  /** Caller audio, already in the replay buffer. */
  write(c: BufferedChunk): void {
    this.audioEndMs = c.t + c.dur;
    // A re-probe stream only hears silence: it tests the API, the handoff stream replays the speech.
    if (this.live && !this.live.probe) this.writeTo(this.live, c);
  }

  private writeTo(s: ActiveStream, c: BufferedChunk): void {
    const last = s.segments[s.segments.length - 1];
    if (last && Math.abs(last.callStart + last.dur - c.t) < 0.5) last.dur += c.dur;
    else s.segments.push({ streamStart: s.streamMs, callStart: c.t, dur: c.dur });
    s.streamMs += c.dur;
    s.lastWriteWall = this.deps.scheduler.now();
    s.raw.write(c.mulaw);
  }

  /** Stream offset (ms since the stream's first byte) -> call audio clock. */
  toCallTime(s: ActiveStream, offsetMs: number | undefined): number {
    const segs = s.segments;
    if (segs.length === 0) return this.audioEndMs;
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

  startKeepalive(): void {
    const { scheduler, tuning } = this.deps;
    const tick = (): void => {
      if (!this.deps.owner.isLive()) return;
      const s = this.live;
      if (s && scheduler.now() - s.lastWriteWall >= tuning.keepaliveMs) {
        // Nothing came from the caller side for a while: keep the provider's audio timeout away.
        this.writeTo(s, { mulaw: SILENCE_100MS, t: this.audioEndMs, dur: 100 });
        this.audioEndMs += 100;
      }
      this.keepaliveTimer = scheduler.setTimeout(tick, tuning.keepaliveMs / 2);
    };
    this.keepaliveTimer = scheduler.setTimeout(tick, tuning.keepaliveMs / 2);
  }

  stopKeepalive(): void {
    this.deps.scheduler.clearTimeout(this.keepaliveTimer);
  }

  /** Opens the next stream, replaying the buffered audio or (probe) sending half a second of silence. */
  open(reason: string, replay: boolean, probe = false): void {
    const { scheduler, buffer } = this.deps;
    const gen = ++this.gen;
    const s: ActiveStream = {
      gen,
      raw: undefined as unknown as RawStream,
      segments: [],
      streamMs: 0,
      confirmed: false,
      probe,
      seamPending: reason !== 'open' && !probe,
      openedAtWall: scheduler.now(),
      healthyTimer: undefined,
      softTimer: undefined,
      hardTimer: undefined,
      lastWriteWall: scheduler.now(),
      lastResultCallMs: -Infinity,
    };
    const baseMs = (replay ? buffer.firstMs : undefined) ?? this.audioEndMs;
    (s as { raw: RawStream }).raw = this.deps.streaming.open(this.deps.callId, this.eventsOf(s), { baseMs });
    this.live = s;
    this.deps.log.debug(
      { callId: this.deps.callId, gen, reason, replay, bufferedMs: buffer.ms },
      'stt stream opened',
    );
    if (replay) for (const c of buffer.all) this.writeTo(s, c);
    if (probe)
      for (let i = 0; i < 5; i++) this.writeTo(s, { mulaw: SILENCE_100MS, t: this.audioEndMs, dur: 100 });
    this.armTimers(s);
  }

  /** The raw stream's events, passed on only while s is the current stream. */
  private eventsOf(s: ActiveStream): Parameters<RawStreamingProvider['open']>[1] {
    const owner = this.deps.owner;
    return {
      onOpen: () => {
        if (this.live === s) this.confirm(s);
      },
      onResult: (r) => {
        if (this.live === s) owner.onResult(s, r);
      },
      onSpeechEvent: (kind, offset) => {
        if (this.live === s) owner.onSpeechEvent(kind, this.toCallTime(s, offset));
      },
      onError: (err) => {
        if (this.live === s) owner.onStreamError(s, classifySttError(err));
      },
      onEnd: () => {
        if (this.live === s)
          owner.onStreamError(s, {
            code: 'OK',
            numericCode: 0,
            message: 'server ended the stream',
            retryable: true,
            reason: 'server_end',
          });
      },
    };
  }

  /** Healthy after a while without error; rotate at a quiet moment in the soft window, or at the deadline. */
  private armTimers(s: ActiveStream): void {
    const { scheduler, tuning } = this.deps;
    const rotationMs = this.deps.rotationSeconds * 1000;
    // "Ran this long without error" is only evidence if the stream's error could have been
    // read meanwhile. After a stall of this process the timer and an error queued on the socket
    // are due together and timers run first, so look again one turn later, after that I/O.
    s.healthyTimer = scheduler.setTimeout(() => {
      if (this.live !== s) return;
      s.healthyTimer = scheduler.setTimeout(() => {
        if (this.live === s) this.confirm(s);
      }, 0);
    }, tuning.healthyAfterMs);
    s.softTimer = scheduler.setTimeout(
      () => {
        if (this.live !== s) return;
        this.rotationDue = true;
        if (!this.deps.owner.isMidUtterance()) this.rotate(s, 'quiet');
      },
      softRotationMs(rotationMs, tuning),
    );
    s.hardTimer = scheduler.setTimeout(() => {
      if (this.live === s) this.rotate(s, 'deadline');
    }, rotationMs);
  }

  /**
   * After a successful re-probe: a fresh stream replaying the audio the fallback did not own,
   * healthy at once (the probe proved the API) and with no seam (nothing before it streamed).
   */
  handOff(probe: ActiveStream): void {
    this.drop(probe);
    this.open('handoff', true);
    if (this.live) {
      this.live.seamPending = false;
      this.live.confirmed = true;
      this.deps.scheduler.clearTimeout(this.live.healthyTimer);
    }
  }

  drop(s: ActiveStream): void {
    const scheduler = this.deps.scheduler;
    scheduler.clearTimeout(s.healthyTimer);
    scheduler.clearTimeout(s.softTimer);
    scheduler.clearTimeout(s.hardTimer);
    if (this.live === s) this.live = undefined;
    s.raw.cancel();
  }

  dropCurrent(): void {
    if (this.live) this.drop(this.live);
  }

  confirm(s: ActiveStream): void {
    if (s.confirmed) return;
    s.confirmed = true;
    this.deps.scheduler.clearTimeout(s.healthyTimer);
    this.deps.owner.onConfirmed(s);
  }

  /** A final just ended an utterance: the rotation the soft window asked for happens now. */
  rotateIfDue(s: ActiveStream): void {
    if (this.rotationDue && this.live === s) this.rotate(s, 'after final');
  }

  private rotate(s: ActiveStream, why: string): void {
    this.rotationDue = false;
    sttRotations.inc();
    this.deps.log.info(
      {
        callId: this.deps.callId,
        why,
        replayMs: Math.round(this.deps.buffer.ms),
        streamAgeMs: Math.round(this.deps.scheduler.now() - s.openedAtWall),
      },
      'stt stream rotation',
    );
    const wasProbe = s.probe && !s.confirmed;
    this.drop(s);
    this.open('rotation', !wasProbe, wasProbe);
  }
}
