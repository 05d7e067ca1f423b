// The capacity sweep's report: the JSON document, its Markdown rendering, its charts and the
// README's short table. Pure: figures in, text out.
import { findKnee, type Knee } from './stats.ts';
import type { StepResult } from './summary.ts';
import { renderLineChart, type Series } from './svg.ts';

export interface MachineFacts {
  /** The agent code measured: git commit (and '+dirty' when agent/src had changes). */
  readonly revision: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly kernel: string;
}

export interface ProfileSweep {
  readonly name: string;
  /** Repository path of the profile file (../shared/bench/...). */
  readonly path: string;
  readonly steps: readonly StepResult[];
  /** Why the sweep stopped before its last requested step, if it did. */
  readonly stoppedBecause?: string;
}

export interface SweepReport {
  readonly kind: 'sweep';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: MachineFacts;
  readonly durationS: number;
  readonly emulatorOptions: unknown;
  /** The TTS emulator read audio earlier runs synthesised (absent in older reports). */
  readonly ttsAudioStore?: boolean;
  /** The agents' malloc, as allocator.ts describeAllocator says it (absent in older reports). */
  readonly allocator?: string;
  readonly profiles: readonly ProfileSweep[];
}

/** A 1-minute load average at or above this is reported as a loaded machine (2 shared cores). */
export const LOADED_AT = 1;

export function kneeOf(p: ProfileSweep): Knee {
  return findKnee(
    p.steps.map((s) => ({ calls: s.calls, lagP99Ms: s.lagP99Ms, latencyP95S: s.latencyS.p95 })),
  );
}

const n = (v: number | undefined, digits = 0): string =>
  v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
const s3 = (v: number | undefined): string => n(v, 2);
const load = (l: readonly number[]): string => n(l[0], 2);

export function loadLabel(start: readonly number[], end: readonly number[]): string {
  const worst = Math.max(start[0] ?? 0, end[0] ?? 0);
  return worst >= LOADED_AT ? `${load(start)} -> ${load(end)} (loaded)` : `${load(start)} -> ${load(end)}`;
}

export function stepTable(steps: readonly StepResult[]): string {
  const rows = [
    '| calls | measured calls | caller turns (not answered) | turn latency p50 / p95 / p99 (s) | caller gap p50 / p95 / p99 (s) | agent CPU | CPU ms per call-s | RSS idle -> loaded (MB) | RSS per call (KB) | lag p99 / max (ms) | late / dropped frames | errors | load 1 min start -> end |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const s of steps) {
    rows.push(
      `| ${s.calls} | ${s.measuredCalls} | ${s.callerTurns} (${s.turnsNotAnswered}) | ${s3(s.latencyS.p50)} / ${s3(s.latencyS.p95)} / ${s3(s.latencyS.p99)} |` +
        ` ${s3(s.callerGapS.p50)} / ${s3(s.callerGapS.p95)} / ${s3(s.callerGapS.p99)} | ${n(s.agentCpuPct)} % | ${n(s.cpuMsPerCallSecond, 1)} |` +
        ` ${n(s.rssIdleMb)} -> ${n(s.rssMb)} | ${n(s.rssPerCallKb)} | ${n(s.lagP99Ms, 1)} / ${n(s.lagMaxMs)} | ${s.lateFrames} / ${s.droppedFrames} |` +
        ` ${s.errorTotal} | ${loadLabel(s.loadAvgStart, s.loadAvgEnd)} |`,
    );
  }
  return rows.join('\n');
}

const loopThread = (s: StepResult): string => {
  const t = s.agentMainThread;
  return t ? `${n(t.onCpuPct)} % / ${n(t.runQueueWaitMsPerS, 1)}, ${n(t.runQueueWaitMsPerSlice, 2)}` : '-';
};

export function detailTable(steps: readonly StepResult[]): string {
  const rows = [
    '| calls | ramp / window (s) | machine busy (cores, all processes) | call-seconds | agent CPU system | heap used (MB) | RSS max (MB) | barge-ins (agent / caller clears) | agent turn outcomes | caller late echoes | emulators CPU | callers CPU / lag p99 (ms) | agent loop thread: on CPU / run-queue wait per s, per slice (ms) | unanswered by turn | errors by kind | broken |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|---|',
  ];
  for (const s of steps) {
    const errs = Object.entries(s.errors)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    const why = Object.entries(s.notAnsweredWhy ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const unanswered =
      Object.entries(s.notAnsweredByLabel ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') + (why ? ` (why: ${why})` : '');
    const outcomes = Object.entries(s.agentOutcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    rows.push(
      `| ${s.calls} | ${n(s.rampS, 1)} / ${n(s.windowS)} | ${n(s.machineBusyCores, 2)} of ${s.machineCores} | ${n(s.callSeconds)} | ${n(s.agentCpuSystemPct)} % | ${n(s.heapUsedMb)} | ${n(s.rssMaxMb)} |` +
        ` ${s.bargeIns} / ${s.callerClears} | ${outcomes || '-'} | ${s.callerLateEchoes} | ${n(s.emulatorsCpuPct)} % |` +
        ` ${n(s.callersCpuPct)} % / ${n(s.callersLagP99Ms, 1)} | ${loopThread(s)} | ${unanswered || '-'} | ${errs || 'none'} | ${s.broken ?? 'no'} |`,
    );
  }
  return rows.join('\n');
}

export function kneeText(p: ProfileSweep): string {
  const k = kneeOf(p);
  const verdicts = k.verdicts.map((v) => `${v.calls}: ${v.ok ? 'ok' : v.reason}`).join('; ');
  const head =
    k.calls === undefined
      ? `**Knee (${p.name}): none** of the steps met the rule`
      : `**Knee (${p.name}): ${k.calls} concurrent call${k.calls === 1 ? '' : 's'}**`;
  const base =
    k.baselineCalls === undefined
      ? 'no baseline p95'
      : `baseline p95 ${s3(k.baselineP95S)} s at ${k.baselineCalls} calls`;
  const later =
    k.laterPasses.length > 0 ? ` Steps above it that passed again: ${k.laterPasses.join(', ')}.` : '';
  return `${head} (lag p99 <= 20 ms and turn-latency p95 within 10 % of the ${base}). Per step: ${verdicts}.${later}`;
}

type Points = Array<[number, number]>;

/** (calls, value) per step of one profile, skipping steps without a finite value. */
function stepPoints(p: SweepReport['profiles'][number], f: (s: StepResult) => number | undefined): Points {
  return p.steps.flatMap((s) => {
    const v = f(s);
    return v === undefined || !Number.isFinite(v) ? [] : [[s.calls, v] as [number, number]];
  });
}

/** The two charts of one profile: its latency CDF per N and its CPU by process. */
function profileCharts(p: SweepReport['profiles'][number], charts: Map<string, string>): void {
  charts.set(
    `cdf-${p.name}.svg`,
    renderLineChart({
      title: `Turn latency CDF per N (${p.name})`,
      xLabel: 'caller speech end -> first agent frame sent (s)',
      yLabel: 'share of turns',
      yMin: 0,
      yMax: 1,
      xMin: 0,
      series: p.steps.map((s) => ({
        name: `${s.calls} call${s.calls === 1 ? '' : 's'}`,
        points: s.latencyCdf,
        step: true,
      })),
    }),
  );
  charts.set(
    `cpu-pct-${p.name}.svg`,
    renderLineChart({
      title: `Agent CPU against concurrent calls (${p.name})`,
      xLabel: 'concurrent calls',
      yLabel: 'agent CPU (% of one core)',
      series: [
        { name: 'agent', points: stepPoints(p, (s) => s.agentCpuPct) },
        { name: 'emulators', points: stepPoints(p, (s) => s.emulatorsCpuPct), dashed: true },
        { name: 'callers', points: stepPoints(p, (s) => s.callersCpuPct), dashed: true },
      ],
    }),
  );
}

/** Chart file name -> SVG text, for every chart of the report. */
export function sweepCharts(r: SweepReport): Map<string, string> {
  const charts = new Map<string, string>();
  const latency: Series[] = [];
  const cpu: Series[] = [];
  const lag: Series[] = [];
  r.profiles.forEach((p) => {
    const pts = (f: (s: StepResult) => number | undefined): Points => stepPoints(p, f);
    latency.push(
      { name: `${p.name} p50`, points: pts((s) => s.latencyS.p50) },
      { name: `${p.name} p95`, points: pts((s) => s.latencyS.p95), dashed: true },
      { name: `${p.name} p99`, points: pts((s) => s.latencyS.p99), dashed: true },
    );
    cpu.push({ name: `${p.name}`, points: pts((s) => s.cpuMsPerCallSecond) });
    lag.push(
      { name: `${p.name} p99`, points: pts((s) => s.lagP99Ms) },
      { name: `${p.name} max`, points: pts((s) => s.lagMaxMs), dashed: true },
    );
    profileCharts(p, charts);
  });
  charts.set(
    'latency.svg',
    renderLineChart({
      title: 'Turn latency against concurrent calls',
      xLabel: 'concurrent calls',
      yLabel: 'caller speech end -> first frame (s)',
      series: latency,
      guides: [{ y: 1.5, label: '1.5 s promise' }],
    }),
  );
  charts.set(
    'cpu.svg',
    renderLineChart({
      title: 'Agent CPU per call-second against concurrent calls',
      xLabel: 'concurrent calls',
      yLabel: 'agent CPU ms per call-second',
      series: cpu,
      guides: [{ y: 3, label: 'target 3 ms' }],
    }),
  );
  charts.set(
    'lag.svg',
    renderLineChart({
      title: 'Agent event-loop lag against concurrent calls',
      xLabel: 'concurrent calls',
      yLabel: 'event-loop lag (ms)',
      series: lag,
      guides: [{ y: 20, label: 'knee: p99 20 ms' }],
    }),
  );
  return charts;
}

export function renderSweepMarkdown(r: SweepReport, chartDir: string): string {
  const m = r.machine;
  const out: string[] = [
    '# Capacity: concurrent whole calls per agent process',
    '',
    '<!-- Written by `npm run bench` (agent/bench/capacity); edit the generator, not this file. -->',
    '',
    `Run ${r.startedAt} -> ${r.finishedAt}: \`${r.command}\`, agent code at ${m.revision}.`,
    '',
    `- Machine: ${m.cpus} x ${m.cpuModel}, ${n(m.memoryGiB, 1)} GiB, Node ${m.node}, Linux ${m.kernel}. The agent, the emulators and the callers share these cores (and other people's work: see the load averages; a 1-minute load of ${LOADED_AT} or more is marked loaded).`,
    '- Three processes: the agent (`node agent/dist/main.js`, the production entry point, built; providers pointed at the emulators, LOG_LEVEL=info), the emulators (Speech gRPC, OpenAI HTTP/SSE, TTS gRPC) and the simulated Twilio callers. Agent CPU and RSS come from `/proc/<pid>/stat`; event-loop lag, frame and error counters from its own admin `/metrics`; turn latency from its `[LATENCY]` log lines.',
    `- Each step: a fresh agent; N caller slots, each placing whole calls back to back (greeting, hello, a sentence with a 300-900 ms pause, a question interrupted by a barge-in, the barge-in, an address; think times of 0.4-1.6 s). Calls start over a ramp (the details table's ramp: one every 600 ms up to 30 s unless \`--ramp\` says otherwise, so the window sees calls at every point of their conversation), then 5 s to settle, then a ${r.durationS} s window: every caller turn that ends inside it is measured (caller gap, answered or not) with the agent's record of it; the load stays at N until 16 s after the window (the answer timeout), then the callers hang up.`,
    `- Emulator options: \`${JSON.stringify(r.emulatorOptions ?? {})}\`.`,
    ...(r.ttsAudioStore
      ? [
          "- The TTS emulator reads the sentences earlier runs synthesised from agent/.cache/tts-emulator (`--no-audio-store`: synthesise each again): its espeak-ng work is not the load generator's cost per call. The answers' timing is the profile's either way.",
        ]
      : []),
    ...(r.allocator ? [`- The agent's allocator: ${r.allocator}.`] : []),
    '',
  ];
  for (const p of r.profiles) {
    out.push(
      `## Profile ${p.name} (\`${p.path}\`)`,
      '',
      stepTable(p.steps),
      '',
      kneeText(p),
      ...(p.stoppedBecause ? ['', `Sweep stopped: ${p.stoppedBecause}.`] : []),
      '',
      'Details:',
      '',
      detailTable(p.steps),
      '',
      `![latency CDF per N, ${p.name}](${chartDir}/cdf-${p.name}.svg) ![CPU, ${p.name}](${chartDir}/cpu-pct-${p.name}.svg)`,
      '',
    );
  }
  out.push(
    '## Charts',
    '',
    `![turn latency against N](${chartDir}/latency.svg)`,
    `![CPU per call-second against N](${chartDir}/cpu.svg)`,
    `![event-loop lag against N](${chartDir}/lag.svg)`,
    '',
    '## How to read it',
    '',
    "- **turn latency**: the agent's own record, caller speech end (its VAD) -> first answer frame sent. **caller gap**: the simulated caller's view, end of the played WAV (which ends in silence) -> agent audio playing; smaller than the turn latency by the WAV's trailing silence.",
    '- **CPU ms per call-second**: agent CPU (user + system) in the window / seconds of calls in the window (any call, open to end). **RSS per call**: (RSS at the window end - idle RSS) / N.',
    '- **lag**: `hva_event_loop_lag_seconds` (perf_hooks.monitorEventLoopDelay, 10 ms resolution) over the window, less the 10 ms sampling interval.',
    '- **late / dropped frames**: `hva_late_frames_total` / `hva_dropped_frames_total` in the window. **errors**: failed or cut calls, protocol errors, agent session/handler errors, apologies, refused streams, calls ended by the edge, malformed frames and error log lines over the whole step (wait timeouts are listed in the details).',
    "- **machine busy**: cores busy on average in the window, all processes (/proc/stat): with the agent, emulators and callers taking their share, the rest is other people's work on the shared machine.",
    '- **turns not answered**: caller turns of measured calls with no agent audio after them, plus turns never reached.',
    '- **knee**: the largest N, counted from the bottom up to the first failing step, where lag p99 <= 20 ms and turn-latency p95 is within 10 % of the 50-call figure.',
    '- A step is **broken** (the sweep stops after it) when > 5 % of calls fail, > 5 % of turns go unanswered, or lag p99 > 500 ms.',
    '',
  );
  return out.join('\n');
}

/** The README's short table (between markers). */
export function readmeTable(r: SweepReport): string {
  const rows = [
    '| profile | knee (calls) | CPU ms per call-s at 50 / at the knee | RSS per call at 50 | turn latency p95 at 50 / at the knee | load 1 min |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const p of r.profiles) {
    const k = kneeOf(p);
    const at = (c: number | undefined): StepResult | undefined => p.steps.find((s) => s.calls === c);
    const s50 = at(50);
    const sk = at(k.calls);
    const loads = p.steps.flatMap((s) => [s.loadAvgStart[0] ?? 0, s.loadAvgEnd[0] ?? 0]);
    rows.push(
      `| ${p.name} | ${k.calls ?? 'none'} | ${n(s50?.cpuMsPerCallSecond, 1)} / ${n(sk?.cpuMsPerCallSecond, 1)} | ${n(s50?.rssPerCallKb)} KB |` +
        ` ${s3(s50?.latencyS.p95)} / ${s3(sk?.latencyS.p95)} s | ${n(Math.min(...loads), 2)}-${n(Math.max(...loads), 2)} |`,
    );
  }
  return rows.join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` (appends them when absent). */
export function replaceBetweenMarkers(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) return `${doc.trimEnd()}\n\n${start}\n${body}\n${end}\n`;
  return `${doc.slice(0, a + start.length)}\n${body}\n${doc.slice(b)}`;
}

/**
 * A regenerated report keeps the hand-written notes of the previous one: the block between
 * `<!-- notes:start -->` and `<!-- notes:end -->` is carried over (appended at the end).
 */
export function keepNotes(previous: string, generated: string): string {
  const start = '<!-- notes:start -->';
  const end = '<!-- notes:end -->';
  const a = previous.indexOf(start);
  const b = previous.indexOf(end);
  if (a < 0 || b < a) return generated;
  return `${generated.trimEnd()}\n\n${previous.slice(a, b + end.length)}\n`;
}

/**
 * The README's capacity section: replaced between its markers, or added (heading and markers)
 * before `## Development` the first time.
 */
export function withReadmeCapacity(readme: string, body: string): string {
  if (readme.includes('<!-- capacity:start -->')) return replaceBetweenMarkers(readme, 'capacity', body);
  const section = `## Capacity per agent process\n\n<!-- capacity:start -->\n${body}\n<!-- capacity:end -->\n\n`;
  const at = readme.indexOf('## Development');
  return at < 0 ? `${readme.trimEnd()}\n\n${section}` : `${readme.slice(0, at)}${section}${readme.slice(at)}`;
}
