// Caller audio to STT in STT_BATCH_MS batches: 20 ms mu-law frames are concatenated and sent
// with the audio-clock time of their first sample, so the recognizer's timestamps map back to
// the call clock. A gap or overlap in the incoming times (lost frames) closes the batch first,
// so a batch is always contiguous audio. Pure apart from the sink it calls.
//
// Idle batches (STT_IDLE_BATCH_MS): every STT message costs the same gRPC work whatever it holds,
// and most of a call is the caller listening. While nothing is being recognized (no partial
// waiting for its final, and either no voiced frame for IDLE_AFTER_MS of audio or a final already
// given for everything voiced so far), batches grow to the idle size; the first voiced frame (or
// a partial) sends what waits at once and goes back to STT_BATCH_MS. Speech therefore reaches the
// recognizer no later than with STT_BATCH_MS alone.
//
// Speech batches (STT_SPEECH_BATCH_MS): while the caller's voice goes on (the last frame was
// voiced), batches may grow to this size; the first unvoiced frame (a pause begins, where the
// recognizer's final and the turn's end are decided) sends what waits at once and goes back to
// STT_BATCH_MS. Mid-phrase audio reaches the recognizer up to this size late, a pause's start
// never later.
import type { Config } from '../config/schema.ts';
import type { AudioChunk } from '../audio/types.ts';

/** mu-law at 8 kHz: one byte per sample, 8 bytes per millisecond. */
const BYTES_PER_MS = 8;
/**
 * Audio after the last voiced frame that still counts as "the caller may be talking": longer than
 * a mid-sentence pause and than the recognizer needs to send a first partial for what it heard.
 */
export const IDLE_AFTER_MS = 2000;
/**
 * A partial without a final (the recognizer dropped an empty final, or never sent it) keeps the
 * batches small for at most this long after it.
 */
export const RECOGNIZING_HOLD_MS = 6000;

export interface AudioBatcher {
  /** Adds caller audio; whole batches go to the sink as they fill. */
  push(chunk: AudioChunk): void;
  /** Sends whatever is buffered now (utterance end, call end, before a stream rotation). */
  flush(): void;
  /**
   * The VAD's raw decision for the 20 ms frame at `atMs` (audio time), after the frame was pushed.
   * A voiced frame during idle batching sends the batch at once.
   */
  noteVoice(voiced: boolean, atMs: number): void;
  /**
   * A partial arrived (true) or a final did (false). A final for everything voiced so far lets
   * the batches go idle without waiting IDLE_AFTER_MS.
   */
  noteRecognizing(recognizing: boolean): void;
  /** Milliseconds of audio waiting in the current batch. */
  readonly bufferedMs: number;
  /** The current batch size in ms (STT_BATCH_MS, STT_IDLE_BATCH_MS or STT_SPEECH_BATCH_MS). */
  readonly batchMs: number;
}

export type BatcherConfig = Pick<Config, 'sttBatchMs'> &
  Partial<Pick<Config, 'sttIdleBatchMs' | 'sttSpeechBatchMs'>>;

/** What the batch being filled is for: which event sends it before it is full. */
type BatchKind = 'normal' | 'idle' | 'speech';

function batchBytesOf(ms: number | undefined, name: string, min: number): number {
  const value = ms ?? 0;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be >= 0, got ${value}`);
  return Math.max(min, Math.round(value * BYTES_PER_MS));
}

/** What the batcher knows of the caller's voice and of the recognizer, on the audio clock. */
interface Hearing {
  /** The last frame the VAD saw was voiced: the caller's voice goes on. */
  voicing: boolean;
  /** Audio time the caller was last heard (end of the last voiced frame). */
  lastVoicedEndMs: number;
  /** Audio time (end of the audio pushed so far) when the last partial arrived; NaN: none pending. */
  recognizingSinceMs: number;
  /** Audio time (end of the audio pushed so far) when the last final arrived. */
  lastFinalAtMs: number;
}

function nothingHeard(): Hearing {
  return {
    voicing: false,
    lastVoicedEndMs: Number.NEGATIVE_INFINITY,
    recognizingSinceMs: Number.NaN,
    lastFinalAtMs: Number.NEGATIVE_INFINITY,
  };
}

/** The three batch sizes in bytes, checked (an idle or speech size below the normal one is off). */
function batchSizesOf(config: BatcherConfig): { batchBytes: number; idleBytes: number; speechBytes: number } {
  const batchMs = config.sttBatchMs;
  if (!Number.isFinite(batchMs) || batchMs <= 0)
    throw new RangeError(`sttBatchMs must be > 0, got ${batchMs}`);
  const batchBytes = Math.round(batchMs * BYTES_PER_MS);
  const idleBytes = batchBytesOf(config.sttIdleBatchMs, 'sttIdleBatchMs', batchBytes);
  const speechBytes = batchBytesOf(config.sttSpeechBatchMs, 'sttSpeechBatchMs', batchBytes);
  return { batchBytes, idleBytes, speechBytes };
}

/**
 * What a batch starting at audio time atMs is for. Idle while nothing is being recognized: no
 * voice for IDLE_AFTER_MS, or a final came after the last voiced frame, and no partial waits for
 * its final (at most RECOGNIZING_HOLD_MS). A final that came after the last voiced frame means
 * the recognizer has answered for all the speech it was sent: the caller now listens (the answer
 * is on its way), and waiting the full IDLE_AFTER_MS would send a quarter of a call's messages at
 * the small size for nothing. Their next voiced frame wakes the batcher as after any idle stretch.
 * Called once per batch (no allocation on the audio path).
 */
function batchKindAt(atMs: number, idleBatching: boolean, speechBatching: boolean, h: Hearing): BatchKind {
  const idle =
    idleBatching &&
    (atMs - h.lastVoicedEndMs >= IDLE_AFTER_MS || h.lastFinalAtMs > h.lastVoicedEndMs) &&
    !(atMs - h.recognizingSinceMs < RECOGNIZING_HOLD_MS);
  if (idle) return 'idle';
  return h.voicing && speechBatching ? 'speech' : 'normal';
}

function checkChunk(chunk: AudioChunk): void {
  if (!Buffer.isBuffer(chunk.mulaw)) throw new TypeError('batcher: chunk.mulaw must be a Buffer');
  if (!Number.isFinite(chunk.audioTimeMs))
    throw new RangeError(`batcher: bad audioTimeMs ${chunk.audioTimeMs}`);
}

export function createBatcher(config: BatcherConfig, sink: (chunk: AudioChunk) => void): AudioBatcher {
  const { batchBytes, idleBytes, speechBytes } = batchSizesOf(config);
  const idleBatching = idleBytes > batchBytes;
  const speechBatching = speechBytes > batchBytes;
  // Frames are copied straight into the batch being filled (one copy per byte, one allocation
  // per batch) instead of into a copy per frame that a concat then copies again.
  let batch: Buffer | undefined;
  let kind: BatchKind = 'normal';
  let bytes = 0;
  let startMs = 0;
  let audioEndMs = 0;
  const hearing = nothingHeard();

  const nextKind = (atMs: number): BatchKind => batchKindAt(atMs, idleBatching, speechBatching, hearing);
  const bytesOf = (k: BatchKind): number =>
    k === 'idle' ? idleBytes : k === 'speech' ? speechBytes : batchBytes;

  const flush = (): void => {
    if (bytes === 0 || batch === undefined) return;
    const mulaw = bytes === batch.length ? batch : batch.subarray(0, bytes);
    batch = undefined;
    bytes = 0;
    sink({ mulaw, audioTimeMs: startMs });
  };

  /** Latency matters again: what waits in a batch of `of` kind goes now. */
  const sendIf = (of: BatchKind): void => {
    if (batch !== undefined && kind === of) flush();
  };

  const push = (chunk: AudioChunk): void => {
    checkChunk(chunk);
    const data = chunk.mulaw;
    if (data.length === 0) return;
    if (bytes > 0 && Math.abs(chunk.audioTimeMs - (startMs + bytes / BYTES_PER_MS)) >= 1) flush();
    let offset = 0;
    while (offset < data.length) {
      if (bytes === 0) {
        startMs = chunk.audioTimeMs + offset / BYTES_PER_MS;
        kind = nextKind(startMs);
        batch = Buffer.allocUnsafe(bytesOf(kind));
      }
      const target = batch!.length;
      const take = Math.min(data.length - offset, target - bytes);
      // Copy: the caller may reuse its buffer after push returns. A typed-array set, not
      // Buffer#copy, whose argument checks and wrappers cost more than the 160 bytes themselves.
      batch!.set(offset === 0 && take === data.length ? data : data.subarray(offset, offset + take), bytes);
      bytes += take;
      offset += take;
      if (bytes >= target) flush();
    }
    audioEndMs = chunk.audioTimeMs + data.length / BYTES_PER_MS;
  };

  return {
    push,
    flush,
    noteVoice(voiced, atMs) {
      hearing.voicing = voiced;
      if (!voiced) return sendIf('speech');
      hearing.lastVoicedEndMs = Math.max(hearing.lastVoicedEndMs, atMs + 20);
      sendIf('idle');
    },
    noteRecognizing(recognizing) {
      if (!idleBatching) return;
      hearing.recognizingSinceMs = recognizing ? audioEndMs : Number.NaN;
      if (recognizing) sendIf('idle');
      else hearing.lastFinalAtMs = audioEndMs;
    },
    get bufferedMs() {
      return bytes / BYTES_PER_MS;
    },
    get batchMs() {
      if (batch !== undefined) return batch.length / BYTES_PER_MS;
      return bytesOf(nextKind(audioEndMs)) / BYTES_PER_MS;
    },
  };
}
