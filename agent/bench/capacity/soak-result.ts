// The soak's result from what runSoak (soak.ts) gathered: the turns in the window, memory
// slopes, handles against the baseline, latency and unanswered turns by minute, errors.
import type { AgentProcess, CallersOutcome } from './harness.ts';
import { describeAllocator } from './allocator.ts';
import { counters } from './step.ts';
import type { Sample } from './prom.ts';
import type { CallSummary } from './protocol.ts';
import type { MachineFacts } from './report.ts';
import {
  floorSlopePerHour,
  latencyByMinute,
  resourceDiff,
  slopePerHour,
  unansweredByMinute,
  type ResourceSnapshot,
  type SoakResult,
  type SoakSample,
} from './soak-report.ts';
import { callSecondsIn, tallyTurns, unansweredTurns, windowed } from './summary.ts';

/** Slopes leave out the first minutes: caches, JIT and connection pools fill then. */
export const WARMUP_MINUTES = 2;

/** What the soak's report says about the run itself. */
export interface SoakRunFacts {
  readonly profileName: string;
  readonly profilePath: string;
  readonly calls: number;
  readonly minutes: number;
  readonly command: string;
  readonly machine: MachineFacts;
}

/** The agent before the load: at boot, then after one warm-up call (the baseline). */
export interface BeforeTheLoad {
  readonly baselineBoot: ResourceSnapshot;
  readonly baseline: ResourceSnapshot;
  readonly atStart: readonly Sample[];
  /** Errors logged while booting (a provider check retried on a busy machine) are not the calls'. */
  readonly bootErrorLogs: number;
}

export const errorLogsOf = (agent: AgentProcess): number =>
  (agent.logLevels.get('error') ?? 0) + (agent.logLevels.get('fatal') ?? 0);

export interface Sampled {
  readonly samples: SoakSample[];
  /** The agent's CPU time when the load started, and what it used up to `until`. */
  readonly cpu0: number;
  readonly cpuAtUntil: number | undefined;
}

export interface AfterTheCalls {
  readonly end: ResourceSnapshot;
  readonly atEnd: readonly Sample[];
  readonly afterForcedGc: SoakSample | undefined;
  readonly loadAvgEnd: number[];
}

export interface SoakRun {
  readonly o: SoakRunFacts;
  readonly agent: AgentProcess;
  readonly startedAt: string;
  readonly loadAvgStart: number[];
  readonly t0: number;
  readonly until: number;
  readonly before: BeforeTheLoad;
  readonly sampled: Sampled;
  readonly outcome: CallersOutcome;
  readonly after: AfterTheCalls;
}

export function soakResultOf(r: SoakRun): SoakResult {
  const { o, before, after, sampled } = r;
  const { samples } = sampled;
  const inWindow = windowed({
    calls_: r.outcome.calls,
    agentTurns: r.agent.turns,
    windowFromMs: r.t0,
    windowUntilMs: r.until,
  });
  const { calls: measured, callerTurns, agentTurns } = inWindow;
  const callSeconds = callSecondsIn(r.outcome.calls, r.t0, r.until);
  const loads = samples.map((s) => s.loadAvg1);
  const lagP99s = samples.flatMap((s) => (s.lagP99Ms === undefined ? [] : [s.lagP99Ms]));
  const lagMaxes = samples.flatMap((s) => (s.lagMaxMs === undefined ? [] : [s.lagMaxMs]));
  return {
    kind: 'soak',
    startedAt: r.startedAt,
    finishedAt: new Date().toISOString(),
    command: o.command,
    machine: o.machine,
    profile: o.profileName,
    profilePath: o.profilePath,
    allocator: describeAllocator(r.agent.allocator),
    calls: o.calls,
    minutes: o.minutes,
    loadAvgStart: r.loadAvgStart,
    loadAvgEnd: after.loadAvgEnd,
    loadAvg1Range: [Math.min(...loads, r.loadAvgStart[0]!), Math.max(...loads, r.loadAvgStart[0]!)],
    callsPlaced: r.outcome.placed,
    ...tallyTurns(inWindow),
    ...memorySlopes(samples),
    warmupMinutes: WARMUP_MINUTES,
    cpuMsPerCallSecond:
      sampled.cpuAtUntil !== undefined && callSeconds > 0 ? sampled.cpuAtUntil / callSeconds : undefined,
    baselineBoot: before.baselineBoot,
    baseline: before.baseline,
    end: after.end,
    leftOver: resourceDiff(before.baseline, after.end),
    ...(after.afterForcedGc ? { afterForcedGc: after.afterForcedGc } : {}),
    byMinute: latencyByMinute(
      r.t0,
      agentTurns.flatMap((t) => {
        const open = measured.find((c) => c.callSid === t.callSid)?.openAtMs;
        return open === undefined || t.speechEndMs === undefined || t.totalMs === undefined
          ? []
          : [{ atMs: open + t.speechEndMs, totalMs: t.totalMs }];
      }),
      callerTurns,
    ),
    notAnsweredByMinute: unansweredByMinute(
      r.t0,
      callerTurns.map((t) => t.speechEndAtMs),
      unansweredTurns(inWindow),
      samples,
    ),
    lagP99MsMax: lagP99s.length ? Math.max(...lagP99s) : undefined,
    lagMaxMs: lagMaxes.length ? Math.max(...lagMaxes) : undefined,
    errors: soakErrors(measured, before.atStart, after.atEnd, errorLogsOf(r.agent) - before.bootErrorLogs),
    samples,
  };
}

/** Least-squares slopes, MB per hour: after the warm-up minutes, and over every sample. */
function memorySlopes(
  samples: readonly SoakSample[],
): Pick<
  SoakResult,
  | 'rssSlopeMbPerHour'
  | 'heapSlopeMbPerHour'
  | 'rssSlopeAllMbPerHour'
  | 'heapSlopeAllMbPerHour'
  | 'heapFloorSlopeMbPerHour'
  | 'heapTotalSlopeMbPerHour'
  | 'externalSlopeMbPerHour'
> {
  const after = samples.filter((s) => s.t >= WARMUP_MINUTES * 60);
  const pts = (
    list: readonly SoakSample[],
    f: (s: SoakSample) => number | undefined,
  ): Array<[number, number]> =>
    list.flatMap((s) => {
      const v = f(s);
      return v === undefined ? [] : [[s.t, v] as [number, number]];
    });
  return {
    rssSlopeMbPerHour: slopePerHour(pts(after, (s) => s.rssMb)),
    heapSlopeMbPerHour: slopePerHour(pts(after, (s) => s.heapUsedMb)),
    rssSlopeAllMbPerHour: slopePerHour(pts(samples, (s) => s.rssMb)),
    heapSlopeAllMbPerHour: slopePerHour(pts(samples, (s) => s.heapUsedMb)),
    heapFloorSlopeMbPerHour: floorSlopePerHour(pts(after, (s) => s.heapUsedMb)),
    heapTotalSlopeMbPerHour: slopePerHour(pts(after, (s) => s.heapTotalMb)),
    externalSlopeMbPerHour: slopePerHour(pts(after, (s) => s.externalMb)),
  };
}

/** The callers' failures in the window and the agent's counters gained over the soak. */
function soakErrors(
  measured: readonly CallSummary[],
  atStart: readonly Sample[],
  atEnd: readonly Sample[],
  errorLogLines: number,
): Record<string, number> {
  const c0 = counters(atStart);
  const c1 = counters(atEnd);
  return {
    'calls failed or cut': measured.filter((c) => c.outcome === 'error' || c.outcome === 'server-closed')
      .length,
    'protocol errors (callers)': measured.reduce((a, c) => a + c.protocolErrors, 0),
    'answer wait timeouts (callers)': measured.reduce((a, c) => a + c.waitTimeouts, 0),
    ...Object.fromEntries(
      Object.entries(c1)
        .filter(([k]) => !['bargeIns', 'lateFrames', 'droppedFrames'].includes(k))
        .map(([k, v]) => [`${k} (agent)`, v - (c0[k] ?? 0)]),
    ),
    'late frames (agent)': (c1['lateFrames'] ?? 0) - (c0['lateFrames'] ?? 0),
    'dropped frames (agent)': (c1['droppedFrames'] ?? 0) - (c0['droppedFrames'] ?? 0),
    'error log lines (agent)': errorLogLines,
  };
}
