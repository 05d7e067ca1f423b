// Scores and the report of an STT evaluation: per file and overall WER/CER (corpus-level: edits
// summed over files), first-partial and final latencies, for one or two configurations side by
// side. Pure: results in, numbers and Markdown out.
import type { TranscriptNormalization } from '../text/compare.ts';
import { errorRate, scoreTranscript, sumCounts, type EditCounts, type TranscriptScore } from '../text/wer.ts';
import type { StreamFileResult } from './stream-file.ts';

export interface FileOutcome {
  readonly name: string;
  readonly reference: string;
  readonly result: StreamFileResult;
  readonly score: TranscriptScore;
}

export interface ConfigRun {
  readonly label: string;
  /** One line saying what was configured (API, model, encoding, batch, hints). */
  readonly description: string;
  readonly files: readonly FileOutcome[];
}

export interface RunSummary {
  readonly files: number;
  readonly words: EditCounts;
  readonly chars: EditCounts;
  readonly wer: number;
  readonly cer: number;
  readonly firstPartialMs: { readonly p50?: number; readonly p90?: number };
  readonly finalMs: { readonly p50?: number; readonly p90?: number };
  /** Files without any final. */
  readonly noFinal: number;
  readonly errors: number;
}

export function scoreFile(
  name: string,
  reference: string,
  result: StreamFileResult,
  normalization: TranscriptNormalization,
): FileOutcome {
  return { name, reference, result, score: scoreTranscript(reference, result.hypothesis, normalization) };
}

/** Nearest-rank percentile of the defined values. */
export function percentile(values: readonly (number | undefined)[], p: number): number | undefined {
  const v = values.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

export function summarize(run: ConfigRun): RunSummary {
  const words = sumCounts(run.files.map((f) => f.score.words));
  const chars = sumCounts(run.files.map((f) => f.score.chars));
  const partials = run.files.map((f) => f.result.firstPartialMs);
  const finals = run.files.map((f) => f.result.finalMs);
  const p = (values: (number | undefined)[]) => {
    const p50 = percentile(values, 50);
    const p90 = percentile(values, 90);
    return { ...(p50 !== undefined ? { p50 } : {}), ...(p90 !== undefined ? { p90 } : {}) };
  };
  return {
    files: run.files.length,
    words,
    chars,
    wer: errorRate(words),
    cer: errorRate(chars),
    firstPartialMs: p(partials),
    finalMs: p(finals),
    noFinal: run.files.filter((f) => f.result.finals.length === 0).length,
    errors: run.files.reduce((n, f) => n + f.result.errors.length, 0),
  };
}

const pct = (rate: number): string => `${(rate * 100).toFixed(1)} %`;
const ms = (v: number | undefined): string => (v === undefined ? '–' : `${Math.round(v)} ms`);
const counts = (c: EditCounts): string =>
  `${c.substitutions + c.deletions + c.insertions}/${c.reference} (S${c.substitutions} D${c.deletions} I${c.insertions})`;
const cell = (s: string): string => s.replace(/\|/gu, '\\|');

export interface ReportHeader {
  readonly corpus: string;
  readonly normalization: TranscriptNormalization;
  readonly pacing: 'real time' | 'fast';
  readonly target: string;
}

/** The Markdown report: overall table, per-file table, then the transcripts that differ. */
export function renderReport(runs: readonly ConfigRun[], header: ReportHeader): string {
  const sums = runs.map(summarize);
  const names = runs.map((r) => cell(r.label));
  const lines: string[] = [];
  lines.push(`# STT evaluation: ${runs[0]?.files.length ?? 0} recordings from ${header.corpus}`);
  lines.push('');
  lines.push(
    `Recogniser: ${header.target}. Pacing: ${header.pacing}. Normalisation: punctuation, niqqud, ` +
      `final letters, geresh/gershayim forms, format characters; numerals ${header.normalization.numerals ?? 'keep'}.`,
  );
  lines.push('');
  for (const r of runs) lines.push(`- **${r.label}**: ${r.description}`);
  lines.push('');
  lines.push(`| | ${names.join(' | ')} |`);
  lines.push(`|---|${names.map(() => '---').join('|')}|`);
  const row = (title: string, f: (s: RunSummary) => string): void => {
    lines.push(`| ${title} | ${sums.map(f).join(' | ')} |`);
  };
  row('WER', (s) => `${pct(s.wer)}: ${counts(s.words)}`);
  row('CER', (s) => `${pct(s.cer)}: ${counts(s.chars)}`);
  row('first partial p50 / p90', (s) => `${ms(s.firstPartialMs.p50)} / ${ms(s.firstPartialMs.p90)}`);
  row('final p50 / p90', (s) => `${ms(s.finalMs.p50)} / ${ms(s.finalMs.p90)}`);
  row('files without a final', (s) => String(s.noFinal));
  row('STT errors', (s) => String(s.errors));
  lines.push('');
  lines.push('## Per file');
  lines.push('');
  const perRun = (title: string) => names.map((n) => `${title} ${n}`);
  lines.push(
    `| file | ref words | ${[...perRun('WER'), ...perRun('CER'), ...perRun('partial'), ...perRun('final')].join(' | ')} |`,
  );
  lines.push(`|---|---|${runs.map(() => '---|---|---|---').join('|')}|`);
  const files = runs[0]?.files ?? [];
  files.forEach((file, i) => {
    const outcomes = runs.map((r) => r.files[i]!);
    lines.push(
      `| ${cell(file.name)} | ${file.score.words.reference} | ${[
        ...outcomes.map((o) => pct(o.score.wer)),
        ...outcomes.map((o) => pct(o.score.cer)),
        ...outcomes.map((o) => ms(o.result.firstPartialMs)),
        ...outcomes.map((o) => ms(o.result.finalMs)),
      ].join(' | ')} |`,
    );
  });
  const differing = files
    .map((_, i) => runs.map((r) => r.files[i]!))
    .filter((outcomes) => outcomes.some((o) => o.score.wer > 0 || o.result.errors.length > 0));
  if (differing.length > 0) {
    lines.push('');
    lines.push('## Transcripts with errors (normalised words)');
    for (const outcomes of differing) {
      lines.push('');
      lines.push(`**${outcomes[0]!.name}**`);
      lines.push('');
      lines.push(`- reference: ${outcomes[0]!.score.referenceWords.join(' ')}`);
      outcomes.forEach((o, k) => {
        lines.push(`- ${names[k]!}: ${o.score.hypothesisWords.join(' ') || '(nothing)'}`);
        for (const e of o.result.errors) lines.push(`  - STT error: ${e}`);
      });
    }
  }
  return `${lines.join('\n')}\n`;
}
