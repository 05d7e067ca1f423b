// What a call session lets an outside observer see while the call runs: the transcript as it
// arrives, the end of each caller turn, each spoken segment and its fate, barge-ins and the
// finished turn records. The playground's event feed is the observer in production; nothing in
// the session depends on it, and an observer that throws never touches the call.
import type { CallStartInfo } from './types.ts';
import type { SegmentKind, SegmentState } from './playback.ts';
import type { TurnRecord } from './turn-record.ts';
import type { TurnEndRule } from '../turn/types.ts';

export interface ObservedTranscript {
  readonly text: string;
  readonly isFinal: boolean;
  /** 0..1 for partials (0: provider did not say); 1 for finals. */
  readonly stability: number;
  /** Call-clock ms the result arrived. */
  readonly atMs: number;
}

export interface ObservedTurnEnd {
  readonly utteranceId: number;
  readonly transcript: string;
  readonly rule: TurnEndRule;
  readonly atMs: number;
}

export interface ObservedSegment {
  readonly segmentId: number;
  readonly turnId: number;
  readonly kind: SegmentKind;
  readonly text: string;
  /** 'sending' when its first byte went out; then 'played' or 'cleared' from its mark echo. */
  readonly state: SegmentState;
  readonly atMs: number;
}

export interface ObservedBargeIn {
  readonly turnId: number;
  /** True when agent audio was still playing (a `clear` was sent). */
  readonly wasSpeaking: boolean;
  readonly atMs: number;
}

/** Every method is optional and called synchronously on the session's path: keep them cheap. */
export interface CallObserver {
  transcript?(t: ObservedTranscript): void;
  turnEnded?(t: ObservedTurnEnd): void;
  segment?(s: ObservedSegment): void;
  bargeIn?(b: ObservedBargeIn): void;
  /** A finished turn record (same one the [LATENCY] line, metrics and spans are made from). */
  turnRecord?(r: Readonly<TurnRecord>, traceId: string | undefined): void;
  ended?(reason: string): void;
}

/** Called once per call at `start`; returns undefined for calls nobody watches (the normal case). */
export type CallObserverFactory = (info: CallStartInfo) => CallObserver | undefined;

/** Wraps an observer so a throwing method is reported once per call and then ignored. */
export function safeObserver(
  observer: CallObserver | undefined,
  onError: (err: unknown, method: string) => void,
): CallObserver | undefined {
  if (observer === undefined) return undefined;
  let failed = false;
  const wrap =
    <A extends unknown[]>(method: keyof CallObserver) =>
    (...args: A): void => {
      const fn = observer[method] as ((...a: A) => void) | undefined;
      if (failed || fn === undefined) return;
      try {
        fn.apply(observer, args);
      } catch (err) {
        failed = true;
        onError(err, method);
      }
    };
  return {
    transcript: wrap('transcript'),
    turnEnded: wrap('turnEnded'),
    segment: wrap('segment'),
    bargeIn: wrap('bargeIn'),
    turnRecord: wrap('turnRecord'),
    ended: wrap('ended'),
  };
}
