// The pure judgements the sentence splitter (tts/splitter.ts) makes about one position in its
// buffer: is this dot an abbreviation, a list number, an initial; is this terminator inside a
// parenthesis; where may an over-long sentence be cut. No state, no I/O.
import { FORMAT_CHAR } from '../text/unicode.ts';

/** Closing quotes and brackets that belong to the sentence they follow. */
export const CLOSERS = new Set(['"', "'", '”', '’', '״', '׳', ')', ']', '}', '»']);

/** Invisible direction marks and other format characters (text/unicode.ts): never glue, never text. */
export const isFormatChar = (c: string | undefined): boolean => c !== undefined && FORMAT_CHAR.test(c);

export const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
export const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/u.test(c);

/** Latin titles that take a dot and never end a sentence (lower case). */
const LATIN_TITLES = new Set(['dr', 'mr', 'mrs', 'ms', 'prof', 'st', 'vs', 'no', 'etc', 'inc', 'ltd']);

/**
 * Hebrew words abbreviated with a dot that are always followed by a name: רח. הרצל (street),
 * שד. רוטשילד (boulevard), גב. כהן (Mrs), פרופ. לוי, סמ. (alley), כב. (honourable), שכ. (quarter).
 */
const HEBREW_TITLES = new Set(['רח', 'שד', 'גב', 'פרופ', 'סמ', 'כב', 'שכ']);

/**
 * Hebrew labels abbreviated with a dot that are followed by a number: טל. 03-..., מס. 5,
 * עמ. 12 (page), סע. 3 (section), דק. 5 (minutes), ת"ד. 100 (PO box).
 */
const HEBREW_NUMBER_LABELS = new Set(['טל', 'מס', 'עמ', 'סע', 'דק', 'שע', 'מק', 'פקס', 'נייד', 'ת"ד']);

/** One-letter Hebrew prefixes (ו ה ב כ ל מ ש) that may be glued to an abbreviation: ברח. הרצל. */
const PREFIXES = /^[והבכלמש]{1,2}/u;

function baseForms(word: string): string[] {
  const stripped = word.replace(PREFIXES, '');
  return stripped === word || stripped === '' ? [word] : [word, stripped];
}

/** Index of the first character at or after `from` that is not an invisible format character. */
export function skipFormat(buf: string, from: number): number {
  let k = from;
  while (k < buf.length && isFormatChar(buf[k])) k++;
  return k;
}

/** The Hebrew word before `i`, gershayim in ASCII form (undefined when none ends there). */
function hebrewWordBefore(head: string): string | undefined {
  return /(?:^|[^\u05D0-\u05EA"״])([\u05D0-\u05EA"״]+)$/u.exec(head)?.[1]?.replace(/״/g, '"');
}

/** Whether the dot at `i` follows a label abbreviation that a number may follow (טל. מס. עמ.). */
export function isNumberLabel(buf: string, i: number): boolean {
  const word = hebrewWordBefore(buf.slice(0, i));
  return word !== undefined && baseForms(word).some((f) => HEBREW_NUMBER_LABELS.has(f));
}

/**
 * Whether the single dot at `i` is an ordinary full stop. `nextWord` is the first character of
 * the next word (after closers, direction marks and spaces); undefined when not yet known or
 * at the end of the stream.
 */
export function dotEndsSentence(buf: string, i: number, nextWord: string | undefined): boolean {
  const head = buf.slice(0, i);
  // A Latin initial or title: J. Smith, Dr. Cohen.
  const latin = /(?:^|[^A-Za-z])([A-Za-z]+)$/.exec(head)?.[1];
  if (latin !== undefined && (latin.length === 1 || LATIN_TITLES.has(latin.toLowerCase()))) return false;
  // A Hebrew initial or a dotted letter abbreviation: א. ב. יהושע, ת.ז., ח.פ.
  if (/(?:^|[^\u05D0-\u05EA"'״׳])[\u05D0-\u05EA]$/u.test(head)) return false;
  const hebrew = hebrewWordBefore(head);
  if (hebrew !== undefined) {
    const forms = baseForms(hebrew);
    if (forms.some((f) => HEBREW_TITLES.has(f))) return false;
    if (isDigit(nextWord) && forms.some((f) => HEBREW_NUMBER_LABELS.has(f))) return false;
  }
  // A list number: "1." opening a chunk or a line, or after a colon ("האפשרויות: 1. ...").
  if (/(?:(?:^|\n)[\s\u200E\u200F*•·-]*|:\s+)\d{1,3}$/u.test(head)) return false;
  return true;
}

/**
 * Whether position `i` sits inside a parenthesis that opened after the chunk began: a
 * terminator there ("המחיר (כולל מע"מ!) הוא") does not end the sentence. A chunk that itself
 * starts with the parenthesis is a parenthetical sentence and may end inside it.
 */
export function insideInnerParenthesis(buf: string, i: number): boolean {
  let depth = 0;
  let opener = -1;
  for (let p = 0; p < i; p++) {
    const c = buf[p];
    if (c === '(' || c === '[') {
      if (depth === 0) opener = p;
      depth++;
    } else if ((c === ')' || c === ']') && depth > 0) depth--;
  }
  if (depth === 0) return false;
  return buf.slice(0, opener).trim() !== '';
}

/** A space between two parts of one number (050 123 4567, 1 000) is no place to cut. */
function splitsNumber(text: string, space: number): boolean {
  return isDigit(text[space - 1]) && isDigit(text[space + 1]);
}

/**
 * Where to cut a sentence that reached `limit` characters without an end: at the last clause
 * boundary (; : , or a spaced dash) in the second half, else at the last space that does not
 * split a number or URL, else hard at the limit.
 */
export function clauseCut(buf: string, limit: number): number {
  const head = buf.slice(0, limit);
  const clause = /[;:,]\s|\s[-–—]\s/gu;
  let best = -1;
  for (let m = clause.exec(head); m !== null; m = clause.exec(head)) {
    const end = m[0].startsWith(' ') ? m.index + 2 : m.index + 1;
    if (!splitsNumber(head, m.index + 1)) best = end;
  }
  if (best >= limit / 2) return best;
  for (let p = head.length - 1; p > 0; p--) {
    if (isSpace(head[p]) && !splitsNumber(head, p)) return p;
  }
  return limit;
}

const QUOTES = new Set(['"', '״', '“', '”', '„']);
const WORD_CHAR = /[\p{L}\p{M}]/u;

/**
 * Whether a quotation opened before `i` is still open: a quote mark opens after a space, a
 * bracket or the start, and closes before a space, punctuation or `i`; one inside a word is
 * gershayim (ד"ר, מע"מ), neither.
 */
function insideQuote(buf: string, i: number): boolean {
  let open = false;
  for (let p = 0; p < i; p++) {
    if (!QUOTES.has(buf[p] as string)) continue;
    const before = buf[p - 1];
    const after = p + 1 < i ? buf[p + 1] : undefined;
    if (before === undefined || isSpace(before) || before === '(' || before === '[') open = true;
    else if (after === undefined || !WORD_CHAR.test(after)) open = false;
  }
  return open;
}

/**
 * Whether the comma at `i` ends a clause whatever comes after it: it follows a letter (not a
 * digit: 1,250) and sits outside a quotation ("כן," אמר) and an inner parenthesis.
 */
export function commaEndsClause(buf: string, i: number): boolean {
  return WORD_CHAR.test(buf[i - 1] ?? '') && !insideQuote(buf, i) && !insideInnerParenthesis(buf, i);
}
