// What each endpointer input changes (endpointer.ts then evaluates the rules): a VAD frame, an
// STT interim, an STT final (the turn's, or the late one of a turn that already ended), and the
// session's take-back of a turn. Pure: no timers, no I/O.
import type { SttFinal, SttPartial } from '../stt/types.ts';
import { transcriptCompleteness } from './completeness.ts';
import { endpointerLateFinalsTotal } from './metrics.ts';
import {
  belongsToEnded,
  finishUtterance,
  openUtterance,
  pitchHolds,
  type EndedUtterance,
  type EndpointerState,
} from './endpointer-state.ts';
import type { EndpointerOutput, VadFrame } from './types.ts';
import { applyVadFrame, resumeSpeech, transcriptOf } from './utterance.ts';

const PUNCTUATED_WORD = /[.,?!;:…](\s|$)/u;

export function onVad(
  s: EndpointerState,
  atMs: number,
  frame: VadFrame,
  frameMs: number,
  out: EndpointerOutput[],
): void {
  const frameEnd = atMs + frameMs;
  if (frame.event === 'speechStart') s.vadInSpeech = true;
  if (frame.event === 'speechEnd') {
    s.vadInSpeech = false;
    s.endedInsideSegment = false;
  }
  let u = s.current;
  if (!u) {
    if (frame.event === 'speechStart') u = openUtterance(s, frame.eventTimeMs ?? atMs, out);
    // The VAD is still in the speech segment of a turn that ended early: the caller went on.
    else if (frame.voiced && s.endedInsideSegment) u = openUtterance(s, atMs, out);
    else return;
    s.endedInsideSegment = false;
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
}

export function onPartial(s: EndpointerState, p: SttPartial, out: EndpointerOutput[]): void {
  if (belongsToEnded(s, p.audioTimeMs)) return; // trailing interim of the answered turn
  const text = p.text.trim();
  if (text === '') return;
  const u = s.current ?? openUtterance(s, Math.min(p.audioTimeMs, p.receivedAtMs), out);
  const previous = u.partial?.text.trim() ?? '';
  if (text !== previous) {
    // The words were spoken somewhat before the audio time the interim covers.
    u.lastWordsAudioMs = (p.audioTimeMs > 0 ? p.audioTimeMs : p.receivedAtMs) - s.tuning.partialLagMs;
  }
  u.partialAgreed = text === previous;
  // Any punctuation mark ending a word (a comma too, not "1,000") shows a recognizer that
  // punctuates its interims (Google's streaming interims carry none).
  if (!s.punctuatingInterims && (transcriptCompleteness(text) === 'complete' || PUNCTUATED_WORD.test(text)))
    s.punctuatingInterims = true;
  u.partial = p;
  if (u.partialAgreed && !u.lastFrameVoiced) u.lastAgreedText = transcriptOf(u);
  u.firstPartialMs ??= p.receivedAtMs;
  u.lastSttAtMs = p.receivedAtMs;
  u.debounced = p;
}

/** The final of an ended turn: a late final to record, or the words of a taken-back turn. */
function onEndedFinal(
  s: EndpointerState,
  e: EndedUtterance,
  text: string,
  f: SttFinal,
  out: EndpointerOutput[],
): void {
  e.awaitingFinal = false;
  endpointerLateFinalsTotal.inc();
  const r = s.current?.resumed;
  if (r && r.lastId === e.turn.utteranceId) {
    if (text !== '') r.transcript = text;
    return;
  }
  if (text !== '') e.lateText = text;
  out.push({ type: 'lateFinal', utteranceId: e.turn.utteranceId, text, atMs: f.receivedAtMs });
}

export function onFinal(s: EndpointerState, f: SttFinal, out: EndpointerOutput[]): void {
  const text = f.text.trim();
  if (belongsToEnded(s, f.audioStartMs) && s.ended) {
    onEndedFinal(s, s.ended, text, f, out);
    return;
  }
  if (text === '') {
    if (s.current) s.current.lastSttAtMs = f.receivedAtMs;
    return;
  }
  const u = s.current ?? openUtterance(s, f.audioStartMs, out);
  u.lastSttAtMs = f.receivedAtMs;
  const stillTalking =
    u.vadSpeech &&
    u.lastFrameVoiced &&
    u.lastVoicedEndMs !== undefined &&
    u.lastVoicedEndMs > f.audioEndMs + s.tuning.finalOverrunMs;
  u.committed.push(text);
  u.partial = undefined;
  u.partialAgreed = false;
  u.debounced = undefined;
  const transcript = transcriptOf(u);
  // Google closed a segment mid-utterance (the caller talks on, or paused mid-sentence, which
  // a level pitch at the pause also says): answering now would cut the caller off. The
  // silence rules decide, with this text.
  const held =
    pitchHolds(s, u, transcript) &&
    s.nowMs - (u.lastVoicedEndMs ?? s.nowMs) < s.config.endpointLevelPitchSilenceMs;
  if (stillTalking || held || transcriptCompleteness(transcript) === 'incomplete') return;
  finishUtterance(s, u, 'sttFinal', transcript, out);
}

/** The session withdrew the turn that just ended: the open utterance continues it. */
export function onTakeBack(
  s: EndpointerState,
  utteranceId: number,
  atMs: number,
  out: EndpointerOutput[],
): void {
  const e = s.ended;
  const u = s.current;
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
}
