// Feeds text through a sentence splitter whole, character by character and in ragged pieces.
import { createSentenceSplitter, type SentenceSplitterOptions } from '../../../src/tts/splitter.ts';

/** Runs text through a splitter in the given pieces and returns every chunk (push + flush). */
export function split(pieces: readonly string[], options?: SentenceSplitterOptions): string[] {
  const s = createSentenceSplitter(options);
  const out: string[] = [];
  for (const p of pieces) out.push(...s.push(p));
  out.push(...s.flush());
  return out;
}
export const whole = (text: string, o?: SentenceSplitterOptions): string[] => split([text], o);
export const charByChar = (text: string, o?: SentenceSplitterOptions): string[] => split([...text], o);
/** Deterministic awkward cuts: pieces of 1..4 characters. */
export const ragged = (text: string, o?: SentenceSplitterOptions): string[] => {
  const pieces: string[] = [];
  for (let i = 0, n = 1; i < text.length; i += n, n = (n % 4) + 1) pieces.push(text.slice(i, i + n));
  return split(pieces, o);
};
