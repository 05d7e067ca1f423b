// The plumbing-floor agent (agent/bench/floor, `npm run bench -- --agent-entry floor`) carries
// whole benchmark calls on the emulators: the same three processes and step code as the capacity
// smoke, with the floor as the agent. It fails when the floor rots: a process that does not
// start, a call that fails, a turn it does not answer, a barge-in it does not clear, a figure
// the harness cannot read from it. About a minute (three whole calls, real time: the harness
// measures processes, there is no clock to fake).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_FLOOR_ENTRY, type EmulatorsHandle } from '../../../bench/capacity/harness.ts';
import { runStep } from '../../../bench/capacity/step.ts';
import type { StepResult } from '../../../bench/capacity/summary.ts';
import { SMOKE_CALLS as CALLS, smokeStepOptions, startSmokeEmulators } from './smoke-step.ts';

describe('the plumbing floor under the capacity harness', () => {
  let emulators: EmulatorsHandle;
  let step: StepResult;

  beforeAll(async () => {
    emulators = await startSmokeEmulators();
    step = await runStep({ ...smokeStepOptions(emulators, 'f100'), agentEntry: AGENT_FLOOR_ENTRY });
  }, 150_000);

  afterAll(async () => {
    await emulators?.close();
  });

  it('answers every turn of every whole call', () => {
    expect(step.measuredCalls).toBe(CALLS);
    expect(step.outcomes).toEqual({ completed: CALLS });
    expect(step.callerTurns).toBe(CALLS * 5);
    expect(step.turnsNotAnswered).toBe(0);
    expect(step.callerGapS.n).toBe(CALLS * 5);
    expect(step.errorTotal).toBe(0);
    expect(step.broken).toBeUndefined();
  });

  it("clears Twilio's buffer on each call's barge-in", () => {
    expect(step.bargeIns).toBeGreaterThanOrEqual(CALLS);
    expect(step.callerClears).toBeGreaterThanOrEqual(CALLS);
  });

  it('gives the harness its CPU, memory and event-loop lag', () => {
    expect(step.cpuMsPerCallSecond).toBeGreaterThan(0);
    expect(step.heapUsedMb).toBeGreaterThan(5);
    expect(Number.isFinite(step.lagP99Ms)).toBe(true);
  });

  it('counts its messages per call-second like the real agent: Twilio frames, Speech, LLM, TTS', () => {
    const rate = step.messagesPerCallSecond ?? {};
    // Twilio sends 50 frames a second; the floor sends Speech 80 ms of audio per message.
    expect(rate['twilioMediaIn']).toBeGreaterThan(40);
    expect(rate['sttAudioMessages']).toBeGreaterThan(8);
    expect(rate['sttAudioMessages']).toBeLessThan(13);
    expect(rate['twilioMediaOut']).toBeGreaterThan(0);
    expect(rate['llmStreams']).toBeGreaterThan(0);
    expect(rate['ttsSyntheses']).toBeGreaterThan(0);
  });
});
