// Character classes of Hebrew text that every text stage agrees on (splitter, speakable text,
// transcript comparison). Pure.

/**
 * Invisible format characters (Unicode Cf) that LLMs, recognisers and copy-paste put around
 * Hebrew text: direction marks and embeddings (RLM, LRM, ALM, RLE..PDF, isolates), zero-width
 * space/joiners, word joiner, BOM, soft hyphen. A listener hears none of them.
 */
export const FORMAT_CHAR = /[\u00AD\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/u;
export const FORMAT_CHARS_GLOBAL =
  /[\u00AD\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu;

/** Niqqud (vowel points), dagesh, shin/sin dots and cantillation marks: U+0591..U+05C7 minus punctuation. */
export const POINTS_GLOBAL = /[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7]/gu;

/** Hebrew punctuation that has ASCII look-alikes LLMs and recognisers use interchangeably. */
export const HEBREW_GERESH = '\u05F3'; // ׳
export const HEBREW_GERSHAYIM = '\u05F4'; // ״
export const MAQAF = '\u05BE'; // ־

const FINAL_FORMS: Record<string, string> = { ך: 'כ', ם: 'מ', ן: 'נ', ף: 'פ', ץ: 'צ' };

/** Final letter forms folded to their ordinary forms (שלום -> שלומ). */
export function foldFinalLetters(text: string): string {
  return text.replace(/[ךםןףץ]/gu, (c) => FINAL_FORMS[c] ?? c);
}

/** Typographic quotes, geresh and gershayim in their ASCII forms; maqaf as a hyphen. */
export function foldPunctuationForms(text: string): string {
  return text
    .replace(/[\u05F3\u2018\u2019\u201B\u0060\u00B4]/gu, "'")
    .replace(/[\u05F4\u201C\u201D\u201E\u201F]/gu, '"')
    .replace(/[\u05BE\u2010\u2011\u2012\u2013\u2014]/gu, '-');
}
