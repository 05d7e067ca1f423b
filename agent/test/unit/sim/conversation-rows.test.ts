import { describe, expect, it } from 'vitest';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import type { CallResult } from '../../../src/sim/caller/call.ts';
import { turnRows } from '../../../src/sim/conversation.ts';

const record = (turnId: number, outcome: string, transcript: string, played: number): TurnRecord =>
  ({
    turnId,
    outcome,
    transcript,
    rule: 'silence',
    speechEndMs: 1000,
    firstFrameSentMs: outcome === 'takenBack' ? undefined : 1600,
    sentencesPlayed: played,
  }) as unknown as TurnRecord;

const call = (labels: readonly string[]): CallResult =>
  ({ turns: labels.map((label) => ({ label, latencyMs: 300 })) }) as unknown as CallResult;

describe('demo table rows', () => {
  it('pairs each caller line with its answer, leaving out turns taken back (answered with the next)', () => {
    const rows = turnRows(
      [
        record(1, 'takenBack', 'שלום,', 0),
        record(2, 'answered', 'שלום, אני רוצה לבדוק את ההזמנה שלי.', 2),
        record(3, 'answered', 'מה שעות הפתיחה?', 1),
      ],
      call(['hello', 'question']),
    );
    expect(rows.map((r) => [r.label, r.transcript, r.outcome, r.sentencesPlayed])).toEqual([
      ['hello', 'שלום, אני רוצה לבדוק את ההזמנה שלי.', 'answered', 2],
      ['question', 'מה שעות הפתיחה?', 'answered', 1],
    ]);
    expect(rows[0]!.totalS).toBeCloseTo(0.6);
  });

  it('a line without an answer record shows no answer', () => {
    const rows = turnRows([record(1, 'answered', 'שלום', 1)], call(['hello', 'question']));
    expect(rows[1]).toMatchObject({ label: 'question', outcome: 'no answer', sentencesPlayed: 0 });
  });
});
