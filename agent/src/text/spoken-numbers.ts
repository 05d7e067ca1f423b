// Numbers as a Hebrew listener expects to hear them: phone numbers in digit groups, times and
// dates in words, amounts with their currency and agorot, percentages, decimals with "נקודה".
// Each recognised span becomes a piece with a plain rendering (words) and an SSML rendering
// (<say-as> where Google's SSML has a fitting interpretation, else the same words). Pure.
import { numberToHebrew, type Gender } from './hebrew-numbers.ts';

export interface SpokenPiece {
  readonly kind: 'text' | 'number';
  readonly plain: string;
  /** XML-escaped SSML fragment. */
  readonly ssml: string;
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/gu,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]!};`,
  );
}

const MONTHS = [
  'ינואר',
  'פברואר',
  'מרץ',
  'אפריל',
  'מאי',
  'יוני',
  'יולי',
  'אוגוסט',
  'ספטמבר',
  'אוקטובר',
  'נובמבר',
  'דצמבר',
];
const SAYABLE = 1_000_000;

/** A whole number in words when it can be said, else its digits. */
const words = (n: number, g: Gender = 'f'): string => (n < SAYABLE ? numberToHebrew(n, g) : String(n));
/** Digits one by one: 050 -> "אפס חמש אפס". */
const digitWords = (digits: string): string => [...digits].map((d) => numberToHebrew(Number(d))).join(' ');
const sayAs = (interpretAs: string, body: string, format?: string): string =>
  `<say-as interpret-as="${interpretAs}"${format ? ` format="${format}"` : ''}>${escapeXml(body)}</say-as>`;
const spoken = (plain: string, ssml = escapeXml(plain)): SpokenPiece => ({ kind: 'number', plain, ssml });

interface Currency {
  readonly one: string;
  readonly many: string;
  readonly subOne: string;
  readonly subMany: string;
  readonly gender: Gender;
  readonly subGender: Gender;
}
const ILS: Currency = {
  one: 'שקל אחד',
  many: 'שקלים',
  subOne: 'אגורה אחת',
  subMany: 'אגורות',
  gender: 'm',
  subGender: 'f',
};
const USD: Currency = {
  one: 'דולר אחד',
  many: 'דולר',
  subOne: 'סנט אחד',
  subMany: 'סנט',
  gender: 'm',
  subGender: 'm',
};
const EUR: Currency = {
  one: 'אירו אחד',
  many: 'אירו',
  subOne: 'סנט אחד',
  subMany: 'סנט',
  gender: 'm',
  subGender: 'm',
};
const CURRENCY: Record<string, Currency> = {
  '₪': ILS,
  'ש"ח': ILS,
  'ש״ח': ILS,
  שקלים: ILS,
  שקל: ILS,
  $: USD,
  דולר: USD,
  '€': EUR,
  אירו: EUR,
};

/** "3 שקלים": a count agreeing with its noun (שני שקלים, שתי אגורות, שקל אחד). */
function counted(n: number, one: string, many: string, gender: Gender): string {
  if (n === 1) return one;
  if (n === 2) return `${gender === 'm' ? 'שני' : 'שתי'} ${many}`;
  return `${words(n, gender)} ${many}`;
}

function amount(whole: string, cents: string | undefined, c: Currency): SpokenPiece {
  const main = Number(whole.replace(/,/gu, ''));
  const sub = cents === undefined ? 0 : Number(cents.padEnd(2, '0'));
  const mainWords = counted(main, c.one, c.many, c.gender);
  if (sub === 0) return spoken(mainWords);
  const subWords = counted(sub, c.subOne, c.subMany, c.subGender);
  return spoken(main === 0 ? subWords : `${mainWords} ו${subWords}`);
}

type Matcher = (m: RegExpExecArray) => SpokenPiece | undefined;

const MATCHERS: ReadonlyArray<readonly [RegExp, Matcher]> = [
  // URLs and e-mail addresses: left as written (no number inside them is touched), scheme dropped.
  [
    /(?:https?:\/\/|www\.)[^\s<>"]*[^\s<>".,?!)\]]|(?<![\p{L}\p{N}_.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/uy,
    (m) => ({
      kind: 'text',
      plain: m[0].replace(/^https?:\/\//u, ''),
      ssml: escapeXml(m[0].replace(/^https?:\/\//u, '')),
    }),
  ],
  // Israeli phone numbers: 050-1234567, 03 123 4567, +972-3-1234567, 1-800-123-456, 1-700-700-700.
  [
    /(?<![\d+])(\+972[-\s.]?|0)(5\d|7\d|[2-489])[-\s.]?(\d{3})[-\s.]?(\d{4})(?!\d)|(?<!\d)(1)[-\s]?([5-9]\d{2})[-\s]?(\d{3})[-\s]?(\d{3,4})(?!\d)/uy,
    (m) => {
      const groups =
        m[1] !== undefined
          ? [
              m[1].startsWith('+') ? '972' : `0${m[2]!}`,
              ...(m[1].startsWith('+') ? [m[2]!] : []),
              m[3]!,
              m[4]!,
            ]
          : [`${m[5]!}${m[6]!}`, m[7]!, m[8]!];
      const plus = m[1]?.startsWith('+') ? 'פלוס ' : '';
      return spoken(
        plus + groups.map(digitWords).join(', '),
        (plus === '' ? '' : 'פלוס ') + groups.map((g) => sayAs('characters', g)).join(', '),
      );
    },
  ],
  // Star numbers: *2700 -> כוכבית אלפיים ושבע מאות.
  [/(?<![\p{L}\p{N}*])\*(\d{3,5})(?!\d)/uy, (m) => spoken(`כוכבית ${words(Number(m[1]))}`)],
  // Dates: 1.12.2026, 1/12/26, 1/12.
  [
    /(?<![\d./])(\d{1,2})([./])(\d{1,2})\2(\d{4}|\d{2})(?!\d|[./]\d)|(?<![\d./])(\d{1,2})\/(\d{1,2})(?!\d|[./]\d)/uy,
    (m) => {
      const day = Number(m[1] ?? m[5]);
      const month = Number(m[3] ?? m[6]);
      if (day < 1 || day > 31 || month < 1 || month > 12) return undefined;
      const yearText = m[4];
      const year =
        yearText === undefined ? undefined : Number(yearText.length === 2 ? `20${yearText}` : yearText);
      const plain = `${words(day, 'm')} ב${MONTHS[month - 1]!}${year === undefined ? '' : ` ${words(year)}`}`;
      const body = `${day}/${month}${year === undefined ? '' : `/${year}`}`;
      return spoken(plain, sayAs('date', body, year === undefined ? 'dm' : 'dmy'));
    },
  ],
  // Times: 14:30, 9:05, 10:00.
  [
    /(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])/uy,
    (m) => {
      const h = Number(m[1]);
      const min = Number(m[2]);
      const plain =
        min === 0 ? words(h) : min < 10 ? `${words(h)} ו${words(min)} דקות` : `${words(h)} ו${words(min)}`;
      return spoken(plain, sayAs('time', `${m[1]!}:${m[2]!}`, 'hms24'));
    },
  ],
  // Amounts: ₪49.90, $12.5, 1,250 ש"ח, 30 שקלים.
  [
    /([₪$€])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?!\d|\.\d)/uy,
    (m) => amount(m[2]!, m[3], CURRENCY[m[1]!]!),
  ],
  [
    /(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s?(₪|\$|€|ש"ח|ש״ח|שקלים|שקל|דולר|אירו)(?![\p{L}"״])/uy,
    (m) => amount(m[1]!, m[2], CURRENCY[m[3]!]!),
  ],
  // Percentages: 50%, 7.5 %.
  [
    /(?<![\d.])(\d+)(?:\.(\d+))?\s?%/uy,
    (m) =>
      spoken(
        m[2] === undefined
          ? `${words(Number(m[1]), 'm')} אחוז`
          : `${words(Number(m[1]))} נקודה ${digitWords(m[2])} אחוז`,
      ),
  ],
  // Long digit strings (order, ID and account numbers, 7+ digits) in groups of three, digit by digit.
  [
    /(?<![\d.,:/])\d{7,}(?!\d|[.,:/]\d)/uy,
    (m) => {
      const groups = m[0].match(/\d{1,3}/gu)!;
      // A lone last digit joins the group before it: 1234567 -> 123, 4567.
      if (groups.length > 1 && groups.at(-1)!.length === 1)
        groups.splice(-2, 2, groups.at(-2)! + groups.at(-1)!);
      return spoken(groups.map(digitWords).join(', '), groups.map((g) => sayAs('characters', g)).join(', '));
    },
  ],
  // Ranges between small numbers: 10-12 -> עשר עד שתים עשרה.
  [
    /(?<![\d.,:/])(?<!\d[-–])(\d{1,4})\s?[-–]\s?(\d{1,4})(?![\d.,:/-])/uy,
    (m) => spoken(`${words(Number(m[1]))} עד ${words(Number(m[2]))}`),
  ],
  // Decimals: 3.5 -> שלוש נקודה חמש.
  [
    /(?<![\d.,])(\d+)\.(\d+)(?!\d|\.\d)/uy,
    (m) => spoken(`${words(Number(m[1]))} נקודה ${digitWords(m[2]!)}`),
  ],
  // Thousands separators: 1,250 -> 1250 (read as one number, not "one, two hundred fifty").
  [/(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])/uy, (m) => spoken(m[0].replace(/,/gu, ''))],
];

/** Splits text into plain text and spoken-number pieces. */
export function speakNumbers(text: string): SpokenPiece[] {
  const pieces: SpokenPiece[] = [];
  let plainStart = 0;
  const pushText = (end: number): void => {
    if (end > plainStart) {
      const t = text.slice(plainStart, end);
      pieces.push({ kind: 'text', plain: t, ssml: escapeXml(t) });
    }
  };
  let i = 0;
  while (i < text.length) {
    let advanced = false;
    for (const [re, render] of MATCHERS) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (!m) continue;
      const piece = render(m);
      if (!piece) continue;
      pushText(i);
      pieces.push(piece);
      i += m[0].length;
      plainStart = i;
      advanced = true;
      break;
    }
    if (!advanced) i++;
  }
  pushText(text.length);
  return joinRanges(gluePrefixes(pieces));
}

/** A dash between two spoken numbers is a range: 9:00-18:00 -> תשע עד שמונה עשרה. */
function joinRanges(pieces: SpokenPiece[]): SpokenPiece[] {
  return pieces.map((p, i) =>
    p.kind === 'text' &&
    /^\s*[-–—]\s*$/u.test(p.plain) &&
    pieces[i - 1]?.kind === 'number' &&
    pieces[i + 1]?.kind === 'number'
      ? { kind: 'text', plain: ' עד ', ssml: ' עד ' }
      : p,
  );
}

/**
 * A Hebrew prefix written with a hyphen before a number (ב-10:30, ל-050...) joins the spoken
 * words (בעשר ושלושים); an SSML <say-as> cannot take a prefix, so such a piece is spoken as words.
 */
function gluePrefixes(pieces: SpokenPiece[]): SpokenPiece[] {
  const out: SpokenPiece[] = [];
  for (const p of pieces) {
    const prev = out[out.length - 1];
    const prefix = /(?:^|[^\p{L}])([והבכלמש]{1,3})[-־]$/u;
    if (p.kind === 'number' && prev?.kind === 'text' && prefix.test(prev.plain)) {
      const cut = prev.plain.slice(0, -1);
      out[out.length - 1] = { kind: 'text', plain: cut, ssml: escapeXml(cut) };
      out.push({ kind: 'number', plain: p.plain, ssml: escapeXml(p.plain) });
    } else out.push(p);
  }
  return out;
}
