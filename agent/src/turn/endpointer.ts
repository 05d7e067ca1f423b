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
import type { SttFinal, SttPartial } from '../stt/types.ts';
import { transcriptCompleteness } from './completeness.ts';
import { endpointerTuning, type EndpointerConfig } from './endpointer-config.ts';
import {
  effectiveCompleteness,
  judgedTranscript,
  pitchCanHold,
  requiredSilenceMs,
  transcriptEndRule,
} from './end-of-turn.ts';
import type { PhraseEndCues } from './prosody.ts';
import { endpointerAbandonedTotal, endpointerLateFinalsTotal } from './metrics.ts';
import type {
  Endpointer,
  EndpointerInput,
  EndpointerOutput,
  TurnEnd,
  TurnEndRule,
  VadFrame,
} from './types.ts';
import {
  applyVadFrame,
  coversSpeech,
  newUtterance,
  resumeSpeech,
  timingRule,
  transcriptOf,
  wordsConfirmedNow,
  wordsSettled,
  type Utterance,
} from './utterance.ts';

export type { EndpointerConfig } from './endpointer-config.ts';

const PUNCTUATED_WORD = /[.,?!;:…](\s|$)/u;

type Judged = ReturnType<typeof judgedTranscript>;

/** No live interim, or two responses agree on it (its tail was not just revised). */
const isSettled = (u: Utterance): boolean => u.partial === undefined || u.partialAgreed;

interface EndedUtterance {
  readonly turn: TurnEnd;
  awaitingFinal: boolean;
  /** Its late final, when it came before any take-back (better words than the turn's). */
  lateText?: string;
}

/**
 * `cues`: what the caller's audio says about the end of the last voiced stretch (the call's
 * turn/prosody.ts tracker, fed the same frames as the VAD); without it, no prosody rule.
 */
export function createEndpointer(config: EndpointerConfig, cues?: PhraseEndCues): Endpointer {
  const tuning = endpointerTuning(config);

  let nextId = 1;
  let nowMs = 0;
  let current: Utterance | undefined;
  let ended: EndedUtterance | undefined;
  /** VAD smoothed state across utterances (a turn may end while the VAD is still in speech). */
  let vadInSpeech = false;
  /** A turn ended inside the VAD speech segment that is still going on (early final). */
  let endedInsideSegment = false;
  /** This call's recognizer punctuates sentence ends in its interims (learned from what it sent). */
  let punctuatingInterims = false;

  const open = (speechStartMs: number, out: EndpointerOutput[]): Utterance => {
    const u = newUtterance(nextId++, speechStartMs);
    current = u;
    out.push({ type: 'speechStarted', utteranceId: u.id, atMs: speechStartMs });
    return u;
  };

  const finish = (u: Utterance, rule: TurnEndRule, transcript: string, out: EndpointerOutput[]): void => {
    const r = u.resumed;
    const turn: TurnEnd = {
      utteranceId: u.id,
      transcript,
      rule,
      speechStartMs: r?.speechStartMs ?? u.speechStartMs,
      speechEndMs: u.speechEndMs ?? (u.lastFrameVoiced ? undefined : u.lastVoicedEndMs),
      firstPartialMs: r ? (r.firstPartialMs ?? u.firstPartialMs) : u.firstPartialMs,
      endedAtMs: nowMs,
      tailSettled: wordsConfirmedNow(u, nowMs, tuning),
      ...(r ? { resumptions: r.resumptions, resumedFrom: r.fromId } : {}),
    };
    out.push({ type: 'turnEnded', turn });
    ended = { turn, awaitingFinal: rule !== 'sttFinal' };
    endedInsideSegment = vadInSpeech;
    current = undefined;
  };

  /**
   * The caller paused (silent now) with a pitch held level at the end of a transcript that a
   * level pitch may hold open. Asks the tracker only in a pause and only for such transcripts.
   */
  const pitchHolds = (u: Utterance, transcript: string, tailSettled = isSettled(u)): boolean =>
    cues !== undefined &&
    !u.lastFrameVoiced &&
    u.lastVoicedEndMs !== undefined &&
    pitchCanHold(transcript, punctuatingInterims, config, tailSettled) &&
    cues.finalPitch() === 'level';

  /** The text (and whether it is settled) the completeness rules read (end-of-turn.ts judgedTranscript). */
  const judge = (u: Utterance, transcript: string): Judged =>
    judgedTranscript(transcript, isSettled(u), u.lastAgreedText);

  /** Ends the utterance by a timing rule, or holds the decision until text exists. */
  const endOrHold = (u: Utterance, rule: TurnEndRule, out: EndpointerOutput[]): void => {
    const text = transcriptOf(u);
    if (text !== '') {
      finish(u, rule, text, out);
      return;
    }
    if (u.pendingRule === undefined) {
      u.pendingRule = rule;
      u.pendingSinceMs = nowMs;
    }
  };

  /**
   * Does STT output covering audio up to/from `audioTimeMs` belong to the turn that already
   * ended (awaiting its final)? Yes while no new utterance has opened; once one has, only if
   * it covers audio from before the new speech started.
   */
  const belongsToEnded = (audioTimeMs: number): boolean => {
    if (!ended?.awaitingFinal) return false;
    if (nowMs - ended.turn.endedAtMs > tuning.lateFinalWindowMs) {
      ended.awaitingFinal = false;
      return false;
    }
    return current === undefined || audioTimeMs <= current.speechStartMs;
  };

  const onVad = (atMs: number, frame: VadFrame, frameMs: number, out: EndpointerOutput[]): void => {
    const frameEnd = atMs + frameMs;
    if (frame.event === 'speechStart') vadInSpeech = true;
    if (frame.event === 'speechEnd') {
      vadInSpeech = false;
      endedInsideSegment = false;
    }
    let u = current;
    if (!u) {
      if (frame.event === 'speechStart') u = open(frame.eventTimeMs ?? atMs, out);
      // The VAD is still in the speech segment of a turn that ended early: the caller went on.
      else if (frame.voiced && endedInsideSegment) u = open(atMs, out);
      else return;
      endedInsideSegment = false;
      u.vadHeard = true;
      u.vadSpeech = true;
      // Onset frames before the start event were voiced too.
      u.voicedMs = Math.max(frameMs, frameEnd - u.speechStartMs);
    } else if (frame.event === 'speechStart') {
      // The caller resumed before the turn ended: same utterance; forget the silence.
      resumeSpeech(u);
    } else if (frame.voiced) {
      u.voicedMs += frameMs;
    }
    applyVadFrame(u, atMs, frame, frameMs);
  };

  const onPartial = (p: SttPartial, out: EndpointerOutput[]): void => {
    if (belongsToEnded(p.audioTimeMs)) return; // trailing interim of the answered turn
    const text = p.text.trim();
    if (text === '') return;
    const u = current ?? open(Math.min(p.audioTimeMs, p.receivedAtMs), out);
    const previous = u.partial?.text.trim() ?? '';
    if (text !== previous) {
      // The words were spoken somewhat before the audio time the interim covers.
      u.lastWordsAudioMs = (p.audioTimeMs > 0 ? p.audioTimeMs : p.receivedAtMs) - tuning.partialLagMs;
    }
    u.partialAgreed = text === previous;
    // Any punctuation mark ending a word (a comma too, not "1,000") shows a recognizer that
    // punctuates its interims (Google's streaming interims carry none).
    if (!punctuatingInterims && (transcriptCompleteness(text) === 'complete' || PUNCTUATED_WORD.test(text)))
      punctuatingInterims = true;
    u.partial = p;
    if (u.partialAgreed && !u.lastFrameVoiced) u.lastAgreedText = transcriptOf(u);
    u.firstPartialMs ??= p.receivedAtMs;
    u.lastSttAtMs = p.receivedAtMs;
    u.debounced = p;
  };

  /** The final of an ended turn: a late final to record, or the words of a taken-back turn. */
  const onEndedFinal = (e: EndedUtterance, text: string, f: SttFinal, out: EndpointerOutput[]): void => {
    e.awaitingFinal = false;
    endpointerLateFinalsTotal.inc();
    const r = current?.resumed;
    if (r && r.lastId === e.turn.utteranceId) {
      if (text !== '') r.transcript = text;
      return;
    }
    if (text !== '') e.lateText = text;
    out.push({ type: 'lateFinal', utteranceId: e.turn.utteranceId, text, atMs: f.receivedAtMs });
  };

  const onFinal = (f: SttFinal, out: EndpointerOutput[]): void => {
    const text = f.text.trim();
    if (belongsToEnded(f.audioStartMs) && ended) {
      onEndedFinal(ended, text, f, out);
      return;
    }
    if (text === '') {
      if (current) current.lastSttAtMs = f.receivedAtMs;
      return;
    }
    const u = current ?? open(f.audioStartMs, out);
    u.lastSttAtMs = f.receivedAtMs;
    const stillTalking =
      u.vadSpeech &&
      u.lastFrameVoiced &&
      u.lastVoicedEndMs !== undefined &&
      u.lastVoicedEndMs > f.audioEndMs + tuning.finalOverrunMs;
    u.committed.push(text);
    u.partial = undefined;
    u.partialAgreed = false;
    u.debounced = undefined;
    const transcript = transcriptOf(u);
    // Google closed a segment mid-utterance (the caller talks on, or paused mid-sentence, which
    // a level pitch at the pause also says): answering now would cut the caller off. The
    // silence rules decide, with this text.
    const held =
      pitchHolds(u, transcript) && nowMs - (u.lastVoicedEndMs ?? nowMs) < config.endpointLevelPitchSilenceMs;
    if (stillTalking || held || transcriptCompleteness(transcript) === 'incomplete') return;
    finish(u, 'sttFinal', transcript, out);
  };

  /** The session withdrew the turn that just ended: the open utterance continues it. */
  const onTakeBack = (utteranceId: number, atMs: number, out: EndpointerOutput[]): void => {
    const e = ended;
    const u = current;
    if (!e || e.turn.utteranceId !== utteranceId || !u || u.resumed) return;
    const prior = e.turn;
    u.resumed = {
      fromId: prior.resumedFrom ?? prior.utteranceId,
      speechStartMs: prior.speechStartMs,
      firstPartialMs: prior.firstPartialMs,
      lastId: prior.utteranceId,
      resumptions: (prior.resumptions ?? 0) + 1,
      transcript: e.lateText ?? prior.transcript,
    };
    // Words the debounce reported without the withdrawn turn's words are reported again.
    u.reportedText = '';
    if (u.partial) u.debounced = u.partial;
    out.push({ type: 'turnTakenBack', utteranceId, into: u.id, atMs });
  };

  /** The caller has been silent long enough to guess the answer on the latest transcript. */
  const reportPause = (u: Utterance, transcript: string, out: EndpointerOutput[]): void => {
    if (u.pauseReported || u.lastFrameVoiced || u.lastVoicedEndMs === undefined || transcript === '') return;
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
    if (canHold && cues.finalPitch() === undefined) return;
    // A mid-sentence pause (a word that needs a continuation, or a level pitch) ends the turn
    // only after a longer silence: the guess starts as far ahead of that as it does of the
    // ordinary silence rule, not at the first breath (a request wasted when the caller goes on).
    const requiredMs = requiredSilenceMs(
      judged.text,
      config,
      punctuatingInterims,
      judged.settled,
      pitchHolds(u, judged.text, judged.settled),
    );
    if (requiredMs > config.endpointMinSilenceMs) {
      const leadMs = Math.max(0, config.endpointMinSilenceMs - config.llmPreemptiveSilenceMs);
      neededMs = Math.max(neededMs, requiredMs - leadMs);
    }
    if (nowMs - u.lastVoicedEndMs < neededMs || !coversSpeech(u, nowMs, tuning)) return;
    u.pauseReported = true;
    const stability = u.partial?.stability ?? 0;
    out.push({ type: 'callerPaused', utteranceId: u.id, text: transcript, stability, atMs: nowMs });
  };

  /** A debounced partial, reported once per text (and again when two responses agree on it). */
  const reportPartial = (u: Utterance, out: EndpointerOutput[]): void => {
    const p = u.debounced;
    if (!p || nowMs - p.receivedAtMs < config.sttDebounceMs) return;
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
      couldEnd: couldEnd(u, text) && coversSpeech(u, nowMs, tuning),
      atMs: nowMs,
    });
  };

  /** The turn could end on this text now (not mid-sentence by its words or by the caller's pitch). */
  const couldEnd = (u: Utterance, text: string): boolean => {
    const judged = judge(u, text);
    return (
      effectiveCompleteness(judged.text, punctuatingInterims) !== 'incomplete' &&
      !pitchHolds(u, judged.text, judged.settled)
    );
  };

  const evaluate = (out: EndpointerOutput[]): void => {
    const u = current;
    if (!u) return;
    if (u.pendingRule !== undefined) {
      // A decision waiting for text: the first interim ends the turn once its words are confirmed
      // (a final decides by itself: onFinal).
      if (u.partial !== undefined) {
        if (wordsSettled(u, nowMs, tuning)) finish(u, u.pendingRule, transcriptOf(u), out);
      } else if (nowMs - u.pendingSinceMs >= tuning.noTextWaitMs) {
        // Voice (or noise) with no words at all: no turn.
        endpointerAbandonedTotal.inc();
        current = undefined;
      }
      return;
    }
    reportPartial(u, out);
    const transcript = transcriptOf(u);
    reportPause(u, transcript, out);
    const judged = judge(u, transcript);
    const pitchHold = pitchHolds(u, judged.text, judged.settled);
    const view = { ...u, transcript, punctuatingInterims, pitchHold };
    const rule =
      transcriptEndRule(view, config, nowMs, tuning.coverageSlackMs) ??
      timingRule(u, judged.text, tuning, nowMs, punctuatingInterims, pitchHold, judged.settled);
    // Every rule waits (bounded) for confirmed words; the silence rule also for the words of the
    // caller's last voiced audio.
    if (rule === undefined || !wordsSettled(u, nowMs, tuning)) return;
    if (rule === 'earlyFinal' || rule === 'settledPartial') finish(u, rule, transcript, out);
    else if (rule !== 'silence' || coversSpeech(u, nowMs, tuning)) endOrHold(u, rule, out);
  };

  const handle = (input: EndpointerInput): EndpointerOutput[] => {
    const out: EndpointerOutput[] = [];
    switch (input.type) {
      case 'vad':
        nowMs = Math.max(nowMs, input.atMs + input.frameMs);
        onVad(input.atMs, input.frame, input.frameMs, out);
        break;
      case 'partial':
        nowMs = Math.max(nowMs, input.partial.receivedAtMs);
        onPartial(input.partial, out);
        break;
      case 'final':
        nowMs = Math.max(nowMs, input.final.receivedAtMs);
        onFinal(input.final, out);
        break;
      case 'tick':
        nowMs = Math.max(nowMs, input.atMs);
        break;
      case 'takeBack':
        nowMs = Math.max(nowMs, input.atMs);
        onTakeBack(input.utteranceId, input.atMs, out);
        break;
      default:
        throw new TypeError(`endpointer: unknown input ${JSON.stringify(input)}`);
    }
    evaluate(out);
    return out;
  };

  const reset = (): void => {
    current = undefined;
    ended = undefined;
    vadInSpeech = false;
    endedInsideSegment = false;
    punctuatingInterims = false;
    nowMs = 0;
  };

  return {
    handle,
    reset,
    // A tick only moves nowMs and evaluates the open utterance; with none open it changes nothing
    // the next input would not set itself (every input moves nowMs to its own time first).
    get needsTicks() {
      return current !== undefined;
    },
  };
}
