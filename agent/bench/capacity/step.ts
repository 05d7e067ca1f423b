// One step of the sweep: a fresh agent process, N concurrent whole calls kept up for the
// measurement window, and what the agent spent on them (CPU from /proc, RSS, event-loop lag and
// frame counters from its own /metrics, turn records from its log) next to what the callers heard.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mainThreadWindow, readMainThreadSchedStat } from './probe.ts';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ANSWER_TIMEOUT_MS, rampMsFor } from './conversation.ts';
import {
  callersTarget,
  startAgentProcess,
  runCallers,
  type AgentProcess,
  type CallersOutcome,
  type CallersRun,
  type EmulatorsHandle,
} from './harness.ts';
import type { FaultEvent } from '../../src/sim/faults/log.ts';
import type { CallSummary, EmulatorStats, FaultsSpec } from './protocol.ts';
import { busyCores, readCpuTotals, sumOf, valueOf, type ProcStat, type Sample } from './prom.ts';
import type { Allocator } from './allocator.ts';
import { summarizeStep, type StepInputs, type StepResult } from './summary.ts';

export interface StepOptions {
  readonly profileName: string;
  readonly calls: number;
  /** Measurement window, s. */
  readonly durationS: number;
  readonly emulators: EmulatorsHandle;
  readonly runId: string;
  readonly agentEntry?: string;
  readonly agentEnv?: Readonly<Record<string, string>>;
  readonly agentExecArgv?: readonly string[];
  /** The agent's malloc (allocator.ts); default what the image runs. */
  readonly allocator?: Allocator;
  readonly log?: (line: string) => void;
  /**
   * Measure from the first call on (no ramp, no settling): for smoke runs of a few calls. The
   * window also ends early when every call has ended. Default false.
   */
  readonly measureFromStart?: boolean;
  /** How long the slots' first calls take to start (ms); default rampMsFor(calls). */
  readonly rampMs?: number;
  /** Place at most this many calls in all (smoke runs: one call per slot). */
  readonly maxCalls?: number;
  /**
   * Faults to inject (`--fault`, src/sim/faults/): the emulators and the callers apply them with
   * the measurement window's start as the plan's epoch.
   */
  readonly faults?: { readonly specs: readonly string[]; readonly seed: number };
}

/** What a step with faults saw of them, for the chaos report (src/sim/faults/report.ts). */
export interface StepFaults extends FaultsSpec {
  /** The emulators' and the callers' fault events, in time order. */
  readonly events: readonly FaultEvent[];
  /** Every call the callers placed, with what each caller heard per turn. */
  readonly calls: readonly CallSummary[];
  /** hva_calls_lost_total gained over the step. */
  readonly agentLostCalls: number;
}

export type FaultedStepResult = StepResult & { readonly faults?: StepFaults };

const epochNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
/** After the ramp, before measuring: calls started last get past their greeting. */
export const SETTLE_MS = 5000;

/** The agent's counters the step compares before and after (all cumulative). */
export function counters(s: readonly Sample[]): Record<string, number> {
  return {
    lateFrames: sumOf(s, 'hva_late_frames_total'),
    droppedFrames: sumOf(s, 'hva_dropped_frames_total'),
    malformedFrames: sumOf(s, 'hva_malformed_frames_total'),
    sessionErrors: sumOf(s, 'hva_call_session_errors_total'),
    handlerErrors: sumOf(s, 'hva_call_handler_errors_total'),
    apologies: sumOf(s, 'hva_apologies_total'),
    bargeIns: sumOf(s, 'hva_barge_ins_total'),
    refusedStreams: sumOf(s, 'hva_refused_streams_total'),
    callsEndedByEdge: sumOf(s, 'hva_calls_ended_by_edge_total'),
    callsLost: sumOf(s, 'hva_calls_lost_total'),
  };
}

const num = (o: Record<string, unknown>, k: string): number => {
  const v = o[k];
  return typeof v === 'number' ? v : 0;
};

/**
 * Messages of each kind between two readings: Twilio media in and out and clears from the agent's
 * /metrics (the real agent and the floor publish the same names), Speech messages, results and
 * streams, LLM streams and TTS syntheses from the emulators' counters (the same instrument for
 * any agent).
 */
export function messageCounts(
  m0: readonly Sample[],
  m1: readonly Sample[],
  e0: EmulatorStats,
  e1: EmulatorStats,
): Record<string, number> {
  const agent = (name: string): number => sumOf(m1, name) - sumOf(m0, name);
  const emu = (part: 'speech' | 'openai' | 'tts', ...keys: string[]): number =>
    keys.reduce((a, k) => a + num(e1[part], k) - num(e0[part], k), 0);
  return {
    twilioMediaIn: agent('hva_frames_in_total'),
    twilioMediaOut: agent('hva_frames_out_total'),
    clears: agent('hva_barge_ins_total'),
    sttAudioMessages: emu('speech', 'audioMessages'),
    sttResults: emu('speech', 'interimsSent', 'finalsSent'),
    sttStreams: emu('speech', 'streamsOpened'),
    llmStreams: emu('openai', 'streams'),
    ttsSyntheses: emu('tts', 'syntheses'),
  };
}

/** Event-loop lag since the previous scrape, ms, without the monitor's 10 ms sampling interval. */
export function lagFromScrape(s: readonly Sample[]): { p50: number; p99: number; max: number } {
  const v = (q: string): number =>
    Math.max(0, (valueOf(s, 'hva_event_loop_lag_seconds', { quantile: q }) ?? 0) * 1000 - LAG_RESOLUTION_MS);
  return { p50: v('0.5'), p99: v('0.99'), max: v('max') };
}
/** server/metrics.ts samples the loop every 10 ms; each recorded delay includes that interval. */
export const LAG_RESOLUTION_MS = 10;

export async function runStep(o: StepOptions): Promise<FaultedStepResult> {
  const log = o.log ?? console.error;
  const loadAvgStart = loadavg();
  const agent = await startAgentProcess({
    emulators: o.emulators.endpoints,
    maxCalls: Math.max(o.calls + 50, 100),
    ...(o.agentEntry ? { entry: o.agentEntry } : {}),
    ...(o.agentEnv ? { env: o.agentEnv } : {}),
    ...(o.agentExecArgv ? { execArgv: o.agentExecArgv } : {}),
    ...(o.allocator ? { allocator: o.allocator } : {}),
  });
  try {
    return await measure(o, agent, loadAvgStart, log);
  } finally {
    await agent.stop();
  }
}

async function measure(
  o: StepOptions,
  agent: AgentProcess,
  loadAvgStart: number[],
  log: (line: string) => void,
): Promise<FaultedStepResult> {
  // Let boot garbage be collected before the idle RSS is taken.
  await sleep(3000);
  const idle = agent.procStat();
  const atStart = await agent.scrape();
  // Errors logged while booting (e.g. a provider check retried on a busy machine) are not the calls'.
  const bootErrorLogs = errorLogsOf(agent);
  const emu0 = await o.emulators.stats();
  const load = await startLoad(o, agent);
  await sleep(load.measureFromMs - epochNow());
  const windowFrom = epochNow();
  const progress = setInterval(() => {
    log(
      `  ${o.calls} calls: ${((epochNow() - windowFrom) / 1000).toFixed(0)} s into the window, ${load.run.calls.length} calls ended`,
    );
  }, 15_000);
  let window: WindowReadings;
  let ended: CallersEnded;
  try {
    window = await measureWindow(agent, load, o.emulators);
    log(
      `  ${o.calls} calls: window done; the callers hang up in ${((ANSWER_TIMEOUT_MS + 1000) / 1000).toFixed(0)} s`,
    );
    ended = await callersEnded(o, load);
  } finally {
    clearInterval(progress);
  }
  dumpStepCalls(o, agent, load.faults, ended);
  const atEnd = await agent.scrape();
  const emu1 = await o.emulators.stats();
  const errorLogs = errorLogsOf(agent) - bootErrorLogs;
  const inputs: StepInputs = {
    profile: o.profileName,
    calls: o.calls,
    durationS: o.durationS,
    rampS: load.rampMs / 1000,
    windowFromMs: window.w0,
    windowUntilMs: window.w1,
    loadAvgStart,
    loadAvgEnd: loadavg(),
    calls_: ended.outcome.calls,
    agentTurns: agent.turns,
    cpuWindowMs: window.proc1.cpuMs - window.proc0.cpuMs,
    cpuSystemWindowMs: window.proc1.systemMs - window.proc0.systemMs,
    rssIdleBytes: idle.rssBytes,
    rssBytes: window.proc1.rssBytes,
    rssMaxBytes: window.rssMax,
    heapUsedBytes: sumOf(window.m1, 'hva_process_nodejs_heap_size_used_bytes'),
    lag: lagFromScrape(window.m1),
    windowCounters: diff(counters(window.m0), counters(window.m1)),
    stepCounters: diff(counters(atStart), counters(atEnd)),
    agentErrorLogs: errorLogs,
    agentLastErrors: agent.lastErrors.slice(Math.max(0, agent.lastErrors.length - errorLogs)),
    emulatorsCpuMs: emu1.cpuMs - emu0.cpuMs,
    callersCpuMs: ended.outcome.cpuMs,
    callersLagP99Ms: ended.outcome.lagP99Ms,
    callersWallMs: epochNow() - load.t0,
    machineBusyCores: window.machineBusy,
    machineCores: cpus().length,
    messageCounts: messageCounts(window.m0, window.m1, window.emu0, window.emu1),
    ...(window.sched0 && window.sched1
      ? { agentMainThread: mainThreadWindow(window.sched0, window.sched1, window.w1 - window.w0) }
      : {}),
  };
  return withFaults(summarizeStep(inputs), load.faults, ended, inputs.stepCounters['callsLost'] ?? 0);
}

const errorLogsOf = (agent: AgentProcess): number =>
  (agent.logLevels.get('error') ?? 0) + (agent.logLevels.get('fatal') ?? 0);

/** The callers at work: N slots over the ramp, and when the measurement window lies. */
interface Load {
  readonly t0: number;
  readonly rampMs: number;
  readonly measureFromMs: number;
  readonly measureUntilMs: number;
  readonly faults: FaultsSpec | undefined;
  readonly run: CallersRun;
  /** True once the callers' process has finished (or failed). */
  callersDone(): boolean;
}

async function startLoad(o: StepOptions, agent: AgentProcess): Promise<Load> {
  const rampMs = o.rampMs ?? rampMsFor(o.calls);
  const t0 = epochNow();
  const measureFromMs = o.measureFromStart ? t0 : t0 + rampMs + SETTLE_MS;
  const measureUntilMs = measureFromMs + o.durationS * 1000;
  const faults: FaultsSpec | undefined = o.faults && { ...o.faults, epochMs: measureFromMs };
  if (faults) await o.emulators.setFaults(faults);
  const run = runCallers({
    ...callersTarget(agent, o.emulators.endpoints),
    runId: o.runId,
    slots: o.calls,
    rampMs,
    // Every turn that ended inside the window gets its full answer timeout before the hang-up.
    stopAtMs: measureUntilMs + ANSWER_TIMEOUT_MS + 1000,
    ...(o.maxCalls !== undefined ? { maxCalls: o.maxCalls } : {}),
    ...(faults ? { faults } : {}),
  });
  let done = false;
  run.done.then(
    () => (done = true),
    () => (done = true),
  );
  return { t0, rampMs, measureFromMs, measureUntilMs, faults, run, callersDone: () => done };
}

/** The agent and the machine at the window's start and end, and the agent's highest RSS in it. */
interface WindowReadings {
  readonly w0: number;
  readonly w1: number;
  readonly proc0: ProcStat;
  readonly proc1: ProcStat;
  readonly sched0: ReturnType<typeof readMainThreadSchedStat>;
  readonly sched1: ReturnType<typeof readMainThreadSchedStat>;
  readonly m0: readonly Sample[];
  readonly m1: readonly Sample[];
  /** The emulators' counters at the window's start and end (messageCounts). */
  readonly emu0: EmulatorStats;
  readonly emu1: EmulatorStats;
  readonly rssMax: number;
  readonly machineBusy: number;
}

/** From now (the window's start) until its end, or until every caller has finished. */
async function measureWindow(
  agent: AgentProcess,
  load: Load,
  emulators: EmulatorsHandle,
): Promise<WindowReadings> {
  const w0 = epochNow();
  const cpuTotals0 = readCpuTotals();
  const proc0 = agent.procStat();
  const sched0 = readMainThreadSchedStat(agent.pid);
  const m0 = await agent.scrape(); // also resets the lag window
  const emu0 = await emulators.stats();
  let rssMax = proc0.rssBytes;
  const rssTimer = setInterval(() => {
    try {
      rssMax = Math.max(rssMax, agent.procStat().rssBytes);
    } catch {
      // The agent is gone; the step reports it.
    }
  }, 1000);
  try {
    while (epochNow() < load.measureUntilMs && !load.callersDone())
      await sleep(Math.min(250, load.measureUntilMs - epochNow()));
    const w1 = epochNow();
    const machineBusy = busyCores(cpuTotals0, readCpuTotals(), cpus().length);
    const proc1 = agent.procStat();
    const sched1 = readMainThreadSchedStat(agent.pid);
    const m1 = await agent.scrape();
    const emu1 = await emulators.stats();
    return { w0, w1, proc0, proc1, sched0, sched1, m0, m1, emu0, emu1, rssMax, machineBusy };
  } finally {
    clearInterval(rssTimer);
  }
}

interface CallersEnded {
  readonly outcome: CallersOutcome;
  readonly emulatorFaultEvents: FaultEvent[];
}

/** Waits for the callers to hang up; then takes the emulators' fault events and clears the plan. */
async function callersEnded(o: StepOptions, load: Load): Promise<CallersEnded> {
  let outcome: CallersOutcome;
  let emulatorFaultEvents: FaultEvent[] = [];
  try {
    outcome = await load.run.done;
  } finally {
    if (load.faults) {
      emulatorFaultEvents = await o.emulators.faultEvents();
      await o.emulators.setFaults(undefined);
    }
  }
  return { outcome, emulatorFaultEvents };
}

/**
 * HVA_BENCH_DUMP_DIR: the callers' own view of every call (and the faults injected), to read
 * turn by turn beside the agent's log (harness.ts keeps it there too).
 */
function dumpStepCalls(
  o: StepOptions,
  agent: AgentProcess,
  faults: FaultsSpec | undefined,
  ended: CallersEnded,
): void {
  const dumpDir = process.env['HVA_BENCH_DUMP_DIR'];
  if (!dumpDir) return;
  mkdirSync(dumpDir, { recursive: true });
  const dump = {
    runId: o.runId,
    agentPid: agent.pid,
    faults: faults ?? null,
    events: ended.emulatorFaultEvents,
    calls: ended.outcome.calls,
  };
  writeFileSync(join(dumpDir, `calls-${o.runId}.json`), JSON.stringify(dump));
}

/** A step with faults carries what the chaos report needs: the events and every call. */
function withFaults(
  result: StepResult,
  faults: FaultsSpec | undefined,
  ended: CallersEnded,
  agentLostCalls: number,
): FaultedStepResult {
  if (!faults) return result;
  return {
    ...result,
    faults: {
      ...faults,
      events: [...ended.emulatorFaultEvents, ...ended.outcome.faultEvents].sort(
        (a, b) => a.atEpochMs - b.atEpochMs,
      ),
      calls: ended.outcome.calls,
      agentLostCalls,
    },
  };
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]));
}
