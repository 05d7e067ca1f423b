import { describe, expect, it } from 'vitest';
import {
  chaosReport,
  formatChaosTable,
  formatSilenceNotes,
  heardReply,
  type ChaosCall,
} from '../../../src/sim/faults/report.ts';
import { parseFaultPlan } from '../../../src/sim/faults/plan.ts';
import type { FaultEvent } from '../../../src/sim/faults/log.ts';

const EPOCH = 1_000_000;

/** A call that starts at `startAt` (run ms) with utterances every 5 s, each replied with `replies`. */
function call(
  sid: string,
  startAt: number,
  replies: Array<string[] | undefined>,
  outcome = 'completed',
): ChaosCall {
  return {
    callSid: sid,
    outcome,
    startedAtEpochMs: EPOCH + startAt,
    durationMs: replies.length * 5000 + 1000,
    turns: replies.map((marks, i) => ({
      speechStartMs: 1000 + i * 5000,
      speechEndMs: 2500 + i * 5000,
      ...(marks ? { marksPlayed: marks, firstMarkPlayedMs: 4000 + i * 5000 } : {}),
    })),
  };
}

describe('heardReply', () => {
  it('reads the agent mark names, and tells a cut call from silence', () => {
    const c = call('CA1', 0, [
      ['answer-1-2', 'answer-1-3'],
      ['answer-2-4', 'apology-2-5'],
      undefined,
      undefined,
    ]);
    expect([0, 1, 2, 3].map((i) => heardReply(c, i))).toEqual(['answer', 'apology', 'silence', 'silence']);
    const cut = { ...c, outcome: 'dropped' };
    expect(heardReply(cut, 3)).toBe('cut');
    expect(heardReply(cut, 2)).toBe('silence');
    // The benchmark hangs up whatever still runs at the end of its window.
    expect(heardReply({ ...c, outcome: 'hung-up' }, 3)).toBe('cut');
    // A reply the caller talked over (its marks echoed as cleared) was still heard.
    const bargedIn: ChaosCall = {
      ...c,
      turns: [{ speechStartMs: 0, speechEndMs: 1000, marksCleared: ['apology-1-1'] }],
    };
    expect(heardReply(bargedIn, 0)).toBe('apology');
    // A silence re-prompt after a turn is not a reply to it.
    const prompted: ChaosCall = {
      ...c,
      turns: [{ speechStartMs: 0, speechEndMs: 1000, marksPlayed: ['prompt-2-4'], agentAudioStartMs: 9000 }],
    };
    expect(heardReply(prompted, 0)).toBe('silence');
    // An agent that sends no marks: audible audio is the answer.
    expect(
      heardReply({ ...c, turns: [{ speechStartMs: 0, speechEndMs: 1000, agentAudioStartMs: 1500 }] }, 0),
    ).toBe('answer');
  });
});

describe('chaosReport', () => {
  it('window faults touch the turns overlapping the window, and count lost turns, collateral and recovery', () => {
    const plan = parseFaultPlan(['tts-outage:at=10s,for=5s']);
    // Turns at run time 1-4 s, 6-9 s, 11-14 s, 16-19 s (reply heard 3 s after each start).
    const a = call('CAa', 0, [['answer-1-1'], ['answer-2-2'], ['apology-3-3'], ['answer-4-4']]);
    // Starts later: turns at 9.5 s (silence: the reply is lost), 14.5 s (apology), 19.5 s (answer).
    const b = call('CAb', 8500, [undefined, ['apology-2-1'], ['answer-3-2']]);
    // Untouched by the window but lost a turn: collateral.
    const c = call('CAc', 100_000, [['answer-1-1'], undefined, ['apology-3-2']]);
    const events: FaultEvent[] = [
      { fault: 'tts-outage', type: 'injected', atEpochMs: EPOCH + 11_000 },
      { fault: 'tts-outage', type: 'injected', atEpochMs: EPOCH + 12_000 },
      { fault: 'tts-outage', type: 'recovered', atEpochMs: EPOCH + 15_300, afterMs: 300 },
    ];
    const [r] = chaosReport({ plan, epochMs: EPOCH, events, calls: [a, b, c] });
    expect(r).toMatchObject({
      fault: 'tts-outage:at=10s,for=5s,code=UNAVAILABLE',
      injected: 2,
      callsExposed: 2,
      callsAffected: 2,
      turnsTouched: 3,
      heard: { answer: 0, apology: 2, silence: 1, cut: 0 },
      turnsLost: 1,
      collateral: { calls: 1, turnsNotAnswered: 2 },
      after: { turns: 2, answered: 2 },
      recoveryMs: { count: 1, p50: 300, max: 300 },
    });
    expect(formatChaosTable([r!])).toContain(
      '| `tts-outage:at=10s,for=5s,code=UNAVAILABLE` | 2 | 2 | 2 | 3 | 0 / 2 / 1 / 0 | 1 | 1 / 2 | 2/2 | 300 / 300 ms (1) |',
    );
  });

  it('names the utterances that went silent, touched and untouched, so a silence the load makes is told apart', () => {
    const plan = parseFaultPlan(['tts-outage:at=10s,for=5s']);
    const labelled = (c: ChaosCall, labels: string[]): ChaosCall => ({
      ...c,
      turns: c.turns.map((t, i) => ({ ...t, label: labels[i]! })),
    });
    const b = labelled(call('CAb', 8500, [undefined, ['apology-2-1'], ['answer-3-2']]), [
      'hello',
      'q',
      'thanks',
    ]);
    const c = labelled(call('CAc', 100_000, [['answer-1-1'], undefined, undefined]), [
      'hello',
      'q',
      'thanks',
    ]);
    const [r] = chaosReport({ plan, epochMs: EPOCH, events: [], calls: [b, c] });
    expect(r!.silentByTurn).toEqual({ touched: { hello: 1 }, untouched: { q: 1, thanks: 1 } });
    expect(formatSilenceNotes([r!])).toEqual([
      '`tts-outage:at=10s,for=5s,code=UNAVAILABLE`: silent turns by utterance: touched hello 1; in calls it never reached q 1, thanks 1',
    ]);
  });

  it('per-call faults touch the turn in progress of the calls they hit', () => {
    const plan = parseFaultPlan(['stt-stream-fail:20%@mid', 'ws-drop:every=60s']);
    const hit = call('CAhit', 0, [['answer-1-1'], ['answer-2-2'], ['answer-3-3']]);
    const dropped = call('CAdrop', 0, [['answer-1-1'], undefined], 'dropped');
    const fine = call('CAfine', 0, [['answer-1-1'], undefined], 'hung-up');
    const events: FaultEvent[] = [
      {
        fault: 'stt-stream-fail',
        type: 'injected',
        atEpochMs: EPOCH + 6500,
        callId: 'CAhit',
        detail: 'ABORTED',
      },
      { fault: 'stt-stream-fail', type: 'recovered', atEpochMs: EPOCH + 6600, callId: 'CAhit', afterMs: 100 },
      { fault: 'ws-drop', type: 'injected', atEpochMs: EPOCH + 7000, callId: 'CAdrop', detail: 'drop' },
    ];
    const [stt, drop] = chaosReport({
      plan,
      epochMs: EPOCH,
      events,
      calls: [hit, dropped, fine],
      agentLostCalls: 1,
    });
    expect(stt).toMatchObject({
      injected: 1,
      callsExposed: 1,
      callsAffected: 1,
      turnsTouched: 1,
      heard: { answer: 1, apology: 0, silence: 0, cut: 0 },
      turnsLost: 0,
      // The dropped call was the ws-drop's doing: no fault's collateral.
      collateral: { calls: 0, turnsNotAnswered: 0 },
      after: { turns: 1, answered: 1 },
      recoveryMs: { count: 1, p50: 100, max: 100 },
    });
    expect(drop).toMatchObject({
      injected: 1,
      callsAffected: 1,
      heard: { answer: 0, apology: 0, silence: 0, cut: 1 },
      turnsLost: 0,
      collateral: { calls: 0, turnsNotAnswered: 0 },
      notes: ['agent counted 1 of 1 dropped calls as lost (hva_calls_lost_total)'],
    });
    expect(formatChaosTable([drop!])).toContain('n/a (call over)');
  });
});

describe('window faults: exposed and affected calls', () => {
  it('counts a call whose turn overlapped the window but still heard its answer as exposed, not affected', () => {
    const plan = parseFaultPlan(['llm-429-burst:at=10s,for=5s']);
    // Turn 2 (11-14 s) overlaps the burst: one call answered anyway (a retry after it), one apologised.
    const lucky = call('CAlucky', 0, [['answer-1-1'], ['answer-2-2'], ['answer-3-3']]);
    const unlucky = call('CAunlucky', 0, [['answer-1-1'], ['answer-2-2'], ['apology-3-3']]);
    const [r] = chaosReport({ plan, epochMs: EPOCH, events: [], calls: [lucky, unlucky] });
    expect(r).toMatchObject({
      callsExposed: 2,
      callsAffected: 1,
      turnsTouched: 2,
      heard: { answer: 1, apology: 1 },
    });
  });
});

describe('per-call faults before the first utterance', () => {
  it('count the call as affected even with no turn in progress', () => {
    const plan = parseFaultPlan(['stt-stream-fail:100%@open']);
    const c = call('CA1', 0, [['answer-1-1']]);
    const events: FaultEvent[] = [
      {
        fault: 'stt-stream-fail',
        type: 'injected',
        atEpochMs: EPOCH + 10,
        callId: 'CA1',
        detail: 'UNAVAILABLE',
      },
    ];
    const [r] = chaosReport({ plan, epochMs: EPOCH, events, calls: [c] });
    expect(r).toMatchObject({
      callsExposed: 1,
      callsAffected: 1,
      turnsTouched: 0,
      after: { turns: 1, answered: 1 },
    });
  });
});

describe('two faults of one kind in a plan', () => {
  it('report each with its own events', () => {
    const plan = parseFaultPlan(['tts-outage:at=10s,for=2s', 'tts-outage:at=30s,for=2s']);
    const events: FaultEvent[] = [
      { fault: 'tts-outage', index: 0, type: 'injected', atEpochMs: EPOCH + 10_500 },
      { fault: 'tts-outage', index: 1, type: 'injected', atEpochMs: EPOCH + 30_500 },
      { fault: 'tts-outage', index: 1, type: 'injected', atEpochMs: EPOCH + 31_000 },
      { fault: 'tts-outage', index: 1, type: 'recovered', atEpochMs: EPOCH + 32_400, afterMs: 400 },
    ];
    const [a, b] = chaosReport({ plan, epochMs: EPOCH, events, calls: [] });
    expect([a!.injected, a!.recoveryMs.count]).toEqual([1, 0]);
    expect([b!.injected, b!.recoveryMs.count, b!.recoveryMs.max]).toEqual([2, 1, 400]);
  });

  it("does not count another fault's apologies of the same run as a fault's collateral", () => {
    const plan = parseFaultPlan(['llm-429-burst:at=10s,for=2s', 'llm-stall:at=30s,for=2s']);
    // Turns at 1-4, 6-9, 11-14 s: the burst reaches the third. Turns at 31 s: the stall's.
    const a = call('CAa', 0, [['answer-1-1'], ['answer-2-2'], ['apology-3-3']]);
    const b = call('CAb', 30_000, [['apology-1-1']]);
    // Neither fault reached it: its silence is the load's (or the agent's) and counts for both.
    const c = call('CAc', 100_000, [undefined]);
    const [burst, stall] = chaosReport({ plan, epochMs: EPOCH, events: [], calls: [a, b, c] });
    // Old rule: the stall's apology in CAb was the burst's collateral, and the burst's in CAa the stall's.
    expect(burst!.collateral).toEqual({ calls: 1, turnsNotAnswered: 1 });
    expect(stall!.collateral).toEqual({ calls: 1, turnsNotAnswered: 1 });
  });
});
