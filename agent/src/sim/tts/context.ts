// What the Text-to-Speech emulator's request handlers share: the voices, the profile's timing,
// the synthesis cache, the record of every call and the faults in force.
import type * as grpc from '@grpc/grpc-js';
import type { TtsVoice } from './requests.ts';
import type { SynthesisCache } from './synthesis.ts';

export type TtsFault =
  /** The next `times` calls fail with this status (default UNAVAILABLE) before any audio. */
  | { type: 'error'; times?: number; code?: grpc.status; message?: string }
  /** Streaming: the next `times` streams fail after their first audio chunk. */
  | { type: 'fail_mid_stream'; times?: number; code?: grpc.status };

export interface TtsCallRecord {
  readonly method: 'ListVoices' | 'SynthesizeSpeech' | 'StreamingSynthesize';
  readonly voice?: string;
  readonly text?: string;
  /** The SSML document, when the request sent SSML instead of text. */
  readonly ssml?: string;
  readonly encoding?: string;
  readonly sampleRateHertz?: number;
  code: grpc.status;
  cancelled: boolean;
}

export interface TtsHandlerContext {
  readonly voices: readonly TtsVoice[];
  /** Seconds of audio produced per second of wall time (0: at once). */
  readonly realtimeFactor: number;
  /** Streaming chunk length in ms of audio. */
  readonly chunkMs: number;
  /** A time to first audio drawn from the profile, ms. */
  firstAudio(): number;
  readonly audio: SynthesisCache;
  readonly records: TtsCallRecord[];
  /** A manual fault of this kind, consumed. */
  takeFault(kind: TtsFault['type']): TtsFault | null;
  /** A manual fault first, else the plan's: an outage answers every synthesis with its status. */
  takeErrorFault(): TtsFault | null;
  /** The plan's time of a synthesis' arrival, for noteServed. */
  planNow(): number;
  /** Tells the plan a synthesis that arrived at `arrivedAt` (planNow) was served in full. */
  noteServed(arrivedAt: number): void;
}

/** Waits until `ms` from now; already due resolves without a timer turn. */
export const sleep = (ms: number): Promise<void> =>
  ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
