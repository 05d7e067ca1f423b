// Turn latency benchmark: caller speech end -> first agent audio frame sent, per stage, over N
// simulated calls, with every provider emulated on the shared reference latency profile
// (/work/shared/bench/reference-profile.json, unmodified): the Speech API emulator (in-process,
// reached by the real gRPC client), the OpenAI emulator (real `openai` client, SSE) and the
// Text-to-Speech emulator (real Google TTS client). The agent is the real app on port 0.
//
//   npm run bench:turn -- [--calls 20] [--concurrency 4] [--utterances hello,question,address]
//                         [--voice he-IL-Wavenet-A | he-IL-Chirp3-HD-Kore] [--no-preemptive]
import { parseArgs } from 'node:util';
import { bootAgent } from '../src/call/boot.ts';
import { runConversation } from '../src/call/conversation.ts';
import type { TurnRecord } from '../src/call/turn-record.ts';
import { loadConfig } from '../src/config/load.ts';
import { referenceProfilePath } from '../src/sim/profile.ts';
import { startOpenAiEmulator } from '../src/sim/openai/server.ts';
import { startTtsEmulator } from '../src/sim/tts/server.ts';
import { createLogger } from '../src/telemetry/logger.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    utterances: { type: 'string', default: 'hello,question,address' },
    preemptive: { type: 'boolean', default: true },
    // Wavenet voices use one-shot SynthesizeSpeech (whole sentence first); Chirp3-HD streams.
    voice: { type: 'string', default: 'he-IL-Wavenet-A' },
  },
});
const calls = Number(values.calls);
const concurrency = Math.max(1, Number(values.concurrency));
const utterances = values.utterances.split(',').map((s) => s.trim());

const profile = referenceProfilePath();
const openai = await startOpenAiEmulator({ host: '127.0.0.1', port: 0, latency: 'reference', seed: 11 });
const tts = await startTtsEmulator({ host: '127.0.0.1', port: 0, latency: 'reference', seed: 13 });
const config = Object.freeze({
  ...loadConfig({
    HOST: '127.0.0.1',
    STT_PROVIDER: 'emulator',
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: openai.url,
    OPENAI_API_KEY: 'sk-bench',
    TTS_PROVIDER: 'google',
    TTS_ENDPOINT: tts.endpoint,
    TTS_VOICE: values.voice,
    LLM_PREEMPTIVE: String(values.preemptive),
    POD_DELETION_COST_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  }),
  port: 0,
});
const records: TurnRecord[] = [];
const booted = await bootAgent(config, createLogger('warn', process.stderr), {
  speechEmulator: { profile, seed: 17 },
  onExit: () => undefined,
  onTurn: (r) => records.push(structuredClone(r)),
});

const started = performance.now();
let next = 0;
let failed = 0;
const callerGaps: number[] = [];
async function worker(): Promise<void> {
  for (;;) {
    const i = next++;
    if (i >= calls) return;
    const { call } = await runConversation({
      agentUrl: booted.agent.url,
      publicHost: booted.agent.publicHost,
      utterances,
      speechEmulator: booted.providers.speechEmulator,
    });
    if (call.outcome === 'error') failed++;
    for (const t of call.turns) if (t.latencyMs !== undefined) callerGaps.push(t.latencyMs / 1000);
    process.stderr.write(`call ${i + 1}/${calls}: ${call.outcome}\n`);
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
const wallS = (performance.now() - started) / 1000;
await booted.close();
await tts.close();
await openai.close();

function pct(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const f = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(3));
const since = (pick: (r: TurnRecord) => number | undefined): number[] =>
  records.flatMap((r) => {
    const t = pick(r);
    return t === undefined ? [] : [(t - r.speechEndMs) / 1000];
  });
const stages: Array<[string, number[]]> = [
  ['first partial', since((r) => r.firstPartialMs)],
  ['final / early final', since((r) => r.finalMs)],
  ['LLM request', since((r) => r.llmRequestMs)],
  ['LLM first token', since((r) => r.llmFirstTokenMs)],
  ['first sentence', since((r) => r.firstSentenceMs)],
  ['TTS request', since((r) => r.ttsRequestMs)],
  ['TTS first audio', since((r) => r.ttsFirstAudioMs)],
  ['**total: first frame sent**', since((r) => r.firstFrameSentMs)],
  ['caller gap (simulator: WAV end -> agent audio playing)', callerGaps],
];
const rules = new Map<string, number>();
for (const r of records) rules.set(r.rule, (rules.get(r.rule) ?? 0) + 1);
const outcomes = new Map<string, number>();
for (const r of records) outcomes.set(r.outcome ?? '-', (outcomes.get(r.outcome ?? '-') ?? 0) + 1);
const hits = records.filter((r) => r.preemptive === 'hit').length;
const misses = records.filter((r) => r.preemptive === 'miss').length;

const lines = [
  `calls ${calls} (concurrency ${concurrency}, ${utterances.join(', ')}), turns ${records.length}, failed calls ${failed}, wall ${wallS.toFixed(1)} s`,
  `voice ${values.voice}; profile ${profile}; preemptive ${values.preemptive ? 'on' : 'off'} (hit ${hits}, miss ${misses})`,
  `rules: ${[...rules].map(([k, v]) => `${k} ${v}`).join(', ')}; outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`,
  '',
  '| stage (s from caller speech end, agent VAD) | n | p50 | p95 | p99 | max |',
  '|---|---|---|---|---|---|',
  ...stages.map(
    ([name, v]) =>
      `| ${name} | ${v.length} | ${f(pct(v, 50))} | ${f(pct(v, 95))} | ${f(pct(v, 99))} | ${f(pct(v, 100))} |`,
  ),
];
console.log(lines.join('\n'));
process.exit(failed > 0 ? 1 : 0);
