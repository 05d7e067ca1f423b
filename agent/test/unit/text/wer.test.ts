import { describe, expect, it } from 'vitest';
import { alignCounts, errorRate, scoreTranscript, sumCounts } from '../../../src/text/wer.ts';

const w = (s: string): string[] => (s === '' ? [] : s.split(' '));

describe('alignCounts', () => {
  const table: ReadonlyArray<readonly [string, string, string, [number, number, number]]> = [
    ['identical', 'a b c', 'a b c', [0, 0, 0]],
    ['one substitution', 'a b c', 'a x c', [1, 0, 0]],
    ['one deletion', 'a b c', 'a c', [0, 1, 0]],
    ['one insertion', 'a b c', 'a b x c', [0, 0, 1]],
    ['empty hypothesis', 'a b c', '', [0, 3, 0]],
    ['empty reference', '', 'a b', [0, 0, 2]],
    ['mixed', 'a b c d e', 'x b d e f', [1, 1, 1]],
    ['all different, longer hypothesis', 'a b', 'x y z', [2, 0, 1]],
  ];
  for (const [name, ref, hyp, [s, d, i]] of table) {
    it(name, () => {
      expect(alignCounts(w(ref), w(hyp))).toEqual({
        reference: w(ref).length,
        substitutions: s,
        deletions: d,
        insertions: i,
      });
    });
  }

  it('the total equals the Levenshtein distance on a larger random case', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ref = Array.from({ length: 60 }, () => String(Math.floor(rnd() * 5)));
    const hyp = Array.from({ length: 55 }, () => String(Math.floor(rnd() * 5)));
    // Reference distance by the textbook full table.
    const d = Array.from({ length: ref.length + 1 }, (_, i) =>
      Array.from({ length: hyp.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= ref.length; i++)
      for (let j = 1; j <= hyp.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1),
        );
    const c = alignCounts(ref, hyp);
    expect(c.substitutions + c.deletions + c.insertions).toBe(d[ref.length]![hyp.length]);
    expect(c.reference - c.deletions + c.insertions).toBe(hyp.length);
  });
});

describe('scoreTranscript: WER and CER after Hebrew normalisation', () => {
  it('punctuation, niqqud, final letters, gershayim forms and direction marks are not errors', () => {
    const s = scoreTranscript('שָׁלוֹם, ד"ר כהן! מה שלומך?', '\u200Fשלום ד״ר כהנ מה שלומכ');
    expect(s.wer).toBe(0);
    expect(s.cer).toBe(0);
  });

  it('a wrong word is one word error and its letters are character errors', () => {
    const s = scoreTranscript('אני רוצה לבדוק את ההזמנה', 'אני רוצה לבטל את ההזמנה');
    expect(s.words).toEqual({ reference: 5, substitutions: 1, deletions: 0, insertions: 0 });
    expect(s.wer).toBeCloseTo(0.2, 10);
    // לבדוק -> לבטל: ד->ט, ו->ל, ק deleted = 3 edits over 24 characters (with spaces)
    expect(s.chars.reference).toBe(24);
    expect(s.chars.substitutions + s.chars.deletions + s.chars.insertions).toBe(3);
  });

  it('numerals: words and digits differ when kept, agree in digits mode', () => {
    expect(scoreTranscript('שלושה כרטיסים', '3 כרטיסים').wer).toBe(0.5);
    expect(scoreTranscript('שלושה כרטיסים', '3 כרטיסים', { numerals: 'digits' }).wer).toBe(0);
    expect(scoreTranscript('3.5 קילו', '35 קילו').wer).toBe(0.5);
  });

  it('corpus rates sum edits over files', () => {
    const a = scoreTranscript('א ב ג ד', 'א ב ג ד').words;
    const b = scoreTranscript('א ב', 'א').words;
    const total = sumCounts([a, b]);
    expect(total).toEqual({ reference: 6, substitutions: 0, deletions: 1, insertions: 0 });
    expect(errorRate(total)).toBeCloseTo(1 / 6, 10);
    expect(errorRate({ reference: 0, substitutions: 0, deletions: 0, insertions: 0 })).toBe(0);
  });
});
