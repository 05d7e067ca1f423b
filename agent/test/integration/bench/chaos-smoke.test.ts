// Smoke of `npm run bench -- --fault` across the benchmark's three processes: the step hands its
// plan (with the measurement window's start as epoch) to the emulators' process (control server)
// and to the callers' process, the hooks fire there, and their events, the callers' view of each
// turn and the agent's lost-call counter come back into one per-fault report. Three calls, the
// agent from source; about a minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaosReportOf } from '../../../bench/capacity/chaos.ts';
import type { EmulatorsHandle } from '../../../bench/capacity/harness.ts';
import { SMOKE_CALLS as CALLS, smokeStepOptions, startSmokeEmulators } from './smoke-step.ts';
import { runStep, type FaultedStepResult } from '../../../bench/capacity/step.ts';

// Every call's first stream fails at once (certain, whatever the load); one call is cut at 8 s.
const SPECS = ['stt-stream-fail:calls=100%,at=open,code=UNAVAILABLE', 'ws-drop:every=8s,count=1'];

describe('npm run bench -- --fault: smoke', () => {
  let emulators: EmulatorsHandle;
  let step: FaultedStepResult;

  beforeAll(async () => {
    emulators = await startSmokeEmulators();
    step = await runStep({ ...smokeStepOptions(emulators, 'c4a05'), faults: { specs: SPECS, seed: 1 } });
  }, 150_000);

  afterAll(async () => {
    await emulators?.close();
  });

  it("brings back both processes' fault events and the agent's count of the lost call", () => {
    const f = step.faults!;
    expect(f.specs).toEqual(SPECS);
    const injected = (kind: string): number =>
      f.events.filter((e) => e.fault === kind && e.type === 'injected').length;
    expect(injected('stt-stream-fail')).toBe(CALLS);
    expect(f.events.filter((e) => e.fault === 'stt-stream-fail' && e.type === 'recovered')).toHaveLength(
      CALLS,
    );
    expect(injected('ws-drop')).toBe(1);
    expect(f.agentLostCalls).toBe(1);
    expect(step.outcomes['dropped']).toBe(1);
    // The emulators are back to no faults after the step.
    return expect(emulators.faultEvents()).resolves.toEqual([]);
  });

  it('reports per fault: the STT failures cost no turn, the drop cut only its own call', () => {
    const [stt, drop] = chaosReportOf(step.faults!, 1);
    expect(stt).toMatchObject({ injected: CALLS, callsAffected: CALLS, turnsLost: 0 });
    expect(stt!.recoveryMs.count).toBe(CALLS);
    expect(drop).toMatchObject({ injected: 1, callsAffected: 1, turnsLost: 0, collateral: { calls: 0 } });
    // The two calls not dropped heard an answer to every turn.
    const kept = step.faults!.calls.filter((c) => c.outcome !== 'dropped');
    expect(kept).toHaveLength(CALLS - 1);
    for (const c of kept)
      expect(c.turns.every((t) => (t.marksPlayed ?? []).length + (t.marksCleared ?? []).length > 0)).toBe(
        true,
      );
  });
});
