// `npm run bench`: how many concurrent whole calls one agent process carries, what a call costs
// (CPU, memory) and where the knee is; `npm run bench -- --soak`: 30 minutes at 100 calls.
// Three processes (harness.ts): the built agent, the emulators, the callers. Writes JSON, a
// Markdown report and SVG charts (docs/bench/capacity.md, docs/bench/capacity/) and the README's
// short table.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AGENT_DIST_ENTRY,
  AGENT_SRC_ENTRY,
  REPO_ROOT,
  ensureAgentBuilt,
  startEmulators,
  type EmulatorsHandle,
} from './harness.ts';
import type { EmulatorPassThrough } from './protocol.ts';
import {
  keepNotes,
  kneeOf,
  readmeTable,
  renderSweepMarkdown,
  stepTable,
  sweepCharts,
  type MachineFacts,
  type SweepReport,
  withReadmeCapacity,
} from './report.ts';
import { runSoak } from './soak.ts';
import { describeAllocator, resolveAllocator } from './allocator.ts';
import {
  CHAOS_SCENARIOS,
  chaosReportOf,
  renderChaosMarkdown,
  runChaos,
  writeChaos,
  type ChaosReport,
} from './chaos.ts';
import { formatChaosTable, formatSilenceNotes, parseFaultPlan } from '../../src/sim/faults/index.ts';
import { resolveUserPath } from '../../src/sim/profile.ts';
import { ANSWER_TIMEOUT_MS, rampMsFor } from './conversation.ts';
import { runStep, SETTLE_MS } from './step.ts';
import type { StepResult } from './summary.ts';

export const HELP = `Usage: npm run bench -- [options]

Sweep (default): for each profile and each step N, a fresh agent process carries N concurrent
whole calls for --duration seconds; then N grows by --beyond until a step breaks.
  --profile <list>        reference, google-like, or paths to profile JSON files
                          (default: reference,google-like from ../shared/bench/)
  --steps <list>          concurrent calls per step (default 1,50,100,200,300,400,500)
  --beyond <n>            after the last step, keep adding n calls until a step breaks
                          (default 100; 0 = only the listed steps)
  --max-calls <n>         never go beyond this many calls (default 1500)
  --duration <s>          measurement window per step (default 60; 120 with --chaos)
  --out <dir>             report directory (default docs/bench): <dir>/capacity.md and
                          <dir>/capacity/*.json|svg; the README table is updated only for docs/bench
  --emulator-options <j>  JSON (or @file.json) passed to the emulators' start options:
                          {"speech":{...},"openai":{...},"tts":{...}} (see protocol.ts)
  --agent-env <K=V>       extra agent setting (repeatable), e.g. --agent-env LLM_PREEMPTIVE=false
  --agent-entry <e>       dist (default: agent/dist/main.js, built when stale), src, or a path
  --agent-node-arg <a>    Node option for the agent process (repeatable), e.g.
                          --agent-node-arg=--cpu-prof --agent-node-arg=--cpu-prof-dir=out/prof
  --allocator <a>         the agent process's malloc: jemalloc (LD_PRELOAD of Debian's
                          libjemalloc2, as the image runs it) or glibc; default jemalloc when
                          the library is installed (else glibc, said in the report); asking for
                          jemalloc without it is an error. Only the agent; the report names it
  --seed <n>              emulator seed (default 1)
  --deadline <HH:MM|ISO>  start no step that could not end by then (the report keeps what ran)
Soak:
  --soak                  30 minutes at 100 concurrent calls, calls starting and ending all the
                          time; RSS/heap slope, handles and sockets back to baseline, latency by minute
  --soak-calls <n>        default 100
  --soak-minutes <m>      default 30
                          The soak loads agent/bench/capacity/agent-probe.ts into the agent
                          (--import, --expose-gc): arrayBuffers, GC pauses, loop utilisation per
                          sample, and a full GC once every call has ended; memory by mapping from
                          /proc/<pid>/smaps; a slope per series in the report.
The agent alone on a core (its lag without the load generator's share of the CPUs):
  HVA_BENCH_AGENT_CPUS=1 taskset -c 0 npm run bench -- ...
Where the loop's time goes: --agent-node-arg=--cpu-prof, then
  node agent/bench/capacity/long-tasks.ts <file.cpuprofile> --from 15 --list 20
Faults (docs/bench/chaos.md):
  --fault <spec>          inject a fault (repeatable), e.g. stt-stream-fail:20%@mid,
                          llm-429-burst:at=30s,for=10s, llm-stall:at=30s,for=10s,
                          tts-outage:at=30s,for=10s, ws-drop:every=60s; times count from the start
                          of each step's measurement window. Without --chaos: added to every sweep
                          step (the per-fault table is printed after each step)
  --fault-seed <n>        seeds which calls/requests a fault picks (default 1)
  --chaos                 chaos under load: one run of --chaos-calls calls per scenario, the
                          issue's set (STT streams failing, LLM 429 burst + stall, TTS outage,
                          WebSocket drops) or, with --fault, one run with the given faults; per
                          fault: calls affected, what callers heard, turns lost, recovery.
                          Writes <out>/chaos.md (results block) and <out>/chaos/chaos.json
  --chaos-calls <n>       default 100 (first --profile only)
`;

const PROFILES: Record<string, string> = {
  reference: '../shared/bench/reference-profile.json',
  'google-like': '../shared/bench/google-like-profile.json',
};

interface Profile {
  readonly name: string;
  /** As written in reports (repository-relative). */
  readonly path: string;
  readonly file: string;
}

function resolveProfiles(list: string): Profile[] {
  return list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const known = PROFILES[p];
      const path = known ?? p;
      const file = known ? resolve(REPO_ROOT, path) : resolveUserPath(path);
      if (!existsSync(file)) throw new Error(`profile ${p}: ${file} not found`);
      const name = known ? p : (file.split('/').pop() ?? p).replace(/-profile\.json$|\.json$/, '');
      return { name, path: known ?? relative(REPO_ROOT, file), file };
    });
}

export function parseEmulatorOptions(v: string | undefined): EmulatorPassThrough {
  if (v === undefined || v === '') return {};
  const text = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
  const o = JSON.parse(text) as unknown;
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new Error('--emulator-options must be a JSON object {"speech":{},"openai":{},"tts":{}}');
  for (const k of Object.keys(o))
    if (!['speech', 'openai', 'tts'].includes(k))
      throw new Error(`--emulator-options: unknown emulator '${k}' (speech, openai, tts)`);
  return o as EmulatorPassThrough;
}

export function parseAgentEnv(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--agent-env ${kv}: expected KEY=VALUE`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/** The commit the agent was built from, '+dirty' when agent/src has uncommitted changes. */
function revision(): string {
  const git = (args: string[]): string =>
    spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  return git(['status', '--porcelain', '--', 'agent/src']) === '' ? head : `${head}+dirty`;
}

export function machineFacts(): MachineFacts {
  const c = cpus();
  return {
    revision: revision(),
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    kernel: release(),
  };
}

function stepsToRun(steps: readonly number[], beyond: number, maxCalls: number): Generator<number> {
  return (function* () {
    for (const s of steps) if (s <= maxCalls) yield s;
    if (beyond <= 0) return;
    for (let c = Math.max(...steps) + beyond; c <= maxCalls; c += beyond) yield c;
  })();
}

const runId = (): string => randomBytes(8).toString('hex');
const fmtLoad = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function withEmulators<T>(
  profile: Profile,
  seed: number,
  options: EmulatorPassThrough,
  fn: (e: EmulatorsHandle) => Promise<T>,
): Promise<T> {
  const emulators = await startEmulators({ profile: profile.file, seed, options });
  try {
    return await fn(emulators);
  } finally {
    await emulators.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'reference,google-like' },
      steps: { type: 'string', default: '1,50,100,200,300,400,500' },
      beyond: { type: 'string', default: '100' },
      'max-calls': { type: 'string', default: '1500' },
      duration: { type: 'string' },
      out: { type: 'string', default: join(REPO_ROOT, 'docs', 'bench') },
      'emulator-options': { type: 'string' },
      'agent-env': { type: 'string', multiple: true, default: [] },
      'agent-entry': { type: 'string', default: 'dist' },
      'agent-node-arg': { type: 'string', multiple: true, default: [] },
      seed: { type: 'string', default: '1' },
      allocator: { type: 'string' },
      soak: { type: 'boolean', default: false },
      'soak-calls': { type: 'string', default: '100' },
      'soak-minutes': { type: 'string', default: '30' },
      deadline: { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
      'fault-seed': { type: 'string', default: '1' },
      chaos: { type: 'boolean', default: false },
      'chaos-calls': { type: 'string', default: '100' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const profiles = resolveProfiles(values.profile);
  const steps = values.steps.split(',').map((s) => Number(s.trim()));
  const durationS = Number(values.duration ?? (values.chaos ? '120' : '60'));
  const beyond = Number(values.beyond);
  const maxCalls = Number(values['max-calls']);
  const seed = Number(values.seed);
  if (steps.some((s) => !Number.isInteger(s) || s < 1) || !(durationS >= 5) || !(beyond >= 0))
    throw new Error('--steps must be positive integers, --duration at least 5 s, --beyond >= 0');
  const emulatorOptions = parseEmulatorOptions(values['emulator-options']);
  const agentEnv = parseAgentEnv(values['agent-env']);
  const entryFlag = values['agent-entry'];
  const agentEntry =
    entryFlag === 'dist'
      ? AGENT_DIST_ENTRY
      : entryFlag === 'src'
        ? AGENT_SRC_ENTRY
        : resolveUserPath(entryFlag);
  if (entryFlag === 'dist') ensureAgentBuilt();
  const allocator = resolveAllocator(values.allocator, existsSync);
  console.error(`bench: the agent's allocator: ${describeAllocator(allocator)}`);
  const outDir = resolveUserPath(values.out);
  const assetDir = join(outDir, 'capacity');
  mkdirSync(assetDir, { recursive: true });
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const faultSeed = Number(values['fault-seed']);
  // Bad specs fail here, before anything starts (parseFaultPlan explains what is wrong).
  parseFaultPlan(values.fault, faultSeed);
  const faults = values.fault.length > 0 ? { specs: values.fault, seed: faultSeed } : undefined;
  if (faults && values.soak) throw new Error('--fault applies to sweep steps and --chaos, not to --soak');

  if (values.chaos) {
    const profile = profiles[0]!;
    const calls = Number(values['chaos-calls']);
    const startedAt = new Date().toISOString();
    console.error(
      `bench: chaos, ${calls} calls x ${durationS} s per run on ${profile.name}; load ${fmtLoad()}`,
    );
    const runs = await withEmulators(profile, seed, emulatorOptions, (emulators) =>
      runChaos({
        profileName: profile.name,
        calls,
        durationS,
        emulators,
        scenarios: faults ? [faults.specs] : CHAOS_SCENARIOS,
        seed: faultSeed,
        newRunId: runId,
        agentEntry,
        agentEnv,
        agentExecArgv: values['agent-node-arg'],
        allocator,
      }),
    );
    const report: ChaosReport = {
      kind: 'chaos',
      startedAt,
      finishedAt: new Date().toISOString(),
      command,
      machine: machineFacts(),
      profile: profile.name,
      calls,
      durationS,
      runs,
    };
    writeChaos(report, outDir);
    console.log(renderChaosMarkdown(report));
    return;
  }

  if (values.soak) {
    const profile = profiles[0]!;
    console.error(
      `bench: soak, ${values['soak-calls']} calls x ${values['soak-minutes']} min on ${profile.name}; load ${fmtLoad()}`,
    );
    await withEmulators(profile, seed, emulatorOptions, (emulators) =>
      runSoak({
        profileName: profile.name,
        profilePath: profile.path,
        calls: Number(values['soak-calls']),
        minutes: Number(values['soak-minutes']),
        emulators,
        runId: runId(),
        agentEntry,
        agentEnv,
        agentExecArgv: values['agent-node-arg'],
        allocator,
        outDir,
        command,
        machine: machineFacts(),
      }),
    );
    return;
  }

  const deadline = values.deadline === undefined ? undefined : parseDeadline(values.deadline);
  const startedAt = new Date().toISOString();
  const sweeps = profiles.map((p) => ({
    profile: p,
    steps: [] as StepResult[],
    stoppedBecause: undefined as string | undefined,
  }));
  const reportNow = (done: boolean): SweepReport => ({
    kind: 'sweep',
    startedAt,
    finishedAt: done ? new Date().toISOString() : `(running: ${new Date().toISOString()})`,
    command,
    machine: machineFacts(),
    durationS,
    emulatorOptions,
    allocator: describeAllocator(allocator),
    profiles: sweeps.map((w) => ({
      name: w.profile.name,
      path: w.profile.path,
      steps: w.steps,
      ...(w.stoppedBecause ? { stoppedBecause: w.stoppedBecause } : {}),
    })),
  });
  // Every profile's emulators at once (idle ones cost nothing): the profiles take turns at each
  // N, so a sweep cut short by --deadline still compares them at the same steps.
  const emulators = await Promise.all(
    profiles.map((p) => startEmulators({ profile: p.file, seed, options: emulatorOptions })),
  );
  try {
    for (const calls of stepsToRun(steps, beyond, maxCalls)) {
      const live = sweeps.filter((w) => w.stoppedBecause === undefined);
      if (live.length === 0) break;
      for (const w of live) {
        if (deadline !== undefined && Date.now() + stepEstimateMs(calls, durationS) > deadline) {
          w.stoppedBecause = `--deadline ${values.deadline}: no time left for ${calls} calls`;
          continue;
        }
        console.error(`bench: ${w.profile.name}, ${calls} calls x ${durationS} s; load ${fmtLoad()}`);
        try {
          const r = await runStep({
            profileName: w.profile.name,
            calls,
            durationS,
            emulators: emulators[profiles.indexOf(w.profile)]!,
            runId: runId(),
            agentEntry,
            agentEnv,
            agentExecArgv: values['agent-node-arg'],
            allocator,
            ...(faults ? { faults } : {}),
          });
          if (r.faults) {
            const reports = chaosReportOf(r.faults, faultSeed);
            console.error([formatChaosTable(reports), ...formatSilenceNotes(reports)].join('\n'));
          }
          // The raw calls stay out of the sweep's JSON.
          const { faults: _faults, ...step } = r;
          w.steps.push(step);
          console.error(stepTable([r]).split('\n')[2]);
          if (step.broken !== undefined) w.stoppedBecause = `${calls} calls broke (${r.broken})`;
        } catch (err) {
          w.stoppedBecause = `${calls} calls: ${(err as Error).message}`;
          console.error(`bench: ${w.stoppedBecause}`);
        }
        // After every step: a sweep cut short still leaves its report.
        writeSweep(reportNow(false), outDir);
      }
    }
  } finally {
    await Promise.all(emulators.map((e) => e.close()));
  }
  const report = reportNow(true);
  writeSweep(report, outDir);
  console.log(renderSweepMarkdown(report, 'capacity'));
  for (const p of report.profiles) console.error(`bench: ${p.name}: knee ${kneeOf(p).calls ?? 'none'}`);
}

/** Wall time one step takes at most: agent start, ramp, settling, window, hang-up delay. */
export function stepEstimateMs(calls: number, durationS: number): number {
  return 15_000 + rampMsFor(calls) + SETTLE_MS + durationS * 1000 + ANSWER_TIMEOUT_MS + 5000;
}

/** --deadline: an ISO time or HH:MM (today, local time). */
export function parseDeadline(v: string, now = new Date()): number {
  const hm = /^(\d{1,2}):(\d{2})$/.exec(v);
  if (hm) {
    const d = new Date(now);
    d.setHours(Number(hm[1]), Number(hm[2]), 0, 0);
    return d.getTime();
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`--deadline ${v}: expected HH:MM or an ISO time`);
  return t;
}

export function writeSweep(report: SweepReport, outDir: string): void {
  const assetDir = join(outDir, 'capacity');
  mkdirSync(assetDir, { recursive: true });
  writeFileSync(join(assetDir, 'sweep.json'), `${JSON.stringify(report, null, 1)}\n`);
  for (const [name, svg] of sweepCharts(report)) writeFileSync(join(assetDir, name), svg);
  const md = renderSweepMarkdown(report, 'capacity');
  const mdPath = join(outDir, 'capacity.md');
  writeFileSync(mdPath, keepNotes(existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '', md));
  if (resolve(outDir) === join(REPO_ROOT, 'docs', 'bench')) {
    const readme = join(REPO_ROOT, 'README.md');
    writeFileSync(
      readme,
      withReadmeCapacity(
        readFileSync(readme, 'utf8'),
        `${readmeTable(report)}\n\nMeasured by \`npm run bench\` (${report.startedAt.slice(0, 16)} UTC, shared 2-core machine; see the load averages) with the agent, the emulators and the callers on the same cores: [docs/bench/capacity.md](docs/bench/capacity.md), soak: [docs/bench/soak.md](docs/bench/soak.md).`,
      ),
    );
  }
}

if (import.meta.main) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
