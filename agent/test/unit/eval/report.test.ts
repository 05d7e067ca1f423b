import { describe, expect, it } from 'vitest';
import { percentile, renderReport, scoreFile, summarize, type ConfigRun } from '../../../src/eval/report.ts';
import type { StreamFileResult } from '../../../src/eval/stream-file.ts';

const result = (
  hypothesis: string,
  firstPartialMs?: number,
  finalMs?: number,
  errors: string[] = [],
): StreamFileResult => ({
  hypothesis,
  finals: hypothesis === '' ? [] : [hypothesis],
  utterances: 1,
  firstPartialMs,
  finalMs,
  audioMs: 1000,
  errors,
});

const runA: ConfigRun = {
  label: 'A',
  description: 'v1 · model latest_short',
  files: [
    scoreFile('one', 'אני רוצה לבדוק את ההזמנה', result('אני רוצה לבטל את ההזמנה', 300, 700), {}),
    scoreFile('two', 'כן תודה', result('כן תודה', 200, 500), {}),
    scoreFile('three', 'שלום', result('', undefined, undefined, ['UNAVAILABLE: down']), {}),
  ],
};
const runB: ConfigRun = {
  label: 'B|x',
  description: 'v2 · model telephony',
  files: [
    scoreFile('one', 'אני רוצה לבדוק את ההזמנה', result('אני רוצה לבדוק את ההזמנה', 250, 600), {}),
    scoreFile('two', 'כן תודה', result('כן תודה רבה', 150, 400), {}),
    scoreFile('three', 'שלום', result('שלום', 100, 300), {}),
  ],
};

describe('STT evaluation report', () => {
  it('percentiles by nearest rank, ignoring missing values', () => {
    expect(percentile([3, undefined, 1, 2], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([undefined], 50)).toBeUndefined();
  });

  it('sums edits over files for the overall rates', () => {
    const a = summarize(runA);
    expect(a.words).toEqual({ reference: 8, substitutions: 1, deletions: 1, insertions: 0 });
    expect(a.wer).toBeCloseTo(2 / 8, 10);
    expect(a.noFinal).toBe(1);
    expect(a.errors).toBe(1);
    expect(a.firstPartialMs).toEqual({ p50: 200, p90: 300 });
    expect(summarize(runB).words).toEqual({ reference: 8, substitutions: 0, deletions: 0, insertions: 1 });
  });

  it('renders both configurations side by side with the transcripts that differ', () => {
    const md = renderReport([runA, runB], {
      corpus: 'calls/',
      normalization: { numerals: 'digits' },
      pacing: 'real time',
      target: 'Google Cloud Speech-to-Text',
    });
    expect(md).toContain('# STT evaluation: 3 recordings from calls/');
    expect(md).toContain('numerals digits');
    expect(md).toContain('| | A | B\\|x |'); // a pipe in a label cannot break the table
    expect(md).toContain('| WER | 25.0 %: 2/8 (S1 D1 I0) | 12.5 %: 1/8 (S0 D0 I1) |');
    expect(md).toContain('| first partial p50 / p90 | 200 ms / 300 ms | 150 ms / 250 ms |');
    expect(md).toContain('| files without a final | 1 | 0 |');
    expect(md).toContain('| one | 5 | 20.0 % | 0.0 % |');
    expect(md).toContain('| three | 1 | 100.0 % | 0.0 % |');
    expect(md).toContain('- A: (nothing)\n  - STT error: UNAVAILABLE: down');
    expect(md).toContain('- B\\|x: כנ תודה רבה');
  });
});
