// The turn benchmark's false-cut definition and per-turn costs (agent/bench/turn-report.ts).
import { describe, expect, it } from 'vitest';
import {
  falseCuts,
  perTurn,
  stageSeconds,
  tailCauses,
  turnSpans,
  type TurnSample,
} from '../../../bench/turn-report.ts';

const LINES = new Map([
  ['p1', 'אני רוצה לבדוק את | ההזמנה שלי'],
  ['p2', 'מה שעות הפתיחה | ביום שישי'],
]);
const turn = (callSid: string, transcript: string, fields: Record<string, unknown> = {}): TurnSample => ({
  callSid,
  transcript,
  fields: { outcome: 'answered', ...fields },
});

describe('falseCuts', () => {
  it('a piece of a line answered (heard or committed) is a false cut; a taken-back piece is a resumption', () => {
    const byCall = new Map([
      [
        'A',
        [
          turn('A', 'אני רוצה לבדוק את', { outcome: 'takenBack' }),
          turn('A', 'אני רוצה לבדוק את ההזמנה שלי'),
          turn('A', 'מה שעות הפתיחה'),
          turn('A', 'ביום שישי'),
        ],
      ],
      ['B', [turn('B', 'אני רוצה לבדוק את ההזמנה שלי'), turn('B', 'מה שעות הפתיחה ביום שישי')]],
    ]);
    const r = falseCuts(byCall, ['p1', 'p2'], LINES);
    expect(r).toMatchObject({ cut: 1, resumed: 1, wrong: 0, utterances: 4, byFixture: 'p2 1' });
  });

  it('words in no line are a wrong-word commit', () => {
    const r = falseCuts(new Map([['A', [turn('A', 'משהו אחר לגמרי')]]]), ['p1'], LINES);
    expect(r).toMatchObject({ cut: 0, wrong: 1 });
  });
});

describe('costs and stages', () => {
  it('taken-back turns cost (requests, characters) but are not caller turns', () => {
    const samples = [
      turn('A', 'x', { outcome: 'takenBack', llmRequests: 1, firstFrameSentMs: undefined, finalMs: 300 }),
      turn('A', 'x y', { llmRequests: 1, finalMs: 400, firstFrameSentMs: 900 }),
    ];
    expect(perTurn(samples, 'llmRequests')).toBe('2.00 (2 for 1 turns)');
    expect(stageSeconds(samples, 'finalMs')).toEqual([0.4]);
  });
});

describe('turnSpans', () => {
  it('measures spans per turn and counts turns that waited on the model or had audio at the decision', () => {
    const lines = turnSpans([
      turn('A', 'x', {
        finalMs: 400,
        llmRequestMs: 100,
        llmFirstTokenArrivedMs: 450,
        llmFirstTokenMs: 450,
        ttsRequestMs: 460,
        ttsFirstAudioMs: 800,
        firstFrameSentMs: 800,
      }),
      turn('A', 'y', {
        finalMs: 500,
        llmRequestMs: 0,
        llmFirstTokenArrivedMs: 350,
        llmFirstTokenMs: 500,
        ttsRequestMs: 360,
        ttsFirstAudioMs: 500,
        firstFrameSentMs: 500,
      }),
      turn('A', 'z', { outcome: 'takenBack', finalMs: 0, llmRequestMs: 0, llmFirstTokenArrivedMs: 900 }),
    ]);
    expect(lines[0]).toContain('LLM request -> first token arrived p50 0.350 / p95 0.350 s (n 2)');
    expect(lines[1]).toContain('TTS request -> first audio p50 0.140 / p95 0.340 s (n 2)');
    expect(lines[1]).toContain('decided -> first frame sent p50 0.000 / p95 0.400 s');
    expect(lines[2]).toBe(
      'first token arrived after the decision in 1/2 turns; first audio in hand at the decision (speculative) in 1/2',
    );
  });
});

describe('tailCauses', () => {
  it('lists the slowest 10 % of turns with what each waited on', () => {
    const quick = (i: number): TurnSample =>
      turn('A', `q${i}`, {
        rule: 'settledPartial',
        preemptive: 'hit',
        preemptiveStarts: 1,
        finalMs: 300,
        llmRequestMs: 100,
        llmFirstTokenArrivedMs: 450,
        ttsRequestMs: 460,
        ttsFirstAudioMs: 760,
        firstFrameSentMs: 760,
      });
    const slow = turn('B', 'slow', {
      rule: 'silence',
      preemptive: 'miss',
      preemptiveStarts: 2,
      finalMs: 700,
      llmRequestMs: 700,
      llmFirstTokenArrivedMs: 1500,
      ttsRequestMs: 1510,
      ttsFirstAudioMs: 1810,
      firstFrameSentMs: 1810,
    });
    const lines = tailCauses([...Array.from({ length: 9 }, (_, i) => quick(i)), slow]);
    expect(lines[0]).toContain('slowest 10 % of turns (1, total >= 1.81 s)');
    expect(lines[0]).toContain('miss 1, restarted 1, late request 1, slow first token 1');
    expect(lines).toHaveLength(1 + 1);
    expect(lines[1]).toContain(
      'total 1.81 s: rule silence, miss x2, decided 0.70, request 0.70 -> token 1.50',
    );
  });

  it('says nothing without answered turns', () => {
    expect(tailCauses([turn('A', 'x', { outcome: 'takenBack' })])).toEqual([]);
  });
});
