// Taking back a turn: the endpointer ended the caller's turn in a pause, and the caller resumed
// before any of the answer was heard. The turn is withdrawn silently (answer aborted, nothing
// committed to the history) and the caller's next words continue the same utterance, so one
// answer follows for the whole sentence. Pure: the session supplies the facts and the clock.
//
// A cut turn costs the caller nothing while no answer audio has been sent: that is the window in
// which resuming takes the turn back. Once answer audio went out, the caller heard an answer to
// half a sentence (a false cut proper) and the ordinary barge-in/supersede rules apply.
import { comparable, joinTranscriptPieces } from './completeness.ts';

export interface TakeBackFacts {
  /** The turn that ended is the latest one and is still being answered (not finalized). */
  readonly answerPending: boolean;
  /** Any of its answer audio was sent to the caller. */
  readonly answerAudioSent: boolean;
  /** Ms from the turn's end to the caller's resumption. */
  readonly sinceTurnEndMs: number;
}

export type TakeBackDecision =
  | { readonly takeBack: true }
  | { readonly takeBack: false; readonly reason: 'disabled' | 'no_answer' | 'audio_sent' | 'too_late' };

/**
 * Whether the caller's resumption takes back the turn that just ended. `windowMs` 0 disables;
 * beyond it the caller is starting a new turn rather than finishing a sentence.
 */
export function decideTakeBack(f: TakeBackFacts, windowMs: number): TakeBackDecision {
  if (windowMs <= 0) return { takeBack: false, reason: 'disabled' };
  if (!f.answerPending) return { takeBack: false, reason: 'no_answer' };
  if (f.answerAudioSent) return { takeBack: false, reason: 'audio_sent' };
  if (f.sinceTurnEndMs > windowMs) return { takeBack: false, reason: 'too_late' };
  return { takeBack: true };
}

const words = (s: string): string[] =>
  s
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');

/**
 * The transcript of a taken-back turn continued by the words after it. The recognizer may have
 * kept one result across the pause (then the continuation already starts with the cut turn's
 * words, its last ones perhaps revised, or the cut turn's late final covers both): the longer
 * of the two is the sentence. Otherwise the pieces are joined, words repeated at the seam said once.
 */
export function mergeResumedTranscript(cut: string, continuation: string): string {
  const a = words(cut);
  const b = words(continuation);
  if (a.length === 0) return continuation.trim();
  if (b.length === 0) return cut.trim();
  let common = 0;
  while (common < a.length && common < b.length && comparable(a[common]!) === comparable(b[common]!))
    common++;
  const shorter = Math.min(a.length, b.length);
  // One result: the shorter is a prefix of the longer, up to its last two (revised) words.
  if (common === shorter || (common >= 2 && common >= shorter - 2))
    return (b.length >= a.length ? continuation : cut).trim();
  return joinTranscriptPieces(cut, continuation);
}
