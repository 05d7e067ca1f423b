// Hebrew cardinal numbers, both ways: digits to words (for speech: times read as a Hebrew
// listener expects) and words to digits (for comparing transcripts that write a number either
// way). Feminine forms are the counting forms (שלוש, עשרים ואחת); masculine ones agree with a
// masculine noun (שלושה אנשים). Pure.
import { foldFinalLetters } from './unicode.ts';

export type Gender = 'f' | 'm';

const UNITS: Record<Gender, readonly string[]> = {
  f: ['אפס', 'אחת', 'שתיים', 'שלוש', 'ארבע', 'חמש', 'שש', 'שבע', 'שמונה', 'תשע'],
  m: ['אפס', 'אחד', 'שניים', 'שלושה', 'ארבעה', 'חמישה', 'שישה', 'שבעה', 'שמונה', 'תשעה'],
};
const TEENS: Record<Gender, readonly string[]> = {
  f: [
    'עשר',
    'אחת עשרה',
    'שתים עשרה',
    'שלוש עשרה',
    'ארבע עשרה',
    'חמש עשרה',
    'שש עשרה',
    'שבע עשרה',
    'שמונה עשרה',
    'תשע עשרה',
  ],
  m: [
    'עשרה',
    'אחד עשר',
    'שנים עשר',
    'שלושה עשר',
    'ארבעה עשר',
    'חמישה עשר',
    'שישה עשר',
    'שבעה עשר',
    'שמונה עשר',
    'תשעה עשר',
  ],
};
const TENS = ['', '', 'עשרים', 'שלושים', 'ארבעים', 'חמישים', 'שישים', 'שבעים', 'שמונים', 'תשעים'];
const HUNDREDS = [
  '',
  'מאה',
  'מאתיים',
  'שלוש מאות',
  'ארבע מאות',
  'חמש מאות',
  'שש מאות',
  'שבע מאות',
  'שמונה מאות',
  'תשע מאות',
];
const THOUSANDS = [
  '',
  'אלף',
  'אלפיים',
  'שלושת אלפים',
  'ארבעת אלפים',
  'חמשת אלפים',
  'ששת אלפים',
  'שבעת אלפים',
  'שמונת אלפים',
  'תשעת אלפים',
  'עשרת אלפים',
];

/** Words of 0..999 as separate components (the last one takes the conjunction ו). */
function belowThousand(n: number, gender: Gender): string[] {
  const parts: string[] = [];
  const h = Math.floor(n / 100);
  const rest = n % 100;
  if (h > 0) parts.push(HUNDREDS[h]!);
  if (rest >= 20) {
    parts.push(TENS[Math.floor(rest / 10)]!);
    if (rest % 10 > 0) parts.push(UNITS[gender][rest % 10]!);
  } else if (rest >= 10) parts.push(TEENS[gender][rest - 10]!);
  else if (rest > 0) parts.push(UNITS[gender][rest]!);
  return parts;
}

/** A whole number 0..999,999 in Hebrew words: 2026 -> "אלפיים עשרים ושש". */
export function numberToHebrew(n: number, gender: Gender = 'f'): string {
  if (!Number.isInteger(n) || n < 0 || n >= 1_000_000)
    throw new RangeError(`numberToHebrew: ${n} out of range`);
  if (n === 0) return UNITS[gender][0]!;
  const thousands = Math.floor(n / 1000);
  const parts: string[] = [];
  if (thousands > 0 && thousands <= 10) parts.push(THOUSANDS[thousands]!);
  else if (thousands > 10) parts.push(`${numberToHebrew(thousands, 'm')} אלף`);
  parts.push(...belowThousand(n % 1000, gender));
  if (parts.length > 1) parts[parts.length - 1] = `ו${parts[parts.length - 1]!}`;
  return parts.join(' ');
}

type Word =
  | { kind: 'unit'; value: number }
  | { kind: 'ten'; value: number }
  | { kind: 'teen10' }
  | { kind: 'hundred'; value: number }
  | { kind: 'hundreds' }
  | { kind: 'thousand'; value: number }
  | { kind: 'thousands' };

const WORDS = new Map<string, Word>();
for (const g of ['f', 'm'] as const) UNITS[g].forEach((w, i) => WORDS.set(w, { kind: 'unit', value: i }));
for (const [w, v] of [
  ['שתים', 2],
  ['שנים', 2],
  ['שתי', 2],
  ['שני', 2],
  ['שלושת', 3],
  ['ארבעת', 4],
  ['חמשת', 5],
  ['ששת', 6],
  ['שבעת', 7],
  ['שמונת', 8],
  ['תשעת', 9],
] as const)
  WORDS.set(w, { kind: 'unit', value: v });
WORDS.set('עשר', { kind: 'teen10' });
WORDS.set('עשרה', { kind: 'teen10' });
WORDS.set('עשרת', { kind: 'teen10' });
TENS.forEach((w, i) => w !== '' && WORDS.set(w, { kind: 'ten', value: i * 10 }));
WORDS.set('מאה', { kind: 'hundred', value: 100 });
WORDS.set('מאתיים', { kind: 'hundred', value: 200 });
WORDS.set('מאות', { kind: 'hundreds' });
WORDS.set('אלף', { kind: 'thousand', value: 1000 });
WORDS.set('אלפיים', { kind: 'thousand', value: 2000 });
WORDS.set('אלפים', { kind: 'thousands' });
for (const [w, word] of [...WORDS]) WORDS.set(foldFinalLetters(w), word);

/** A token as a number word, with a one- or two-letter prefix (ו ב ל מ ה כ ש) split off. */
function lookup(raw: string): { prefix: string; word: Word } | undefined {
  // Words are matched with final letters folded, as transcripts are compared (text/compare.ts).
  const token = foldFinalLetters(raw);
  const direct = WORDS.get(token);
  if (direct) return { prefix: '', word: direct };
  for (const n of [1, 2]) {
    const prefix = token.slice(0, n);
    if (!/^[והבכלמש]+$/u.test(prefix)) continue;
    const word = WORDS.get(token.slice(n));
    if (word) return { prefix, word };
  }
  return undefined;
}

/**
 * Replaces runs of Hebrew number words in a token list with their value in digits:
 * ["מאה", "עשרים", "וחמש", "שקל"] -> ["125", "שקל"]. A prefix other than the conjunction inside
 * a number stays as its own token (בעשר -> ב 10). Words said one by one (אפס חמש אפס) stay
 * separate numbers, as a phone number read digit by digit.
 */
export function hebrewNumberWordsToDigits(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let total = 0; // thousands part
  let current = 0; // below a thousand
  let last: Word['kind'] | undefined; // kind of the previous word in the run
  let lastUnit = 0;
  const flush = (): void => {
    if (last !== undefined) out.push(String(total + current));
    total = 0;
    current = 0;
    last = undefined;
  };
  for (const token of tokens) {
    const hit = lookup(token);
    if (!hit) {
      flush();
      out.push(token);
      continue;
    }
    const { word } = hit;
    // A new number starts when this word cannot continue the previous one.
    const continues =
      last !== undefined &&
      ((word.kind === 'teen10' && last === 'unit' && lastUnit > 0) ||
        (word.kind === 'hundreds' && last === 'unit') ||
        ((word.kind === 'thousand' || word.kind === 'thousands') && last !== 'thousand') ||
        (word.kind === 'unit' &&
          (last === 'ten' ||
            last === 'hundred' ||
            last === 'hundreds' ||
            last === 'thousand' ||
            last === 'thousands')) ||
        ((word.kind === 'ten' || word.kind === 'teen10') &&
          (last === 'hundred' || last === 'hundreds' || last === 'thousand' || last === 'thousands')) ||
        (word.kind === 'hundred' && (last === 'thousand' || last === 'thousands')));
    if (!continues) {
      flush();
      if (hit.prefix !== '') out.push(hit.prefix);
    } else if (hit.prefix !== '' && hit.prefix !== 'ו') {
      flush();
      out.push(hit.prefix);
    }
    switch (word.kind) {
      case 'unit':
        current += word.value;
        lastUnit = word.value;
        break;
      case 'teen10':
        current += 10;
        break;
      case 'ten':
      case 'hundred':
        current += word.value;
        break;
      case 'hundreds':
        current *= 100;
        break;
      case 'thousand':
        total += word.value * (current === 0 ? 1 : current);
        current = 0;
        break;
      case 'thousands':
        total += (current === 0 ? 1 : current) * 1000;
        current = 0;
        break;
    }
    last = word.kind;
  }
  flush();
  return out;
}
