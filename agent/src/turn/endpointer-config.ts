// The endpointer's settings: what it reads from the agent config, its own tuning knobs with their
// defaults, validated once at creation.
import type { Config } from '../config/schema.ts';
import type { EndOfTurnConfig } from './end-of-turn.ts';

export type EndpointerConfig = Pick<
  Config,
  | 'sttDebounceMs'
  | 'sttTimeoutMs'
  | 'vadHangoverMs'
  | 'endpointMinUtteranceMs'
  | 'endpointMinBufferMs'
  | 'llmPreemptiveSilenceMs'
  | 'llmPreemptiveAgreedSilenceMs'
> &
  EndOfTurnConfig & {
    /** With no text at all, how long a silence decision waits for STT text before giving up (default 2000). */
    readonly noTextWaitMs?: number;
    /** How long an ended turn keeps claiming STT output as its own (late final) (default 5000). */
    readonly lateFinalWindowMs?: number;
    /** A final does not end the turn when voice continued this long past its audio end (default 300). */
    readonly finalOverrunMs?: number;
    /**
     * An early-final or settled partial must cover the speech up to this close to the last voiced
     * frame (default 150): Google's interims trail the audio by ~0.3 s (../shared/bench/
     * google-like-profile.json interimLagBehindAudioMs), so at the stop they often lack the last
     * word, and their result end says so.
     */
    readonly earlyFinalCoverageSlackMs?: number;
    /**
     * How long after the caller's last voiced frame the silence rule and the preemptive start wait
     * for an interim that reaches it (default 1200, about Google's final): without one the
     * transcript likely lacks the last word.
     */
    readonly coverageWaitMs?: number;
    /**
     * How long after the caller's last voiced frame a turn waits for its words to be confirmed
     * (end-of-turn.ts wordsConfirmed: two responses agreeing, a stable result, or the final; default
     * 3000: above the google-like profile's final p95 of 1.8 s and the field reports' ~2.5 s for
     * chirp_3) before it is answered on the unconfirmed interim.
     */
    readonly confirmWaitMs?: number;
    /**
     * An interim with new words counts as caller voice up to its audio time minus this (default
     * 250): it keeps the silence rule from ending a turn whose speech the VAD lost in noise.
     */
    readonly partialWordsLagMs?: number;
  };

/** The config with every default filled in. */
export interface EndpointerTuning {
  readonly config: EndpointerConfig;
  readonly noTextWaitMs: number;
  readonly lateFinalWindowMs: number;
  readonly finalOverrunMs: number;
  readonly coverageSlackMs: number;
  readonly coverageWaitMs: number;
  readonly confirmWaitMs: number;
  readonly partialLagMs: number;
}

export function endpointerTuning(config: EndpointerConfig): EndpointerTuning {
  const t: EndpointerTuning = {
    config,
    noTextWaitMs: config.noTextWaitMs ?? 2000,
    lateFinalWindowMs: config.lateFinalWindowMs ?? 5000,
    finalOverrunMs: config.finalOverrunMs ?? 300,
    coverageSlackMs: config.earlyFinalCoverageSlackMs ?? 150,
    coverageWaitMs: config.coverageWaitMs ?? 1200,
    confirmWaitMs: config.confirmWaitMs ?? 3000,
    partialLagMs: config.partialWordsLagMs ?? 250,
  };
  for (const [k, v] of Object.entries({
    sttDebounceMs: config.sttDebounceMs,
    sttTimeoutMs: config.sttTimeoutMs,
    endpointMinUtteranceMs: config.endpointMinUtteranceMs,
    endpointMinSilenceMs: config.endpointMinSilenceMs,
    endpointMinBufferMs: config.endpointMinBufferMs,
    sttEarlyFinalMinChars: config.sttEarlyFinalMinChars,
    sttEarlyFinalSilenceMs: config.sttEarlyFinalSilenceMs,
    sttSettledSilenceMs: config.sttSettledSilenceMs,
    endpointIncompleteSilenceMs: config.endpointIncompleteSilenceMs,
    endpointLevelPitchSilenceMs: config.endpointLevelPitchSilenceMs,
    llmPreemptiveSilenceMs: config.llmPreemptiveSilenceMs,
    llmPreemptiveAgreedSilenceMs: config.llmPreemptiveAgreedSilenceMs,
    noTextWaitMs: t.noTextWaitMs,
    confirmWaitMs: t.confirmWaitMs,
  })) {
    if (!Number.isFinite(v) || v < 0)
      throw new RangeError(`endpointer: ${k} must be a non-negative number, got ${v}`);
  }
  return t;
}
