// Turns one step's raw observations (calls as the callers saw them, the agent's turn records and
// counters, /proc figures) into the step's result. Pure.
import type { AgentTurn } from './agent-log.ts';
import type { mainThreadWindow } from './probe.ts';
import type { CallSummary } from './protocol.ts';
import { cdfPoints, overlapS, quantiles, type Quantiles } from './stats.ts';

export interface StepInputs {
  readonly profile: string;
  readonly calls: number;
  readonly durationS: number;
  readonly rampS: number;
  /** Epoch ms of the measurement window. */
  readonly windowFromMs: number;
  readonly windowUntilMs: number;
  readonly loadAvgStart: readonly number[];
  readonly loadAvgEnd: readonly number[];
  /** Every call the callers placed. */
  readonly calls_: readonly CallSummary[];
  readonly agentTurns: readonly AgentTurn[];
  /** Agent CPU (user + system) and system alone inside the window, ms. */
  readonly cpuWindowMs: number;
  readonly cpuSystemWindowMs: number;
  readonly rssIdleBytes: number;
  readonly rssBytes: number;
  readonly rssMaxBytes: number;
  readonly heapUsedBytes: number;
  /** Event-loop lag over the window, ms. */
  readonly lag: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Counter increases inside the window and over the whole step. */
  readonly windowCounters: Readonly<Record<string, number>>;
  readonly stepCounters: Readonly<Record<string, number>>;
  readonly agentErrorLogs: number;
  readonly agentLastErrors: readonly string[];
  readonly emulatorsCpuMs: number;
  readonly callersCpuMs: number;
  readonly callersLagP99Ms: number;
  readonly callersWallMs: number;
  /** Cores busy on average during the window, every process of the machine (/proc/stat). */
  readonly machineBusyCores: number;
  readonly machineCores: number;
  /** The agent's event-loop thread over the window (probe.ts mainThreadWindow); absent in older results. */
  readonly agentMainThread?: MainThreadWindow;
  /** Messages of each kind counted over the window (step.ts messageCounts), for the rates. */
  readonly messageCounts?: Readonly<Record<string, number>>;
}

export type MainThreadWindow = ReturnType<typeof mainThreadWindow>;

/** What became of the calls and turns of a window, as the callers and the agent saw them. */
export interface TurnTally {
  /** Outcomes of the calls up inside the window ('hung-up': ended by the harness after it). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Caller turns that ended inside the window, and those that got no answer (plus the turns of
   *  calls that failed inside the window and never came). */
  readonly callerTurns: number;
  readonly turnsNotAnswered: number;
  /** Unanswered caller turns by fixture label (which part of the conversation goes unanswered). */
  readonly notAnsweredByLabel: Readonly<Record<string, number>>;
  /** Unanswered caller turns by why the caller heard nothing (unansweredTurns: NotAnsweredWhy). */
  readonly notAnsweredWhy: Readonly<Record<string, number>>;
  /** Unanswered caller turns by what the agent's turn records say it did with them. */
  readonly notAnsweredAgentSaw: Readonly<Record<string, number>>;
  readonly agentTurns: number;
  readonly agentOutcomes: Readonly<Record<string, number>>;
}

export interface StepResult extends TurnTally {
  readonly profile: string;
  readonly calls: number;
  readonly durationS: number;
  readonly rampS: number;
  readonly windowS: number;
  readonly loadAvgStart: readonly number[];
  readonly loadAvgEnd: readonly number[];
  /** Calls that were up at some time inside the window. */
  readonly measuredCalls: number;
  /** Agent: caller speech end -> first agent frame sent, s. */
  readonly latencyS: Quantiles;
  /** Caller: end of its speech -> agent audio playing, s. */
  readonly callerGapS: Quantiles;
  readonly latencyCdf: Array<[number, number]>;
  readonly callerGapCdf: Array<[number, number]>;
  /** Seconds of calls (any call, open to end) inside the window. */
  readonly callSeconds: number;
  readonly agentCpuPct: number;
  readonly agentCpuSystemPct: number;
  readonly cpuMsPerCallSecond: number | undefined;
  readonly rssIdleMb: number;
  readonly rssMb: number;
  readonly rssMaxMb: number;
  readonly rssPerCallKb: number;
  readonly heapUsedMb: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  readonly lateFrames: number;
  readonly droppedFrames: number;
  readonly callerLateEchoes: number;
  readonly bargeIns: number;
  readonly callerClears: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorTotal: number;
  readonly agentLastErrors: readonly string[];
  readonly emulatorsCpuPct: number;
  readonly callersCpuPct: number;
  readonly callersLagP99Ms: number;
  /** Cores busy on average during the window, every process of the machine (ours and others'). */
  readonly machineBusyCores: number;
  readonly machineCores: number;
  /**
   * Messages of each kind per call-second in the window: the agent's Twilio media in and out and
   * clears (its /metrics), the Speech, LLM and TTS requests and results (the emulators' counters),
   * so two agents are compared message by message.
   */
  readonly messagesPerCallSecond?: Readonly<Record<string, number>>;
  readonly agentMainThread?: MainThreadWindow;
  /** Why the step counts as broken (the sweep stops after it); undefined when it held. */
  readonly broken: string | undefined;
}

const MB = 2 ** 20;
/** A step is broken when more than this share of calls fail or turns go unanswered. */
export const BROKEN_SHARE = 0.05;
/** ... or when the agent's event loop lags this much at p99 (calls are no longer real time). */
export const BROKEN_LAG_P99_MS = 500;

function count<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}

/** The part of the observations that falls in the window: turns by their speech end. */
export function windowed(i: Pick<StepInputs, 'calls_' | 'agentTurns' | 'windowFromMs' | 'windowUntilMs'>): {
  calls: CallSummary[];
  callerTurns: CallSummary['turns'][number][];
  missing: number;
  /** Calls that failed inside the window (their turnsMissing are in `missing`). */
  failedInWindow: CallSummary[];
  agentTurns: AgentTurn[];
} {
  const inWindow = (t: number): boolean => t >= i.windowFromMs && t < i.windowUntilMs;
  const calls = i.calls_.filter(
    (c) => (c.openAtMs ?? c.placedAtMs) < i.windowUntilMs && c.endedAtMs >= i.windowFromMs,
  );
  const callerTurns = calls.flatMap((c) => c.turns.filter((t) => inWindow(t.speechEndAtMs)));
  // A call that failed inside the window took its remaining turns with it.
  const failedInWindow = calls.filter(
    (c) => (c.outcome === 'error' || c.outcome === 'server-closed') && inWindow(c.endedAtMs),
  );
  const missing = failedInWindow.reduce((a, c) => a + c.turnsMissing, 0);
  const opened = new Map(
    calls.flatMap((c) => (c.openAtMs === undefined ? [] : [[c.callSid, c.openAtMs] as const])),
  );
  const agentTurns = i.agentTurns.filter((t) => {
    const open = opened.get(t.callSid);
    return open !== undefined && t.speechEndMs !== undefined && inWindow(open + t.speechEndMs);
  });
  return { calls, callerTurns, missing, failedInWindow, agentTurns };
}

/**
 * Why a caller turn heard no answer, from the caller's side:
 * - 'wait timed out': the caller waited the whole answer timeout and heard no agent audio;
 * - 'caller moved on': the caller's wait ended on agent audio, yet none counted as a reply before
 *   it spoke again (before the simulator's fix in sim/caller/agent-talk.ts: an earlier answer
 *   still playing, or one already cleared);
 * - 'call ended (<outcome>)': the call ended before the caller's wait did (hung up by the harness,
 *   closed by the agent, dropped, failed);
 * - 'call failed before the turn': a turn the call never reached because it failed;
 * - 'not recorded': a result from a caller that did not note how its wait ended.
 */
export type NotAnsweredWhy = string;

/** One caller turn that heard no answer, with where it sits and why. */
export interface UnansweredTurn {
  readonly callSid: string;
  /** Epoch ms of the caller's speech end (of the call's end for turns never reached). */
  readonly atMs: number;
  readonly label: string;
  readonly why: NotAnsweredWhy;
  /** Outcomes of the agent's turn records for it ('no record' when the agent logged none). */
  readonly agentSaw: string;
}

type CallerTurn = CallSummary['turns'][number];

export function whyNotAnswered(call: CallSummary, turn: CallerTurn): NotAnsweredWhy {
  switch (turn.answerWait) {
    case 'timed-out':
      return 'wait timed out';
    case 'heard':
      return 'caller moved on';
    case 'call-ended':
      return `call ended (${call.outcome})`;
    default:
      return 'not recorded';
  }
}

/**
 * The agent's turn records that belong to caller turn `i` of `call`: their speech end (call
 * clock) falls after the turn's speech start and before the next turn's. The agent's clock starts
 * when it reads `start`, the caller's when it sends it; the two differ by a loopback hop.
 */
export function agentRecordsFor(call: CallSummary, i: number, agentTurns: readonly AgentTurn[]): AgentTurn[] {
  const open = call.openAtMs;
  if (open === undefined) return [];
  const t = call.turns[i]!;
  const from = (t.speechStartAtMs ?? t.speechEndAtMs - 1) - open;
  const next = call.turns[i + 1];
  const until = next ? (next.speechStartAtMs ?? next.speechEndAtMs) - open : Infinity;
  return agentTurns.filter(
    (a) =>
      a.callSid === call.callSid &&
      a.speechEndMs !== undefined &&
      a.speechEndMs >= from &&
      a.speechEndMs < until,
  );
}

/** Every caller turn of the window that heard no answer, with why (and the turns failed calls never reached). */
export function unansweredTurns(w: ReturnType<typeof windowed>): UnansweredTurn[] {
  const inTurns = new Set(w.callerTurns);
  const byCall = new Map<string, AgentTurn[]>();
  for (const a of w.agentTurns) {
    const list = byCall.get(a.callSid);
    if (list) list.push(a);
    else byCall.set(a.callSid, [a]);
  }
  const out: UnansweredTurn[] = [];
  for (const c of w.calls) {
    const records = byCall.get(c.callSid) ?? [];
    c.turns.forEach((t, i) => {
      if (!inTurns.has(t) || t.gapMs !== undefined) return;
      const outcomes = agentRecordsFor(c, i, records).map((a) => a.outcome ?? 'answered');
      out.push({
        callSid: c.callSid,
        atMs: t.speechEndAtMs,
        label: t.label,
        why: whyNotAnswered(c, t),
        agentSaw: outcomes.length === 0 ? 'no record' : outcomes.join('+'),
      });
    });
  }
  for (const c of w.failedInWindow)
    for (let k = 0; k < c.turnsMissing; k++)
      out.push({
        callSid: c.callSid,
        atMs: c.endedAtMs,
        label: '(never reached)',
        why: 'call failed before the turn',
        agentSaw: 'no record',
      });
  return out;
}

/** Counts what `windowed` kept: call outcomes, caller turns answered or not, agent turn outcomes. */
export function tallyTurns(w: ReturnType<typeof windowed>): TurnTally {
  const unanswered = unansweredTurns(w);
  const spoken = unanswered.filter((u) => u.why !== 'call failed before the turn');
  return {
    outcomes: count(w.calls, (c) => c.outcome),
    callerTurns: w.callerTurns.length + w.missing,
    turnsNotAnswered: unanswered.length,
    notAnsweredByLabel: count(spoken, (t) => t.label),
    notAnsweredWhy: count(unanswered, (t) => t.why),
    notAnsweredAgentSaw: count(unanswered, (t) => t.agentSaw),
    agentTurns: w.agentTurns.length,
    agentOutcomes: count(w.agentTurns, (t) => t.outcome ?? 'answered'),
  };
}

/** Seconds of calls (open to end) inside [fromMs, untilMs). */
export function callSecondsIn(calls: readonly CallSummary[], fromMs: number, untilMs: number): number {
  return calls.reduce(
    (a, c) => (c.openAtMs === undefined ? a : a + overlapS(c.openAtMs, c.endedAtMs, fromMs, untilMs)),
    0,
  );
}

/** Every kind of error a step counts, by name (callers' and the agent's). */
function stepErrors(
  i: StepInputs,
  measured: readonly CallSummary[],
  callErrors: number,
): Record<string, number> {
  return {
    'call failed or cut (callers)': callErrors,
    'protocol errors (callers)': measured.reduce((a, c) => a + c.protocolErrors, 0),
    'answer wait timeouts (callers)': measured.reduce((a, c) => a + c.waitTimeouts, 0),
    'session errors (agent)': i.stepCounters['sessionErrors'] ?? 0,
    'handler errors (agent)': i.stepCounters['handlerErrors'] ?? 0,
    'apologies (agent)': i.stepCounters['apologies'] ?? 0,
    'refused streams (agent)': i.stepCounters['refusedStreams'] ?? 0,
    'calls ended by the edge (agent)': i.stepCounters['callsEndedByEdge'] ?? 0,
    'calls lost on the network (agent)': i.stepCounters['callsLost'] ?? 0,
    'malformed frames (agent)': i.stepCounters['malformedFrames'] ?? 0,
    'error log lines (agent)': i.agentErrorLogs,
  };
}

export function summarizeStep(i: StepInputs): StepResult {
  const inWindow = windowed(i);
  const { calls: measured, callerTurns, agentTurns } = inWindow;
  const tally = tallyTurns(inWindow);
  const notAnswered = tally.turnsNotAnswered;
  const totals = agentTurns.flatMap((t) => (t.totalMs === undefined ? [] : [t.totalMs / 1000]));
  const gaps = callerTurns.flatMap((t) => (t.gapMs === undefined ? [] : [t.gapMs / 1000]));
  const windowS = (i.windowUntilMs - i.windowFromMs) / 1000;
  const callSeconds = callSecondsIn(i.calls_, i.windowFromMs, i.windowUntilMs);
  const callErrors = measured.filter((c) => c.outcome === 'error' || c.outcome === 'server-closed').length;
  const answerable = tally.callerTurns;
  const errors = stepErrors(i, measured, callErrors);
  const errorTotal = Object.entries(errors)
    .filter(([k]) => k !== 'answer wait timeouts (callers)')
    .reduce((a, [, v]) => a + v, 0);
  const reasons: string[] = [];
  if (callerTurns.length === 0) reasons.push('no caller turn ended inside the window');
  if (measured.length > 0 && callErrors / measured.length > BROKEN_SHARE)
    reasons.push(`${callErrors}/${measured.length} calls failed`);
  if (answerable > 0 && notAnswered / answerable > BROKEN_SHARE)
    reasons.push(`${notAnswered}/${answerable} turns not answered`);
  if (i.lag.p99 > BROKEN_LAG_P99_MS) reasons.push(`event-loop lag p99 ${i.lag.p99.toFixed(0)} ms`);
  const wallS = i.callersWallMs / 1000;
  return {
    profile: i.profile,
    calls: i.calls,
    durationS: i.durationS,
    rampS: i.rampS,
    windowS,
    loadAvgStart: i.loadAvgStart,
    loadAvgEnd: i.loadAvgEnd,
    measuredCalls: measured.length,
    ...tally,
    latencyS: quantiles(totals),
    callerGapS: quantiles(gaps),
    latencyCdf: cdfPoints(totals),
    callerGapCdf: cdfPoints(gaps),
    callSeconds,
    agentCpuPct: windowS > 0 ? (i.cpuWindowMs / (windowS * 1000)) * 100 : 0,
    agentCpuSystemPct: windowS > 0 ? (i.cpuSystemWindowMs / (windowS * 1000)) * 100 : 0,
    cpuMsPerCallSecond: callSeconds > 0 ? i.cpuWindowMs / callSeconds : undefined,
    rssIdleMb: i.rssIdleBytes / MB,
    rssMb: i.rssBytes / MB,
    rssMaxMb: i.rssMaxBytes / MB,
    rssPerCallKb: (i.rssBytes - i.rssIdleBytes) / 1024 / Math.max(1, i.calls),
    heapUsedMb: i.heapUsedBytes / MB,
    lagP50Ms: i.lag.p50,
    lagP99Ms: i.lag.p99,
    lagMaxMs: i.lag.max,
    lateFrames: i.windowCounters['lateFrames'] ?? 0,
    droppedFrames: i.windowCounters['droppedFrames'] ?? 0,
    callerLateEchoes: measured.reduce((a, c) => a + c.lateEchoes, 0),
    bargeIns: i.stepCounters['bargeIns'] ?? 0,
    callerClears: measured.reduce((a, c) => a + c.clears, 0),
    errors,
    errorTotal,
    agentLastErrors: i.agentLastErrors,
    emulatorsCpuPct: wallS > 0 ? (i.emulatorsCpuMs / (wallS * 1000)) * 100 : 0,
    callersCpuPct: wallS > 0 ? (i.callersCpuMs / (wallS * 1000)) * 100 : 0,
    callersLagP99Ms: i.callersLagP99Ms,
    machineBusyCores: i.machineBusyCores,
    machineCores: i.machineCores,
    ...(i.agentMainThread ? { agentMainThread: i.agentMainThread } : {}),
    ...(i.messageCounts && callSeconds > 0
      ? {
          messagesPerCallSecond: Object.fromEntries(
            Object.entries(i.messageCounts).map(([k, v]) => [k, v / callSeconds]),
          ),
        }
      : {}),
    broken: reasons.length === 0 ? undefined : reasons.join('; '),
  };
}
