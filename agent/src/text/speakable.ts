// Speakable text: a sentence chunk from the splitter made fit for a voice, just before TTS
// (call/speech-pipeline.ts). Markdown goes (its words stay), emoji and symbols a voice would
// spell out go, invisible format characters go, niqqud stays, and numbers are said as a Hebrew
// listener expects (text/spoken-numbers.ts). For a voice that takes SSML the same words come
// with <say-as> for phone numbers, times and dates; the plain text is what the caller hears
// and what the history records. Pure.
import { stripMarkdown } from './markdown.ts';
import { speakNumbers } from './spoken-numbers.ts';
import { FORMAT_CHARS_GLOBAL } from './unicode.ts';

export interface SpeakableOptions {
  /** The synthesiser accepts SSML (Google Wavenet/Standard/Neural2 voices; not Chirp 3 HD). */
  readonly ssml?: boolean;
}

export interface SpeakableText {
  /** What the voice says, as plain text: sent to a plain-text voice and recorded as heard. */
  readonly text: string;
  /** A <speak> document saying the same, when options.ssml is set. */
  readonly ssml?: string;
}

/** Pictographs, their modifiers and joiners, keycap marks, regional-indicator flags. */
const EMOJI =
  /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\u{1F1E6}-\u{1F1FF}\u{E0020}-\u{E007F}]|\uFE0E|\uFE0F|\u20E3/gu;
/** Symbols a voice would name ("חץ", "כוכב") that carry nothing a listener needs. */
const DECORATION = /[→←↑↓↔⇒⇐➔➜➤►▶◀•▪▫◦‣●○■□★☆✓✔✗✘|¦§¶†‡~^]/gu;

/** Abbreviations a voice may spell letter by letter, as words (either gershayim/geresh form). */
const ABBREVIATIONS: Record<string, string> = {
  'ק"ג': 'קילוגרם',
  'ק"מ': 'קילומטר',
  'ס"מ': 'סנטימטר',
  'מ"ר': 'מטר רבוע',
  'ד"ר': 'דוקטור',
  'עו"ד': 'עורך דין',
  'רו"ח': 'רואה חשבון',
  "וכו'": 'וכולי',
  "מס'": 'מספר',
  "רח'": 'רחוב',
  "טל'": 'טלפון',
};
const ABBREVIATION = new RegExp(
  `(?<![\\p{L}])([והבכלמש]{0,2})(${Object.keys(ABBREVIATIONS)
    .map((k) => k.replace(/["']/gu, (q) => (q === '"' ? '["״]' : "['׳]")))
    .join('|')})(?![\\p{L}])`,
  'gu',
);
const expandAbbreviations = (text: string): string =>
  text.replace(ABBREVIATION, (_, prefix: string, abbr: string) => {
    const key = abbr.replace(/״/gu, '"').replace(/׳/gu, "'");
    return `${prefix}${ABBREVIATIONS[key] ?? abbr}`;
  });

/** Dotted abbreviations: always a word, or (labels) a word when a number follows. */
const DOTTED: ReadonlyArray<readonly [RegExp, string]> = [
  [/(?<![\p{L}.])([והבכלמש]{0,2})ת\.ז\./gu, '$1תעודת זהות'],
  [/(?<![\p{L}.])([והבכלמש]{0,2})ת\.ד\./gu, '$1תא דואר'],
  [/(?<![\p{L}.])([והבכלמש]{0,2})רח\.(?=\s)/gu, '$1רחוב'],
  [/(?<![\p{L}.])([והבכלמש]{0,2})שד\.(?=\s)/gu, '$1שדרות'],
  [/(?<![\p{L}.])([והבכלמש]{0,2})פרופ\.(?=\s)/gu, '$1פרופסור'],
  [/(?<![\p{L}.])([והבכלמש]{0,2})טל\.(?=\s*[\d+])/gu, '$1טלפון'],
  [/(?<![\p{L}.])([והבכלמש]{0,2})מס\.(?=\s*\d)/gu, '$1מספר'],
  [/(?<![\p{L}.])([והבכלמש]{0,2})עמ\.(?=\s*\d)/gu, '$1עמוד'],
];

/** Days of the week written as a letter with geresh (א׳ = Sunday ... ו׳ = Friday, ש׳ = Saturday). */
const DAYS: Record<string, string> = {
  א: 'ראשון',
  ב: 'שני',
  ג: 'שלישי',
  ד: 'רביעי',
  ה: 'חמישי',
  ו: 'שישי',
  ש: 'שבת',
};
const DAY = `([אבגדהוש])['׳]`;
const DAY_RANGE = new RegExp(`(?<![\\p{L}])${DAY}\\s?[-–]\\s?${DAY}(?![\\p{L}])`, 'gu');
const DAY_AFTER_WORD = new RegExp(`(?<![\\p{L}])([והבכלמש]{0,2}(?:יום|ימי))\\s+${DAY}(?![\\p{L}])`, 'gu');

function expandDays(text: string): string {
  return text
    .replace(DAY_RANGE, (_, a: string, b: string) => `${DAYS[a]!} עד ${DAYS[b]!}`)
    .replace(DAY_AFTER_WORD, (_, word: string, d: string) => `${word} ${DAYS[d]!}`);
}

function expandDotted(text: string): string {
  let out = text;
  for (const [re, to] of DOTTED) out = out.replace(re, to);
  return out;
}

/** The text before numbers are rendered: markup, emoji and decoration removed, spacing tidied. */
export function cleanForSpeech(sentence: string): string {
  const text = expandDays(
    expandDotted(
      expandAbbreviations(stripMarkdown(sentence.normalize('NFC').replace(FORMAT_CHARS_GLOBAL, ''))),
    ),
  )
    .replace(EMOJI, ' ')
    .replace(DECORATION, ' ')
    .replace(/\s+&\s+/gu, ' ו')
    .replace(/\s+/gu, ' ')
    // A space left before punctuation by a removed emoji ("מצוין 👍.") is not a pause.
    .replace(/\s+([.,!?;:)\]…])/gu, '$1')
    .trim();
  return text;
}

/** A sentence chunk as the voice should receive it; empty text when nothing is left to say. */
export function toSpeakable(sentence: string, options: SpeakableOptions = {}): SpeakableText {
  const cleaned = cleanForSpeech(sentence);
  if (!/[\p{L}\p{N}]/u.test(cleaned)) return { text: '' };
  const pieces = speakNumbers(cleaned);
  const text = pieces
    .map((p) => p.plain)
    .join('')
    .replace(/\s+/gu, ' ')
    .trim();
  if (!options.ssml) return { text };
  const body = pieces
    .map((p) => p.ssml)
    .join('')
    .replace(/\s+/gu, ' ')
    .trim();
  return { text, ssml: `<speak>${body}</speak>` };
}
