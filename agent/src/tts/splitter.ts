// Hebrew-aware incremental sentence splitter for an LLM token stream: text goes in as deltas,
// complete chunks come out as soon as their end is certain, so TTS can start on the first one
// while the model is still writing. Pure and synchronous; the judgements about one position
// (abbreviation, list number, parenthesis, long-sentence cut) live in tts/split-rules.ts.
//
// A chunk ends at . ? ! … (and runs of them, plus closing quotes/brackets and invisible
// direction marks) or a newline, but not:
//   - at a terminator glued to the next character: decimals, times, dates, dotted phone numbers
//     (3.5, 14.30, 1.12.2026, 03.1234567), domains, e-mail addresses, a URL's "?" and "&";
//   - after a Latin or Hebrew initial or dotted abbreviation (J. Smith, א. ב. יהושע, ת.ז.,
//     רח. הרצל, טל. 03-...), or a list number ("1." opening a line or after a colon);
//   - inside a parenthesis opened mid-sentence ("המחיר (כולל מע"מ!) הוא 100 ₪.").
// Geresh/gershayim abbreviations (ד"ר, ת"א, וכו', ש״ח, מס׳) never end a chunk by themselves;
// hyphens inside words or numbers (050-1234567, ב-10:30) never count as clause dashes.
// A decision that depends on the next character waits for it (or for flush()).
// The first chunk may end at a clause (comma or spaced dash) once it has firstChunkMinChars, so
// the first audio starts early (a comma right after a word, outside quotes and parentheses, at
// once: what follows it cannot change the cut); a sentence longer than maxChunkChars is cut at its last clause
// boundary (; : , or a spaced dash), else at a space that does not split a number.
import {
  CLOSERS,
  clauseCut,
  commaEndsClause,
  dotEndsSentence,
  insideInnerParenthesis,
  isFormatChar,
  isNumberLabel,
  isSpace,
  skipFormat,
} from './split-rules.ts';

export interface SentenceSplitterOptions {
  /** Allow the first chunk to end at a comma or spaced dash (default true). */
  readonly firstChunkClause?: boolean;
  /** Characters the first chunk needs before a clause cut is allowed (default 20). */
  readonly firstChunkMinChars?: number;
  /** Safety cut at a word boundary when no sentence end comes (default 220). */
  readonly maxChunkChars?: number;
}

export interface SentenceSplitter {
  /** Adds a delta; returns the chunks it completed (trimmed, never empty). */
  push(delta: string): string[];
  /** Ends the stream: returns whatever remains as final chunks. */
  flush(): string[];
}

const TERMINATORS = new Set(['.', '?', '!', '…']);
const CLAUSE_DASHES = new Set(['-', '–', '—']);

const hasWordChar = (s: string): boolean => /[\p{L}\p{N}]/u.test(s);

type Scan = { kind: 'cut'; end: number } | { kind: 'wait'; resumeAt: number } | { kind: 'none' };

/**
 * The terminator run starting at i: a cut after it (and its closers), a wait for more text,
 * or undefined when it does not end the sentence.
 */
function judgeTerminator(buf: string, i: number, final: boolean): Scan | undefined {
  const len = buf.length;
  let j = i;
  while (j < len && TERMINATORS.has(buf[j] as string)) j++;
  let k = j;
  while (k < len && (CLOSERS.has(buf[k] as string) || isFormatChar(buf[k]))) k++;
  if (k === len && !final) return { kind: 'wait', resumeAt: i };
  // One mark glued to what follows (3.5, ynet.co.il, ?q=1): not an end. Closers and direction
  // marks are not glue; a run ("...טוב") still ends what came before it.
  const after = buf[j];
  const glued = after !== undefined && !isSpace(after) && !CLOSERS.has(after) && !isFormatChar(after);
  if (glued && j - i === 1) return undefined;
  if (j - i === 1 && buf[i] === '.') {
    let w = k;
    while (w < len && (isSpace(buf[w]) || isFormatChar(buf[w]))) w++;
    // A label abbreviation (טל. מס.) ends nothing before a number: see the next word first.
    if (w === len && !final && k === j && isNumberLabel(buf, i)) return { kind: 'wait', resumeAt: i };
    if (!dotEndsSentence(buf, i, buf[w])) return undefined;
  }
  if (insideInnerParenthesis(buf, i)) return undefined;
  return { kind: 'cut', end: skipFormat(buf, k) };
}

/**
 * A comma or spaced dash at i while the first chunk has minChars: a cut there (the first audio
 * starts early), a wait for the next character, or undefined when it is no clause end.
 */
function judgeFirstClause(buf: string, i: number, final: boolean, minChars: number): Scan | undefined {
  const c = buf[i] as string;
  const clauseMark = c === ',' || (CLAUSE_DASHES.has(c) && isSpace(buf[i - 1]));
  if (!clauseMark || buf.slice(0, i).trim().length < minChars) return undefined;
  const next = buf[i + 1];
  // A comma after a word, outside quotes and parentheses, ends the clause whatever follows:
  // cut now instead of waiting a token for the space (the first audio waits on this cut).
  if (c === ',' && commaEndsClause(buf, i)) return { kind: 'cut', end: i + 1 };
  if (next === undefined) return final ? undefined : { kind: 'wait', resumeAt: i };
  return isSpace(next) ? { kind: 'cut', end: i + 1 } : undefined;
}

/** The options with their defaults, checked. */
function resolveOptions(options: SentenceSplitterOptions): Required<SentenceSplitterOptions> {
  const firstChunkClause = options.firstChunkClause ?? true;
  const firstChunkMinChars = options.firstChunkMinChars ?? 20;
  const maxChunkChars = options.maxChunkChars ?? 220;
  if (!Number.isInteger(firstChunkMinChars) || firstChunkMinChars < 1) {
    throw new RangeError(`firstChunkMinChars must be a positive integer, got ${firstChunkMinChars}`);
  }
  if (!Number.isInteger(maxChunkChars) || maxChunkChars < 10) {
    throw new RangeError(`maxChunkChars must be an integer >= 10, got ${maxChunkChars}`);
  }
  return { firstChunkClause, firstChunkMinChars, maxChunkChars };
}

export function createSentenceSplitter(options: SentenceSplitterOptions = {}): SentenceSplitter {
  const { firstChunkClause, firstChunkMinChars, maxChunkChars } = resolveOptions(options);

  let buf = '';
  let scanFrom = 0;
  let emitted = 0;

  const scan = (final: boolean): Scan => {
    const len = buf.length;
    for (let i = scanFrom; i < len; i++) {
      const c = buf[i] as string;
      if (c === '\n') return { kind: 'cut', end: i + 1 };

      if (TERMINATORS.has(c)) {
        const r = judgeTerminator(buf, i, final);
        if (r !== undefined) return r;
        continue;
      }

      if (firstChunkClause && emitted === 0) {
        const r = judgeFirstClause(buf, i, final, firstChunkMinChars);
        if (r !== undefined) return r;
      }

      if (i + 1 >= maxChunkChars) return { kind: 'cut', end: clauseCut(buf, i + 1) };
    }
    return { kind: 'none' };
  };

  const drain = (final: boolean): string[] => {
    const out: string[] = [];
    for (;;) {
      const r = scan(final);
      if (r.kind === 'wait') {
        scanFrom = r.resumeAt;
        return out;
      }
      if (r.kind === 'none') {
        scanFrom = buf.length;
        if (final) {
          const rest = buf.trim();
          buf = '';
          scanFrom = 0;
          if (hasWordChar(rest)) {
            out.push(rest);
            emitted++;
          }
        }
        return out;
      }
      const chunk = buf.slice(0, r.end).trim();
      buf = buf.slice(r.end);
      scanFrom = 0;
      // Punctuation-only pieces (a stray quote, "...") carry nothing to say.
      if (hasWordChar(chunk)) {
        out.push(chunk);
        emitted++;
      }
    }
  };

  return {
    push(delta: string): string[] {
      if (typeof delta !== 'string') throw new TypeError('delta must be a string');
      if (delta === '') return [];
      buf += delta;
      return drain(false);
    },
    flush(): string[] {
      return drain(true);
    },
  };
}
