// The small interfaces between the resilient wrapper and one provider: a raw stream (no retry,
// no rotation, offsets relative to the stream's own first byte) and a one-shot recognizer.

export interface RawResult {
  readonly text: string;
  readonly isFinal: boolean;
  /** 0..1, 0 = unset. */
  readonly stability: number;
  readonly confidence: number;
  /** result_end_time / result_end_offset: ms of audio since this stream's first audio byte. */
  readonly endOffsetMs: number | undefined;
}

export interface RawStreamEvents {
  /** The server accepted the stream (response headers). Real servers may send them only with the first result. */
  onOpen(): void;
  onResult(result: RawResult): void;
  onSpeechEvent(kind: 'begin' | 'end', offsetMs: number | undefined): void;
  /** The stream ended with an error (never called after cancel()). */
  onError(err: unknown): void;
  /** The server closed the stream normally (never called after cancel()). */
  onEnd(): void;
}

export interface RawStream {
  /** mu-law 8 kHz audio; the provider converts it to the configured encoding. */
  write(mulaw: Buffer): void;
  /** Half-close: the server finishes the audio it has and ends the stream. */
  end(): void;
  /** Abandon the stream at once; no further events. */
  cancel(): void;
}

export interface RawStreamOptions {
  /** Call audio-clock time of the stream's first byte (sent as metadata; lets an emulator recognize replayed audio). */
  readonly baseMs?: number;
  /** One-shot only: give up the request after this long (no client-side retries either). */
  readonly timeoutMs?: number;
}

export interface RawStreamingProvider {
  readonly name: string;
  open(callId: string, events: RawStreamEvents, options?: RawStreamOptions): RawStream;
  close(): Promise<void>;
}

export interface OneShotResult {
  readonly text: string;
  readonly confidence: number;
}

export interface OneShotRecognizer {
  /** One synchronous Recognize over a whole utterance (mu-law 8 kHz). */
  recognize(
    callId: string,
    mulaw: Buffer,
    signal?: AbortSignal,
    options?: RawStreamOptions,
  ): Promise<OneShotResult>;
}

/**
 * Converts a protobuf Duration ({seconds, nanos}) to ms. seconds may be a number, a decimal
 * string (toObject with `longs: String`) or a Long (a decoded message's int64).
 */
export function durationToMs(d: unknown): number | undefined {
  if (d === null || d === undefined || typeof d !== 'object') return undefined;
  const { seconds, nanos } = d as { seconds?: unknown; nanos?: unknown };
  const s =
    seconds === undefined || seconds === null
      ? 0
      : typeof seconds === 'object' && typeof (seconds as { toNumber?: unknown }).toNumber === 'function'
        ? (seconds as { toNumber(): number }).toNumber()
        : Number(seconds);
  const n = typeof nanos === 'number' ? nanos : 0;
  if (!Number.isFinite(s)) return undefined;
  return s * 1000 + n / 1e6;
}
