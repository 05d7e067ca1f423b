// The end-of-turn rules that read the transcript, not only the silence: pure functions of what
// the endpointer knows about the utterance. Kept apart from the state machine (endpointer.ts).
//
//   earlyFinal      a partial that ends a sentence (complete: not a dangling word, not an
//                   abbreviation's dot), long enough, stable (stabilityAccepts), covering the
//                   speech, after STT_EARLY_FINAL_SILENCE_MS of local silence;
//   settledPartial  an unpunctuated partial (Google's interims carry no punctuation) that two
//                   consecutive responses agree on, whose last word does not need a continuation,
//                   covering the speech, after STT_SETTLED_SILENCE_MS of local silence;
//   silence / noVoiceTimeout wait ENDPOINT_INCOMPLETE_SILENCE_MS instead when the transcript ends
//                   on a word that needs a continuation (a mid-sentence pause, not a turn end),
//                   or has no sentence end although this call's recognizer punctuates interims;
//   level pitch     on a recognizer that does not punctuate interims, a transcript that could end
//                   the turn (not a question) whose last words ended with a level pitch
//                   (turn/prosody.ts: a caller holding the turn mid-sentence) needs
//                   ENDPOINT_LEVEL_PITCH_SILENCE_MS of silence by every rule;
//   confirmed words no rule ends a turn on an interim before its words are confirmed
//                   (wordsConfirmed: two responses agreeing, a stable result, no revision for
//                   STT_INTERIM_SETTLE_MS, or the final);
//   revised tail    an unconfirmed response that only rewrites the last word of words two
//                   responses agreed on and that need a continuation is judged by those words
//                   (judgedTranscript): Google's random tail rewrites inside a mid-sentence pause
//                   do not make the caller look finished.
import type { Config } from '../config/schema.ts';
import { STABILITY_UNSET, stabilityAccepts } from '../stt/results.ts';
import type { SttPartial } from '../stt/types.ts';
import {
  endsWithDanglingWord,
  looksLikeQuestion,
  revisesLastWord,
  transcriptCompleteness,
  type Completeness,
} from './completeness.ts';
import type { TurnEndRule } from './types.ts';

export type EndOfTurnConfig = Pick<
  Config,
  | 'sttEarlyFinalization'
  | 'sttEarlyFinalMinChars'
  | 'sttEarlyFinalMinStability'
  | 'sttEarlyFinalSilenceMs'
  | 'sttSettledSilenceMs'
  | 'sttInterimSettleMs'
  | 'endpointMinSilenceMs'
  | 'endpointIncompleteSilenceMs'
  | 'endpointLevelPitchSilenceMs'
>;

/** What the rules read about the open utterance. */
export interface UtteranceView {
  readonly transcript: string;
  readonly partial: SttPartial | undefined;
  /** The last two interim responses said the same thing (the tail was not revised). */
  readonly partialAgreed: boolean;
  readonly lastFrameVoiced: boolean;
  readonly lastVoicedEndMs: number | undefined;
  /**
   * This call's recognizer has punctuated an interim sentence end: it marks the ends it hears, so
   * an unpunctuated transcript after silence is a mid-sentence pause, not a finished turn.
   */
  readonly punctuatingInterims: boolean;
  /** The caller's pitch stayed level at the end of a transcript it can hold open (pitchCanHold). */
  readonly pitchHold: boolean;
}

/** How the rules read the transcript, given what the recognizer is known to punctuate. */
export function effectiveCompleteness(transcript: string, punctuatingInterims: boolean): Completeness {
  const c = transcriptCompleteness(transcript);
  return c === 'open' && punctuatingInterims ? 'incomplete' : c;
}

/**
 * A dangling last word in an unpunctuated tail that the recognizer has just revised (no two
 * responses agree on it) is a guess, not evidence of a pause: Google's tail words are wrong
 * often enough that waiting for it would delay finished turns. The other rules read such a
 * transcript as open.
 */
function danglingIsGuess(t: string, punctuatingInterims: boolean, tailSettled: boolean): boolean {
  return !tailSettled && !punctuatingInterims && !/[.?!…,;:]$/u.test(t) && endsWithDanglingWord(t);
}

/**
 * The transcript whose ending the rules judge. Two responses agreed on words that need a
 * continuation (`lastAgreed`, since the caller's last voiced frame), and the live transcript, not
 * agreed on, only revises their last word (replaced, dropped, or one word after it): a caller who
 * said nothing since cannot have added a word; Google rewrites its unstable tail at random, in a
 * pause too, and a decoy there ("... עזרה עם" -> "... עזרה עם היא", "... עזרה כן") would make a
 * caller who stopped mid-sentence look finished. The agreed words are better evidence than one
 * unconfirmed response: they are judged, as settled, until the recognizer agrees again.
 * Otherwise the live transcript, as it is.
 */
export function judgedTranscript(
  live: string,
  liveSettled: boolean,
  lastAgreed: string | undefined,
): { readonly text: string; readonly settled: boolean } {
  if (liveSettled || lastAgreed === undefined) return { text: live, settled: liveSettled };
  // Asked several times per frame and tick while a tail is unconfirmed: split the words once.
  const m = judgedMemo;
  if (m?.live === live && m.lastAgreed === lastAgreed) return m.judged;
  const revision = transcriptCompleteness(lastAgreed) === 'incomplete' && revisesLastWord(lastAgreed, live);
  const judged = revision ? { text: lastAgreed, settled: true } : { text: live, settled: false };
  judgedMemo = { live, lastAgreed, judged };
  return judged;
}

let judgedMemo:
  | {
      readonly live: string;
      readonly lastAgreed: string;
      readonly judged: ReturnType<typeof judgedTranscript>;
    }
  | undefined;

/**
 * Whether a level pitch at the end may hold this transcript open: the rule is on, the recognizer
 * does not punctuate its interims (a punctuating one has already said whether a sentence ended),
 * the words could end the turn (a dangling word that is only a revised tail's guess does not
 * count: danglingIsGuess), and they are not a question (whose end is often level or high).
 */
export function pitchCanHold(
  transcript: string,
  punctuatingInterims: boolean,
  config: Pick<EndOfTurnConfig, 'endpointLevelPitchSilenceMs'>,
  tailSettled = true,
): boolean {
  return (
    config.endpointLevelPitchSilenceMs > 0 &&
    !punctuatingInterims &&
    (transcriptCompleteness(transcript) !== 'incomplete' ||
      danglingIsGuess(transcript.trim(), punctuatingInterims, tailSettled)) &&
    !looksLikeQuestion(transcript)
  );
}

/**
 * Whether an interim's result end reaches the caller's last voiced audio (within `slackMs`): one
 * that stops short misses words (Google's interims trail the audio by ~0.3 s). True when the
 * recognizer reports no audio time or no voice was heard.
 */
export function reachesSpeechEnd(
  p: Pick<SttPartial, 'audioTimeMs'>,
  lastVoicedEndMs: number | undefined,
  slackMs: number,
): boolean {
  return lastVoicedEndMs === undefined || p.audioTimeMs <= 0 || p.audioTimeMs >= lastVoicedEndMs - slackMs;
}

/**
 * Whether the words of the live interim are confirmed, so a turn may be answered on them: no live
 * interim (the transcript is finals only), or two consecutive responses agree on it, or the
 * recognizer reports it stable (>= `minStability`; unset is no evidence here), or no newer
 * response revised it for `settleMs` (`quietMs`: since the last response; 0 turns this off).
 * Google gives any interim's tail a ~30 % chance of a word the next response revises, 200-300 ms
 * later (../shared/bench/google-like-profile.json tailRevisionProbability, interimIntervalMs): a
 * turn committed on an unconfirmed interim answers the caller on a word they may not have said.
 */
export function wordsConfirmed(
  partial: Pick<SttPartial, 'stability'> | undefined,
  agreed: boolean,
  minStability: number,
  quiet: { readonly quietMs: number; readonly settleMs: number } = { quietMs: 0, settleMs: 0 },
): boolean {
  if (partial === undefined || agreed) return true;
  if (quiet.settleMs > 0 && quiet.quietMs >= quiet.settleMs) return true;
  return partial.stability > STABILITY_UNSET && partial.stability >= minStability;
}

/** Which transcript rule, if any, ends the utterance at `nowMs`. */
export function transcriptEndRule(
  u: UtteranceView,
  config: EndOfTurnConfig,
  nowMs: number,
  coverageSlackMs: number,
): Extract<TurnEndRule, 'earlyFinal' | 'settledPartial'> | undefined {
  const p = u.partial;
  if (!config.sttEarlyFinalization || !p || u.lastFrameVoiced) return undefined;
  if (!reachesSpeechEnd(p, u.lastVoicedEndMs, coverageSlackMs)) return undefined;
  const silentMs = nowMs - (u.lastVoicedEndMs ?? p.receivedAtMs);
  if (u.pitchHold && silentMs < config.endpointLevelPitchSilenceMs) return undefined;
  const completeness = effectiveCompleteness(u.transcript, u.punctuatingInterims);
  if (completeness === 'complete') {
    if (u.transcript.length <= config.sttEarlyFinalMinChars) return undefined;
    if (!stabilityAccepts(p.stability, config.sttEarlyFinalMinStability)) return undefined;
    return silentMs >= config.sttEarlyFinalSilenceMs ? 'earlyFinal' : undefined;
  }
  if (completeness === 'open' && u.partialAgreed && silentMs >= config.sttSettledSilenceMs)
    return 'settledPartial';
  return undefined;
}

/** Silence that ends the utterance by the silence rule, given how its transcript ends. */
export function requiredSilenceMs(
  transcript: string,
  config: EndOfTurnConfig,
  punctuatingInterims = false,
  tailSettled = true,
  pitchHold = false,
): number {
  if (pitchHold) return Math.max(config.endpointMinSilenceMs, config.endpointLevelPitchSilenceMs);
  // Asked on every frame and tick of an open utterance, with the same arguments most of the time.
  const m = silenceMemo;
  if (
    m.transcript === transcript &&
    m.minMs === config.endpointMinSilenceMs &&
    m.incompleteMs === config.endpointIncompleteSilenceMs &&
    m.punctuatingInterims === punctuatingInterims &&
    m.tailSettled === tailSettled
  )
    return m.ms;
  const ms = silenceNeededMs(transcript, config, punctuatingInterims, tailSettled);
  silenceMemo = {
    transcript,
    minMs: config.endpointMinSilenceMs,
    incompleteMs: config.endpointIncompleteSilenceMs,
    punctuatingInterims,
    tailSettled,
    ms,
  };
  return ms;
}

let silenceMemo: {
  readonly transcript: string | undefined;
  /** The only settings the rule reads (a config object may be changed in place in tests). */
  readonly minMs: number;
  readonly incompleteMs: number;
  readonly punctuatingInterims: boolean;
  readonly tailSettled: boolean;
  readonly ms: number;
} = {
  transcript: undefined,
  minMs: 0,
  incompleteMs: 0,
  punctuatingInterims: false,
  tailSettled: true,
  ms: 0,
};

function silenceNeededMs(
  transcript: string,
  config: EndOfTurnConfig,
  punctuatingInterims: boolean,
  tailSettled: boolean,
): number {
  const t = transcript.trim();
  if (t === '' || effectiveCompleteness(t, punctuatingInterims) !== 'incomplete')
    return config.endpointMinSilenceMs;
  if (danglingIsGuess(t, punctuatingInterims, tailSettled)) return config.endpointMinSilenceMs;
  return Math.max(config.endpointMinSilenceMs, config.endpointIncompleteSilenceMs);
}
