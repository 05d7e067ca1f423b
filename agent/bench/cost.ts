// Cost of a whole call to the agent process: agent CPU ms per call-second at N concurrent calls.
// The agent runs as its own child process (agent/src/main.ts, the production entry point, with
// the Google clients pointed at the emulators); the three emulators and the callers run here, so
// the agent's CPU (/proc/<pid>/stat) is apart from the load generator's. A profiling driver for
// issue 13 part 2 (docs/bench/cost.md); `npm run bench` (agent/bench/capacity/) is the sweep.
//
//   node agent/bench/cost.ts [--calls 50] [--duration 60] [--ramp 10] [--cpu-prof <dir>]
//                            [--heap-prof <dir>] [--profile path] [--log-level info]
//                            [--agent <main.ts>] [--agent-b <main.ts>] [--agent-flags '...']
//
// Each call: greeting, then Hebrew fixture utterances, each followed by time for the answer (one
// answer is interrupted by the caller: a barge-in), until the duration ends; a call that
// finishes its script is replaced by a new one, so N stay up.
//
// Paired A/B (--agent-b): two agent processes (say an older commit's tree and this one) run side
// by side, calls alternating between them, against the same emulators. On a machine shared with
// other jobs, successive runs differ by 20-40 %; side by side, both builds see the same load at
// the same moment, so their difference is the change's.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_DEV_AUTH_TOKEN } from '../src/app.ts';
import { FIXTURE_AUDIO_DIR, fixtureTranscripts } from '../src/sim/conversation.ts';
import { placeCall, randomSid, type CallStepSpec } from '../src/sim/caller/index.ts';
import { startOpenAiEmulator } from '../src/sim/openai/server.ts';
import { selectProfile } from '../src/sim/profile.ts';
import { startSpeechEmulator } from '../src/sim/speech/emulator.ts';
import { startTtsEmulator } from '../src/sim/tts/server.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60' },
    ramp: { type: 'string', default: '10' },
    'cpu-prof': { type: 'string' },
    'heap-prof': { type: 'string' },
    profile: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    // Another build of the agent's entry point (e.g. an older commit's agent/src/main.ts, for A/B).
    agent: { type: 'string' },
    'agent-b': { type: 'string' },
    // Extra V8/Node flags for the agent process only, e.g. '--max-semi-space-size=16'.
    'agent-flags': { type: 'string', default: '' },
    // Flags for agent b only (A/B of a Node/V8 setting on the same build).
    'agent-b-flags': { type: 'string', default: '' },
    // Settings for agent b only, K=V[,K=V] (A/B of a setting, e.g. STT_BATCH_MS=100).
    'agent-b-env': { type: 'string', default: '' },
    // fixed (default): a timed script, the same work every run; interactive: wait for answers.
    timeline: { type: 'string', default: 'fixed' },
  },
});
const calls = Number(values.calls);
const durationMs = Number(values.duration) * 1000;
const rampMs = Number(values.ramp) * 1000;
const profile = selectProfile(values.profile);
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadAtStart = load();

const speech = await startSpeechEmulator({ host: '127.0.0.1', port: 0, profile, seed: 17 });
const openai = await startOpenAiEmulator({ host: '127.0.0.1', port: 0, latency: 'reference', seed: 11 });
const tts = await startTtsEmulator({ host: '127.0.0.1', port: 0, latency: 'reference', seed: 13 });

interface AgentRun {
  readonly label: string;
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
  readonly port: number;
  active: number;
  callSeconds: number;
  lastChange: number;
  turns: number;
  unanswered: number;
  waitTimeouts: number;
  errors: number;
  placed: number;
  worstSendLagMs: number;
  readonly latencies: number[];
  before?: ProcStat;
  after?: ProcStat;
}

async function startAgent(
  label: string,
  entry: string,
  port: number,
  flags = '',
  env: Record<string, string> = {},
): Promise<AgentRun> {
  const nodeArgs = [
    ...`${values['agent-flags']} ${flags}`.split(' ').filter((f) => f !== ''),
    ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []),
    ...(values['heap-prof'] ? ['--heap-prof', '--heap-prof-dir', values['heap-prof']] : []),
    entry,
  ];
  const child = spawn(process.execPath, nodeArgs, {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_PORT: String(port + 1),
      STT_PROVIDER: 'google',
      STT_ENDPOINT: speech.address,
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'sk-bench',
      TTS_PROVIDER: 'google',
      TTS_ENDPOINT: tts.endpoint,
      MAX_CALLS: String(calls + 50),
      POD_DELETION_COST_ENABLED: 'false',
      LOG_LEVEL: values['log-level'],
      ...env,
    },
    stdio: ['ignore', process.env.AGENT_LOG ? 'inherit' : 'ignore', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port + 1}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (i > 600) throw new Error(`agent ${label} not ready after 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    label,
    child,
    exited,
    port,
    active: 0,
    callSeconds: 0,
    lastChange: performance.now(),
    turns: 0,
    unanswered: 0,
    waitTimeouts: 0,
    errors: 0,
    placed: 0,
    worstSendLagMs: 0,
    latencies: [],
  };
}

const basePort = 20000 + Math.floor(Math.random() * 20000);
const thisTree = join(import.meta.dirname, '..', 'src', 'main.ts');
const agents: AgentRun[] = [await startAgent('a', values.agent ?? thisTree, basePort)];
if (values['agent-b'] !== undefined)
  agents.push(
    await startAgent(
      'b',
      values['agent-b'],
      basePort + 2,
      values['agent-b-flags'],
      Object.fromEntries(
        values['agent-b-env']
          .split(',')
          .filter((kv) => kv.includes('='))
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      ),
    ),
  );

const CLK_TCK = 100;
interface ProcStat {
  readonly cpuMs: number;
  readonly sysMs: number;
  readonly rssMb: number;
}
/** utime + stime of a process in ms, its kernel part, and its RSS in MB. */
function procStat(pid: number): ProcStat {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  return {
    cpuMs: (ticks * 1000) / CLK_TCK,
    sysMs: (Number(f[12]) * 1000) / CLK_TCK,
    rssMb: (Number(f[21]) * 4096) / 2 ** 20,
  };
}

const transcripts = fixtureTranscripts();
const utterances = ['hello', 'question', 'address', 'thanks', 'long', 'short'];
const audioCache = new Map<string, Promise<Buffer>>();
const started = performance.now();
const endAt = started + rampMs + durationMs;
let windowOpen = false;
const touch = (a: AgentRun, delta: number): void => {
  const now = performance.now();
  if (windowOpen) a.callSeconds += (a.active * (now - a.lastChange)) / 1000;
  a.lastChange = now;
  a.active += delta;
};

function script(): CallStepSpec[] {
  if (values.timeline === 'interactive') {
    const s: CallStepSpec[] = [{ kind: 'waitForAgent', until: 'end', timeoutMs: 15000, quietMs: 600 }];
    utterances.forEach((u, i) => {
      s.push({ kind: 'play', file: join(FIXTURE_AUDIO_DIR, `${u}.wav`), label: u });
      // The third answer is interrupted: the caller talks as soon as the agent starts.
      if (i === 2) s.push({ kind: 'waitForAgent', until: 'start', timeoutMs: 15000 });
      else s.push({ kind: 'waitForAgent', until: 'end', timeoutMs: 15000, quietMs: 600 });
      s.push({ kind: 'silence', ms: 300 });
    });
    s.push({ kind: 'stop' });
    return s;
  }
  // Fixed: the same audio at the same times whatever the agent does, so every run asks the
  // agent for the same work (on a loaded machine a caller that waits for answers does less when
  // the agent is slow, and CPU per call-second follows). Greeting, then each utterance followed
  // by time for the answer; after the third the caller talks again 1.5 s after finishing, into
  // the answer (a barge-in).
  const s: CallStepSpec[] = [{ kind: 'silence', ms: 3000 }];
  utterances.forEach((u, i) => {
    s.push({ kind: 'play', file: join(FIXTURE_AUDIO_DIR, `${u}.wav`), label: u });
    s.push({ kind: 'silence', ms: i === 2 ? 1500 : 5000 });
  });
  s.push({ kind: 'stop' });
  return s;
}

async function caller(a: AgentRun, delayMs: number): Promise<void> {
  await new Promise((r) => setTimeout(r, delayMs));
  while (performance.now() < endAt - 5000) {
    const callSid = randomSid('CA');
    speech.setScript(
      callSid,
      utterances.map((u) => transcripts.get(u)!),
    );
    a.placed++;
    touch(a, +1);
    const result = await placeCall({
      url: `ws://127.0.0.1:${a.port}`,
      callSid,
      script: script(),
      signature: { authToken: LOCAL_DEV_AUTH_TOKEN, publicUrl: `localhost:${a.port}` },
      audioCache,
      cheapFraming: true,
      maxDurationMs: Math.max(1000, endAt - performance.now()),
    });
    touch(a, -1);
    if (result.outcome === 'error') a.errors++;
    a.waitTimeouts += result.waitTimeouts;
    a.worstSendLagMs = Math.max(a.worstSendLagMs, result.sendLag.p99Ms);
    for (const t of result.turns) {
      a.turns++;
      if (t.latencyMs === undefined) a.unanswered++;
      else a.latencies.push(t.latencyMs);
    }
  }
}

// Calls alternate between the agents (each gets calls / agents.length), phases spread over the ramp.
const runners = Array.from({ length: calls * agents.length }, (_, i) =>
  caller(
    agents[i % agents.length]!,
    (Math.floor(i / agents.length) * rampMs) / calls + (i % agents.length) * 7,
  ),
);
// Window: from 3 s after the last call started until the calls start to end.
await new Promise((r) => setTimeout(r, rampMs + 3000));
for (const a of agents) touch(a, 0);
windowOpen = true;
for (const a of agents) a.before = procStat(a.child.pid!);
const driverBefore = process.cpuUsage();
const windowStart = performance.now();
await new Promise((r) => setTimeout(r, Math.max(1000, durationMs - 8000)));
for (const a of agents) touch(a, 0);
windowOpen = false;
for (const a of agents) a.after = procStat(a.child.pid!);
const driverCpu = process.cpuUsage(driverBefore);
const windowS = (performance.now() - windowStart) / 1000;
const loadInWindow = load();
await Promise.all(runners);
// SIGTERM drains (no calls are left) and exits 0; --cpu-prof is written on that exit. A signal
// after the drain closed the handlers would kill the process before the profile is written.
for (const a of agents) {
  a.child.kill('SIGTERM');
  const killTimer = setTimeout(() => a.child.kill('SIGKILL'), 20_000);
  await a.exited;
  clearTimeout(killTimer);
}
await Promise.all([speech.close(), openai.close(), tts.close()]);

for (const a of agents) {
  const cpuMs = a.after!.cpuMs - a.before!.cpuMs;
  const latencies = a.latencies.sort((x, y) => x - y);
  const pct = (p: number): number | undefined =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  console.log(
    JSON.stringify({
      agent: a.label,
      entry: a.label === 'a' ? (values.agent ?? thisTree) : values['agent-b'],
      calls,
      windowS: Number(windowS.toFixed(1)),
      callSeconds: Math.round(a.callSeconds),
      agentCpuPct: Number(((100 * cpuMs) / (windowS * 1000)).toFixed(1)),
      msPerCallSecond: Number((cpuMs / a.callSeconds).toFixed(2)),
      // Of which in the kernel (socket reads and writes).
      sysMsPerCallSecond: Number(((a.after!.sysMs - a.before!.sysMs) / a.callSeconds).toFixed(2)),
      rssMb: Math.round(a.after!.rssMb),
      rssAtWindowStartMb: Math.round(a.before!.rssMb),
      placed: a.placed,
      turns: a.turns,
      // Turns with no answer heard: cut by the end of the run, or waits that timed out.
      unanswered: a.unanswered,
      waitTimeouts: a.waitTimeouts,
      callerGapMs: { p50: pct(50), p95: pct(95) },
      errors: a.errors,
      // The load generator's own CPU (callers and emulators): near 100 % it, not the agent, limits.
      driverCpuPct: Number(
        ((100 * (driverCpu.user + driverCpu.system)) / 1000 / (windowS * 1000)).toFixed(1),
      ),
      callerSendLagP99MaxMs: a.worstSendLagMs,
      load: { start: loadAtStart, window: loadInWindow, end: load() },
    }),
  );
}
process.exit(0);
