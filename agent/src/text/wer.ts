// Word and character error rates by edit-distance alignment (substitutions, deletions,
// insertions against the reference), on transcripts already normalised for Hebrew
// (text/compare.ts transcriptWords). Pure.
import { transcriptWords, type TranscriptNormalization } from './compare.ts';

export interface EditCounts {
  /** Units in the reference (words or characters). */
  readonly reference: number;
  readonly substitutions: number;
  readonly deletions: number;
  readonly insertions: number;
}

/** Edits per reference unit. With an empty reference: 0 when nothing was inserted, else the insertion count. */
export function errorRate(c: EditCounts): number {
  const errors = c.substitutions + c.deletions + c.insertions;
  if (c.reference === 0) return errors === 0 ? 0 : errors;
  return errors / c.reference;
}

/**
 * The minimum-edit alignment of `hyp` to `ref` (Levenshtein). Ties prefer the diagonal (match or
 * substitution), then a deletion, so the counts are deterministic. O(n*m) time; a backtrace
 * table of n*m bytes.
 */
export function alignCounts<T>(ref: readonly T[], hyp: readonly T[]): EditCounts {
  const n = ref.length;
  const m = hyp.length;
  // cost[i][j] for ref[0..i) vs hyp[0..j); op: 0 match, 1 sub, 2 del, 3 ins.
  const op = new Uint8Array((n + 1) * (m + 1));
  let prev = new Uint32Array(m + 1);
  let row = new Uint32Array(m + 1);
  for (let j = 1; j <= m; j++) {
    prev[j] = j;
    op[j] = 3;
  }
  for (let i = 1; i <= n; i++) {
    row[0] = i;
    op[i * (m + 1)] = 2;
    for (let j = 1; j <= m; j++) {
      const same = ref[i - 1] === hyp[j - 1];
      const diag = prev[j - 1]! + (same ? 0 : 1);
      const del = prev[j]! + 1;
      const ins = row[j - 1]! + 1;
      let best = diag;
      let o = same ? 0 : 1;
      if (del < best) {
        best = del;
        o = 2;
      }
      if (ins < best) {
        best = ins;
        o = 3;
      }
      row[j] = best;
      op[i * (m + 1) + j] = o;
    }
    [prev, row] = [row, prev];
  }
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  for (let i = n, j = m; i > 0 || j > 0;) {
    const o = op[i * (m + 1) + j]!;
    if (o === 0 || o === 1) {
      if (o === 1) substitutions++;
      i--;
      j--;
    } else if (o === 2) {
      deletions++;
      i--;
    } else {
      insertions++;
      j--;
    }
  }
  return { reference: n, substitutions, deletions, insertions };
}

export interface TranscriptScore {
  readonly words: EditCounts;
  readonly chars: EditCounts;
  readonly wer: number;
  readonly cer: number;
  /** The normalised word sequences that were compared. */
  readonly referenceWords: readonly string[];
  readonly hypothesisWords: readonly string[];
}

/** WER and CER of a hypothesis against a reference, after Hebrew normalisation. */
export function scoreTranscript(
  reference: string,
  hypothesis: string,
  options: TranscriptNormalization = {},
): TranscriptScore {
  const referenceWords = transcriptWords(reference, options);
  const hypothesisWords = transcriptWords(hypothesis, options);
  const words = alignCounts(referenceWords, hypothesisWords);
  // Characters of the words with single spaces between them (spacing errors count once).
  const chars = alignCounts([...referenceWords.join(' ')], [...hypothesisWords.join(' ')]);
  return { words, chars, wer: errorRate(words), cer: errorRate(chars), referenceWords, hypothesisWords };
}

/** Corpus-level counts: edits and reference units summed over files (not a mean of rates). */
export function sumCounts(counts: readonly EditCounts[]): EditCounts {
  return counts.reduce<EditCounts>(
    (a, c) => ({
      reference: a.reference + c.reference,
      substitutions: a.substitutions + c.substitutions,
      deletions: a.deletions + c.deletions,
      insertions: a.insertions + c.insertions,
    }),
    { reference: 0, substitutions: 0, deletions: 0, insertions: 0 },
  );
}
