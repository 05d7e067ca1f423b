// Turn-taking is pure: state machines fed with timestamps (call audio clock, ms), no timers,
// no I/O. The call session feeds them and acts on their outputs.
import type { SttFinal, SttPartial } from '../stt/types.ts';

// ---- Voice activity detection (per 20 ms frame of 8 kHz PCM16) ----
export interface VadFrame {
  /** Raw decision for this frame. */
  readonly voiced: boolean;
  /** Smoothed decision: stays true for the hangover after the last voiced frame. */
  readonly speech: boolean;
  /** Set on the frame where smoothed speech starts / ends. */
  readonly event?: 'speechStart' | 'speechEnd';
  /** Audio-clock time of the event (for speechEnd: end of the last voiced frame). */
  readonly eventTimeMs?: number;
}

export interface Vad {
  process(pcm: Int16Array, audioTimeMs: number): VadFrame;
  reset(): void;
}

// ---- Endpointing ----
/** How a caller turn was decided; 'dtmf' is keys pressed on the phone (call/policies.ts), not speech. */
export type TurnEndRule =
  'silence' | 'noVoiceTimeout' | 'sttFinal' | 'earlyFinal' | 'settledPartial' | 'dtmf';

export interface TurnEnd {
  readonly utteranceId: number;
  readonly transcript: string;
  readonly rule: TurnEndRule;
  readonly speechStartMs: number;
  /** Caller speech end by the local VAD (audio clock), if known. */
  readonly speechEndMs: number | undefined;
  readonly firstPartialMs: number | undefined;
  /** When the turn was decided (audio clock / call clock, ms). */
  readonly endedAtMs: number;
  /**
   * The transcript's last words are settled: they came from a final, two recognizer responses
   * agreed on them, or the recognizer reported them stable (end-of-turn.ts wordsConfirmed). False
   * only when no confirmation came within the endpointer's confirmWaitMs.
   */
  readonly tailSettled?: boolean;
  /**
   * The turn continues turns that were taken back (the caller resumed before any answer was
   * heard): how many, and the first one's utterance id. The transcript covers them all.
   */
  readonly resumptions?: number;
  readonly resumedFrom?: number;
}

export type EndpointerInput =
  | { readonly type: 'vad'; readonly atMs: number; readonly frame: VadFrame; readonly frameMs: number }
  | { readonly type: 'partial'; readonly partial: SttPartial }
  | { readonly type: 'final'; readonly final: SttFinal }
  | { readonly type: 'tick'; readonly atMs: number }
  /**
   * The session withdrew the turn `utteranceId` (the caller resumed before any answer audio):
   * the open utterance continues it (turn/take-back.ts).
   */
  | { readonly type: 'takeBack'; readonly utteranceId: number; readonly atMs: number };

export type EndpointerOutput =
  | { readonly type: 'speechStarted'; readonly utteranceId: number; readonly atMs: number }
  /** A debounced interim for preemptive generation / display. */
  | {
      readonly type: 'partial';
      readonly utteranceId: number;
      readonly text: string;
      readonly stability: number;
      /** Two consecutive responses said this (reported again when agreement comes). */
      readonly agreed: boolean;
      /**
       * The turn could end on this text: no word that needs a continuation (for a recognizer that
       * punctuates interims: a sentence end), and no level pitch holding it open in a pause.
       * Absent: true.
       */
      readonly couldEnd?: boolean;
      readonly atMs: number;
    }
  /**
   * The caller stopped (LLM_PREEMPTIVE_SILENCE_MS without a voiced frame) and the utterance has
   * text: the latest transcript, stable or not, for a preemptive start. May precede a resumption.
   */
  | {
      readonly type: 'callerPaused';
      readonly utteranceId: number;
      readonly text: string;
      readonly stability: number;
      readonly atMs: number;
    }
  | { readonly type: 'turnEnded'; readonly turn: TurnEnd }
  /** A takeBack input was applied: utterance `into` now continues the withdrawn turn. */
  | {
      readonly type: 'turnTakenBack';
      readonly utteranceId: number;
      readonly into: number;
      readonly atMs: number;
    }
  /** A final that arrived after its utterance already ended: record it, trigger nothing. */
  | {
      readonly type: 'lateFinal';
      readonly utteranceId: number;
      readonly text: string;
      readonly atMs: number;
    };

export interface Endpointer {
  /** The outputs this input caused; an empty result may be a shared, frozen array. */
  handle(input: EndpointerInput): readonly EndpointerOutput[];
  reset(): void;
  /**
   * False while a clock tick can change nothing (no utterance open): the session skips the 20 ms
   * tick for this call then. Undefined: feed every tick.
   */
  readonly needsTicks?: boolean;
}
