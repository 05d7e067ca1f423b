// Transcript comparison: Hebrew text reduced to what changes meaning, for deciding whether two
// transcripts say the same thing (a preemptive answer still fits, llm/preemptive.ts) and for
// scoring a recogniser word by word (WER/CER, text/wer.ts). Pure.
import { hebrewNumberWordsToDigits } from './hebrew-numbers.ts';
import { FORMAT_CHARS_GLOBAL, POINTS_GLOBAL, foldFinalLetters, foldPunctuationForms } from './unicode.ts';

/**
 * Marks that carry meaning between digits and are kept there: 3.5 is not 35, 10:30 is not 1030,
 * 1/12 is not 112. A thousands comma (1,000) is only a separator and goes.
 */
function protectNumberMarks(text: string): string {
  return text
    .replace(/(\d),(?=\d{3}(?!\d))/gu, '$1')
    .replace(/(\d)([.:/])(?=\d)/gu, (_, d: string, mark: string) => `${d}${NUMBER_MARK[mark]!}`);
}
// Private-use stand-ins survive the punctuation sweep and are put back after it.
const NUMBER_MARK: Record<string, string> = { '.': '\uE000', ':': '\uE001', '/': '\uE002' };
const restoreNumberMarks = (text: string): string =>
  text
    .replace(/\uE000/gu, '.')
    .replace(/\uE001/gu, ':')
    .replace(/\uE002/gu, '/');

/** The shared folds: NFC, format characters, niqqud, final letters, punctuation look-alikes, case. */
function fold(text: string): string {
  return foldFinalLetters(
    foldPunctuationForms(text.normalize('NFC').replace(FORMAT_CHARS_GLOBAL, '').replace(POINTS_GLOBAL, '')),
  ).toLowerCase();
}

/**
 * Hebrew text reduced to what changes meaning, as one string without spaces: niqqud and
 * cantillation, invisible format characters, punctuation (geresh/gershayim in any form, maqaf)
 * and whitespace removed; final letters folded; Latin lower-cased; the decimal point, time
 * colon and date slash kept between digits. Number words are not folded to digits here: the
 * preemptive trigger counts normalised characters (llm/preemptive.ts minChars), and "אחת"
 * must not shrink to "1".
 */
export function normalizeHebrew(text: string): string {
  return transcriptWords(text).join('');
}

/** Whether a preemptive answer started on `candidate` is valid for the `confirmed` transcript. */
export function preemptiveMatches(candidate: string, confirmed: string): boolean {
  const a = normalizeHebrew(candidate);
  return a !== '' && a === normalizeHebrew(confirmed);
}

export interface TranscriptNormalization {
  /**
   * 'keep' compares numbers as written; 'digits' turns Hebrew number words into digits and
   * spells every number digit by digit, so "מאה עשרים וחמש", "125" and "אחת שתיים חמש" agree.
   */
  readonly numerals?: 'keep' | 'digits';
}

/**
 * A transcript as the words a recogniser is scored on: the folds of normalizeHebrew, with
 * punctuation between letters (ד"ר, וכו') removed inside the word, other punctuation and
 * hyphens splitting words, and a prefix hyphen joined (ב-10 -> ב10).
 */
export function transcriptWords(text: string, options: TranscriptNormalization = {}): string[] {
  const folded = protectNumberMarks(fold(text))
    .replace(/([\p{L}])['"]+(?=\p{L})/gu, '$1') // ד"ר, צה"ל, ג'ירפה
    .replace(/(^|[^\p{L}])([והבכלמש]{1,3})-(?=[\p{L}\p{N}])/gu, '$1$2') // ב-10, וה-3
    .replace(/[\p{P}\p{S}]+/gu, ' ');
  const words = restoreNumberMarks(folded)
    .split(/\s+/u)
    .filter((w) => w !== '');
  if ((options.numerals ?? 'keep') === 'keep') return words;
  const separated = words.flatMap((w) => w.replace(/(\p{L})(?=\d)/gu, '$1 ').split(' '));
  return hebrewNumberWordsToDigits(separated).flatMap((w) => (/^\d+$/u.test(w) ? [...w] : [w]));
}
