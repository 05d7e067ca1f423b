// The capacity benchmark's process harness, reusable by other benchmarks (turn latency at 50
// calls, chaos runs): the agent as its own process (the production entry point, built: node
// agent/dist/main.js, as the image runs it), the three emulators in a second process and the
// callers in a third, so the agent's CPU (/proc/<pid>/stat), memory and event-loop lag (its own
// /metrics) are measured apart from the load generator.
//
//   await ensureAgentBuilt();
//   const emulators = await startEmulators({ profile, seed: 1, options: {} });
//   const agent = await startAgentProcess({ emulators: emulators.endpoints, maxCalls: 600 });
//   const { calls } = await runCallers({ ...agent.callersTarget(emulators.endpoints), slots: 50, ... });
//   agent.turns       // every turn record the agent logged ([LATENCY] lines, by call sid)
//   agent.procStat(); await agent.scrape();
//   await agent.stop(); await emulators.close();
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { FaultEvent } from '../../src/sim/faults/log.ts';
import type {
  CallSummary,
  FaultsSpec,
  CallersCommand,
  CallersMessage,
  CallersSpec,
  EmulatorEndpoints,
  EmulatorStats,
  EmulatorsConfig,
  EmulatorsMessage,
} from './protocol.ts';
import { parseAgentLogLine, type AgentTurn } from './agent-log.ts';
import { allocatorEnv, mappedAllocator, resolveAllocator, type Allocator } from './allocator.ts';
import { parseMetrics, readProcStat, type ProcStat, type Sample } from './prom.ts';

export type { AgentTurn };

export const AGENT_DIR = join(import.meta.dirname, '..', '..');
export const REPO_ROOT = join(AGENT_DIR, '..');
export const FIXTURES_DIR = join(AGENT_DIR, 'test', 'fixtures', 'audio');
export const AGENT_DIST_ENTRY = join(AGENT_DIR, 'dist', 'main.js');
export const AGENT_SRC_ENTRY = join(AGENT_DIR, 'src', 'main.ts');
/** The plumbing floor (agent/bench/floor): only what the libraries must do for a call (`--agent-entry floor`). */
export const AGENT_FLOOR_ENTRY = join(AGENT_DIR, 'bench', 'floor', 'main.ts');
const BENCH_AUTH_TOKEN = 'bench-capacity-auth-token';

type Log = (line: string) => void;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds agent/dist (npm run build -w agent, what the image runs) when it is missing or older than src/. */
export function ensureAgentBuilt(log: Log = console.error): void {
  const built = existsSync(AGENT_DIST_ENTRY) ? statSync(AGENT_DIST_ENTRY).mtimeMs : 0;
  if (built >= newestMtime(join(AGENT_DIR, 'src'))) return;
  log('bench: agent/dist is missing or older than agent/src: npm run build -w agent');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: AGENT_DIR, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run build -w agent failed (exit ${r.status})`);
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function onceMessage<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`${what} exited (${code}) before reporting`));
    child.once('exit', onExit);
    child.once('message', (m: T) => {
      child.off('exit', onExit);
      resolve(m);
    });
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Node options for the emulators' or the callers' process: this process's own (fork's default)
 * plus the whitespace-separated options in HVA_BENCH_EMULATORS_NODE_ARGS /
 * HVA_BENCH_CALLERS_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof/callers` to see where the
 * load generator's CPU goes (`--cpu-prof` is refused in NODE_OPTIONS).
 */
export function simNodeArgs(inherited: readonly string[], extra: string | undefined): string[] {
  return [...inherited, ...(extra ?? '').split(/\s+/).filter((a) => a !== '')];
}

export interface EmulatorsHandle {
  readonly endpoints: EmulatorEndpoints;
  stats(): Promise<EmulatorStats>;
  /** The fault plan the emulators apply from now on (undefined: none). */
  setFaults(faults: FaultsSpec | undefined): Promise<void>;
  /** What the emulators' fault hooks did under the current plan. */
  faultEvents(): Promise<FaultEvent[]>;
  close(): Promise<void>;
}

/** Starts the emulators' process (emulators-process.ts) on a profile; resolves when they listen. */
export async function startEmulators(config: EmulatorsConfig): Promise<EmulatorsHandle> {
  const child = fork(join(import.meta.dirname, 'emulators-process.ts'), [], {
    execArgv: simNodeArgs(process.execArgv, process.env['HVA_BENCH_EMULATORS_NODE_ARGS']),
    env: { ...process.env, HVA_BENCH_EMULATORS: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const m = await onceMessage<EmulatorsMessage>(child, 'emulators process');
  if (m.type !== 'ready') {
    await stopChild(child, 'SIGKILL', 0);
    throw new Error(`emulators failed to start: ${m.error}`);
  }
  const endpoints = m.endpoints;
  return {
    endpoints,
    async stats() {
      return (await (await fetch(`${endpoints.control}/stats`)).json()) as EmulatorStats;
    },
    async setFaults(faults) {
      const res = await fetch(`${endpoints.control}/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults ?? { specs: [], seed: 1, epochMs: 0 }),
      });
      if (res.status !== 204)
        throw new Error(`emulator control: POST /faults -> HTTP ${res.status}: ${await res.text()}`);
    },
    async faultEvents() {
      return (await (await fetch(`${endpoints.control}/faults`)).json()) as FaultEvent[];
    },
    close: () => stopChild(child, 'SIGTERM', 5000),
  };
}

export interface AgentProcessOptions {
  readonly emulators: EmulatorEndpoints;
  readonly maxCalls: number;
  /** The entry to run; default the built production entry (agent/dist/main.js). */
  readonly entry?: string;
  /** Extra environment for the agent (settings from agent/src/config/schema.ts). */
  readonly env?: Readonly<Record<string, string>>;
  /** Node options for the agent process (e.g. --cpu-prof). */
  readonly execArgv?: readonly string[];
  /** The agent's malloc (allocator.ts); default what the image runs (jemalloc when installed). */
  readonly allocator?: Allocator;
  readonly readyTimeoutMs?: number;
}

export interface AgentProcess {
  readonly pid: number;
  /** http://127.0.0.1:<port>: the Twilio-facing listener. */
  readonly url: string;
  readonly adminUrl: string;
  readonly publicHost: string;
  readonly authToken: string;
  /** The malloc the agent runs with (checked in its /proc/<pid>/maps once it was ready). */
  readonly allocator: Allocator;
  /** Every turn record logged so far (appended as the agent logs them). */
  readonly turns: AgentTurn[];
  /** Log lines by level (info, warn, error, fatal) so far. */
  readonly logLevels: Map<string, number>;
  /** The last error/fatal log messages (at most 20), for the report. */
  readonly lastErrors: string[];
  procStat(): ProcStat;
  scrape(): Promise<Sample[]>;
  /** SIGTERM (the agent drains; no calls are left), SIGKILL after 15 s. */
  stop(): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** The agent environment the benchmark runs with: production defaults, providers on the emulators. */
export function agentEnv(
  endpoints: EmulatorEndpoints,
  ports: { port: number; adminPort: number },
  maxCalls: number,
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(ports.port),
    ADMIN_PORT: String(ports.adminPort),
    PUBLIC_HOST: `127.0.0.1:${ports.port}`,
    TWILIO_AUTH_TOKEN: BENCH_AUTH_TOKEN,
    STT_PROVIDER: 'google',
    STT_ENDPOINT: endpoints.speech,
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: endpoints.openaiUrl,
    OPENAI_API_KEY: 'sk-bench',
    TTS_PROVIDER: 'google',
    TTS_ENDPOINT: endpoints.tts,
    MAX_CALLS: String(maxCalls),
    PENDING_STREAMS_MAX: String(Math.min(1000, Math.max(100, maxCalls))),
    POD_DELETION_COST_ENABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    // The production default: one [LATENCY] line per turn is how the harness reads turn records.
    LOG_LEVEL: 'info',
  };
}

/**
 * How the agent process is started: node with `args`, or, when `cpus` names CPUs (taskset's list
 * syntax, e.g. "1"), under `taskset -c <cpus>` (which execs node: the pid stays the agent's). With
 * the benchmark itself on the other CPUs (`HVA_BENCH_AGENT_CPUS=1 taskset -c 0 npm run bench ...`)
 * the agent has a core to itself: its lag without the load generator's share of the machine.
 */
export function agentCommand(
  args: readonly string[],
  cpus: string | undefined,
): { file: string; args: string[] } {
  if (cpus === undefined || cpus.trim() === '') return { file: process.execPath, args: [...args] };
  if (!/^[0-9,-]+$/.test(cpus.trim()))
    throw new Error(`HVA_BENCH_AGENT_CPUS=${cpus}: expected a CPU list like 1 or 2-3`);
  return { file: 'taskset', args: ['-c', cpus.trim(), process.execPath, ...args] };
}

/** Starts the agent process and resolves once /readyz says ready. */
/** The agent's stdout (turn records, log levels, the last errors) and the tail of its stderr. */
function readAgentLogs(child: ChildProcess) {
  const turns: AgentTurn[] = [];
  const logLevels = new Map<string, number>();
  const lastErrors: string[] = [];
  const stderrTail: string[] = [];
  // HVA_BENCH_DUMP_DIR: keep the agent's whole log for a turn-by-turn look at a run.
  const dumpDir = process.env['HVA_BENCH_DUMP_DIR'];
  let dump: ReturnType<typeof createWriteStream> | undefined;
  if (dumpDir) {
    mkdirSync(dumpDir, { recursive: true });
    dump = createWriteStream(join(dumpDir, `agent-${child.pid}.log`));
    child.once('exit', () => dump?.end());
  }
  createInterface({ input: child.stdout! }).on('line', (line) => {
    dump?.write(`${line}\n`);
    const parsed = parseAgentLogLine(line);
    if (!parsed) return;
    const level = parsed.level ?? 'unknown';
    logLevels.set(level, (logLevels.get(level) ?? 0) + 1);
    if (level === 'error' || level === 'fatal') {
      lastErrors.push(line.slice(0, 500));
      if (lastErrors.length > 20) lastErrors.shift();
    }
    if (parsed.turn) turns.push(parsed.turn);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 40) stderrTail.shift();
  });
  return { turns, logLevels, lastErrors, stderrTail };
}

/** Polls /readyz until the agent answers; throws (and kills it) if it exits or times out. */
async function waitReady(
  child: ChildProcess,
  adminUrl: string,
  timeoutMs: number,
  stderrTail: readonly string[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`agent exited (${child.exitCode}) while starting:\n${stderrTail.join('\n')}`);
    try {
      if ((await fetch(`${adminUrl}/readyz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stopChild(child, 'SIGKILL', 0);
      throw new Error(`agent not ready after ${timeoutMs} ms:\n${stderrTail.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  const port = await freePort();
  const adminPort = await freePort();
  const allocator = options.allocator ?? resolveAllocator(undefined, existsSync);
  const env = {
    ...agentEnv(options.emulators, { port, adminPort }, options.maxCalls),
    ...options.env,
    ...allocatorEnv(allocator),
  };
  // Only what the agent needs from the bench's environment (no inherited provider settings).
  const inherited = Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR', 'LANG', 'HVA_REFERENCE_PROFILE'].flatMap((k) =>
      process.env[k] === undefined ? [] : [[k, process.env[k]!]],
    ),
  );
  const cmd = agentCommand(
    [...(options.execArgv ?? []), options.entry ?? AGENT_DIST_ENTRY],
    process.env['HVA_BENCH_AGENT_CPUS'],
  );
  const child = spawn(cmd.file, cmd.args, {
    cwd: AGENT_DIR,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const { turns, logLevels, lastErrors, stderrTail } = readAgentLogs(child);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitReady(child, adminUrl, options.readyTimeoutMs ?? 120_000, stderrTail);
  // The dynamic loader only warns when a preload cannot be loaded: a run that asked for jemalloc
  // and got glibc would report the wrong allocator's memory.
  const mapped = mappedAllocator(readFileSync(`/proc/${child.pid}/maps`, 'utf8'));
  if (mapped !== allocator.name) {
    await stopChild(child, 'SIGKILL', 0);
    throw new Error(`agent runs with ${mapped}, not ${allocator.name}:\n${stderrTail.join('\n')}`);
  }
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    adminUrl,
    publicHost: `127.0.0.1:${port}`,
    authToken: BENCH_AUTH_TOKEN,
    allocator,
    turns,
    logLevels,
    lastErrors,
    procStat: () => readProcStat(child.pid!),
    async scrape() {
      return parseMetrics(await (await fetch(`${adminUrl}/metrics`)).text());
    },
    stop: () => stopChild(child, 'SIGTERM', 15_000),
    exited,
  };
}

/** The part of a CallersSpec that names the agent and the emulators. */
export function callersTarget(
  agent: Pick<AgentProcess, 'url' | 'publicHost' | 'authToken'>,
  emulators: EmulatorEndpoints,
): Pick<CallersSpec, 'agentUrl' | 'publicHost' | 'authToken' | 'control' | 'fixturesDir'> {
  return {
    agentUrl: agent.url,
    publicHost: agent.publicHost,
    authToken: agent.authToken,
    control: emulators.control,
    fixturesDir: FIXTURES_DIR,
  };
}

export interface CallersOutcome {
  readonly calls: CallSummary[];
  readonly cpuMs: number;
  readonly rssBytes: number;
  readonly lagP99Ms: number;
  readonly placed: number;
  /** The callers' fault events (ws-drop), when the spec had faults. */
  readonly faultEvents: readonly FaultEvent[];
}

export interface CallersRun {
  readonly pid: number;
  /** Calls reported so far (appended live). */
  readonly calls: CallSummary[];
  readonly done: Promise<CallersOutcome>;
}

/** Starts the callers' process (callers-process.ts) on a spec; `done` resolves when it has finished. */
export function runCallers(spec: CallersSpec, onCall?: (c: CallSummary) => void): CallersRun {
  const child = fork(join(import.meta.dirname, 'callers-process.ts'), [], {
    execArgv: simNodeArgs(process.execArgv, process.env['HVA_BENCH_CALLERS_NODE_ARGS']),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const calls: CallSummary[] = [];
  const done = new Promise<CallersOutcome>((resolve, reject) => {
    let finished = false;
    child.on('message', (m: CallersMessage) => {
      if (m.type === 'call') {
        calls.push(m.call);
        onCall?.(m.call);
      } else if (m.type === 'done') {
        finished = true;
        resolve({
          calls,
          cpuMs: m.cpuMs,
          rssBytes: m.rssBytes,
          lagP99Ms: m.lagP99Ms,
          placed: m.placed,
          faultEvents: m.faultEvents ?? [],
        });
      } else if (m.type === 'failed') {
        finished = true;
        reject(new Error(`callers process failed: ${m.error}`));
      }
    });
    child.once('exit', (code) => {
      if (!finished) reject(new Error(`callers process exited (${code}) before it was done`));
    });
  });
  const command: CallersCommand = { type: 'run', spec };
  child.send(command);
  return { pid: child.pid!, calls, done };
}
