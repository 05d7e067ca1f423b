// What every emulated stream and Recognize call of one emulator shares: its profile and seeded
// latencies, scripts, pending faults, counters and the response hook.
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../telemetry/logger.ts';
import type { Percentiles } from '../profile.ts';
import type { SpeechBehaviour } from './behaviour.ts';
import type { SpeechStreamFaultHook } from '../faults/speech-hook.ts';
import type { FaultBook } from './faults.ts';
import type { SpeechLatencyProfile } from './profile.ts';
import type { ScriptBook } from './scripts.ts';
import type { SegmenterOptions } from './vad.ts';

export const CALL_ID_METADATA = 'x-hva-call-id';
/** Call-clock ms of the stream's first byte, sent by the agent: replayed audio then gets the same words, as with Google. */
export const STREAM_BASE_METADATA = 'x-hva-stream-base-ms';

export interface EmulatorResponseInfo {
  readonly callId: string;
  readonly apiVersion: 'v1' | 'v2';
  readonly isFinal: boolean;
  readonly text: string;
  /** performance.now() when written. */
  readonly sentAt: number;
}

export interface SpeechEmulatorStats {
  streamsOpened: number;
  streamsActive: number;
  streamsRejected: number;
  recognizeCalls: number;
  /** Most one-shot Recognize calls in flight at once. */
  recognizeInFlightMax: number;
  interimsSent: number;
  finalsSent: number;
  /** Finals sent inside a mid-utterance pause (behaviour midUtteranceFinalAfterPauseMs). */
  midUtteranceFinals: number;
  faultsApplied: number;
  audioBytes: number;
  /** Requests that carried audio (one per message the client sent after the config). */
  audioMessages: number;
  /** Last error status per kind, e.g. { OUT_OF_RANGE: 2 }. */
  errorsSent: Record<string, number>;
  /** The metadata call ids seen, in order of first appearance. */
  callIds: string[];
}

export type ApiVersion = 'v1' | 'v2';

export interface EmulatorContext {
  readonly profile: SpeechLatencyProfile;
  readonly behaviour: SpeechBehaviour;
  readonly seed: number;
  /** 0 = answer immediately. */
  readonly scale: number;
  readonly streamLimitMs: number;
  readonly audioTimeoutMs: number;
  readonly segmenter: SegmenterOptions;
  readonly v2Location: string | undefined;
  readonly scripts: ScriptBook;
  readonly faults: FaultBook;
  readonly stats: SpeechEmulatorStats;
  readonly activeCalls: Set<grpc.ServerDuplexStream<unknown, unknown>>;
  /** One-shot Recognize calls not yet answered. */
  recognizeInFlight: number;
  readonly logger: Logger;
  readonly onResponse: ((info: EmulatorResponseInfo) => void) | undefined;
  /** A fault plan's say on each new stream (sim/faults/speech-hook.ts). */
  readonly streamFaults: SpeechStreamFaultHook | undefined;
  /** A latency drawn from the profile (seeded), times the scale. */
  latency(p: Percentiles): number;
  /** The call id of a request's metadata (recorded in stats on first sight). */
  callIdOf(metadata: grpc.Metadata): string;
  countError(code: grpc.status): void;
}

export function newStats(): SpeechEmulatorStats {
  return {
    streamsOpened: 0,
    streamsActive: 0,
    streamsRejected: 0,
    recognizeCalls: 0,
    recognizeInFlightMax: 0,
    interimsSent: 0,
    finalsSent: 0,
    midUtteranceFinals: 0,
    faultsApplied: 0,
    audioBytes: 0,
    audioMessages: 0,
    errorsSent: {},
    callIds: [],
  };
}
