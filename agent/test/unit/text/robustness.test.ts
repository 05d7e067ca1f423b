// Seeded random text built from the pieces LLM answers are made of: the splitter never loses or
// adds text however the deltas fall, and the speakable text never throws and never leaves
// markup, emoji or format characters for the voice.
import { describe, expect, it } from 'vitest';
import { createSentenceSplitter } from '../../../src/tts/splitter.ts';
import { toSpeakable } from '../../../src/text/speakable.ts';

const PIECES = [
  'שלום',
  ' ',
  '. ',
  '? ',
  '!',
  '...',
  '\n',
  '1. ',
  'ד"ר',
  'ת״א',
  "וכו'",
  'מס׳',
  'א. ',
  'רח. ',
  'טל. ',
  '3.5',
  '14:30',
  '1.12.2026',
  '050-1234567',
  '₪49.90',
  '15%',
  'https://a.co.il/x?y=1&z=2',
  'info@a.co.il',
  '(',
  ')',
  '"',
  '**',
  '_',
  '`',
  '#',
  '- ',
  '[קישור](https://x.io)',
  '😊',
  '👍🏽',
  '\u200F',
  '\u200E',
  '\u2067',
  ',',
  ' – ',
  'שָׁלוֹם',
  '1,250',
  '*2700',
  'א׳-ה׳',
  '9:00-18:00',
  '12345678901234567890',
];

function randomText(seed: number, length: number): string {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let out = '';
  for (let i = 0; i < length; i++) out += PIECES[Math.floor(next() * PIECES.length)]!;
  return out;
}

describe('text path robustness (seeded random answers)', () => {
  it('the splitter never loses or adds text, whole or in ragged deltas', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = randomText(seed, 40);
      for (const step of [text.length, 1, 3, 7]) {
        const s = createSentenceSplitter({ maxChunkChars: 60 });
        const out: string[] = [];
        for (let i = 0; i < text.length; i += step) out.push(...s.push(text.slice(i, i + step)));
        out.push(...s.flush());
        const squash = (t: string): string => t.replace(/\s+/gu, '');
        // Punctuation-only chunks are dropped by design; every letter and digit survives, in order.
        const letters = (t: string): string => squash(t).replace(/[^\p{L}\p{N}]/gu, '');
        expect(letters(out.join(' '))).toBe(letters(text));
        for (const c of out) expect(c).toBe(c.trim());
      }
    }
  });

  it('speakable text never throws and leaves no markup, emoji or format characters', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = randomText(seed, 30);
      const r = toSpeakable(text, { ssml: true });
      expect(r.text).not.toMatch(/\*\*|`|\p{Extended_Pictographic}|[\u200E\u200F\u2066-\u2069]/u);
      if (r.text !== '') expect(r.ssml).toMatch(/^<speak>[^]*<\/speak>$/u);
      // Nothing of the SSML is unescaped text: every '<' opens a known tag.
      expect(r.ssml ?? '').not.toMatch(/<(?!\/?(speak|say-as)\b)/u);
    }
  });
});
