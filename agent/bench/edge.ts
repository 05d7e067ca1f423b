// `npm run bench:edge`: how many concurrent Media Streams one agent process carries. One agent
// child process (real edge, pass-through call handler: decode every frame, re-encode and echo the
// audio in 100 ms messages like TTS playback, a mark per second) and N simulated Twilio callers in this process streaming speech for the
// whole run. Reports frames/s in and out, the agent's event-loop lag and CPU, RSS per call and
// late frames on both sides; writes docs/bench/edge.md.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { readWavFile } from '../src/audio/wav.ts';
import { wavToMulaw8k } from '../src/sim/caller/audio-source.ts';
import { MsHistogram, Scheduler, SimulatedCall, type CallResult } from '../src/sim/caller/index.ts';
import { freePort } from './capacity/harness.ts';
import type { ChildMessage } from './edge-agent.ts';
import { AgentChild, cpuTimes, scrape } from './edge-child.ts';
import { loadTable, machineFacts, table, writeDoc, type RunResult } from './edge-report.ts';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'agent/test/fixtures/audio');
const DOC = join(ROOT, 'docs/bench/edge.md');
const AUTH_TOKEN = 'bench-edge-auth-token';

const HELP = `Usage: npm run bench:edge -- [--calls 50,200,500] [--duration 60] [--ramp 5] [--no-write]

  --calls <list>     Concurrent call counts, one run each (fresh agent process). Default 50,200,500.
  --duration <s>     How long each call streams. Default 60.
  --ramp <s>         Calls start spread over this time. Default min(5, duration/4).
  --no-write         Print results only; do not update docs/bench/edge.md.
  --json             Also print the results as JSON.
  --cpu-prof <dir>   Run each agent child with --cpu-prof, writing its profile into <dir>.`;

/** Speech for the callers: the fixtures back to back, repeated to fill the call. */
async function benchAudio(durationS: number): Promise<Buffer> {
  const names = ['long', 'hello', 'question', 'address', 'thanks', 'short'];
  const parts = await Promise.all(
    names.map(async (n) => wavToMulaw8k(await readWavFile(join(FIXTURES, `${n}.wav`)))),
  );
  const one = Buffer.concat(parts);
  const need = durationS * 8000;
  const out = Buffer.alloc(need);
  for (let o = 0; o < need; o += one.length) one.copy(out, o, 0, Math.min(one.length, need - o));
  return out;
}

/**
 * When each call starts (ms after the first), spread over the ramp and over the 20 ms frame cycle.
 * Real calls start at independent times, so their frame phases are uniform; evenly spaced starts
 * (every ramp/N ms, 10 ms at 500 calls) would put every call on one or two phases and make the
 * callers send their frames in bursts of hundreds. The phase of call i is i x golden ratio (mod 1)
 * of a frame: deterministic and evenly spread.
 */
function callStartOffsets(n: number, rampMs: number): number[] {
  const golden = (Math.sqrt(5) - 1) / 2;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((rampMs * i) / n + ((i * golden) % 1) * 20);
  return out.sort((a, b) => a - b);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Callers {
  readonly calls: SimulatedCall[];
  readonly done: Promise<CallResult>[];
  /** When the first call opened (performance.now()). */
  readonly firstOpenAt: number;
}

/** Starts n callers streaming `audio` over the ramp; resolves once every call opened (or failed to). */
async function startCallers(n: number, rampS: number, audio: Buffer, publicHost: string): Promise<Callers> {
  const scheduler = new Scheduler({ toleranceMs: 1 });
  const calls: SimulatedCall[] = [];
  const done: Promise<CallResult>[] = [];
  const t0 = performance.now();
  let opened = 0;
  let firstOpenAt = Infinity;
  let allOpen: () => void = () => {};
  const allOpened = new Promise<void>((r) => (allOpen = r));
  const onOpen = () => {
    firstOpenAt = Math.min(firstOpenAt, performance.now());
    if (++opened === n) allOpen();
  };
  const starts = callStartOffsets(n, rampS * 1000);
  for (let i = 0; i < n; i++) {
    const wait = t0 + starts[i]! - performance.now();
    if (wait > 1) await sleep(wait);
    const call = new SimulatedCall({
      url: `ws://${publicHost}`,
      script: [{ kind: 'play', audio, label: 'speech' }, { kind: 'stop' }],
      signature: { authToken: AUTH_TOKEN, publicUrl: publicHost },
      customParameters: { bench: 'edge', n: String(i) },
      scheduler,
      connectTimeoutMs: 30_000,
      measureEchoRtt: true,
      cheapFraming: true,
      onEvent: (e) => {
        if (e.type === 'open') onOpen();
      },
    });
    calls.push(call);
    done.push(
      call.run().then((r) => {
        if (r.outcome === 'error') onOpen(); // never opened: do not wait for it
        return r;
      }),
    );
  }
  await allOpened;
  return { calls, done, firstOpenAt };
}

/** What was sampled over the measurement window. */
interface Window {
  readonly windowS: number;
  readonly framesInPerS: number;
  readonly framesOutPerS: number;
  readonly agent: Extract<ChildMessage, { type: 'sample' }>;
  readonly metrics0: Map<string, number>;
  readonly metrics1: Map<string, number>;
  readonly benchCpuMs: number;
  readonly benchLagP99Ms: number;
  readonly otherCpuPct: number;
}

/**
 * Measures while every call is streaming: once all are open and settled, until just before the
 * first one hangs up. On an overloaded machine the ramp can overrun; the window then shrinks.
 */
async function measureWindow(
  agent: AgentChild,
  adminUrl: string,
  callers: Callers,
  durationS: number,
): Promise<Window> {
  const windowStart = performance.now() + Math.min(2000, durationS * 100);
  let windowEnd = callers.firstOpenAt + durationS * 1000 - Math.min(1000, durationS * 50);
  if (windowEnd - windowStart < 1000) {
    console.warn(
      `bench:edge: only ${((windowEnd - windowStart) / 1000).toFixed(1)} s with every call streaming; measuring 1 s`,
    );
    windowEnd = windowStart + 1000;
  }
  await sleep(Math.max(0, windowStart - performance.now()));
  agent.send({ type: 'reset' });
  const benchLag = monitorEventLoopDelay({ resolution: 1 });
  benchLag.enable();
  const benchCpu0 = process.cpuUsage();
  const sys0 = cpuTimes();
  const metrics0 = await scrape(adminUrl);
  const frames = () => {
    let sent = 0;
    let recv = 0;
    for (const c of callers.calls) {
      const l = c.liveCounters();
      sent += l.framesSent;
      recv += l.mediaMessages;
    }
    return { sent, recv };
  };
  const c0 = frames();
  const w0 = performance.now();
  await sleep(Math.max(0, windowEnd - performance.now()));
  const c1 = frames();
  const windowS = (performance.now() - w0) / 1000;
  const sample = await agent.request({ type: 'sample' });
  const metrics1 = await scrape(adminUrl);
  const benchCpu = process.cpuUsage(benchCpu0);
  const sys1 = cpuTimes();
  benchLag.disable();
  if (sample.type !== 'sample') throw new Error('unexpected reply from agent child');
  const benchCpuMs = (benchCpu.user + benchCpu.system) / 1000;
  let otherCpuPct = NaN;
  if (sys0 && sys1) {
    // /proc/stat counts in clock ticks (100/s): busy share of all cores, minus our two processes.
    const busyPct = ((sys1.busy - sys0.busy) / (sys1.total - sys0.total)) * 100 * cpus().length;
    const agentCpuMs = sample.cpuUserMs + sample.cpuSystemMs;
    otherCpuPct = Math.max(0, busyPct - (agentCpuMs / 10 + benchCpuMs / 10) / (sample.elapsedMs / 1000));
  }
  return {
    windowS,
    framesInPerS: (c1.sent - c0.sent) / windowS,
    framesOutPerS: (c1.recv - c0.recv) / windowS,
    agent: sample,
    metrics0,
    metrics1,
    benchCpuMs,
    benchLagP99Ms: Math.max(0, benchLag.percentile(99) / 1e6 - 1),
    otherCpuPct,
  };
}

function runResult(
  n: number,
  durationS: number,
  rssIdle: number,
  w: Window,
  callers: Callers,
  results: readonly CallResult[],
  mEnd: Map<string, number>,
): RunResult {
  const jitter = new MsHistogram();
  const sendLag = new MsHistogram();
  const rtt = new MsHistogram();
  for (const c of callers.calls) {
    const h = c.histograms();
    jitter.merge(h.jitter);
    sendLag.merge(h.sendLag);
    if (h.echoRtt) rtt.merge(h.echoRtt);
  }
  const outcomes: Record<string, number> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const sample = w.agent;
  const perS = (name: string) => ((w.metrics1.get(name) ?? 0) - (w.metrics0.get(name) ?? 0)) / w.windowS;
  return {
    calls: n,
    durationS,
    windowS: w.windowS,
    framesInPerS: w.framesInPerS,
    framesOutPerS: w.framesOutPerS,
    agentLagP50Ms: sample.lagP50Ms,
    agentLagP99Ms: sample.lagP99Ms,
    agentLagMaxMs: sample.lagMaxMs,
    agentCpuPct: ((sample.cpuUserMs + sample.cpuSystemMs) / sample.elapsedMs) * 100,
    agentCpuSysPct: (sample.cpuSystemMs / sample.elapsedMs) * 100,
    agentGcCount: sample.gcCount,
    agentGcTotalMs: sample.gcTotalMs,
    agentGcMaxMs: sample.gcMaxMs,
    agentRssIdleMb: rssIdle / 2 ** 20,
    agentRssMb: sample.rss / 2 ** 20,
    rssPerCallKb: (sample.rss - rssIdle) / 1024 / n,
    agentLateFrames: mEnd.get('hva_late_frames_total') ?? 0,
    agentDroppedFrames: mEnd.get('hva_dropped_frames_total') ?? 0,
    agentMalformed: mEnd.get('hva_malformed_frames_total') ?? 0,
    callerLateEchoes: results.reduce((a, r) => a + r.jitter.late, 0),
    echoJitterP50Ms: jitter.quantile(0.5),
    echoJitterP99Ms: jitter.quantile(0.99),
    echoJitterMaxMs: jitter.max,
    echoRttP50Ms: rtt.quantile(0.5),
    echoRttP99Ms: rtt.quantile(0.99),
    echoRttMaxMs: rtt.max,
    senderLagP99Ms: sendLag.quantile(0.99),
    senderLagMaxMs: sendLag.max,
    benchLagP99Ms: w.benchLagP99Ms,
    benchCpuPct: (w.benchCpuMs / (w.windowS * 1000)) * 100,
    otherCpuPct: w.otherCpuPct,
    loadAvg1: loadavg()[0]!,
    outcomes,
    protocolErrors: results.reduce((a, r) => a + r.protocolErrors.total, 0),
    marksPlayed: results.reduce((a, r) => a + r.agent.marksPlayed, 0),
    agentFramesInPerS: perS('hva_frames_in_total'),
    agentFramesOutPerS: perS('hva_frames_out_total'),
  };
}

async function runOnce(
  n: number,
  durationS: number,
  rampS: number,
  audio: Buffer,
  cpuProfDir?: string,
): Promise<RunResult> {
  const port = await freePort();
  const publicHost = `127.0.0.1:${port}`;
  // Metrics live on the admin port, not on the Twilio-facing one.
  const adminPort = await freePort();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const agent = new AgentChild(
    {
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      HOST: '127.0.0.1',
      PUBLIC_HOST: publicHost,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      MAX_CALLS: String(Math.max(n + 10, 200)),
      LOG_LEVEL: 'warn',
      POD_DELETION_COST_ENABLED: 'false',
    },
    cpuProfDir,
  );
  try {
    const ready = await agent.next();
    if (ready.type !== 'ready') throw new Error('agent child did not report ready');
    await sleep(500);
    const idle = await agent.request({ type: 'sample' });
    const rssIdle = idle.type === 'sample' ? idle.rss : ready.rss;
    const callers = await startCallers(n, rampS, audio, publicHost);
    const w = await measureWindow(agent, adminUrl, callers, durationS);
    const results = await Promise.all(callers.done);
    return runResult(n, durationS, rssIdle, w, callers, results, await scrape(adminUrl));
  } finally {
    await agent.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '50,200,500' },
      duration: { type: 'string', default: '60' },
      ramp: { type: 'string' },
      'no-write': { type: 'boolean' },
      json: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const counts = values.calls.split(',').map((s) => Number(s.trim()));
  const durationS = Number(values.duration);
  if (counts.some((n) => !Number.isInteger(n) || n < 1) || !(durationS >= 5)) {
    console.error('bench:edge: --calls must be positive integers and --duration at least 5 s');
    process.exit(2);
  }
  const rampS = values.ramp !== undefined ? Number(values.ramp) : Math.min(5, durationS / 4);
  const audio = await benchAudio(durationS);
  const runs: RunResult[] = [];
  const startedAt = new Date().toISOString();
  for (const n of counts) {
    console.log(`bench:edge: ${n} calls x ${durationS} s ...`);
    const r = await runOnce(n, durationS, rampS, audio, values['cpu-prof']);
    runs.push(r);
    console.log(table([r]).split('\n').slice(2).join('\n'));
    await sleep(2000);
  }
  const section = [
    `Run ${startedAt}: \`npm run bench:edge -w agent -- --calls ${counts.join(',')} --duration ${durationS}\` (ramp ${rampS} s).`,
    '',
    machineFacts(),
    '',
    table(runs),
    '',
    'Load during the measurement window (the bench process hosts every simulated caller):',
    '',
    loadTable(runs),
  ].join('\n');
  console.log(`\n${section}`);
  if (values.json) console.log(JSON.stringify(runs, null, 2));
  if (!values['no-write']) {
    await writeDoc(DOC, section);
    console.log(`\nwritten to ${DOC}`);
  }
}

await main();
