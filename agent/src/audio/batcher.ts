// Caller audio to STT in STT_BATCH_MS batches: 20 ms mu-law frames are concatenated and sent
// with the audio-clock time of their first sample, so the recognizer's timestamps map back to
// the call clock. A gap or overlap in the incoming times (lost frames) closes the batch first,
// so a batch is always contiguous audio. Pure apart from the sink it calls.
import type { Config } from '../config/schema.ts';
import type { AudioChunk } from '../audio/types.ts';

/** mu-law at 8 kHz: one byte per sample, 8 bytes per millisecond. */
const BYTES_PER_MS = 8;

export interface AudioBatcher {
  /** Adds caller audio; whole batches go to the sink as they fill. */
  push(chunk: AudioChunk): void;
  /** Sends whatever is buffered now (utterance end, call end, before a stream rotation). */
  flush(): void;
  /** Milliseconds of audio waiting in the current batch. */
  readonly bufferedMs: number;
}

export function createBatcher(
  config: Pick<Config, 'sttBatchMs'>,
  sink: (chunk: AudioChunk) => void,
): AudioBatcher {
  const batchMs = config.sttBatchMs;
  if (!Number.isFinite(batchMs) || batchMs <= 0)
    throw new RangeError(`sttBatchMs must be > 0, got ${batchMs}`);
  const batchBytes = Math.round(batchMs * BYTES_PER_MS);
  // Frames are copied straight into the batch being filled (one copy per byte, one allocation
  // per batch) instead of into a copy per frame that a concat then copies again.
  let batch: Buffer | undefined;
  let bytes = 0;
  let startMs = 0;

  const flush = (): void => {
    if (bytes === 0 || batch === undefined) return;
    const chunk: AudioChunk = {
      mulaw: bytes === batch.length ? batch : batch.subarray(0, bytes),
      audioTimeMs: startMs,
    };
    batch = undefined;
    bytes = 0;
    sink(chunk);
  };

  const push = (chunk: AudioChunk): void => {
    if (!Buffer.isBuffer(chunk.mulaw)) throw new TypeError('batcher: chunk.mulaw must be a Buffer');
    if (!Number.isFinite(chunk.audioTimeMs))
      throw new RangeError(`batcher: bad audioTimeMs ${chunk.audioTimeMs}`);
    const data = chunk.mulaw;
    if (data.length === 0) return;
    if (bytes > 0 && Math.abs(chunk.audioTimeMs - (startMs + bytes / BYTES_PER_MS)) >= 1) flush();
    let offset = 0;
    while (offset < data.length) {
      if (bytes === 0) {
        startMs = chunk.audioTimeMs + offset / BYTES_PER_MS;
        batch = Buffer.allocUnsafe(batchBytes);
      }
      const take = Math.min(data.length - offset, batchBytes - bytes);
      // Copy: the caller may reuse its buffer after push returns.
      data.copy(batch!, bytes, offset, offset + take);
      bytes += take;
      offset += take;
      if (bytes >= batchBytes) flush();
    }
  };

  return {
    push,
    flush,
    get bufferedMs() {
      return bytes / BYTES_PER_MS;
    },
  };
}
