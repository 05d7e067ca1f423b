// How finished a (Hebrew) transcript looks, for end-of-turn and preemptive decisions. Pure.
//   complete    ends a sentence (. ? ! …) and that last "sentence" is not a dangling word or an
//               abbreviation whose dot only marks the abbreviation;
//   open        no sentence end, but nothing says more must follow (Google's interims carry no
//               punctuation: most finished utterances look like this);
//   incomplete  the last word needs a continuation: a preposition, conjunction, article-like
//               function word, a trailing comma/maqaf/colon, or an abbreviation.
// Also: joining consecutive finals without repeating the words the recognizer repeated.

export type Completeness = 'complete' | 'open' | 'incomplete';

const SENTENCE_END = /[.?!…]+["'”’״׳)\]]*$/u;
const CONTINUATION_END = /[,،;:\-־–—]["'”’)\]]*$/u;
const EDGE_PUNCTUATION = /^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu;

/**
 * Words that cannot end a Hebrew utterance: prepositions, conjunctions, the accusative marker,
 * relativisers and determiners that govern what follows, a bare subject pronoun. Words that can
 * answer a question on their own ("לא", "כמה?", "אפשר?", "רוצה") are deliberately not here.
 */
const DANGLING = new Set([
  'את',
  'של',
  'עם',
  'על',
  'אל',
  'מן',
  'לפני',
  'אחרי',
  'בין',
  'בלי',
  'כמו',
  'עד',
  'מול',
  'ליד',
  'אצל',
  'בשביל',
  'לגבי',
  'בגלל',
  'כדי',
  // "I'm calling regarding / about / for / instead of / despite / according to ..."
  'בקשר',
  'בנוגע',
  'עבור',
  'במקום',
  'למרות',
  'לפי',
  'לקראת',
  'כלפי',
  'לעומת',
  'בתוך',
  'מתוך',
  'כאשר',
  'ו',
  'ש',
  'ה',
  'ב',
  'ל',
  'מ',
  'כ',
  'או',
  'אבל',
  'אלא',
  'גם',
  'אם',
  'כי',
  'כש',
  'אשר',
  'שהוא',
  'שהיא',
  'הכי',
  'כל',
  'אני',
  'אתה',
  'את',
  'אנחנו',
  'and',
  'or',
  'the',
  'a',
  'to',
  'of',
  'with',
]);

/** Abbreviations written with a dot (Hebrew and Latin), compared without the dot. */
const ABBREVIATIONS = new Set([
  'רח',
  'מס',
  'עמ',
  'שד',
  'ת.ז',
  'ד"ר',
  'פרופ',
  'גב',
  'מר',
  'סמ',
  'כנ"ל',
  'וכו',
  'בע"מ',
  'dr',
  'mr',
  'mrs',
  'ms',
  'st',
  'no',
  'vs',
  'etc',
  'inc',
  'ltd',
]);

function lastWord(text: string): string {
  const words = text.trim().split(/\s+/);
  return words[words.length - 1] ?? '';
}

/** The last word is an abbreviation (or a lone letter or number) whose trailing dot is not a sentence end. */
export function endsWithAbbreviation(text: string): boolean {
  const t = text.trim();
  if (!/\.$/u.test(t) || /[?!…]\.?$/u.test(t)) return false;
  const word = lastWord(t).replace(/\.+$/u, '');
  const bare = word.replace(EDGE_PUNCTUATION, '').toLowerCase();
  if (bare === '') return false;
  if (ABBREVIATIONS.has(bare) || ABBREVIATIONS.has(word.toLowerCase())) return true;
  // One letter ("א.", "B."), a geresh abbreviation ("מס'."), dotted initials ("ת.ז.").
  return /^\p{L}$/u.test(bare) || /['׳"״]$/u.test(word) || /\p{L}\.\p{L}/u.test(word);
}

/** The last word (punctuation stripped) is one that needs a continuation. */
export const endsWithDanglingWord: (text: string) => boolean = memoByText((text) => {
  const word = lastWord(text).replace(EDGE_PUNCTUATION, '').toLowerCase();
  return word !== '' && DANGLING.has(word);
});

/** Words that open a Hebrew question (its end may be level or high: not a hold cue). */
const QUESTION_OPENERS = new Set([
  'מה',
  'מתי',
  'איפה',
  'איך',
  'למה',
  'מדוע',
  'כמה',
  'האם',
  'מי',
  'איזה',
  'איזו',
  'אילו',
  'לאן',
  'מאיפה',
  'כיצד',
  'אפשר',
  'תוכל',
  'תוכלי',
  'תוכלו',
  'what',
  'when',
  'where',
  'how',
  'why',
  'who',
  'which',
  'can',
  'could',
  'is',
  'are',
  'do',
  'does',
]);

/**
 * The transcript reads as a question: it ends with a question mark, or its first word (or the
 * word after a leading "ו"/"אז") opens one.
 */
export const looksLikeQuestion: (text: string) => boolean = memoByText(questionLike);

function questionLike(text: string): boolean {
  const t = text.trim();
  if (/[?？]["'”’)\]]*$/u.test(t)) return true;
  const words = t
    .split(/\s+/)
    .map(comparable)
    .filter((w) => w !== '');
  const first = words[0] === 'אז' ? words[1] : words[0];
  if (first === undefined) return false;
  return QUESTION_OPENERS.has(first) || (first.startsWith('ו') && QUESTION_OPENERS.has(first.slice(1)));
}

/**
 * Remembers a pure function's answers per text. The endpointer asks about the same few texts on
 * every frame and tick of every open utterance, and the calls of a process interleave: a memo of
 * the last text alone missed whenever another call's frame came in between (most of the time
 * with a hundred calls). Bounded: emptied when full (the texts of live utterances return at once).
 */
function memoByText<T>(fn: (text: string) => T, max = 2048): (text: string) => T {
  const answers = new Map<string, T>();
  return (text) => {
    const known = answers.get(text);
    if (known !== undefined) return known;
    const answer = fn(text);
    if (answers.size >= max) answers.clear();
    answers.set(text, answer);
    return answer;
  };
}

export const transcriptCompleteness: (text: string) => Completeness = memoByText(completenessOf);

function completenessOf(text: string): Completeness {
  const t = text.trim();
  if (t === '') return 'incomplete';
  if (CONTINUATION_END.test(t) || endsWithDanglingWord(t) || endsWithAbbreviation(t)) return 'incomplete';
  return SENTENCE_END.test(t) ? 'complete' : 'open';
}

export const comparable = (w: string): string => w.replace(EDGE_PUNCTUATION, '').toLowerCase();

/**
 * `after` is `before` with only its last word revised the way a recognizer revises an unstable
 * tail: that word replaced by another, dropped, or one word added after it (the rest equal).
 */
export function revisesLastWord(before: string, after: string): boolean {
  const a = before.trim().split(/\s+/).map(comparable);
  const b = after.trim().split(/\s+/).map(comparable);
  if (a[0] === '' || b[0] === '') return false;
  const head = a.length - 1;
  for (let i = 0; i < Math.min(head, b.length); i++) if (a[i] !== b[i]) return false;
  if (b.length === head) return true; // dropped
  if (b.length === a.length) return a[head] !== b[head]; // replaced
  return b.length === a.length + 1 && a[head] === b[head]; // one word added
}

/**
 * Joins consecutive pieces of one utterance (finals, then the live interim): when `next` starts
 * with the last 1-3 words of `previous` (Google may repeat them after a mid-utterance final),
 * they are said once. A sentence end the recognizer put on an incomplete piece is dropped.
 */
export function joinTranscriptPieces(previous: string, next: string): string {
  const prev = previous.trim();
  const nxt = next.trim();
  if (prev === '') return nxt;
  if (nxt === '') return prev;
  const p = prev.split(/\s+/);
  const n = nxt.split(/\s+/);
  let overlap = 0;
  for (let k = Math.min(3, p.length, n.length - 1); k >= 1; k--) {
    const tail = p.slice(-k).map(comparable);
    const head = n.slice(0, k).map(comparable);
    if (tail.every((w, i) => w !== '' && w === head[i])) {
      overlap = k;
      break;
    }
  }
  // "אני רוצה לבדוק את." + "ההזמנה שלי." : the first dot was not the end of a sentence.
  const head =
    transcriptCompleteness(prev.replace(/[.]+$/u, '')) === 'incomplete' ? prev.replace(/[.]+$/u, '') : prev;
  return `${head} ${n.slice(overlap).join(' ')}`;
}
