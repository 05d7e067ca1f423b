// Endpointing: decides when the caller's utterance is over, exactly once per utterance. A pure
// state machine fed with VAD frames, STT partials/finals and clock ticks (one call clock, ms);
// no timers, no I/O. The session acts on its outputs.
//
// An utterance opens on VAD speech start (or on STT text the VAD missed). It ends on the first
// valid of:
//   sttFinal       a non-empty STT final (unless the caller is audibly still talking past it, or
//                  the transcript ends on a word that needs a continuation, e.g. Google's final
//                  inside a mid-sentence pause: then its text is kept and the utterance goes on;
//                  words the next final repeats are said once);
//   earlyFinal / settledPartial  a partial that ends a sentence, or an unpunctuated one that two
//                  responses agree on, read by end-of-turn.ts (completeness, stability);
//   silence        the VAD declared speech end (after its hangover) and the silence since the
//                  last voice (a voiced frame, or new words in a partial: the recognizer hears
//                  speech the VAD may lose in noise) is >= ENDPOINT_MIN_SILENCE_MS, after >= ENDPOINT_MIN_UTTERANCE_MS
//                  of voiced speech and >= ENDPOINT_MIN_BUFFER_MS of audio since the start
//                  (ENDPOINT_INCOMPLETE_SILENCE_MS when the transcript needs a continuation,
//                  ENDPOINT_LEVEL_PITCH_SILENCE_MS when the caller's pitch stayed level at the end
//                  of an unpunctuated transcript: cues from turn/prosody.ts, end-of-turn.ts);
//   noVoiceTimeout STT_TIMEOUT_MS without voice after the VAD declared speech end (or after the
//                  last STT event when the VAD never heard this utterance), whatever its length.
// No rule decides on an interim whose words are unconfirmed (utterance.ts wordsSettled: Google
// revises a tail word of ~30 % of its interims): two responses must agree, a result be reported
// stable, no response revise it for STT_INTERIM_SETTLE_MS, or the final come, or confirmWaitMs
// pass; the preemptive guess runs meanwhile.
// A turn needs text: when silence or the timeout fires before any text exists, the decision is
// held until the first partial or final (the turn then ends with that text) or, after
// noTextWaitMs more, the utterance is abandoned with no turn (counted).
// After a turn ends, the next final that belongs to it yields 'lateFinal' (record only), unless
// the session took the turn back (takeBack input, turn/take-back.ts): then the open utterance
// continues the withdrawn turn's words, and that late final replaces them.
// What each input changes: endpointer-inputs.ts; the state and the steps they share:
// endpointer-state.ts; here: the rules evaluated after every input.
import { endpointerAbandonedTotal } from './metrics.ts';
import {
  effectiveCompleteness,
  pitchCanHold,
  requiredSilenceMs,
  transcriptEndRule,
  type UtteranceView,
} from './end-of-turn.ts';
import type { EndpointerConfig } from './endpointer-config.ts';
import { onFinal, onPartial, onTakeBack, onVad } from './endpointer-inputs.ts';
import {
  endOrHold,
  finishUtterance,
  judge,
  newEndpointerState,
  pitchHolds,
  resetState,
  type EndpointerState,
} from './endpointer-state.ts';
import type { PhraseEndCues } from './prosody.ts';
import type { Endpointer, EndpointerInput, EndpointerOutput, TurnEndRule } from './types.ts';
import { coversSpeech, timingRule, transcriptOf, wordsSettled, type Utterance } from './utterance.ts';

export type { EndpointerConfig } from './endpointer-config.ts';

/**
 * `cues`: what the caller's audio says about the end of the last voiced stretch (the call's
 * turn/prosody.ts tracker, fed the same frames as the VAD); without it, no prosody rule.
 */
export function createEndpointer(config: EndpointerConfig, cues?: PhraseEndCues): Endpointer {
  const s = newEndpointerState(config, cues);
  return {
    handle: (input) => handle(s, input),
    reset: () => resetState(s),
    // A tick only moves nowMs and evaluates the open utterance; with none open it changes nothing
    // the next input would not set itself (every input moves nowMs to its own time first).
    get needsTicks() {
      return s.current !== undefined;
    },
  };
}

/** What most inputs produce: shared, so a frame or tick that decides nothing allocates nothing. */
const NOTHING: readonly EndpointerOutput[] = Object.freeze([]);

function handle(s: EndpointerState, input: EndpointerInput): readonly EndpointerOutput[] {
  // One array per endpointer, filled by this input's steps; handed out only when it holds
  // something (as a copy: the caller may keep it across inputs).
  const out = s.out;
  out.length = 0; // an input that threw left its outputs behind: they were never handed out
  switch (input.type) {
    case 'vad':
      s.nowMs = Math.max(s.nowMs, input.atMs + input.frameMs);
      onVad(s, input.atMs, input.frame, input.frameMs, out);
      break;
    case 'partial':
      s.nowMs = Math.max(s.nowMs, input.partial.receivedAtMs);
      onPartial(s, input.partial, out);
      break;
    case 'final':
      s.nowMs = Math.max(s.nowMs, input.final.receivedAtMs);
      onFinal(s, input.final, out);
      break;
    case 'tick':
      s.nowMs = Math.max(s.nowMs, input.atMs);
      break;
    case 'takeBack':
      s.nowMs = Math.max(s.nowMs, input.atMs);
      onTakeBack(s, input.utteranceId, input.atMs, out);
      break;
    default:
      throw new TypeError(`endpointer: unknown input ${JSON.stringify(input)}`);
  }
  evaluate(s, out);
  if (out.length === 0) return NOTHING;
  return out.splice(0);
}

/** After every input: report what the session may act on, then end the utterance if a rule says so. */
function evaluate(s: EndpointerState, out: EndpointerOutput[]): void {
  const u = s.current;
  if (!u) return;
  if (u.pendingRule !== undefined) {
    evaluatePending(s, u, u.pendingRule, out);
    return;
  }
  reportPartial(s, u, out);
  const transcript = transcriptOf(u);
  reportPause(s, u, transcript, out);
  const judged = judge(u, transcript);
  const pitchHold = pitchHolds(s, u, judged.text, judged.settled);
  // The fields the transcript rules read (a copy of the whole utterance per frame was most of
  // this function's allocation).
  const view: UtteranceView = {
    transcript,
    partial: u.partial,
    partialAgreed: u.partialAgreed,
    lastFrameVoiced: u.lastFrameVoiced,
    lastVoicedEndMs: u.lastVoicedEndMs,
    punctuatingInterims: s.punctuatingInterims,
    pitchHold,
  };
  const rule =
    transcriptEndRule(view, s.config, s.nowMs, s.tuning.coverageSlackMs) ??
    timingRule(u, judged.text, s.tuning, s.nowMs, s.punctuatingInterims, pitchHold, judged.settled);
  // Every rule waits (bounded) for confirmed words; the silence rule also for the words of the
  // caller's last voiced audio.
  if (rule === undefined || !wordsSettled(u, s.nowMs, s.tuning)) return;
  if (rule === 'earlyFinal' || rule === 'settledPartial') finishUtterance(s, u, rule, transcript, out);
  else if (rule !== 'silence' || coversSpeech(u, s.nowMs, s.tuning)) endOrHold(s, u, rule, out);
}

/**
 * A decision waiting for text: the first interim ends the turn once its words are confirmed (a
 * final decides by itself: onFinal); voice (or noise) with no words at all makes no turn.
 */
function evaluatePending(s: EndpointerState, u: Utterance, rule: TurnEndRule, out: EndpointerOutput[]): void {
  if (u.partial !== undefined) {
    if (wordsSettled(u, s.nowMs, s.tuning)) finishUtterance(s, u, rule, transcriptOf(u), out);
  } else if (s.nowMs - u.pendingSinceMs >= s.tuning.noTextWaitMs) {
    endpointerAbandonedTotal.inc();
    s.current = undefined;
  }
}

/** A debounced partial, reported once per text (and again when two responses agree on it). */
function reportPartial(s: EndpointerState, u: Utterance, out: EndpointerOutput[]): void {
  const p = u.debounced;
  if (!p || s.nowMs - p.receivedAtMs < s.config.sttDebounceMs) return;
  u.debounced = undefined;
  const text = transcriptOf(u);
  const key = u.partialAgreed ? `${text}\u0000agreed` : text;
  if (key === u.reportedText) return;
  u.reportedText = key;
  out.push({
    type: 'partial',
    utteranceId: u.id,
    text,
    stability: p.stability,
    agreed: u.partialAgreed,
    couldEnd: couldEnd(s, u, text) && coversSpeech(u, s.nowMs, s.tuning),
    atMs: s.nowMs,
  });
}

/** The turn could end on this text now (not mid-sentence by its words or by the caller's pitch). */
function couldEnd(s: EndpointerState, u: Utterance, text: string): boolean {
  const judged = judge(u, text);
  return (
    effectiveCompleteness(judged.text, s.punctuatingInterims) !== 'incomplete' &&
    !pitchHolds(s, u, judged.text, judged.settled)
  );
}

/** The caller has been silent long enough to guess the answer on the latest transcript. */
function reportPause(s: EndpointerState, u: Utterance, transcript: string, out: EndpointerOutput[]): void {
  if (u.pauseReported || u.lastFrameVoiced || u.lastVoicedEndMs === undefined || transcript === '') return;
  const neededMs = pauseNeededMs(s, u, transcript);
  if (neededMs === undefined) return;
  if (s.nowMs - u.lastVoicedEndMs < neededMs || !coversSpeech(u, s.nowMs, s.tuning)) return;
  u.pauseReported = true;
  const stability = u.partial?.stability ?? 0;
  out.push({ type: 'callerPaused', utteranceId: u.id, text: transcript, stability, atMs: s.nowMs });
}

/**
 * How long the caller must have been silent before the guess starts on `transcript`; undefined
 * while the pitch tracker's reading, which may hold the transcript open, is not in yet.
 */
function pauseNeededMs(s: EndpointerState, u: Utterance, transcript: string): number | undefined {
  const { config, cues, punctuatingInterims } = s;
  const judged = judge(u, transcript);
  // Two responses agreeing on words that could end the turn (no revised tail, no dangling word,
  // not an unpunctuated text from a recognizer that punctuates) are evidence enough to start sooner.
  const early = u.partialAgreed && effectiveCompleteness(transcript, punctuatingInterims) !== 'incomplete';
  let neededMs = early
    ? Math.min(config.llmPreemptiveAgreedSilenceMs, config.llmPreemptiveSilenceMs)
    : config.llmPreemptiveSilenceMs;
  // A level pitch may yet hold this transcript open: wait for the tracker's reading.
  const canHold =
    cues !== undefined && pitchCanHold(judged.text, punctuatingInterims, config, judged.settled);
  if (canHold && cues.finalPitch() === undefined) return undefined;
  // A mid-sentence pause (a word that needs a continuation, or a level pitch) ends the turn
  // only after a longer silence: the guess starts as far ahead of that as it does of the
  // ordinary silence rule, not at the first breath (a request wasted when the caller goes on).
  const requiredMs = requiredSilenceMs(
    judged.text,
    config,
    punctuatingInterims,
    judged.settled,
    pitchHolds(s, u, judged.text, judged.settled),
  );
  if (requiredMs > config.endpointMinSilenceMs) {
    const leadMs = Math.max(0, config.endpointMinSilenceMs - config.llmPreemptiveSilenceMs);
    neededMs = Math.max(neededMs, requiredMs - leadMs);
  }
  return neededMs;
}
