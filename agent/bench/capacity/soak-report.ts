// The soak's figures and report: memory slope by least squares, handles and sockets against the
// baseline, turns answered, latency by minute. Pure: samples in, numbers and text out.
import type { MachineFacts } from './report.ts';
import { quantiles, type Quantiles } from './stats.ts';
import { memorySlopeTable } from './soak-memory.ts';
import { renderLineChart } from './svg.ts';
import type { TurnTally, UnansweredTurn } from './summary.ts';

export interface SoakSample {
  /** Seconds since the soak's calls started. */
  readonly t: number;
  readonly rssMb: number;
  readonly heapUsedMb: number | undefined;
  /** V8's committed heap and memory held outside it (Buffers), MB; absent in older results. */
  readonly heapTotalMb?: number | undefined;
  readonly externalMb?: number | undefined;
  /**
   * From the agent probe (agent-probe.ts) and /proc/<pid>/smaps (probe.ts); absent in older
   * results: ArrayBuffer/Buffer backing stores (part of external), glibc's main malloc arena and
   * thread arenas, other anonymous memory (V8 pages, large blocks), GC time and the longest GC
   * pause in the last probe interval, the loop's busy share.
   */
  readonly arrayBuffersMb?: number;
  readonly mallocMainMb?: number;
  readonly mallocThreadArenasMb?: number;
  readonly otherAnonMb?: number;
  readonly gcMs?: number;
  readonly gcMaxMs?: number;
  readonly eluShare?: number;
  readonly activeCalls: number | undefined;
  readonly cpuMs: number;
  /** Event-loop lag since the previous sample, ms (undefined when not scraped). */
  readonly lagP99Ms: number | undefined;
  readonly lagMaxMs: number | undefined;
  readonly loadAvg1: number;
}

/** What the agent holds, by kind: active handles and resources (process.getActiveResourcesInfo via prom-client). */
export interface ResourceSnapshot {
  readonly handles: Readonly<Record<string, number>>;
  readonly resources: Readonly<Record<string, number>>;
  readonly activeCalls: number;
  readonly heapUsedMb: number;
  readonly rssMb: number;
}

export interface MinuteLatency {
  readonly minute: number;
  readonly latencyS: Quantiles;
  readonly callerGapS: Quantiles;
}

/** Caller turns of one minute (by speech end) and those that heard no answer, with why. */
export interface MinuteUnanswered {
  readonly minute: number;
  readonly callerTurns: number;
  readonly notAnswered: number;
  readonly byLabel: Readonly<Record<string, number>>;
  /** Caller's view (summary.ts NotAnsweredWhy). */
  readonly byWhy: Readonly<Record<string, number>>;
  /** The agent's turn records for them. */
  readonly byAgent: Readonly<Record<string, number>>;
  /** Worst 10 s event-loop lag p99 and highest 1-minute load average sampled in the minute. */
  readonly lagP99MsMax: number | undefined;
  readonly loadAvg1Max: number | undefined;
}

export interface SoakResult extends TurnTally {
  readonly kind: 'soak';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: MachineFacts;
  readonly profile: string;
  readonly profilePath: string;
  /** The agent's malloc, as allocator.ts describeAllocator says it (absent in older results). */
  readonly allocator?: string;
  readonly calls: number;
  readonly minutes: number;
  readonly loadAvgStart: readonly number[];
  readonly loadAvgEnd: readonly number[];
  readonly loadAvg1Range: readonly [number, number];
  readonly callsPlaced: number;
  /** Least-squares slopes over the samples after the warm-up minutes, MB per hour. */
  readonly rssSlopeMbPerHour: number;
  readonly heapSlopeMbPerHour: number;
  /** Same over every sample, for comparison. */
  readonly rssSlopeAllMbPerHour: number;
  readonly heapSlopeAllMbPerHour: number;
  /**
   * After the warm-up: the slope of the heap's lowest sample per minute (the GC sawtooth's floor,
   * what a leak raises), of the committed heap and of external memory. Absent in older results.
   */
  readonly heapFloorSlopeMbPerHour?: number;
  readonly heapTotalSlopeMbPerHour?: number;
  readonly externalSlopeMbPerHour?: number;
  readonly warmupMinutes: number;
  readonly cpuMsPerCallSecond: number | undefined;
  readonly baselineBoot: ResourceSnapshot;
  readonly baseline: ResourceSnapshot;
  readonly end: ResourceSnapshot;
  /** Once every call had ended, right after a full GC (absent in older results). */
  readonly afterForcedGc?: SoakSample;
  /** Kinds whose count at the end differs from the baseline (after a warm-up call). */
  readonly leftOver: Readonly<Record<string, { baseline: number; end: number }>>;
  readonly byMinute: readonly MinuteLatency[];
  /** Turns not answered per minute (absent in results from before it was kept). */
  readonly notAnsweredByMinute?: readonly MinuteUnanswered[];
  readonly lagP99MsMax: number | undefined;
  readonly lagMaxMs: number | undefined;
  readonly errors: Readonly<Record<string, number>>;
  readonly samples: readonly SoakSample[];
}

export { floorSlopePerHour, slopePerHour } from './stats.ts';

/** Counts that differ between two snapshots (handles as `handle:<type>`, resources as `resource:<type>`). */
export function resourceDiff(
  baseline: ResourceSnapshot,
  end: ResourceSnapshot,
): Record<string, { baseline: number; end: number }> {
  const out: Record<string, { baseline: number; end: number }> = {};
  for (const [prefix, a, b] of [
    ['handle', baseline.handles, end.handles],
    ['resource', baseline.resources, end.resources],
  ] as const) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = a[k] ?? 0;
      const y = b[k] ?? 0;
      if (x !== y) out[`${prefix}:${k}`] = { baseline: x, end: y };
    }
  }
  if (baseline.activeCalls !== end.activeCalls)
    out['activeCalls'] = { baseline: baseline.activeCalls, end: end.activeCalls };
  return out;
}

/** Turn latency (agent) and caller gap per minute since `t0` (epoch ms) of the speech end; minute 1 is [0, 60 s). */
export function latencyByMinute(
  t0: number,
  agentTurns: ReadonlyArray<{ readonly atMs: number; readonly totalMs: number }>,
  callerTurns: ReadonlyArray<{ readonly speechEndAtMs: number; readonly gapMs: number | undefined }>,
): MinuteLatency[] {
  const agent = new Map<number, number[]>();
  const caller = new Map<number, number[]>();
  const minuteOf = (at: number): number => Math.floor((at - t0) / 60_000) + 1;
  const add = (m: Map<number, number[]>, k: number, v: number): void => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const t of agentTurns) add(agent, minuteOf(t.atMs), t.totalMs / 1000);
  for (const t of callerTurns)
    if (t.gapMs !== undefined) add(caller, minuteOf(t.speechEndAtMs), t.gapMs / 1000);
  const minutes = [...new Set([...agent.keys(), ...caller.keys()])]
    .filter((m) => m >= 1)
    .sort((a, b) => a - b);
  return minutes.map((minute) => ({
    minute,
    latencyS: quantiles(agent.get(minute) ?? []),
    callerGapS: quantiles(caller.get(minute) ?? []),
  }));
}

function bump(o: Record<string, number>, k: string): void {
  o[k] = (o[k] ?? 0) + 1;
}

/**
 * Caller turns and unanswered ones per minute since `t0` (epoch ms of their speech end; minute 1
 * is [0, 60 s)), next to the agent's worst lag and the machine's load in that minute, so a reader
 * can tell starved minutes from a steady fault.
 */
export function unansweredByMinute(
  t0: number,
  callerTurnEndsMs: readonly number[],
  unanswered: readonly Pick<UnansweredTurn, 'atMs' | 'label' | 'why' | 'agentSaw'>[],
  samples: readonly Pick<SoakSample, 't' | 'lagP99Ms' | 'loadAvg1'>[],
): MinuteUnanswered[] {
  const minuteOf = (at: number): number => Math.floor((at - t0) / 60_000) + 1;
  const rows = new Map<
    number,
    {
      turns: number;
      label: Record<string, number>;
      why: Record<string, number>;
      agent: Record<string, number>;
    }
  >();
  const row = (m: number) => {
    let r = rows.get(m);
    if (!r) rows.set(m, (r = { turns: 0, label: {}, why: {}, agent: {} }));
    return r;
  };
  for (const at of callerTurnEndsMs) row(minuteOf(at)).turns++;
  const missed = new Map<number, number>();
  for (const u of unanswered) {
    const m = minuteOf(u.atMs);
    const r = row(m);
    missed.set(m, (missed.get(m) ?? 0) + 1);
    bump(r.label, u.label);
    bump(r.why, u.why);
    bump(r.agent, u.agentSaw);
  }
  // A sample at t covers the 10 s before it: it belongs to the minute that interval ends in.
  const sampleMinute = (t: number): number => Math.floor(Math.max(0, t * 1000 - 1) / 60_000) + 1;
  return [...rows.keys()]
    .filter((m) => m >= 1)
    .sort((a, b) => a - b)
    .map((minute) => {
      const r = rows.get(minute)!;
      const inMinute = samples.filter((s) => sampleMinute(s.t) === minute);
      const lags = inMinute.flatMap((s) => (s.lagP99Ms === undefined ? [] : [s.lagP99Ms]));
      return {
        minute,
        callerTurns: r.turns,
        notAnswered: missed.get(minute) ?? 0,
        byLabel: r.label,
        byWhy: r.why,
        byAgent: r.agent,
        lagP99MsMax: lags.length ? Math.max(...lags) : undefined,
        loadAvg1Max: inMinute.length ? Math.max(...inMinute.map((s) => s.loadAvg1)) : undefined,
      };
    });
}

const n = (v: number | undefined, digits = 0): string =>
  v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);

function snapshotLine(s: ResourceSnapshot): string {
  const kinds = (o: Readonly<Record<string, number>>): string =>
    Object.entries(o)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return `active calls ${s.activeCalls}; RSS ${n(s.rssMb)} MB, heap ${n(s.heapUsedMb)} MB; handles: ${kinds(s.handles)}; resources: ${kinds(s.resources)}`;
}

export function renderSoakMarkdown(r: SoakResult, chartDir: string): string {
  const first = r.byMinute[0];
  const last = r.byMinute[r.byMinute.length - 1];
  const minuteRow = (m: MinuteLatency | undefined): string =>
    m === undefined
      ? '| - | - | - | - |'
      : `| ${m.minute} | ${m.latencyS.n} | ${n(m.latencyS.p50, 2)} / ${n(m.latencyS.p95, 2)} / ${n(m.latencyS.p99, 2)} | ${n(m.callerGapS.p50, 2)} / ${n(m.callerGapS.p95, 2)} / ${n(m.callerGapS.p99, 2)} |`;
  const left = Object.entries(r.leftOver);
  const errs = Object.entries(r.errors).filter(([, v]) => v > 0);
  const loaded = Math.max(r.loadAvgStart[0] ?? 0, r.loadAvgEnd[0] ?? 0, r.loadAvg1Range[1]) >= 1;
  return [
    '# Soak: whole calls for half an hour',
    '',
    '<!-- Written by `npm run bench -- --soak` (agent/bench/capacity); edit the generator, not this file. -->',
    '',
    `Run ${r.startedAt} -> ${r.finishedAt}: \`${r.command}\`; agent code at ${r.machine.revision}; profile ${r.profile} (\`${r.profilePath}\`).`,
    '',
    `- Machine: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node}; shared with other work. 1-minute load average: ${n(r.loadAvgStart[0], 2)} at the start, ${n(r.loadAvgEnd[0], 2)} at the end, ${n(r.loadAvg1Range[0], 2)}-${n(r.loadAvg1Range[1], 2)} during the run${loaded ? " (**a loaded machine**: latency and lag figures include other people's work)" : ''}.`,
    `- ${r.calls} concurrent whole calls for ${r.minutes} minutes (each caller slot places its next call as soon as one ends: calls start and end all the time), the same conversation as the sweep (agent/bench/capacity/conversation.ts), a fresh agent process (\`node agent/dist/main.js\`)${r.allocator ? `; allocator: ${r.allocator}` : ''}.`,
    '',
    '## Verdicts',
    '',
    `- Calls: ${r.callsPlaced} placed; outcomes ${Object.entries(r.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `- Turns: ${r.callerTurns} caller turns, **${r.turnsNotAnswered} not answered**${
      r.turnsNotAnswered > 0
        ? ` (${kv(r.notAnsweredByLabel)}; why, as the caller saw it: ${kv(r.notAnsweredWhy ?? {})}; the agent's records for them: ${kv(r.notAnsweredAgentSaw ?? {})})`
        : ''
    }; agent turn records ${r.agentTurns} (${Object.entries(r.agentOutcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}).`,
    `- Memory: RSS slope **${n(r.rssSlopeMbPerHour, 1)} MB/hour**, heap used **${n(r.heapSlopeMbPerHour, 1)} MB/hour** (least squares over the samples after the first ${r.warmupMinutes} minutes; over all samples ${n(r.rssSlopeAllMbPerHour, 1)} and ${n(r.heapSlopeAllMbPerHour, 1)} MB/hour)${
      r.heapFloorSlopeMbPerHour === undefined
        ? ''
        : `; heap used, lowest sample per minute (the GC floor) **${n(r.heapFloorSlopeMbPerHour, 1)} MB/hour**, heap committed ${n(r.heapTotalSlopeMbPerHour, 1)} MB/hour, external memory (Buffers) ${n(r.externalSlopeMbPerHour, 1)} MB/hour`
    }.`,
    '',
    ...memorySlopeTable(r.samples, r.warmupMinutes, r.afterForcedGc),
    `- Handles and sockets: ${left.length === 0 ? '**back to the baseline** (every handle and resource kind, and active calls)' : `**not back to the baseline**: ${left.map(([k, v]) => `${k} ${v.baseline} -> ${v.end}`).join(', ')}`}.`,
    `  - at boot: ${snapshotLine(r.baselineBoot)}`,
    `  - baseline (after one warm-up call): ${snapshotLine(r.baseline)}`,
    `  - end (every call ended): ${snapshotLine(r.end)}`,
    `- Latency, minute 1 against minute ${last?.minute ?? '-'}:`,
    '',
    '| minute | turns | turn latency p50 / p95 / p99 (s) | caller gap p50 / p95 / p99 (s) |',
    '|---:|---:|---:|---:|',
    minuteRow(first),
    minuteRow(last),
    '',
    `- Agent CPU ${n(r.cpuMsPerCallSecond, 1)} ms per call-second over the run; event-loop lag p99 at most ${n(r.lagP99MsMax, 1)} ms in any 10 s interval, max ${n(r.lagMaxMs)} ms.`,
    `- Errors: ${errs.length === 0 ? 'none' : errs.map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    `![memory over time](${chartDir}/soak-memory.svg)`,
    `![latency by minute](${chartDir}/soak-latency.svg)`,
    '',
    '## Every minute',
    '',
    '| minute | turns | turn latency p50 / p95 / p99 (s) | caller gap p50 / p95 / p99 (s) |',
    '|---:|---:|---:|---:|',
    ...r.byMinute.map(minuteRow),
    '',
    ...unansweredSection(r.notAnsweredByMinute),
  ].join('\n');
}

const kv = (o: Readonly<Record<string, number>>): string =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '-';

function unansweredSection(rows: readonly MinuteUnanswered[] | undefined): string[] {
  if (!rows) return [];
  return [
    '## Turns not answered, by minute',
    '',
    "Why, as the caller saw it: *wait timed out* (no agent audio for the whole answer timeout), *caller moved on* (its wait ended on agent audio, yet none counted as a reply before it spoke again; before the accounting fix of 081b476 this was an earlier answer still playing or cleared), *call ended* (before its wait did). The agent's records: the outcomes of the agent's turn records whose speech end falls in that caller turn (*no record*: it logged none).",
    '',
    '| minute | caller turns | not answered | by line | why (caller) | agent records | lag p99 max (ms) | load max |',
    '|---:|---:|---:|---|---|---|---:|---:|',
    ...rows.map(
      (m) =>
        `| ${m.minute} | ${m.callerTurns} | ${m.notAnswered} | ${kv(m.byLabel)} | ${kv(m.byWhy)} | ${kv(m.byAgent)} | ${n(m.lagP99MsMax)} | ${n(m.loadAvg1Max, 2)} |`,
    ),
    '',
  ];
}

export function soakCharts(r: SoakResult): Map<string, string> {
  const charts = new Map<string, string>();
  charts.set(
    'soak-memory.svg',
    renderLineChart({
      title: `Agent memory during the soak (${r.calls} calls)`,
      xLabel: 'minutes',
      yLabel: 'MB',
      series: [
        { name: 'RSS', points: r.samples.map((s) => [s.t / 60, s.rssMb] as [number, number]) },
        {
          name: 'heap used',
          points: r.samples.flatMap((s) =>
            s.heapUsedMb === undefined ? [] : [[s.t / 60, s.heapUsedMb] as [number, number]],
          ),
        },
        ...(r.samples.some((s) => s.externalMb !== undefined)
          ? [
              {
                name: 'external',
                points: r.samples.flatMap((s) =>
                  s.externalMb === undefined ? [] : [[s.t / 60, s.externalMb] as [number, number]],
                ),
                dashed: true,
              },
            ]
          : []),
      ],
    }),
  );
  charts.set(
    'soak-latency.svg',
    renderLineChart({
      title: 'Turn latency by minute during the soak',
      xLabel: 'minute',
      yLabel: 'caller speech end -> first frame (s)',
      series: [
        {
          name: 'p50',
          points: r.byMinute.flatMap((m) =>
            m.latencyS.p50 === undefined ? [] : [[m.minute, m.latencyS.p50] as [number, number]],
          ),
        },
        {
          name: 'p95',
          points: r.byMinute.flatMap((m) =>
            m.latencyS.p95 === undefined ? [] : [[m.minute, m.latencyS.p95] as [number, number]],
          ),
          dashed: true,
        },
      ],
    }),
  );
  return charts;
}
