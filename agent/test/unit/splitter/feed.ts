// Feeds text through a sentence splitter whole, character by character and in ragged pieces, and
// checks tables of cases all three ways (the chunks must not depend on how the tokens fall).
import { expect, it } from 'vitest';
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

export const noClause: SentenceSplitterOptions = { firstChunkClause: false };

export interface SplitCase {
  readonly name: string;
  readonly text: string;
  readonly expected: readonly string[];
  readonly options?: SentenceSplitterOptions;
}

/** One test per case and feeding (whole, char by char, ragged); call inside a describe. */
export function itSplitsEachWay(cases: readonly SplitCase[]): void {
  for (const c of cases) {
    it(`${c.name} (whole)`, () => expect(whole(c.text, c.options)).toEqual(c.expected));
    it(`${c.name} (char by char)`, () => expect(charByChar(c.text, c.options)).toEqual(c.expected));
    it(`${c.name} (ragged deltas)`, () => expect(ragged(c.text, c.options)).toEqual(c.expected));
  }
}

/** Joined chunks equal the text up to whitespace: the splitter never loses or adds text. */
export function expectSameText(chunks: readonly string[], text: string): void {
  expect(chunks.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' ').trim());
}
