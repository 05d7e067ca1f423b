// The turn benchmark's figures from the agent's turn records, whichever way they were collected:
// in-process (the session's records) or from the agent process's [LATENCY] log lines (the same
// fields, call/turn-record.ts turnLogFields, with no transcript: the log never carries one).
// Pure: samples in, numbers and Markdown lines out.
import { normalizeHebrew } from '../src/text/compare.ts';

/** One turn record: turnLogFields (ms relative to the caller's speech end) and its call. */
export interface TurnSample {
  readonly callSid: string;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Only in-process (false cuts and wrong words need it). */
  readonly transcript?: string;
}

const num = (s: TurnSample, k: string): number | undefined => {
  const v = s.fields[k];
  return typeof v === 'number' ? v : undefined;
};
const str = (s: TurnSample, k: string): string | undefined => {
  const v = s.fields[k];
  return typeof v === 'string' ? v : undefined;
};

/** Withdrawn before any answer audio: the caller resumed (turn/take-back.ts). Not a caller turn. */
export function isTakenBack(s: TurnSample): boolean {
  return str(s, 'outcome') === 'takenBack';
}

export function pct(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export const fmt = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(3));

const STAGES: ReadonlyArray<[string, string]> = [
  ['first partial', 'firstPartialMs'],
  ['final / early final', 'finalMs'],
  ['LLM request', 'llmRequestMs'],
  ['LLM first token', 'llmFirstTokenMs'],
  ['first sentence', 'firstSentenceMs'],
  ['TTS request', 'ttsRequestMs'],
  ['TTS first audio', 'ttsFirstAudioMs'],
  ['**total: first frame sent**', 'firstFrameSentMs'],
];

/** Seconds from the caller's speech end to `key` over the caller turns (taken-back ones excluded). */
export function stageSeconds(samples: readonly TurnSample[], key: string): number[] {
  return samples.flatMap((s) => {
    const v = isTakenBack(s) ? undefined : num(s, key);
    return v === undefined ? [] : [v / 1000];
  });
}

export function stageTable(samples: readonly TurnSample[], callerGapsS: readonly number[]): string[] {
  const rows: Array<[string, number[]]> = [
    ...STAGES.map(([name, key]): [string, number[]] => [name, stageSeconds(samples, key)]),
    ['caller gap (simulator: WAV end -> agent audio playing)', [...callerGapsS]],
  ];
  return [
    '| stage (s from caller speech end, agent VAD) | n | p50 | p95 | p99 | max |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      ([name, v]) =>
        `| ${name} | ${v.length} | ${fmt(pct(v, 50))} | ${fmt(pct(v, 95))} | ${fmt(pct(v, 99))} | ${fmt(pct(v, 100))} |`,
    ),
  ];
}

/** Total of `key` over all records (taken-back ones cost too) per caller turn. */
export function perTurn(samples: readonly TurnSample[], key: string): string {
  const total = samples.reduce((a, s) => a + (num(s, key) ?? 0), 0);
  const n = samples.filter((s) => !isTakenBack(s)).length;
  return `${(total / Math.max(1, n)).toFixed(2)} (${total} for ${n} turns)`;
}

export function countBy(samples: readonly TurnSample[], key: string, callerTurnsOnly = true): string {
  const m = new Map<string, number>();
  for (const s of samples) {
    if (callerTurnsOnly && isTakenBack(s)) continue;
    const k = str(s, key) ?? '-';
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].map(([k, v]) => `${k} ${v}`).join(', ');
}

export interface FalseCuts {
  /** Lines answered on a strict piece of themselves, heard or committed. */
  readonly cut: number;
  /** Turns whose words are in no line (a revised tail answered as heard). */
  readonly wrong: number;
  /** Turns taken back (the caller resumed before any answer audio). */
  readonly resumed: number;
  readonly utterances: number;
  readonly byFixture: string;
}

/**
 * Pause set. A false cut: the agent ended a turn on only part of a line (the caller was still
 * mid-sentence: the turn's transcript is a strict piece of the line) AND that cost the caller
 * something: its answer was heard or the turn was committed to the conversation (every outcome
 * but 'takenBack'). A turn taken back (withdrawn silently before any answer audio, nothing
 * committed) is a resumption, not a false cut.
 */
export function falseCuts(
  byCall: ReadonlyMap<string, readonly TurnSample[]>,
  names: readonly string[],
  lines: ReadonlyMap<string, string>,
): FalseCuts {
  const expected = names.map((u) => normalizeHebrew((lines.get(u) ?? '').replace(/\s*\|\s*/g, ' ')));
  const perFixture = new Map<string, number>();
  let cut = 0;
  let wrong = 0;
  let resumed = 0;
  for (const samples of byCall.values()) {
    const partial = new Set<number>();
    let u = 0;
    for (const s of samples) {
      if (isTakenBack(s)) {
        resumed++;
        continue;
      }
      const t = normalizeHebrew(s.transcript ?? '');
      let k = u;
      while (k < expected.length && !expected[k]!.includes(t)) k++;
      if (k === expected.length) {
        wrong++;
        continue;
      }
      u = k;
      if (t !== expected[k]) partial.add(k);
    }
    for (const k of partial) {
      cut++;
      perFixture.set(names[k]!, (perFixture.get(names[k]!) ?? 0) + 1);
    }
  }
  const byFixture = [...perFixture].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return { cut, wrong, resumed, utterances: byCall.size * names.length, byFixture };
}

/**
 * Where an answer's time goes, per turn (not differences of percentiles): the model's time to
 * first token as the agent saw it (from its request to the token's arrival, a kept guess's
 * included), whether the turn waited on the model or the model's text waited on the decision,
 * and the synthesis of the first sentence (from its request, speculative or not, to its audio).
 */
export function turnSpans(samples: readonly TurnSample[]): string[] {
  const turns = samples.filter((s) => !isTakenBack(s));
  const span = (from: string, to: string): number[] =>
    turns.flatMap((s) => {
      const a = num(s, from);
      const b = num(s, to);
      return a === undefined || b === undefined ? [] : [(b - a) / 1000];
    });
  const row = (name: string, v: number[]): string =>
    `${name} p50 ${fmt(pct(v, 50))} / p95 ${fmt(pct(v, 95))} s (n ${v.length})`;
  const tokenAfterDecision = turns.filter((s) => {
    const token = num(s, 'llmFirstTokenArrivedMs');
    const decided = num(s, 'finalMs');
    return token !== undefined && decided !== undefined && token > decided;
  }).length;
  const audioBeforeDecision = turns.filter((s) => {
    const audio = num(s, 'ttsFirstAudioMs');
    const decided = num(s, 'finalMs');
    return audio !== undefined && decided !== undefined && audio <= decided;
  }).length;
  return [
    `per turn: ${row('LLM request -> first token arrived', span('llmRequestMs', 'llmFirstTokenArrivedMs'))}; ${row('decided -> first token used', span('finalMs', 'llmFirstTokenMs'))}`,
    `per turn: ${row('TTS request -> first audio', span('ttsRequestMs', 'ttsFirstAudioMs'))}; ${row('decided -> first frame sent', span('finalMs', 'firstFrameSentMs'))}`,
    `first token arrived after the decision in ${tokenAfterDecision}/${turns.length} turns; first audio in hand at the decision (speculative) in ${audioBeforeDecision}/${turns.length}`,
  ];
}

/**
 * The slowest 10 % of turns (by total) and what each of them waited on: a miss
 * or a restarted guess, a late request (+0.3 s or more after the speech end), a slow first token
 * or a slow first synthesis (at or above that span's p90 over all turns), or the decision itself
 * (the first audio was ready before the turn was decided). A turn can count under several causes.
 */
export function tailCauses(samples: readonly TurnSample[], shown = 8): string[] {
  const turns = samples.filter((s) => !isTakenBack(s) && num(s, 'firstFrameSentMs') !== undefined);
  if (turns.length === 0) return [];
  const total = (s: TurnSample): number => num(s, 'firstFrameSentMs')!;
  const span = (s: TurnSample, from: string, to: string): number | undefined => {
    const a = num(s, from);
    const b = num(s, to);
    return a === undefined || b === undefined ? undefined : b - a;
  };
  const spanP90 = (from: string, to: string): number =>
    pct(
      turns.flatMap((s) => span(s, from, to) ?? []),
      90,
    ) ?? Infinity;
  const tokenP90 = spanP90('llmRequestMs', 'llmFirstTokenArrivedMs');
  const ttsP90 = spanP90('ttsRequestMs', 'ttsFirstAudioMs');
  const tail = [...turns].sort((a, b) => total(b) - total(a)).slice(0, Math.ceil(turns.length / 10));
  const causes = (s: TurnSample): string[] => {
    const out: string[] = [];
    if (str(s, 'preemptive') === 'miss') out.push('miss');
    if ((num(s, 'preemptiveStarts') ?? 0) > 1) out.push('restarted');
    if ((num(s, 'llmRequestMs') ?? 0) >= 300) out.push('late request');
    if ((span(s, 'llmRequestMs', 'llmFirstTokenArrivedMs') ?? 0) >= tokenP90) out.push('slow first token');
    if ((span(s, 'ttsRequestMs', 'ttsFirstAudioMs') ?? 0) >= ttsP90) out.push('slow synthesis');
    const decided = num(s, 'finalMs');
    const audio = num(s, 'ttsFirstAudioMs');
    if (decided !== undefined && audio !== undefined && decided >= audio) out.push('decision');
    return out;
  };
  const counts = new Map<string, number>();
  for (const s of tail) for (const c of causes(s)) counts.set(c, (counts.get(c) ?? 0) + 1);
  const s1 = (ms: number | undefined): string => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
  return [
    `slowest 10 % of turns (${tail.length}, total >= ${s1(total(tail[tail.length - 1]!))} s): ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ') || 'no single cause'} (first token p90 ${s1(tokenP90)} s, synthesis p90 ${s1(ttsP90)} s)`,
    ...tail
      .slice(0, shown)
      .map(
        (s) =>
          `  total ${s1(total(s))} s: rule ${str(s, 'rule') ?? '-'}, ${str(s, 'preemptive') ?? '-'} x${num(s, 'preemptiveStarts') ?? 0}, decided ${s1(num(s, 'finalMs'))}, request ${s1(num(s, 'llmRequestMs'))} -> token ${s1(num(s, 'llmFirstTokenArrivedMs'))}, TTS ${s1(num(s, 'ttsRequestMs'))} -> ${s1(num(s, 'ttsFirstAudioMs'))}: ${causes(s).join(', ') || '-'}`,
      ),
  ];
}
