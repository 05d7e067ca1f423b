import { describe, expect, it } from 'vitest';
import { summarizeStep, unansweredTurns, windowed } from '../../../bench/capacity/summary.ts';
import { call, stepInputs, turn } from './fixtures.ts';

describe('summarizeStep', () => {
  it('counts the turns whose speech ended inside the window, on both sides', () => {
    const r = summarizeStep(stepInputs());
    expect(r.measuredCalls).toBe(2);
    expect(r.agentTurns).toBe(4); // CA3 runs after the window
    expect(r.latencyS).toMatchObject({ n: 4, p50: 0.7, max: 0.9 });
    expect(r.callerGapS).toMatchObject({ n: 4, p50: 0.3, max: 0.5 });
    expect(r.callerTurns).toBe(4);
    expect(r.turnsNotAnswered).toBe(0);
    expect(r.outcomes).toEqual({ completed: 2 });
    expect(r.broken).toBeUndefined();
  });

  it('places agent turns by the call open time plus their call-clock speech end', () => {
    const w = windowed({
      ...stepInputs(),
      agentTurns: [
        turn('CA1', 500, 'answered', 100),
        turn('CA1', 500, 'answered', 39_999),
        turn('CA1', 500, 'answered', 40_000),
      ],
    });
    // 1100 + 40_000 is the window's end (exclusive).
    expect(w.agentTurns.map((t) => t.speechEndMs)).toEqual([100, 39_999]);
  });

  it('divides window CPU by the call-seconds inside the window', () => {
    // Two calls open for the whole 40 s window: 80 call-seconds; 1200 ms of CPU.
    const r = summarizeStep(stepInputs());
    expect(r.callSeconds).toBeCloseTo(80);
    expect(r.cpuMsPerCallSecond).toBeCloseTo(15);
    expect(r.agentCpuPct).toBeCloseTo(3);
    expect(r.rssPerCallKb).toBeCloseTo(1024);
    expect(r.emulatorsCpuPct).toBeCloseTo(5);
  });

  it('counts unanswered turns and breaks the step past 5 %', () => {
    const calls_ = [
      call({ index: 1, turns: [{ label: 'hello', speechEndAtMs: 5000, gapMs: undefined }], turnsMissing: 3 }),
      call({ index: 2 }),
    ];
    const r = summarizeStep(stepInputs({ calls_, agentTurns: [turn('CA2', 700)] }));
    // A completed (or hung-up) call's missing turns are not counted: they were never due.
    expect(r.callerTurns).toBe(3);
    expect(r.turnsNotAnswered).toBe(1);
    expect(r.notAnsweredByLabel).toEqual({ hello: 1 });
    expect(r.broken).toMatch(/1\/3 turns not answered/);
  });

  it('counts the turns a failed call took with it, breaks on failed calls and on a lagging loop', () => {
    const calls_ = [
      call({ index: 1, outcome: 'error', turns: [], turnsMissing: 5, endedAtMs: 9000 }),
      call({ index: 2 }),
    ];
    const r = summarizeStep(
      stepInputs({
        calls_,
        lag: { p50: 100, p99: 900, max: 2000 },
        stepCounters: { sessionErrors: 2, apologies: 1 },
        agentErrorLogs: 3,
      }),
    );
    expect(r.callerTurns).toBe(2 + 5);
    expect(r.turnsNotAnswered).toBe(5);
    expect(r.broken).toMatch(/1\/2 calls failed/);
    expect(r.broken).toMatch(/lag p99 900 ms/);
    expect(r.errorTotal).toBe(1 + 2 + 1 + 3);
  });

  it('is broken when no turn ended inside the window', () => {
    const r = summarizeStep(stepInputs({ windowFromMs: 100_000, windowUntilMs: 140_000 }));
    expect(r.broken).toBe('no caller turn ended inside the window');
  });

  it("says why each unanswered turn heard nothing, from the caller's wait and the agent's records", () => {
    // Call clock: the call opens at epoch 1100.
    const calls_ = [
      call({
        index: 1,
        turns: [
          {
            label: 'hello',
            speechStartAtMs: 3000,
            speechEndAtMs: 5000,
            gapMs: undefined,
            answerWait: 'timed-out',
          },
          {
            label: 'question',
            speechStartAtMs: 8000,
            speechEndAtMs: 10_000,
            gapMs: 400,
            answerWait: 'heard',
          },
          {
            label: 'thanks (barge-in)',
            speechStartAtMs: 11_000,
            speechEndAtMs: 12_000,
            gapMs: undefined,
            answerWait: 'heard',
          },
          {
            label: 'address',
            speechStartAtMs: 14_000,
            speechEndAtMs: 16_000,
            gapMs: undefined,
            answerWait: 'call-ended',
          },
        ],
      }),
      call({
        index: 2,
        outcome: 'hung-up',
        turns: [{ label: 'hello', speechEndAtMs: 5000, gapMs: undefined }],
      }),
      call({ index: 3, outcome: 'server-closed', endedAtMs: 20_000, turns: [], turnsMissing: 2 }),
    ];
    const agentTurns = [
      turn('CA1', undefined, 'takenBack', 3950), // hello, call clock 3950 = epoch 5050
      turn('CA1', 500, 'interrupted', 8950), // question
      turn('CA1', undefined, 'superseded', 10_950), // thanks: epoch 12_050, before address starts
      turn('CA1', 300, 'answered', 11_000), // also thanks
    ];
    const w = windowed({ ...stepInputs(), calls_, agentTurns });
    const u = unansweredTurns(w);
    expect(u.map((x) => [x.label, x.why, x.agentSaw])).toEqual([
      ['hello', 'wait timed out', 'takenBack'],
      ['thanks (barge-in)', 'caller moved on', 'superseded+answered'],
      ['address', 'call ended (completed)', 'no record'],
      ['hello', 'not recorded', 'no record'],
      ['(never reached)', 'call failed before the turn', 'no record'],
      ['(never reached)', 'call failed before the turn', 'no record'],
    ]);
    const r = summarizeStep(stepInputs({ calls_, agentTurns }));
    expect(r.turnsNotAnswered).toBe(6);
    expect(r.notAnsweredByLabel).toEqual({ hello: 2, 'thanks (barge-in)': 1, address: 1 });
    expect(r.notAnsweredWhy).toEqual({
      'wait timed out': 1,
      'caller moved on': 1,
      'call ended (completed)': 1,
      'not recorded': 1,
      'call failed before the turn': 2,
    });
    expect(r.notAnsweredAgentSaw).toEqual({ takenBack: 1, 'superseded+answered': 1, 'no record': 4 });
  });
});
