// `npm run bench:edge`: how many concurrent Media Streams one agent process carries. One agent
// child process (real edge, pass-through call handler: decode every frame, re-encode and echo the
// audio in 100 ms messages like TTS playback, a mark per second) and N simulated Twilio callers in this process streaming speech for the
// whole run. Reports frames/s in and out, the agent's event-loop lag and CPU, RSS per call and
// late frames on both sides; writes docs/bench/edge.md.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { readWavFile } from '../src/audio/wav.ts';
import { wavToMulaw8k } from '../src/sim/caller/audio-source.ts';
import { MsHistogram, Scheduler, SimulatedCall, type CallResult } from '../src/sim/caller/index.ts';
import { freePort } from './capacity/harness.ts';
import type { ChildMessage, ParentMessage } from './edge-agent.ts';

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

interface RunResult {
  calls: number;
  durationS: number;
  windowS: number;
  framesInPerS: number;
  framesOutPerS: number;
  /** The agent's own counters (hva_frames_in_total / hva_frames_out_total) over the window. */
  agentFramesInPerS: number;
  agentFramesOutPerS: number;
  agentLagP50Ms: number;
  agentLagP99Ms: number;
  agentLagMaxMs: number;
  agentCpuPct: number;
  /** Of agentCpuPct: kernel time (socket reads and writes). */
  agentCpuSysPct: number;
  /** Garbage-collection pauses in the agent over the window. */
  agentGcCount: number;
  agentGcTotalMs: number;
  agentGcMaxMs: number;
  agentRssIdleMb: number;
  agentRssMb: number;
  rssPerCallKb: number;
  agentLateFrames: number;
  agentDroppedFrames: number;
  agentMalformed: number;
  callerLateEchoes: number;
  echoJitterP50Ms: number;
  echoJitterP99Ms: number;
  echoJitterMaxMs: number;
  /** Frame sent -> its echo back (agent processing + loopback + both event loops). */
  echoRttP50Ms: number;
  echoRttP99Ms: number;
  echoRttMaxMs: number;
  senderLagP99Ms: number;
  senderLagMaxMs: number;
  benchLagP99Ms: number;
  benchCpuPct: number;
  otherCpuPct: number;
  loadAvg1: number;
  outcomes: Record<string, number>;
  protocolErrors: number;
  marksPlayed: number;
}

/** Busy and total jiffies over all CPUs, from /proc/stat (Linux). */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+([-\d.e+]+|NaN)$/i.exec(line);
    if (!m) continue;
    const name = m[1]!;
    out.set(name, (out.get(name) ?? 0) + Number(m[3]));
  }
  return out;
}

class AgentChild {
  readonly proc: ChildProcess;
  private waiters: ((m: ChildMessage) => void)[] = [];
  constructor(env: Record<string, string>, cpuProfDir?: string) {
    this.proc = fork(join(import.meta.dirname, 'edge-agent.ts'), [], {
      env: { ...process.env, ...env },
      execArgv: [
        ...process.execArgv,
        ...(cpuProfDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
      ],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: ChildMessage) => this.waiters.shift()?.(m));
  }
  next(): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`agent child exited (${code})`));
      this.proc.once('exit', onExit);
      this.waiters.push((m) => {
        this.proc.off('exit', onExit);
        resolve(m);
      });
    });
  }
  send(m: ParentMessage): void {
    this.proc.send(m);
  }
  async request(m: ParentMessage): Promise<ChildMessage> {
    const reply = this.next();
    this.send(m);
    return reply;
  }
  async close(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

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

    const scheduler = new Scheduler({ toleranceMs: 1 });
    const calls: SimulatedCall[] = [];
    const done: Promise<CallResult>[] = [];
    const t0 = performance.now();
    const rampMs = rampS * 1000;
    let opened = 0;
    let firstOpenAt = Infinity;
    let allOpen: () => void = () => {};
    const allOpened = new Promise<void>((r) => (allOpen = r));
    const onOpen = () => {
      firstOpenAt = Math.min(firstOpenAt, performance.now());
      if (++opened === n) allOpen();
    };
    const starts = callStartOffsets(n, rampMs);
    for (let i = 0; i < n; i++) {
      const at = t0 + starts[i]!;
      const wait = at - performance.now();
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

    // Measure while every call is streaming: once all are open and settled, until just before the
    // first one hangs up. On an overloaded machine the ramp can overrun; the window then shrinks.
    const windowStart = performance.now() + Math.min(2000, durationS * 100);
    let windowEnd = firstOpenAt + durationS * 1000 - Math.min(1000, durationS * 50);
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
    const m0 = await scrape(adminUrl);
    const sum = () =>
      calls.reduce(
        (a, c) => {
          const l = c.liveCounters();
          a.sent += l.framesSent;
          a.recv += l.mediaMessages;
          return a;
        },
        { sent: 0, recv: 0 },
      );
    const c0 = sum();
    const w0 = performance.now();

    await sleep(Math.max(0, windowEnd - performance.now()));
    const c1 = sum();
    const w1 = performance.now();
    const sample = await agent.request({ type: 'sample' });
    const m1 = await scrape(adminUrl);
    const benchCpu = process.cpuUsage(benchCpu0);
    const sys1 = cpuTimes();
    benchLag.disable();
    if (sample.type !== 'sample') throw new Error('unexpected reply from agent child');
    const windowS = (w1 - w0) / 1000;

    const results = await Promise.all(done);
    const mEnd = await scrape(adminUrl);
    const jitter = new MsHistogram();
    const sendLag = new MsHistogram();
    const rtt = new MsHistogram();
    for (const c of calls) {
      const h = c.histograms();
      jitter.merge(h.jitter);
      sendLag.merge(h.sendLag);
      if (h.echoRtt) rtt.merge(h.echoRtt);
    }
    const outcomes: Record<string, number> = {};
    for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const cores = cpus().length;
    const agentCpuMs = sample.cpuUserMs + sample.cpuSystemMs;
    const benchCpuMs = (benchCpu.user + benchCpu.system) / 1000;
    let otherCpuPct = NaN;
    if (sys0 && sys1) {
      // /proc/stat counts in clock ticks (100/s): busy share of all cores, minus our two processes.
      const busyPct = ((sys1.busy - sys0.busy) / (sys1.total - sys0.total)) * 100 * cores;
      otherCpuPct = Math.max(0, busyPct - (agentCpuMs / 10 + benchCpuMs / 10) / (sample.elapsedMs / 1000));
    }
    return {
      calls: n,
      durationS,
      windowS,
      framesInPerS: (c1.sent - c0.sent) / windowS,
      framesOutPerS: (c1.recv - c0.recv) / windowS,
      agentLagP50Ms: sample.lagP50Ms,
      agentLagP99Ms: sample.lagP99Ms,
      agentLagMaxMs: sample.lagMaxMs,
      agentCpuPct: (agentCpuMs / sample.elapsedMs) * 100,
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
      benchLagP99Ms: Math.max(0, benchLag.percentile(99) / 1e6 - 1),
      benchCpuPct: (benchCpuMs / ((w1 - w0) * 1)) * 100,
      otherCpuPct,
      loadAvg1: loadavg()[0]!,
      outcomes,
      protocolErrors: results.reduce((a, r) => a + r.protocolErrors.total, 0),
      marksPlayed: results.reduce((a, r) => a + r.agent.marksPlayed, 0),
      agentFramesInPerS:
        ((m1.get('hva_frames_in_total') ?? 0) - (m0.get('hva_frames_in_total') ?? 0)) / windowS,
      agentFramesOutPerS:
        ((m1.get('hva_frames_out_total') ?? 0) - (m0.get('hva_frames_out_total') ?? 0)) / windowS,
    };
  } finally {
    await agent.close();
  }
}

function fmt(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

function table(runs: RunResult[]): string {
  const rows = [
    '| calls | frames/s in (callers / agent) | frames/s out (agent / callers) | agent lag p50 / p99 / max (ms) | agent CPU (sys) | agent RSS (idle -> loaded) | RSS/call | late frames agent / caller | echo jitter p50 / p99 / max (ms) | echo RTT p50 / p99 / max (ms) | outcomes |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of runs) {
    rows.push(
      `| ${r.calls} | ${fmt(r.framesInPerS, 0)} / ${fmt(r.agentFramesInPerS, 0)} | ${fmt(r.agentFramesOutPerS, 0)} / ${fmt(r.framesOutPerS, 0)} | ${fmt(r.agentLagP50Ms, 2)} / ${fmt(r.agentLagP99Ms, 2)} / ${fmt(r.agentLagMaxMs)} |` +
        ` ${fmt(r.agentCpuPct, 0)} % (${fmt(r.agentCpuSysPct, 0)} %) | ${fmt(r.agentRssIdleMb, 0)} -> ${fmt(r.agentRssMb, 0)} MB | ${fmt(r.rssPerCallKb, 0)} KB |` +
        ` ${r.agentLateFrames} / ${r.callerLateEchoes} | ${fmt(r.echoJitterP50Ms)} / ${fmt(r.echoJitterP99Ms)} / ${fmt(r.echoJitterMaxMs)} |` +
        ` ${fmt(r.echoRttP50Ms)} / ${fmt(r.echoRttP99Ms)} / ${fmt(r.echoRttMaxMs)} |` +
        ` ${Object.entries(r.outcomes)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}${r.protocolErrors ? `, ${r.protocolErrors} protocol errors` : ''} |`,
    );
  }
  return rows.join('\n');
}

function loadTable(runs: RunResult[]): string {
  const rows = [
    '| calls | window (s) | agent GC pauses: n / total / max (ms) | bench process CPU | bench lag p99 (ms) | caller send lag p99 / max (ms) | other processes CPU | load avg (1 min) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of runs) {
    rows.push(
      `| ${r.calls} | ${fmt(r.windowS)} | ${r.agentGcCount} / ${fmt(r.agentGcTotalMs, 0)} / ${fmt(r.agentGcMaxMs)} | ${fmt(r.benchCpuPct, 0)} % | ${fmt(r.benchLagP99Ms, 2)} | ${fmt(r.senderLagP99Ms)} / ${fmt(r.senderLagMaxMs)} |` +
        ` ${fmt(r.otherCpuPct, 0)} % | ${fmt(r.loadAvg1, 2)} |`,
    );
  }
  return rows.join('\n');
}

function machineFacts(): string {
  const c = cpus();
  let model = c[0]?.model ?? 'unknown';
  if (existsSync('/proc/cpuinfo') && model === 'unknown') model = 'see /proc/cpuinfo';
  return [
    `- CPU: ${c.length} x ${model}`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, Linux ${release()}`,
  ].join('\n');
}

async function writeDoc(section: string): Promise<void> {
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  let doc = existsSync(DOC) ? await readFile(DOC, 'utf8') : `# Edge benchmark\n\n${start}\n${end}\n`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) doc = `${doc.trimEnd()}\n\n${start}\n${end}\n`;
  const i = doc.indexOf(start) + start.length;
  const j = doc.indexOf(end);
  doc = `${doc.slice(0, i)}\n${section}\n${doc.slice(j)}`;
  await writeFile(DOC, doc);
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
    await writeDoc(section);
    console.log(`\nwritten to ${DOC}`);
  }
}

await main();
