// Outbound audio and the truth of what the caller heard. Every spoken segment (a sentence of an
// answer, the greeting, an apology) is sent as raw mu-law followed by one mark; the mark's echo
// says whether Twilio played it or dropped it on `clear`. Only played segments count as heard.
import type { MarkOutcome, MediaSink } from './types.ts';

export type SegmentKind = 'greeting' | 'answer' | 'apology' | 'filler' | 'goodbye' | 'prompt';
export type SegmentState = 'sending' | 'pending' | 'played' | 'cleared' | 'abandoned';

export interface PlaybackSegment {
  readonly id: number;
  readonly kind: SegmentKind;
  /** Turn the segment belongs to (0 for the greeting). */
  readonly turnId: number;
  readonly text: string;
  state: SegmentState;
  bytes: number;
  markName: string | undefined;
  /** Call-clock time the first byte was handed to the sink. */
  firstSentAtMs: number | undefined;
  /** Call-clock time the mark echo arrived. */
  resolvedAtMs: number | undefined;
}

/** Writes one segment's audio; end() sends its mark, abandon() drops it without a mark. */
export interface SegmentWriter {
  readonly segment: PlaybackSegment;
  write(mulaw: Buffer): void;
  end(): void;
  abandon(): void;
}

export interface PlaybackEvents {
  /** The first byte of a segment went out. */
  onFirstAudio?(segment: PlaybackSegment): void;
  /** A segment's mark echo arrived. */
  onResolved?(segment: PlaybackSegment): void;
}

export interface Playback {
  begin(kind: SegmentKind, turnId: number, text: string): SegmentWriter;
  /** Resolves a mark echo; unknown names (e.g. another component's marks) return undefined. */
  onMark(name: string, outcome: MarkOutcome): PlaybackSegment | undefined;
  /** Sends `clear`: Twilio drops buffered audio and echoes the pending marks as cleared. */
  clear(): void;
  /** True while audio was sent whose mark has not echoed yet (and no clear since). */
  readonly speaking: boolean;
  /** Segments of a turn, in send order. */
  segmentsOf(turnId: number): readonly PlaybackSegment[];
  /** Resolves when nothing is left playing (all marks echoed or cleared). */
  whenIdle(): Promise<void>;
  /** Resolves when every segment of the turn has a known outcome (no 'sending' or 'pending' left). */
  settled(turnId: number): Promise<void>;
  /** Drops pending waiters (call end). */
  dispose(): void;
}

/** Bytes of 8 kHz mu-law per ms. */
export const MULAW_BYTES_PER_MS = 8;

function newSegment(id: number, kind: SegmentKind, turnId: number, text: string): PlaybackSegment {
  return {
    id,
    kind,
    turnId,
    text,
    state: 'sending',
    bytes: 0,
    markName: undefined,
    firstSentAtMs: undefined,
    resolvedAtMs: undefined,
  };
}

/** What a segment's writer needs of the playback it belongs to. */
interface SegmentHost {
  readonly sink: MediaSink;
  readonly events: PlaybackEvents;
  /** Segments whose audio may still be in Twilio's buffer. */
  readonly live: Set<PlaybackSegment>;
  readonly byMark: Map<string, PlaybackSegment>;
  notifyIdle(): void;
  notifySettled(): void;
}

function writerFor(segment: PlaybackSegment, host: SegmentHost): SegmentWriter {
  // Read once: write() runs per audio chunk and touches only these locals.
  const { sink, events, live } = host;
  return {
    segment,
    write(mulaw) {
      if (segment.state !== 'sending' || mulaw.length === 0) return;
      if (segment.firstSentAtMs === undefined) {
        segment.firstSentAtMs = sink.now();
        events.onFirstAudio?.(segment);
      }
      live.add(segment);
      segment.bytes += mulaw.length;
      sink.sendMedia(mulaw);
    },
    end() {
      if (segment.state !== 'sending') return;
      if (segment.bytes === 0) {
        segment.state = 'abandoned';
        host.notifySettled();
        return;
      }
      segment.state = 'pending';
      segment.markName = sink.sendMark(`${segment.kind}-${segment.turnId}-${segment.id}`);
      host.byMark.set(segment.markName, segment);
    },
    abandon() {
      if (segment.state !== 'sending') return;
      // Audio already sent without a mark cannot be tracked; a clear normally precedes this.
      live.delete(segment);
      segment.state = 'abandoned';
      host.notifyIdle();
      host.notifySettled();
    },
  };
}

export function createPlayback(sink: MediaSink, events: PlaybackEvents = {}): Playback {
  const segments: PlaybackSegment[] = [];
  const byMark = new Map<string, PlaybackSegment>();
  let nextId = 1;
  /** Segments whose audio may still be in Twilio's buffer (sent, mark not echoed, not cleared). */
  const live = new Set<PlaybackSegment>();
  let idleWaiters: Array<() => void> = [];
  let settleWaiters: Array<{ turnId: number; resolve: () => void }> = [];

  const isSettled = (turnId: number): boolean =>
    !segments.some((s) => s.turnId === turnId && (s.state === 'sending' || s.state === 'pending'));
  const notifySettled = (): void => {
    if (settleWaiters.length === 0) return;
    const still: typeof settleWaiters = [];
    for (const w of settleWaiters) {
      if (isSettled(w.turnId)) w.resolve();
      else still.push(w);
    }
    settleWaiters = still;
  };

  const notifyIdle = (): void => {
    if (playback.speaking) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const host: SegmentHost = { sink, events, live, byMark, notifyIdle, notifySettled };
  const playback: Playback = {
    begin(kind, turnId, text) {
      const segment = newSegment(nextId++, kind, turnId, text);
      segments.push(segment);
      // Old resolved segments are only needed for their turn's history; keep the list bounded.
      if (segments.length > 256) segments.splice(0, segments.length - 256);
      return writerFor(segment, host);
    },
    onMark(name, outcome) {
      const segment = byMark.get(name);
      if (!segment) return undefined;
      byMark.delete(name);
      segment.state = outcome;
      segment.resolvedAtMs = sink.now();
      live.delete(segment);
      events.onResolved?.(segment);
      notifyIdle();
      notifySettled();
      return segment;
    },
    clear() {
      sink.sendClear();
      live.clear();
      notifyIdle();
    },
    get speaking() {
      return live.size > 0;
    },
    segmentsOf(turnId) {
      return segments.filter((s) => s.turnId === turnId);
    },
    whenIdle() {
      if (!playback.speaking) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    settled(turnId) {
      if (isSettled(turnId)) return Promise.resolve();
      return new Promise((resolve) => settleWaiters.push({ turnId, resolve }));
    },
    dispose() {
      const waiters = [...idleWaiters, ...settleWaiters.map((w) => w.resolve)];
      idleWaiters = [];
      settleWaiters = [];
      byMark.clear();
      live.clear();
      for (const w of waiters) w();
    },
  };
  return playback;
}

/**
 * What the caller heard of a turn's answer: the text of its segments whose marks echoed as
 * played, in order, stopping at the first segment that was cleared or is still unconfirmed
 * (cut at the last played mark). Abandoned segments (synthesis failed mid-sentence) are skipped.
 */
export function heardText(segments: readonly PlaybackSegment[]): {
  text: string;
  chars: number;
  sentences: number;
} {
  const parts: string[] = [];
  for (const s of segments) {
    if (s.state === 'abandoned') continue;
    if (s.state !== 'played') break;
    parts.push(s.text.trim());
  }
  const text = parts.filter((p) => p !== '').join(' ');
  return { text, chars: text.length, sentences: parts.length };
}

/**
 * Silence the caller heard inside an answer because audio was late: walking the turn's segments
 * in send order with a play cursor (a segment plays from when its first byte was sent or when
 * the previous one ends, whichever is later, for bytes / 8 ms), the sum of the holes before each
 * later segment. Segments without audio are skipped. A short first chunk that the next one
 * cannot follow in time shows up here.
 */
export function playbackGapMs(segments: readonly PlaybackSegment[]): number {
  let cursor: number | undefined;
  let gaps = 0;
  for (const s of segments) {
    if (s.firstSentAtMs === undefined || s.bytes === 0) continue;
    if (cursor !== undefined && s.firstSentAtMs > cursor) gaps += s.firstSentAtMs - cursor;
    cursor = Math.max(cursor ?? s.firstSentAtMs, s.firstSentAtMs) + s.bytes / MULAW_BYTES_PER_MS;
  }
  return gaps;
}
