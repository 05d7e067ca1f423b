import { describe, expect, it } from 'vitest';
import { summarizeStep } from '../../../bench/capacity/summary.ts';
import { call, stepInputs, turn } from './fixtures.ts';

describe('summarizeStep', () => {
  it('counts only measured calls and their agent turns', () => {
    const r = summarizeStep(stepInputs());
    expect(r.measuredCalls).toBe(2);
    expect(r.agentTurns).toBe(4); // CA3 is a filler call
    expect(r.latencyS).toMatchObject({ n: 4, p50: 0.7, max: 0.9 });
    expect(r.callerGapS).toMatchObject({ n: 4, p50: 0.3, max: 0.5 });
    expect(r.callerTurns).toBe(4);
    expect(r.turnsNotAnswered).toBe(0);
    expect(r.broken).toBeUndefined();
  });

  it('divides window CPU by the call-seconds of every call in the window', () => {
    // Three calls open for the whole 40 s window: 120 call-seconds; 1200 ms of CPU.
    const r = summarizeStep(stepInputs());
    expect(r.callSeconds).toBeCloseTo(120);
    expect(r.cpuMsPerCallSecond).toBeCloseTo(10);
    expect(r.agentCpuPct).toBeCloseTo(3);
    expect(r.rssPerCallKb).toBeCloseTo(1024);
    expect(r.emulatorsCpuPct).toBeCloseTo(5);
  });

  it('counts unanswered and never-reached turns and breaks the step past 5 %', () => {
    const calls_ = [
      call({ index: 1, turns: [{ label: 'hello', speechEndAtMs: 5000, gapMs: undefined }], turnsMissing: 3 }),
      call({ index: 2 }),
    ];
    const r = summarizeStep(stepInputs({ calls_, agentTurns: [turn('CA2', 700)] }));
    expect(r.callerTurns).toBe(1 + 3 + 2);
    expect(r.turnsNotAnswered).toBe(4);
    expect(r.broken).toMatch(/4\/6 turns not answered/);
  });

  it('breaks on failed calls and on a lagging loop, and totals errors without wait timeouts', () => {
    const calls_ = [call({ index: 1, outcome: 'error', turns: [], turnsMissing: 5 }), call({ index: 2 })];
    const r = summarizeStep(
      stepInputs({
        calls_,
        lag: { p50: 100, p99: 900, max: 2000 },
        stepCounters: { sessionErrors: 2, apologies: 1 },
        agentErrorLogs: 3,
      }),
    );
    expect(r.broken).toMatch(/1\/2 calls failed/);
    expect(r.broken).toMatch(/lag p99 900 ms/);
    expect(r.errorTotal).toBe(1 + 2 + 1 + 3);
  });

  it('is broken when nothing was measured', () => {
    const r = summarizeStep(stepInputs({ calls_: [call({ index: 1, measured: false })] }));
    expect(r.broken).toBe('no call was measured');
    expect(r.cpuMsPerCallSecond).toBeCloseTo(30);
  });
});
