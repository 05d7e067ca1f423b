// `npm run bench`: how many concurrent whole calls one agent process carries, what a call costs
// (CPU, memory) and where the knee is; `npm run bench -- --soak`: 30 minutes at 100 calls.
// Three processes (harness.ts): the built agent, the emulators, the callers. Writes JSON, a
// Markdown report and SVG charts (docs/bench/capacity.md, docs/bench/capacity/) and the README's
// short table. The command line: cli.ts.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { describeAllocator, resolveAllocator, type Allocator } from './allocator.ts';
import { emulatorStartOptions, HELP, parseBenchArgs, type BenchConfig, type Profile } from './cli.ts';
import { REPO_ROOT, ensureAgentBuilt, startEmulators, type EmulatorsHandle } from './harness.ts';
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
import {
  CHAOS_SCENARIOS,
  chaosReportOf,
  renderChaosMarkdown,
  runChaos,
  writeChaos,
  type ChaosReport,
} from './chaos.ts';
import { formatChaosTable, formatSilenceNotes } from '../../src/sim/faults/index.ts';
import { ANSWER_TIMEOUT_MS, rampMsFor } from './conversation.ts';
import { runStep, SETTLE_MS, type StepOptions } from './step.ts';
import type { StepResult } from './summary.ts';

/** The command line plus what it resolved to on this machine. */
interface BenchRun extends BenchConfig {
  readonly allocator: Allocator;
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

/** What every agent process of a run is started with. */
function agentOptions(
  r: BenchRun,
): Pick<StepOptions, 'agentEntry' | 'agentEnv' | 'agentExecArgv' | 'allocator'> {
  return {
    agentEntry: r.agentEntry,
    agentEnv: r.agentEnv,
    agentExecArgv: r.agentExecArgv,
    allocator: r.allocator,
  };
}

async function main(): Promise<void> {
  const config = parseBenchArgs(process.argv.slice(2));
  if (config === 'help') {
    console.log(HELP);
    return;
  }
  if (config.agentEntryFlag === 'dist') ensureAgentBuilt();
  const allocator = resolveAllocator(config.allocatorFlag, existsSync);
  console.error(`bench: the agent's allocator: ${describeAllocator(allocator)}`);
  mkdirSync(join(config.outDir, 'capacity'), { recursive: true });
  const run: BenchRun = { ...config, allocator };
  if (run.mode === 'chaos') await chaosMode(run);
  else if (run.mode === 'soak') await soakMode(run);
  else await sweepMode(run);
}

async function chaosMode(r: BenchRun): Promise<void> {
  const profile = r.profiles[0]!;
  const startedAt = new Date().toISOString();
  console.error(
    `bench: chaos, ${r.chaosCalls} calls x ${r.durationS} s per run on ${profile.name}; load ${fmtLoad()}`,
  );
  const runs = await withEmulators(profile, r.seed, emulatorStartOptions(r), (emulators) =>
    runChaos({
      profileName: profile.name,
      calls: r.chaosCalls,
      durationS: r.durationS,
      emulators,
      scenarios: r.faults ? [r.faults.specs] : CHAOS_SCENARIOS,
      seed: r.faultSeed,
      newRunId: runId,
      ...agentOptions(r),
    }),
  );
  const report: ChaosReport = {
    kind: 'chaos',
    startedAt,
    finishedAt: new Date().toISOString(),
    command: r.command,
    machine: machineFacts(),
    profile: profile.name,
    calls: r.chaosCalls,
    durationS: r.durationS,
    runs,
  };
  writeChaos(report, r.outDir);
  console.log(renderChaosMarkdown(report));
}

async function soakMode(r: BenchRun): Promise<void> {
  const profile = r.profiles[0]!;
  console.error(
    `bench: soak, ${r.soakCalls} calls x ${r.soakMinutes} min on ${profile.name}; load ${fmtLoad()}`,
  );
  await withEmulators(profile, r.seed, emulatorStartOptions(r), (emulators) =>
    runSoak({
      profileName: profile.name,
      profilePath: profile.path,
      calls: r.soakCalls,
      minutes: r.soakMinutes,
      emulators,
      runId: runId(),
      ...agentOptions(r),
      outDir: r.outDir,
      command: r.command,
      machine: machineFacts(),
    }),
  );
}

/** One profile's sweep so far. */
interface Sweep {
  readonly profile: Profile;
  readonly emulators: EmulatorsHandle;
  readonly steps: StepResult[];
  stoppedBecause: string | undefined;
}

async function sweepMode(r: BenchRun): Promise<void> {
  const startedAt = new Date().toISOString();
  const reportNow = (done: boolean): SweepReport => ({
    kind: 'sweep',
    startedAt,
    finishedAt: done ? new Date().toISOString() : `(running: ${new Date().toISOString()})`,
    command: r.command,
    machine: machineFacts(),
    durationS: r.durationS,
    emulatorOptions: r.emulatorOptions,
    ttsAudioStore: r.ttsAudioStoreDir !== undefined,
    allocator: describeAllocator(r.allocator),
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
    r.profiles.map((p) =>
      startEmulators({ profile: p.file, seed: r.seed, options: emulatorStartOptions(r) }),
    ),
  );
  const sweeps: Sweep[] = r.profiles.map((profile, i) => ({
    profile,
    emulators: emulators[i]!,
    steps: [],
    stoppedBecause: undefined,
  }));
  try {
    for (const calls of stepsToRun(r.steps, r.beyond, r.maxCalls)) {
      const live = sweeps.filter((w) => w.stoppedBecause === undefined);
      if (live.length === 0) break;
      for (const w of live) {
        await sweepStep(r, w, calls);
        // After every step: a sweep cut short still leaves its report.
        writeSweep(reportNow(false), r.outDir);
      }
    }
  } finally {
    await Promise.all(emulators.map((e) => e.close()));
  }
  const report = reportNow(true);
  writeSweep(report, r.outDir);
  console.log(renderSweepMarkdown(report, 'capacity'));
  for (const p of report.profiles) console.error(`bench: ${p.name}: knee ${kneeOf(p).calls ?? 'none'}`);
}

/** One step of one profile's sweep; a step that breaks or fails stops that profile's sweep. */
async function sweepStep(r: BenchRun, w: Sweep, calls: number): Promise<void> {
  if (
    r.deadline !== undefined &&
    Date.now() + stepEstimateMs(calls, r.durationS, r.rampS) > r.deadline.atMs
  ) {
    w.stoppedBecause = `--deadline ${r.deadline.flag}: no time left for ${calls} calls`;
    return;
  }
  console.error(`bench: ${w.profile.name}, ${calls} calls x ${r.durationS} s; load ${fmtLoad()}`);
  try {
    const result = await runStep({
      profileName: w.profile.name,
      calls,
      durationS: r.durationS,
      rampMs: rampMsFor(calls, r.rampS),
      emulators: w.emulators,
      runId: runId(),
      ...agentOptions(r),
      ...(r.faults ? { faults: r.faults } : {}),
    });
    if (result.faults) {
      const reports = chaosReportOf(result.faults, r.faultSeed);
      console.error([formatChaosTable(reports), ...formatSilenceNotes(reports)].join('\n'));
    }
    // The raw calls stay out of the sweep's JSON.
    const { faults: _faults, ...step } = result;
    w.steps.push(step);
    console.error(stepTable([result]).split('\n')[2]);
    if (step.broken !== undefined) w.stoppedBecause = `${calls} calls broke (${result.broken})`;
  } catch (err) {
    w.stoppedBecause = `${calls} calls: ${(err as Error).message}`;
    console.error(`bench: ${w.stoppedBecause}`);
  }
}

/** Wall time one step takes at most: agent start, ramp, settling, window, hang-up delay. */
export function stepEstimateMs(calls: number, durationS: number, rampS?: number): number {
  return 15_000 + rampMsFor(calls, rampS) + SETTLE_MS + durationS * 1000 + ANSWER_TIMEOUT_MS + 5000;
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
