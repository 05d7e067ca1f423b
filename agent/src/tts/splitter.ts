// Hebrew-aware incremental sentence splitter for an LLM token stream: text goes in as deltas,
// complete chunks come out as soon as their end is certain, so TTS can start on the first one
// while the model is still writing. Pure and synchronous.
//
// A chunk ends at . ? ! … (and runs of them, plus closing quotes/brackets) or a newline, but not:
//   - inside numbers: decimals and dotted phone numbers (3.5, 03.1234567), thousands (1,000);
//   - at a dot glued to the next character (domains, "e.g.") or after a Latin initial / title;
//   - hyphens inside words or numbers (050-1234567, ב-10:30) never count as clause dashes.
// Geresh/gershayim abbreviations (ד"ר, ת"א, וכו', עו"ד, מס') never end a chunk by themselves.
// A decision that depends on the next character waits for it (or for flush()).
// The first chunk may end at a clause (comma or spaced dash) once it has firstChunkMinChars, so
// the first audio starts early; any chunk is cut at a word boundary at maxChunkChars.

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
const CLOSERS = new Set(['"', "'", '”', '’', '״', '׳', ')', ']', '}', '»']);
const CLAUSE_DASHES = new Set(['-', '–', '—']);
/** Latin titles that take a dot and never end a sentence (lower case). */
const LATIN_TITLES = new Set(['dr', 'mr', 'mrs', 'ms', 'prof', 'st', 'vs', 'no']);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/u.test(c);
const hasWordChar = (s: string): boolean => /[\p{L}\p{N}]/u.test(s);

type Scan = { kind: 'cut'; end: number } | { kind: 'wait'; resumeAt: number } | { kind: 'none' };

export function createSentenceSplitter(options: SentenceSplitterOptions = {}): SentenceSplitter {
  const firstChunkClause = options.firstChunkClause ?? true;
  const firstChunkMinChars = options.firstChunkMinChars ?? 20;
  const maxChunkChars = options.maxChunkChars ?? 220;
  if (!Number.isInteger(firstChunkMinChars) || firstChunkMinChars < 1) {
    throw new RangeError(`firstChunkMinChars must be a positive integer, got ${firstChunkMinChars}`);
  }
  if (!Number.isInteger(maxChunkChars) || maxChunkChars < 10) {
    throw new RangeError(`maxChunkChars must be an integer >= 10, got ${maxChunkChars}`);
  }

  let buf = '';
  let scanFrom = 0;
  let emitted = 0;

  /** Is the dot at i an ordinary full stop (given that the character after it is known or absent)? */
  const dotEndsSentence = (i: number): boolean => {
    const prev = buf[i - 1];
    const next = buf[i + 1];
    if (isDigit(prev) && isDigit(next)) return false; // 3.5, 03.1234567
    if (next !== undefined && !isSpace(next) && !CLOSERS.has(next)) return false; // ynet.co.il
    const word = /([A-Za-z]+)$/.exec(buf.slice(0, i))?.[1];
    if (word !== undefined && (word.length === 1 || LATIN_TITLES.has(word.toLowerCase()))) return false;
    return true;
  };

  const scan = (final: boolean): Scan => {
    const len = buf.length;
    for (let i = scanFrom; i < len; i++) {
      const c = buf[i] as string;
      if (c === '\n') return { kind: 'cut', end: i + 1 };

      if (TERMINATORS.has(c)) {
        let j = i;
        while (j < len && TERMINATORS.has(buf[j] as string)) j++;
        if (j === len && !final) return { kind: 'wait', resumeAt: i };
        if (j - i === 1 && c === '.' && !dotEndsSentence(i)) continue;
        let k = j;
        while (k < len && CLOSERS.has(buf[k] as string)) k++;
        if (k === len && !final) return { kind: 'wait', resumeAt: i };
        return { kind: 'cut', end: k };
      }

      const clauseMark = c === ',' || (CLAUSE_DASHES.has(c) && isSpace(buf[i - 1]));
      if (
        clauseMark &&
        firstChunkClause &&
        emitted === 0 &&
        buf.slice(0, i).trim().length >= firstChunkMinChars
      ) {
        const next = buf[i + 1];
        if (next === undefined) {
          if (!final) return { kind: 'wait', resumeAt: i };
        } else if (isSpace(next)) {
          return { kind: 'cut', end: i + 1 };
        }
      }

      if (i + 1 >= maxChunkChars) return { kind: 'cut', end: safetyCut(i + 1) };
    }
    return { kind: 'none' };
  };

  /** Where to cut an over-long chunk: after the last comma, else the last space, else hard. */
  const safetyCut = (limit: number): number => {
    const head = buf.slice(0, limit);
    const comma = head.lastIndexOf(', ');
    if (comma >= limit / 2) return comma + 1;
    const space = head.search(/\s\S*$/u);
    return space > 0 ? space : limit;
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
