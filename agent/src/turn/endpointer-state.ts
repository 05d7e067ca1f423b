// The endpointer's state for one call and the steps its inputs share: opening and finishing an
// utterance, the pitch and completeness readings of a transcript, the timing decision that may
// wait for text, and whether STT output still belongs to the turn that just ended. Pure: no
// timers, no I/O (endpointer.ts drives it).
import type { EndpointerConfig, EndpointerTuning } from './endpointer-config.ts';
import { endpointerTuning } from './endpointer-config.ts';
import { judgedTranscript, pitchCanHold } from './end-of-turn.ts';
import type { PhraseEndCues } from './prosody.ts';
import type { EndpointerOutput, TurnEnd, TurnEndRule } from './types.ts';
import { newUtterance, transcriptOf, wordsConfirmedNow, type Utterance } from './utterance.ts';

export type Judged = ReturnType<typeof judgedTranscript>;

export interface EndedUtterance {
  readonly turn: TurnEnd;
  awaitingFinal: boolean;
  /** Its late final, when it came before any take-back (better words than the turn's). */
  lateText?: string;
}

export interface EndpointerState {
  readonly config: EndpointerConfig;
  readonly tuning: EndpointerTuning;
  /** What the caller's audio says about the end of the last voiced stretch; none: no prosody rule. */
  readonly cues: PhraseEndCues | undefined;
  nextId: number;
  nowMs: number;
  current: Utterance | undefined;
  ended: EndedUtterance | undefined;
  /** VAD smoothed state across utterances (a turn may end while the VAD is still in speech). */
  vadInSpeech: boolean;
  /** A turn ended inside the VAD speech segment that is still going on (early final). */
  endedInsideSegment: boolean;
  /** This call's recognizer punctuates sentence ends in its interims (learned from what it sent). */
  punctuatingInterims: boolean;
  /** The outputs of the input being handled (reused: emptied when handed out). */
  readonly out: EndpointerOutput[];
}

export function newEndpointerState(config: EndpointerConfig, cues?: PhraseEndCues): EndpointerState {
  return {
    config,
    tuning: endpointerTuning(config),
    cues,
    nextId: 1,
    nowMs: 0,
    current: undefined,
    ended: undefined,
    vadInSpeech: false,
    endedInsideSegment: false,
    punctuatingInterims: false,
    out: [],
  };
}

/** A new call on the same endpointer: everything but the utterance numbering starts over. */
export function resetState(s: EndpointerState): void {
  s.current = undefined;
  s.ended = undefined;
  s.vadInSpeech = false;
  s.endedInsideSegment = false;
  s.punctuatingInterims = false;
  s.nowMs = 0;
}

/** No live interim, or two responses agree on it (its tail was not just revised). */
export const isSettled = (u: Utterance): boolean => u.partial === undefined || u.partialAgreed;

export function openUtterance(s: EndpointerState, speechStartMs: number, out: EndpointerOutput[]): Utterance {
  const u = newUtterance(s.nextId++, speechStartMs);
  s.current = u;
  out.push({ type: 'speechStarted', utteranceId: u.id, atMs: speechStartMs });
  return u;
}

export function finishUtterance(
  s: EndpointerState,
  u: Utterance,
  rule: TurnEndRule,
  transcript: string,
  out: EndpointerOutput[],
): void {
  const r = u.resumed;
  const turn: TurnEnd = {
    utteranceId: u.id,
    transcript,
    rule,
    speechStartMs: r?.speechStartMs ?? u.speechStartMs,
    speechEndMs: u.speechEndMs ?? (u.lastFrameVoiced ? undefined : u.lastVoicedEndMs),
    firstPartialMs: r ? (r.firstPartialMs ?? u.firstPartialMs) : u.firstPartialMs,
    endedAtMs: s.nowMs,
    tailSettled: wordsConfirmedNow(u, s.nowMs, s.tuning),
    ...(r ? { resumptions: r.resumptions, resumedFrom: r.fromId } : {}),
  };
  out.push({ type: 'turnEnded', turn });
  s.ended = { turn, awaitingFinal: rule !== 'sttFinal' };
  s.endedInsideSegment = s.vadInSpeech;
  s.current = undefined;
}

/**
 * The caller paused (silent now) with a pitch held level at the end of a transcript that a
 * level pitch may hold open. Asks the tracker only in a pause and only for such transcripts.
 */
export function pitchHolds(
  s: EndpointerState,
  u: Utterance,
  transcript: string,
  tailSettled = isSettled(u),
): boolean {
  return (
    s.cues !== undefined &&
    !u.lastFrameVoiced &&
    u.lastVoicedEndMs !== undefined &&
    pitchCanHold(transcript, s.punctuatingInterims, s.config, tailSettled) &&
    s.cues.finalPitch() === 'level'
  );
}

/** The text (and whether it is settled) the completeness rules read (end-of-turn.ts judgedTranscript). */
export const judge = (u: Utterance, transcript: string): Judged =>
  judgedTranscript(transcript, isSettled(u), u.lastAgreedText);

/** Ends the utterance by a timing rule, or holds the decision until text exists. */
export function endOrHold(
  s: EndpointerState,
  u: Utterance,
  rule: TurnEndRule,
  out: EndpointerOutput[],
): void {
  const text = transcriptOf(u);
  if (text !== '') {
    finishUtterance(s, u, rule, text, out);
    return;
  }
  if (u.pendingRule === undefined) {
    u.pendingRule = rule;
    u.pendingSinceMs = s.nowMs;
  }
}

/**
 * Does STT output covering audio up to/from `audioTimeMs` belong to the turn that already
 * ended (awaiting its final)? Yes while no new utterance has opened; once one has, only if
 * it covers audio from before the new speech started.
 */
export function belongsToEnded(s: EndpointerState, audioTimeMs: number): boolean {
  if (!s.ended?.awaitingFinal) return false;
  if (s.nowMs - s.ended.turn.endedAtMs > s.tuning.lateFinalWindowMs) {
    s.ended.awaitingFinal = false;
    return false;
  }
  return s.current === undefined || audioTimeMs <= s.current.speechStartMs;
}
