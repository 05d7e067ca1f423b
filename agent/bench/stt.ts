// STT benchmark: N concurrent calls (default 200) through the real @google-cloud/speech client
// and the resilient wrapper against the in-process Speech emulator (reference latency profile),
// with real-time paced audio. Some calls get injected faults so restarts, fallback and return are
// exercised. Reports restarts, rotations, fallback time, and the added delay from the emulator
// writing a response to the agent's listener receiving the event (p50/p99/max).
//
//   npx node agent/bench/stt.ts [--calls 200] [--seconds 40] [--rotation 20] [--out docs/bench/stt-run.json]
//                               [--profile ../shared/bench/google-like-profile.json]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../src/config/load.ts';
import { selectProfile } from '../src/sim/profile.ts';
import { startSpeechEmulator } from '../src/sim/speech/emulator.ts';
import { createSttProvider } from '../src/stt/index.ts';
import { registry } from '../src/telemetry/metrics.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { callAudio, feed } from '../test/integration/stt/harness.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '40' },
    rotation: { type: 'string', default: '20' },
    out: { type: 'string' },
    // Latency profile (default $HVA_REFERENCE_PROFILE or ../shared/bench/reference-profile.json).
    profile: { type: 'string' },
  },
});
const PROFILE = selectProfile(values.profile);
const CALLS = Number(values.calls);
const SECONDS = Number(values.seconds);
const ROTATION = Number(values.rotation);

const sent = new Map<string, number[]>();
const emu = await startSpeechEmulator({
  seed: 42,
  onResponse: (r) => {
    const key = `${r.callId}|${r.isFinal ? 'F' : 'P'}|${r.text}`;
    const q = sent.get(key);
    if (q) q.push(r.sentAt);
    else sent.set(key, [r.sentAt]);
  },
});
const config = defaultConfig({
  sttEndpoint: emu.address,
  maxCalls: CALLS,
  sttRotationSeconds: ROTATION,
  sttRetryAttempts: 3,
});
const stt = createSttProvider(config);

// One call's audio: clips with pauses, repeated to fill the duration.
const names = ['hello', 'question', 'address', 'thanks', 'short', 'long'];
const order: string[] = [];
let total = 0;
for (let i = 0; total < SECONDS * 1000; i++) {
  const n = names[i % names.length]!;
  order.push(n);
  total += callAudio([n], 1200, 0).mulaw.length / 8;
}
const audio = callAudio(order, 1200);

const delays: number[] = [];
let unmatched = 0;
let finals = 0;
let fallbackFinals = 0;
let wrongFinals = 0;
const fallbackCalls = new Set<string>();

function observe(callId: string, kind: 'P' | 'F', text: string): void {
  // The latest send of this text for this call is the one that arrived; older entries were
  // answered on streams the agent had already cancelled (rotation, retry) and never delivered.
  const key = `${callId}|${kind}|${text}`;
  const q = sent.get(key);
  const at = q?.pop();
  sent.delete(key);
  if (at === undefined) unmatched++;
  else delays.push(performance.now() - at);
}

// Faults: every 10th call loses its stream mid-call; every 50th starts with the API down long
// enough to exhaust the retries (fallback, then re-probe back to streaming).
for (let i = 0; i < CALLS; i++) {
  const callId = `bench-${i}`;
  if (i % 10 === 3) emu.injectFault({ kind: 'unavailableAfter', afterMs: 8000 + (i % 7) * 1000, callId });
  if (i % 50 === 7) emu.injectFault({ kind: 'unavailableAtOpen', count: 6, callId });
}

const load0 = loadavg();
const LOOP_RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loop.enable();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CALLS }, async (_, i) => {
    const callId = `bench-${i}`;
    emu.setScript(callId, audio.lines);
    await new Promise((r) => setTimeout(r, (i * 2000) / CALLS));
    const c0 = performance.now();
    let nFinal = 0;
    const stream = stt.open(
      { callId, logger: silentLogger, now: () => performance.now() - c0 },
      {
        onPartial: (p) => observe(callId, 'P', p.text),
        onFinal: (f) => {
          if (f.fromFallback) {
            fallbackFinals++;
          } else observe(callId, 'F', f.text);
          if (f.text !== audio.lines[nFinal]) {
            wrongFinals++;
            if (wrongFinals <= 5)
              process.stderr.write(
                `${callId} final #${nFinal} ${f.fromFallback ? '(fallback) ' : ''}${JSON.stringify(f.text)} expected ${JSON.stringify(audio.lines[nFinal])}\n`,
              );
          }
          nFinal++;
          finals++;
        },
        onState: (s) => {
          if (s.state === 'fallback') fallbackCalls.add(callId);
        },
        onError: () => undefined,
      },
    );
    await feed(stream, audio, { mark: true });
    await new Promise((r) => setTimeout(r, 2500));
    await stream.close();
  }),
);
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
loop.disable();

async function metric(
  name: string,
): Promise<Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>> {
  const m = registry.getSingleMetric(name);
  return m
    ? ((await m.get()).values as unknown as Array<{
        labels: Record<string, string | number>;
        value: number;
        metricName?: string;
      }>)
    : [];
}
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const restarts = Object.fromEntries(
  (await metric('hva_stt_restarts_total')).map((v) => [String(v.labels.reason), v.value]),
);
const sum = async (n: string): Promise<number> => (await metric(n)).reduce((s, v) => s + v.value, 0);
const fbHist = await metric('hva_stt_fallback_seconds');
const fbSum = fbHist.find((v) => v.metricName === 'hva_stt_fallback_seconds_sum')?.value ?? 0;
const stats = emu.stats();
// The agent's own share of the delay: hva_stt_event_delay_seconds (decoded response -> listener
// returned), as the upper bound of the histogram bucket that holds the 50th/99th percentile.
const evHist = await metric('hva_stt_event_delay_seconds');
const evBuckets = evHist
  .filter((v) => v.metricName === 'hva_stt_event_delay_seconds_bucket')
  .map((v) => ({ le: Number(v.labels.le), count: v.value }));
const evCount = evHist.find((v) => v.metricName === 'hva_stt_event_delay_seconds_count')?.value ?? 0;
const bucketPct = (p: number): number =>
  (evBuckets.find((b) => b.count >= (p / 100) * evCount)?.le ?? NaN) * 1000;

const result = {
  calls: CALLS,
  audioSecondsPerCall: Math.round(audio.mulaw.length / 8 / 100) / 10,
  rotationSeconds: ROTATION,
  wallSeconds: Math.round(wallS * 10) / 10,
  expectedFinals: CALLS * audio.lines.length,
  finals,
  wrongOrMissingFinals: wrongFinals + (CALLS * audio.lines.length - finals),
  fallbackFinals,
  restarts,
  rotations: await sum('hva_stt_rotations_total'),
  fallbackEntries: await sum('hva_stt_fallback_entries_total'),
  fallbackExits: await sum('hva_stt_fallback_exits_total'),
  fallbackCalls: fallbackCalls.size,
  fallbackSecondsTotal: Math.round(fbSum * 10) / 10,
  outOfOrderFinals: await sum('hva_stt_out_of_order_finals_total'),
  inAgentHandlingMs: { samples: evCount, p50AtMost: bucketPct(50), p99AtMost: bucketPct(99) },
  eventDelayMs: {
    samples: delays.length,
    unmatched,
    p50: pct(delays, 50),
    p99: pct(delays, 99),
    max: Math.max(...delays),
  },
  // The histogram's samples include its 10 ms timer interval: subtract it to get the lag.
  eventLoopDelayMs: {
    p50: loop.percentile(50) / 1e6 - LOOP_RESOLUTION_MS,
    p99: loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS,
    max: loop.max / 1e6 - LOOP_RESOLUTION_MS,
  },
  cpuSecondsPerCallMinute: (cpu.user + cpu.system) / 1e6 / CALLS / (wallS / 60),
  cpuCoresUsed: (cpu.user + cpu.system) / 1e6 / wallS,
  profile: PROFILE,
  /** 1-minute load average of the machine at the start and the end of the run. */
  loadAverage1m: { start: Math.round(load0[0]! * 100) / 100, end: Math.round(loadavg()[0]! * 100) / 100 },
  emulator: {
    streamsOpened: stats.streamsOpened,
    recognizeCalls: stats.recognizeCalls,
    interims: stats.interimsSent,
    finals: stats.finalsSent,
    errorsSent: stats.errorsSent,
  },
};
const fmt = (x: number): string => x.toFixed(3);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `\nevent delay (emulator write -> agent listener): p50 ${fmt(result.eventDelayMs.p50)} ms, p99 ${fmt(result.eventDelayMs.p99)} ms, max ${fmt(result.eventDelayMs.max)} ms over ${delays.length} events\n`,
);
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
await stt.close!();
await emu.close();
