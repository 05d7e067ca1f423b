// The pure parts of the plumbing-floor agent (agent/bench/floor/): the caller's audio cut into
// Speech messages, the LLM's text cut into sentences, the agent's audio cut into Twilio media
// messages, and the counters every message bumps. No I/O, no timers.

/** Twilio sends 20 ms of mu-law 8 kHz per media frame: 160 bytes. */
export const FRAME_BYTES = 160;
/** The real agent's largest outbound media message (twilio/connection.ts MAX_OUTBOUND_MEDIA_BYTES). */
export const OUTBOUND_MEDIA_BYTES = 1600;

/**
 * Caller audio into Speech messages of `batchMs`: each frame's decoded bytes are copied into the
 * batch; a full batch is handed over and a new one started. A batch is never reused: the gRPC
 * stream may hold it until it is serialised.
 */
export class AudioBatcher {
  private readonly size: number;
  private batch: Buffer;
  private filled = 0;

  constructor(batchMs: number) {
    this.size = Math.max(FRAME_BYTES, Math.round((batchMs / 20) * FRAME_BYTES));
    this.batch = Buffer.allocUnsafe(this.size);
  }

  /** Adds one frame's mu-law bytes; returns a full batch, or undefined. */
  push(mulaw: Uint8Array): Buffer | undefined {
    const room = this.size - this.filled;
    if (mulaw.length < room) {
      this.batch.set(mulaw, this.filled);
      this.filled += mulaw.length;
      return undefined;
    }
    // Fills the batch; what does not fit (never from Twilio's 160-byte frames) starts the next.
    this.batch.set(mulaw.subarray(0, room), this.filled);
    const full = this.batch;
    this.batch = Buffer.allocUnsafe(this.size);
    this.filled = 0;
    const rest = mulaw.subarray(room);
    if (rest.length > 0) {
      this.batch.set(rest.subarray(0, this.size), 0);
      this.filled = Math.min(rest.length, this.size);
    }
    return full;
  }
}

/** Sentence ends: . ? ! and the Hebrew sof pasuq, then white space (or the end of the answer). */
const SENTENCE_END = /[.?!\u05C3]+["')\]]*\s+/gu;

/** The LLM's deltas into sentences, each spoken as soon as it is complete. */
export class SentenceSplitter {
  private text = '';

  /** Adds a delta; returns the sentences it completed (trimmed, non-empty). */
  push(delta: string): string[] {
    this.text += delta;
    const out: string[] = [];
    let from = 0;
    SENTENCE_END.lastIndex = 0;
    for (let m = SENTENCE_END.exec(this.text); m !== null; m = SENTENCE_END.exec(this.text)) {
      const end = m.index + m[0].length;
      const s = this.text.slice(from, end).trim();
      if (s !== '') out.push(s);
      from = end;
    }
    if (from > 0) this.text = this.text.slice(from);
    return out;
  }

  /** The rest of the answer when the stream ended (undefined when nothing is left). */
  flush(): string | undefined {
    const s = this.text.trim();
    this.text = '';
    return s === '' ? undefined : s;
  }
}

/** One Twilio media message (the real agent builds the same string: twilio/protocol.ts encodeMedia). */
export function mediaMessage(streamSid: string, mulaw: Buffer): string {
  return `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"${mulaw.toString('base64')}"}}`;
}

export function markMessage(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

export function clearMessage(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}

/** A sentence's audio as media messages of at most OUTBOUND_MEDIA_BYTES each. */
export function mediaMessages(streamSid: string, mulaw: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < mulaw.length; at += OUTBOUND_MEDIA_BYTES)
    out.push(mediaMessage(streamSid, mulaw.subarray(at, Math.min(mulaw.length, at + OUTBOUND_MEDIA_BYTES))));
  return out;
}

/**
 * Every message the floor handles, by kind: the figures the report divides by call-seconds.
 * Plain integers (a few increments per message), published only when /metrics is read.
 */
export class FloorCounts {
  framesIn = 0;
  mediaOut = 0;
  marksOut = 0;
  marksIn = 0;
  clears = 0;
  sttStreams = 0;
  sttWrites = 0;
  sttResults = 0;
  sttSpeechEvents = 0;
  llmRequests = 0;
  llmChunks = 0;
  ttsRequests = 0;
  callsStarted = 0;
  callsEnded = 0;
  activeCalls = 0;
  errors = 0;
}

const EXPOSED: ReadonlyArray<readonly [keyof FloorCounts, string, 'counter' | 'gauge']> = [
  // The names the real agent uses for the same things (server/metrics.ts), so the capacity
  // harness reads both agents alike.
  ['framesIn', 'hva_frames_in_total', 'counter'],
  ['mediaOut', 'hva_frames_out_total', 'counter'],
  ['clears', 'hva_barge_ins_total', 'counter'],
  ['activeCalls', 'hva_active_calls', 'gauge'],
  ['marksOut', 'hva_floor_marks_out_total', 'counter'],
  ['marksIn', 'hva_floor_marks_in_total', 'counter'],
  ['sttStreams', 'hva_floor_stt_streams_total', 'counter'],
  ['sttWrites', 'hva_floor_stt_writes_total', 'counter'],
  ['sttResults', 'hva_floor_stt_results_total', 'counter'],
  ['sttSpeechEvents', 'hva_floor_stt_speech_events_total', 'counter'],
  ['llmRequests', 'hva_floor_llm_requests_total', 'counter'],
  ['llmChunks', 'hva_floor_llm_chunks_total', 'counter'],
  ['ttsRequests', 'hva_floor_tts_requests_total', 'counter'],
  ['callsStarted', 'hva_calls_total', 'counter'],
  ['callsEnded', 'hva_floor_calls_ended_total', 'counter'],
  ['errors', 'hva_floor_errors_total', 'counter'],
];

export interface LagReading {
  readonly p50Seconds: number;
  readonly p99Seconds: number;
  readonly maxSeconds: number;
}

/** The Prometheus text the admin /metrics serves: the counters, the loop's lag, the heap. */
export function metricsText(c: FloorCounts, lag: LagReading, heapUsedBytes: number): string {
  const lines: string[] = [];
  for (const [field, name, type] of EXPOSED) {
    lines.push(`# TYPE ${name} ${type}`, `${name} ${c[field]}`);
  }
  lines.push(
    '# TYPE hva_event_loop_lag_seconds gauge',
    `hva_event_loop_lag_seconds{quantile="0.5"} ${lag.p50Seconds}`,
    `hva_event_loop_lag_seconds{quantile="0.99"} ${lag.p99Seconds}`,
    `hva_event_loop_lag_seconds{quantile="max"} ${lag.maxSeconds}`,
    '# TYPE hva_process_nodejs_heap_size_used_bytes gauge',
    `hva_process_nodejs_heap_size_used_bytes ${heapUsedBytes}`,
  );
  return `${lines.join('\n')}\n`;
}
