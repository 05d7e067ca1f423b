import { describe, expect, it } from 'vitest';
import { summarizeStep, windowed } from '../../../bench/capacity/summary.ts';
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
});
