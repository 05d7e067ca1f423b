// `npm run bench -- --soak`: a fresh agent process carries N concurrent whole calls for M
// minutes, calls starting and ending all the time. Sampled every 10 s: RSS (/proc), heap, lag
// and active calls (its /metrics). Handles and sockets are compared with a baseline taken after
// one warm-up call, once every call has ended.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Allocator } from './allocator.ts';
import { ANSWER_TIMEOUT_MS, rampMsFor } from './conversation.ts';
import {
  callersTarget,
  runCallers,
  type CallersRun,
  startAgentProcess,
  type AgentProcess,
  type EmulatorsHandle,
} from './harness.ts';
import { mappingSeries, readProbeLines, readSmaps, type ProbeLine } from './probe.ts';
import { byLabel, sumOf, valueOf, type ProcStat, type Sample } from './prom.ts';
import type { CallSummary } from './protocol.ts';
import { keepNotes, type MachineFacts } from './report.ts';
import {
  renderSoakMarkdown,
  resourceDiff,
  soakCharts,
  type ResourceSnapshot,
  type SoakResult,
  type SoakSample,
} from './soak-report.ts';
import {
  errorLogsOf,
  soakResultOf,
  type AfterTheCalls,
  type BeforeTheLoad,
  type Sampled,
} from './soak-result.ts';
import { lagFromScrape } from './step.ts';

export { WARMUP_MINUTES } from './soak-result.ts';

export interface SoakOptions {
  readonly profileName: string;
  readonly profilePath: string;
  readonly calls: number;
  readonly minutes: number;
  readonly emulators: EmulatorsHandle;
  readonly runId: string;
  readonly agentEntry?: string;
  readonly agentEnv?: Readonly<Record<string, string>>;
  /** Node options for the agent process (e.g. --cpu-prof), besides the probe's --import. */
  readonly agentExecArgv?: readonly string[];
  /** The agent's malloc (allocator.ts); default what the image runs. */
  readonly allocator?: Allocator;
  readonly outDir: string;
  readonly command: string;
  readonly machine: MachineFacts;
  readonly sampleEveryMs?: number;
  readonly log?: (line: string) => void;
}

const epochNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const MB = 2 ** 20;
const AGENT_PROBE_ENTRY = join(import.meta.dirname, 'agent-probe.ts');

async function snapshot(agent: AgentProcess): Promise<ResourceSnapshot> {
  const s = await agent.scrape();
  return {
    handles: byLabel(s, 'hva_process_nodejs_active_handles', 'type'),
    resources: byLabel(s, 'hva_process_nodejs_active_resources', 'type'),
    activeCalls: sumOf(s, 'hva_active_calls'),
    heapUsedMb: sumOf(s, 'hva_process_nodejs_heap_size_used_bytes') / MB,
    rssMb: agent.procStat().rssBytes / MB,
  };
}

function same(a: ResourceSnapshot, b: ResourceSnapshot): boolean {
  return Object.keys(resourceDiff(a, b)).length === 0;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? console.error;
  const startedAt = new Date().toISOString();
  const loadAvgStart = loadavg();
  // The probe (agent-probe.ts) adds what /metrics lacks: arrayBuffers, GC pauses, loop busy share.
  const probeFile = join(tmpdir(), `hva-soak-probe-${o.runId}.jsonl`);
  const agent = await startAgentProcess({
    emulators: o.emulators.endpoints,
    maxCalls: o.calls + 50,
    ...(o.agentEntry ? { entry: o.agentEntry } : {}),
    env: { ...o.agentEnv, HVA_BENCH_PROBE_FILE: probeFile },
    execArgv: [...(o.agentExecArgv ?? []), '--expose-gc', '--import', AGENT_PROBE_ENTRY],
    ...(o.allocator ? { allocator: o.allocator } : {}),
  });
  try {
    const before = await warmUp(o, agent);
    log(`soak: baseline taken; ${o.calls} calls for ${o.minutes} min`);
    const t0 = epochNow();
    const until = t0 + o.minutes * 60_000;
    const run = runCallers({
      ...callersTarget(agent, o.emulators.endpoints),
      runId: o.runId,
      slots: o.calls,
      rampMs: rampMsFor(o.calls),
      // Turns that end before `until` get their full answer timeout before the hang-up.
      stopAtMs: until + ANSWER_TIMEOUT_MS + 1000,
      firstIndex: 1,
    });
    const sampled = await sampleUntil(o, agent, run, probeFile, t0, until, log);
    const outcome = await run.done;
    const after = await afterTheCalls(agent, before.baseline, probeFile, t0, sampled.cpu0);
    dumpCalls(o.runId, agent.pid, outcome.calls);
    const result = soakResultOf({
      o,
      agent,
      startedAt,
      loadAvgStart,
      t0,
      until,
      before,
      sampled,
      outcome,
      after,
    });
    writeSoak(result, o.outDir);
    console.log(renderSoakMarkdown(result, 'capacity'));
    return result;
  } finally {
    await agent.stop();
    rmSync(probeFile, { force: true });
  }
}

async function warmUp(o: SoakOptions, agent: AgentProcess): Promise<BeforeTheLoad> {
  await sleep(3000);
  const baselineBoot = await snapshot(agent);
  // One warm-up call: connection pools to the emulators and lazy modules exist afterwards.
  await runCallers({
    ...callersTarget(agent, o.emulators.endpoints),
    runId: o.runId,
    slots: 1,
    rampMs: 0,
    stopAtMs: epochNow() + 180_000,
    maxCalls: 1,
    firstIndex: 0,
  }).done;
  await sleep(5000);
  const baseline = await snapshot(agent);
  const atStart = await agent.scrape();
  return { baselineBoot, baseline, atStart, bootErrorLogs: errorLogsOf(agent) };
}

/** A sample every `sampleEveryMs` (10 s) until `until`, with a progress line every minute. */
async function sampleUntil(
  o: SoakOptions,
  agent: AgentProcess,
  run: CallersRun,
  probeFile: string,
  t0: number,
  until: number,
  log: (line: string) => void,
): Promise<Sampled> {
  const cpu0 = agent.procStat().cpuMs;
  const samples: SoakSample[] = [];
  const every = o.sampleEveryMs ?? 10_000;
  let cpuAtUntil: number | undefined;
  let nextLog = t0 + 60_000;
  for (let at = t0 + every; at <= until; at += every) {
    await sleep(at - epochNow());
    const proc = agent.procStat();
    const m = await agent.scrape();
    samples.push(sampleOf((epochNow() - t0) / 1000, proc, cpu0, m, readProbeLines(probeFile).at(-1), agent));
    cpuAtUntil = proc.cpuMs - cpu0;
    if (epochNow() >= nextLog) {
      nextLog += 60_000;
      const s = samples[samples.length - 1]!;
      log(
        `soak: ${(s.t / 60).toFixed(0)} min, ${run.calls.length} calls ended, active ${s.activeCalls}, RSS ${s.rssMb.toFixed(0)} MB, heap ${s.heapUsedMb?.toFixed(0)} MB, lag p99 ${s.lagP99Ms?.toFixed(1)} ms, load ${s.loadAvg1.toFixed(2)}`,
      );
    }
  }
  return { samples, cpu0, cpuAtUntil };
}

/** Every call has ended: give the agent a moment to close what the calls held, then compare. */
async function afterTheCalls(
  agent: AgentProcess,
  baseline: ResourceSnapshot,
  probeFile: string,
  t0: number,
  cpu0: number,
): Promise<AfterTheCalls> {
  let end = await snapshot(agent);
  for (let i = 0; i < 30 && !same(baseline, end); i++) {
    await sleep(1000);
    end = await snapshot(agent);
  }
  const atEnd = await agent.scrape();
  const afterForcedGc = await forcedGcSample(agent, probeFile, t0, cpu0);
  return { end, atEnd, afterForcedGc, loadAvgEnd: loadavg() };
}

/** Every call ended: a full GC in the agent (the probe's SIGUSR2), then one sample. */
async function forcedGcSample(
  agent: AgentProcess,
  probeFile: string,
  t0: number,
  cpu0: number,
): Promise<SoakSample | undefined> {
  process.kill(agent.pid, 'SIGUSR2');
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const line = readProbeLines(probeFile).at(-1);
    if (line?.forcedGc)
      return sampleOf((epochNow() - t0) / 1000, agent.procStat(), cpu0, await agent.scrape(), line, agent);
  }
  return undefined;
}

/** One soak sample: /proc (RSS, CPU, mappings), the agent's /metrics and the probe's last line. */
function sampleOf(
  t: number,
  proc: ProcStat,
  cpu0: number,
  m: readonly Sample[],
  probe: ProbeLine | undefined,
  agent: Pick<AgentProcess, 'pid' | 'allocator'>,
): SoakSample {
  const lag = lagFromScrape(m);
  const maps = readSmaps(agent.pid);
  const allocator = agent.allocator.name;
  const gc = probe ? Object.values(probe.gc) : [];
  return {
    t,
    rssMb: proc.rssBytes / MB,
    heapUsedMb: sumOf(m, 'hva_process_nodejs_heap_size_used_bytes') / MB,
    heapTotalMb: sumOf(m, 'hva_process_nodejs_heap_size_total_bytes') / MB,
    externalMb: sumOf(m, 'hva_process_nodejs_external_memory_bytes') / MB,
    ...(probe ? { arrayBuffersMb: probe.arrayBuffers / MB, eluShare: probe.eluShare } : {}),
    ...(probe
      ? {
          gcMs: gc.reduce((a, g) => a + g.totalMs, 0),
          gcMaxMs: Math.max(0, ...gc.map((g) => g.maxMs)),
        }
      : {}),
    ...(maps ? mappingSeries(maps, allocator) : {}),
    activeCalls: valueOf(m, 'hva_active_calls'),
    cpuMs: proc.cpuMs - cpu0,
    lagP99Ms: lag.p99,
    lagMaxMs: lag.max,
    loadAvg1: loadavg()[0]!,
  };
}

/**
 * HVA_BENCH_DUMP_DIR: the callers' view of every call, beside the agent's log harness.ts keeps
 * there (read both with trace-silent.ts).
 */
function dumpCalls(runId: string, agentPid: number, calls: readonly CallSummary[]): void {
  const dumpDir = process.env['HVA_BENCH_DUMP_DIR'];
  if (!dumpDir) return;
  mkdirSync(dumpDir, { recursive: true });
  writeFileSync(
    join(dumpDir, `calls-${runId}.json`),
    JSON.stringify({ runId, agentPid, faults: null, events: [], calls }),
  );
}

export function writeSoak(r: SoakResult, outDir: string): void {
  const assetDir = join(outDir, 'capacity');
  mkdirSync(assetDir, { recursive: true });
  writeFileSync(join(assetDir, 'soak.json'), `${JSON.stringify(r, null, 1)}\n`);
  for (const [name, svg] of soakCharts(r)) writeFileSync(join(assetDir, name), svg);
  const md = renderSoakMarkdown(r, 'capacity');
  const mdPath = join(outDir, 'soak.md');
  writeFileSync(mdPath, keepNotes(existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '', md));
}
