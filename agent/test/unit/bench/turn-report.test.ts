// The turn benchmark's false-cut definition and per-turn costs (agent/bench/turn-report.ts).
import { describe, expect, it } from 'vitest';
import { falseCuts, perTurn, stageSeconds, type TurnSample } from '../../../bench/turn-report.ts';

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
