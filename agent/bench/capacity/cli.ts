// `npm run bench`'s command line: the flags, their checks and what they resolve to. Pure but for
// reading the files the flags name (profiles, @emulator-options).
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseFaultPlan } from '../../src/sim/faults/index.ts';
import { resolveUserPath } from '../../src/sim/profile.ts';
import { AGENT_DIR, AGENT_DIST_ENTRY, AGENT_FLOOR_ENTRY, AGENT_SRC_ENTRY, REPO_ROOT } from './harness.ts';
import type { EmulatorPassThrough } from './protocol.ts';

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
  --ramp <s>              the calls of a step start over this many seconds (default: one every
                          600 ms up to 30 s, so calls are at every point of their conversation
                          when measuring; e.g. --ramp 2.5 at 100 calls makes them turn in lockstep)
  --out <dir>             report directory (default docs/bench): <dir>/capacity.md and
                          <dir>/capacity/*.json|svg; the README table is updated only for docs/bench
  --emulator-options <j>  JSON (or @file.json) passed to the emulators' start options:
                          {"speech":{...},"openai":{...},"tts":{...}} (see protocol.ts)
  --agent-env <K=V>       extra agent setting (repeatable), e.g. --agent-env LLM_PREEMPTIVE=false
  --agent-entry <e>       dist (default: agent/dist/main.js, built when stale), src, floor, or a
                          path. floor: the plumbing floor (agent/bench/floor/main.ts), a minimal
                          agent doing only what the libraries must do for a call (Twilio edge,
                          Speech stream, LLM stream, TTS, clear on barge-in): what a call costs
                          below the real agent (docs/bench/cost.md)
  --agent-node-arg <a>    Node option for the agent process (repeatable), e.g.
                          --agent-node-arg=--cpu-prof --agent-node-arg=--cpu-prof-dir=out/prof
  --allocator <a>         the agent process's malloc: jemalloc (LD_PRELOAD of Debian's
                          libjemalloc2, as the image runs it) or glibc; default jemalloc when
                          the library is installed (else glibc, said in the report); asking for
                          jemalloc without it is an error. Only the agent; the report names it
  --seed <n>              emulator seed (default 1)
  --no-audio-store        the TTS emulator synthesises every sentence again; by default it reads
                          what an earlier run synthesised from agent/.cache/tts-emulator (as
                          bench:turn does), so its espeak-ng work stays out of the emulators' CPU
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
The load generator's CPU: Node options for the emulators' and the callers' processes, e.g.
  HVA_BENCH_EMULATORS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof/emulators" \
  HVA_BENCH_CALLERS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof/callers" npm run bench -- ...
  then node agent/bench/cpuprofile.ts <file.cpuprofile> --skip 12 --top 40 [--by file]
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

/** Where the TTS emulator keeps synthesised audio across runs (bench:turn's store too). */
export const TTS_AUDIO_STORE_DIR = join(AGENT_DIR, '.cache', 'tts-emulator');

/** The emulators' start options: the user's, with the TTS audio store unless they set their own. */
export function emulatorStartOptions(
  c: Pick<BenchConfig, 'emulatorOptions' | 'ttsAudioStoreDir'>,
): EmulatorPassThrough {
  const o = c.emulatorOptions;
  const tts = (o.tts ?? {}) as Record<string, unknown>;
  if (c.ttsAudioStoreDir === undefined || tts['audioStoreDir'] !== undefined) return o;
  return { ...o, tts: { ...tts, audioStoreDir: c.ttsAudioStoreDir } };
}

const PROFILES: Record<string, string> = {
  reference: '../shared/bench/reference-profile.json',
  'google-like': '../shared/bench/google-like-profile.json',
};

export interface Profile {
  readonly name: string;
  /** As written in reports (repository-relative). */
  readonly path: string;
  readonly file: string;
}

export function resolveProfiles(list: string): Profile[] {
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

const OPTIONS = {
  profile: { type: 'string', default: 'reference,google-like' },
  steps: { type: 'string', default: '1,50,100,200,300,400,500' },
  beyond: { type: 'string', default: '100' },
  'max-calls': { type: 'string', default: '1500' },
  ramp: { type: 'string' },
  duration: { type: 'string' },
  out: { type: 'string', default: join(REPO_ROOT, 'docs', 'bench') },
  'emulator-options': { type: 'string' },
  'agent-env': { type: 'string', multiple: true, default: [] as string[] },
  'agent-entry': { type: 'string', default: 'dist' },
  'agent-node-arg': { type: 'string', multiple: true, default: [] as string[] },
  seed: { type: 'string', default: '1' },
  'audio-store': { type: 'boolean', default: true },
  allocator: { type: 'string' },
  soak: { type: 'boolean', default: false },
  'soak-calls': { type: 'string', default: '100' },
  'soak-minutes': { type: 'string', default: '30' },
  deadline: { type: 'string' },
  fault: { type: 'string', multiple: true, default: [] as string[] },
  'fault-seed': { type: 'string', default: '1' },
  chaos: { type: 'boolean', default: false },
  'chaos-calls': { type: 'string', default: '100' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Everything a run needs from the command line, checked. */
export interface BenchConfig {
  readonly mode: 'sweep' | 'soak' | 'chaos';
  readonly profiles: readonly Profile[];
  readonly steps: readonly number[];
  readonly durationS: number;
  readonly beyond: number;
  readonly maxCalls: number;
  /** --ramp: seconds over which a step's calls start (default conversation.ts rampMsFor). */
  readonly rampS: number | undefined;
  readonly seed: number;
  readonly emulatorOptions: EmulatorPassThrough;
  /** The TTS emulator's audio store across runs (sim/tts/synthesis.ts directoryStore); undefined with --no-audio-store. */
  readonly ttsAudioStoreDir: string | undefined;
  readonly agentEnv: Readonly<Record<string, string>>;
  /** 'dist' (built when stale), 'src' or a path, as given. */
  readonly agentEntryFlag: string;
  readonly agentEntry: string;
  readonly agentExecArgv: readonly string[];
  /** --allocator as given (allocator.ts resolves it). */
  readonly allocatorFlag: string | undefined;
  readonly outDir: string;
  /** The command as the reports print it. */
  readonly command: string;
  readonly faultSeed: number;
  readonly faults: { readonly specs: readonly string[]; readonly seed: number } | undefined;
  readonly soakCalls: number;
  readonly soakMinutes: number;
  readonly chaosCalls: number;
  /** --deadline as given, and as an epoch. */
  readonly deadline: { readonly flag: string; readonly atMs: number } | undefined;
}

/** The command line to a BenchConfig, or 'help'; throws on a bad flag before anything starts. */
export function parseBenchArgs(argv: readonly string[]): BenchConfig | 'help' {
  const { values } = parseArgs({ args: [...argv], options: OPTIONS, allowNegative: true });
  if (values.help) return 'help';
  const profiles = resolveProfiles(values.profile);
  const steps = values.steps.split(',').map((s) => Number(s.trim()));
  const durationS = Number(values.duration ?? (values.chaos ? '120' : '60'));
  const beyond = Number(values.beyond);
  if (steps.some((s) => !Number.isInteger(s) || s < 1) || !(durationS >= 5) || !(beyond >= 0))
    throw new Error('--steps must be positive integers, --duration at least 5 s, --beyond >= 0');
  if (values.ramp !== undefined && !(Number(values.ramp) >= 0))
    throw new Error('--ramp must be a number of seconds >= 0');
  const entryFlag = values['agent-entry'];
  const faultSeed = Number(values['fault-seed']);
  // Bad specs fail here, before anything starts (parseFaultPlan explains what is wrong).
  parseFaultPlan(values.fault, faultSeed);
  const faults = values.fault.length > 0 ? { specs: values.fault, seed: faultSeed } : undefined;
  if (faults && values.soak) throw new Error('--fault applies to sweep steps and --chaos, not to --soak');
  return {
    mode: values.chaos ? 'chaos' : values.soak ? 'soak' : 'sweep',
    profiles,
    steps,
    durationS,
    beyond,
    maxCalls: Number(values['max-calls']),
    rampS: values.ramp === undefined ? undefined : Number(values.ramp),
    seed: Number(values.seed),
    emulatorOptions: parseEmulatorOptions(values['emulator-options']),
    ttsAudioStoreDir: values['audio-store'] ? TTS_AUDIO_STORE_DIR : undefined,
    agentEnv: parseAgentEnv(values['agent-env']),
    agentEntryFlag: entryFlag,
    agentEntry:
      entryFlag === 'dist'
        ? AGENT_DIST_ENTRY
        : entryFlag === 'src'
          ? AGENT_SRC_ENTRY
          : entryFlag === 'floor'
            ? AGENT_FLOOR_ENTRY
            : resolveUserPath(entryFlag),
    agentExecArgv: values['agent-node-arg'],
    allocatorFlag: values.allocator,
    outDir: resolveUserPath(values.out),
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
    faultSeed,
    faults,
    soakCalls: Number(values['soak-calls']),
    soakMinutes: Number(values['soak-minutes']),
    chaosCalls: Number(values['chaos-calls']),
    deadline:
      values.deadline === undefined
        ? undefined
        : { flag: values.deadline, atMs: parseDeadline(values.deadline) },
  };
}
