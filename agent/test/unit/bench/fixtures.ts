// Builders for the benchmark report tests: one call as the callers report it, one agent turn,
// one step's inputs.
import type { AgentTurn } from '../../../bench/capacity/agent-log.ts';
import type { CallSummary } from '../../../bench/capacity/protocol.ts';
import type { StepInputs } from '../../../bench/capacity/summary.ts';

export function call(over: Partial<CallSummary> & { index: number }): CallSummary {
  return {
    callSid: `CA${over.index}`,
    placedAtMs: 1000,
    openAtMs: 1100,
    endedAtMs: 41_100,
    outcome: 'completed',
    turns: [
      { label: 'hello', speechEndAtMs: 5000, gapMs: 300 },
      { label: 'question', speechEndAtMs: 15_000, gapMs: 500 },
    ],
    turnsMissing: 0,
    waitTimeouts: 0,
    clears: 1,
    protocolErrors: 0,
    lateEchoes: 0,
    sendLagP99Ms: 1,
    ...over,
  };
}

/** An agent turn record; speechEndMs is on the call clock (the default call opens at epoch 1100). */
export function turn(
  callSid: string,
  totalMs: number | undefined,
  outcome = 'answered',
  speechEndMs = 3900,
): AgentTurn {
  return {
    callSid,
    loggedAtMs: 1100 + speechEndMs + 5000,
    outcome,
    rule: 'silence',
    totalMs,
    speechEndMs,
    fields: {},
  };
}

export function stepInputs(over: Partial<StepInputs> = {}): StepInputs {
  // Call 3 starts after the window: nothing of it counts.
  const calls_ = [
    call({ index: 1 }),
    call({ index: 2 }),
    call({
      index: 3,
      placedAtMs: 50_000,
      openAtMs: 50_100,
      endedAtMs: 90_000,
      turns: [{ label: 'hello', speechEndAtMs: 55_000, gapMs: 9000 }],
    }),
  ];
  return {
    profile: 'reference',
    calls: 2,
    durationS: 40,
    rampS: 1,
    windowFromMs: 1100,
    windowUntilMs: 41_100,
    loadAvgStart: [0.5, 0.4, 0.3],
    loadAvgEnd: [0.8, 0.5, 0.3],
    calls_,
    agentTurns: [turn('CA1', 600), turn('CA1', 800), turn('CA2', 700), turn('CA2', 900), turn('CA3', 5000)],
    cpuWindowMs: 1200,
    cpuSystemWindowMs: 200,
    rssIdleBytes: 100 * 2 ** 20,
    rssBytes: 102 * 2 ** 20,
    rssMaxBytes: 103 * 2 ** 20,
    heapUsedBytes: 50 * 2 ** 20,
    lag: { p50: 0.5, p99: 4, max: 12 },
    windowCounters: { lateFrames: 1, droppedFrames: 0 },
    stepCounters: { bargeIns: 2, sessionErrors: 0, apologies: 0 },
    agentErrorLogs: 0,
    agentLastErrors: [],
    emulatorsCpuMs: 4000,
    callersCpuMs: 8000,
    callersLagP99Ms: 2,
    callersWallMs: 80_000,
    machineBusyCores: 1.5,
    machineCores: 2,
    ...over,
  };
}
