// The speech-to-text contract the call session depends on. Providers (Google v1, Google v2,
// one-shot Recognize) implement SttProvider; the resilient wrapper composes them.
import type { AudioChunk } from '../audio/types.ts';
import type { Logger } from '../telemetry/logger.ts';

// Re-exported so STT code (and branches written before the move) keep one import site.
export type { AudioChunk };

export interface SttPartial {
  readonly text: string;
  /** 0..1; 0 means the provider did not set it. */
  readonly stability: number;
  /** Call audio-clock time the partial covers up to (ms). */
  readonly audioTimeMs: number;
  /** Call monotonic time the event arrived (ms). */
  readonly receivedAtMs: number;
}

export interface SttFinal {
  readonly text: string;
  readonly confidence: number;
  readonly audioStartMs: number;
  readonly audioEndMs: number;
  readonly receivedAtMs: number;
  /** True when produced by a one-shot Recognize in fallback mode. */
  readonly fromFallback?: boolean;
}

export type SttState = 'connecting' | 'streaming' | 'retrying' | 'fallback' | 'failed' | 'closed';

export interface SttStateChange {
  readonly state: SttState;
  readonly reason: string;
  readonly atMs: number;
}

export interface SttError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly atMs: number;
}

/** What an STT stream tells the session. All callbacks are synchronous and must not throw. */
export interface SttListener {
  onPartial(partial: SttPartial): void;
  onFinal(final: SttFinal): void;
  onSpeechBegin?(audioTimeMs: number): void;
  onSpeechEnd?(audioTimeMs: number): void;
  onState(change: SttStateChange): void;
  onError(error: SttError): void;
}

/** Timers behind an interface so rotation, backoff and probes are testable with a fake clock. */
export interface Scheduler {
  /** Monotonic ms. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SttSessionContext {
  readonly callId: string;
  readonly logger: Logger;
  /** The call's monotonic clock in ms (same origin as AudioChunk.audioTimeMs). */
  readonly now: () => number;
  /** The call's timers (call/clock.ts); when absent the provider uses its own scheduler. */
  readonly scheduler?: Scheduler;
}

/** One recognition session for one call. */
export interface SttStream {
  write(chunk: AudioChunk): void;
  /**
   * Tells the stream where the local VAD cut an utterance (used by fallback one-shot
   * recognition and by endpointing hints). Streaming providers may ignore it.
   */
  markUtterance?(startMs: number, endMs: number): void;
  close(): Promise<void>;
  readonly state: SttState;
}

export interface StreamingStt {
  readonly name: string;
  open(ctx: SttSessionContext, listener: SttListener): SttStream;
  /** Resolves when the provider is ready (e.g. startup probe passed). Rejects on fatal misconfiguration. */
  ready?(): Promise<void>;
  close?(): Promise<void>;
}
