// Turn latency benchmark: caller speech end -> first agent audio frame sent, per stage, over N
// simulated calls, with every provider emulated on a latency profile (default
// ../shared/bench/reference-profile.json, or --profile / $HVA_REFERENCE_PROFILE, e.g.
// ../shared/bench/google-like-profile.json, unmodified): the Speech API emulator (in-process,
// reached by the real gRPC client), the OpenAI emulator (real `openai` client, SSE) and the
// Text-to-Speech emulator (real Google TTS client). The agent is the real app on port 0.
//
//   npm run bench:turn -- [--calls 20] [--concurrency 4] [--utterances hello,question,address]
//                         [--voice he-IL-Wavenet-A | he-IL-Chirp3-HD-Kore] [--no-preemptive]
//                         [--profile path] [--pause-set]
//     --pause-set: the utterances of agent/test/fixtures/audio/pauses (one mid-sentence pause of
//     300-900 ms each); reports the false-cut rate (turns ended while the caller was mid-sentence).
//   npm run bench:turn -- --overhead [--requests 30]
//     the emulators' own cost with latency 'none' (no profile delay at all): request -> first
//     audio / first token through the real clients, cold (local synthesis) and cached.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { bootAgent } from '../src/runtime/boot.ts';
import { runConversation } from '../src/sim/conversation.ts';
import type { TurnRecord } from '../src/call/turn-record.ts';
import { loadConfig } from '../src/config/load.ts';
import { join } from 'node:path';
import { FIXTURE_AUDIO_DIR, fixtureTranscripts } from '../src/sim/conversation.ts';
import { normalizeHebrew } from '../src/llm/preemptive.ts';
import { selectProfile } from '../src/sim/profile.ts';
import { startOpenAiEmulator } from '../src/sim/openai/server.ts';
import { startTtsEmulator } from '../src/sim/tts/server.ts';
import { GoogleSynthesizer } from '../src/tts/google.ts';
import { OpenAiResponder } from '../src/llm/openai.ts';
import { createLogger } from '../src/telemetry/logger.ts';

const { values } = parseArgs({
  // --no-preemptive
  allowNegative: true,
  options: {
    calls: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    utterances: { type: 'string', default: 'hello,question,address' },
    preemptive: { type: 'boolean', default: true },
    // Wavenet voices use one-shot SynthesizeSpeech (whole sentence first); Chirp3-HD streams.
    voice: { type: 'string', default: 'he-IL-Wavenet-A' },
    // One line per turn on stderr: transcript, preemptive candidate and result, stage times.
    verbose: { type: 'boolean', default: false },
    overhead: { type: 'boolean', default: false },
    requests: { type: 'string', default: '30' },
    profile: { type: 'string' },
    'pause-set': { type: 'boolean', default: false },
  },
});
// Before any emulator starts: they all read the selected profile.
const profile = selectProfile(values.profile);

if (values.overhead) {
  await measureEmulatorOverhead(Number(values.requests));
  process.exit(0);
}
const calls = Number(values.calls);
const concurrency = Math.max(1, Number(values.concurrency));
const PAUSE_DIR = join(FIXTURE_AUDIO_DIR, 'pauses');
const fixtureDir = values['pause-set'] ? PAUSE_DIR : FIXTURE_AUDIO_DIR;
const utterances = values['pause-set']
  ? [...fixtureTranscripts(PAUSE_DIR).keys()]
  : values.utterances.split(',').map((s) => s.trim());

const loadAtStart = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
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
  adminPort: 0,
});
const records: TurnRecord[] = [];
const recordsByCall = new Map<string, TurnRecord[]>();
const booted = await bootAgent(config, createLogger('warn', process.stderr), {
  speechEmulator: { profile, seed: 17 },
  onExit: () => undefined,
  onTurn: (r, callSid) => {
    const copy = structuredClone(r);
    records.push(copy);
    recordsByCall.set(callSid, [...(recordsByCall.get(callSid) ?? []), copy]);
  },
});

const started = performance.now();
let next = 0;
let failed = 0;
const callerGaps: number[] = [];
const callSids: string[] = [];
async function worker(): Promise<void> {
  for (;;) {
    const i = next++;
    if (i >= calls) return;
    const { call, callSid } = await runConversation({
      agentUrl: booted.agent.url,
      publicHost: booted.agent.publicHost,
      utterances,
      fixtureDir,
      speechEmulator: booted.providers.speechEmulator,
    });
    callSids.push(callSid);
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
if (values.verbose) {
  const rel = (r: TurnRecord, t: number | undefined): string =>
    t === undefined ? '-' : ((t - r.speechEndMs) / 1000).toFixed(3);
  for (const r of records) {
    process.stderr.write(
      `turn u${r.utteranceId} ${r.preemptive ?? 'none'} starts=${r.preemptiveStarts ?? 0} final=${rel(r, r.finalMs)} llm=${rel(r, r.llmRequestMs)} tok=${rel(r, r.llmFirstTokenMs)} tts=${rel(r, r.ttsRequestMs)} audio=${rel(r, r.ttsFirstAudioMs)} total=${rel(r, r.firstFrameSentMs)} gap=${((r.playbackGapMs ?? 0) / 1000).toFixed(3)} transcript=${JSON.stringify(r.transcript)} candidate=${JSON.stringify(r.preemptiveCandidate ?? '')}\n`,
    );
  }
}
const gaps = records.flatMap((r) => (r.playbackGapMs === undefined ? [] : [r.playbackGapMs / 1000]));
const ttsStats = tts.stats();
const llmStats = openai.stats();
const hits = records.filter((r) => r.preemptive === 'hit').length;
const misses = records.filter((r) => r.preemptive === 'miss').length;
const speechStats = booted.providers.speechEmulator?.stats();
const cuts = falseCuts();

const lines = [
  `calls ${calls} (concurrency ${concurrency}, ${utterances.join(', ')}), turns ${records.length}, failed calls ${failed}, wall ${wallS.toFixed(1)} s`,
  `voice ${values.voice}; profile ${profile}; preemptive ${values.preemptive ? 'on' : 'off'} (hit ${hits}, miss ${misses})`,
  `silence inside answers (a sentence's audio late for the previous one's end): turns with a gap ${gaps.filter((g) => g > 0).length}/${gaps.length}, p50 ${f(pct(gaps, 50))} s, p95 ${f(pct(gaps, 95))} s, max ${f(pct(gaps, 100))} s`,
  `preemptive requests per turn: ${fmtStarts(records)}; head start on hits p50 ${f(pct(savedS(records), 50))} s`,
  `LLM requests per turn (preemptive starts + fresh requests): ${perTurn(records, (r) => r.llmRequests ?? 0)}; TTS characters per turn: ${perTurn(records, (r) => r.ttsChars ?? 0)}`,
  `Speech emulator: ${speechStats?.interimsSent ?? 0} interim responses, ${speechStats?.finalsSent ?? 0} finals (${speechStats?.midUtteranceFinals ?? 0} inside mid-utterance pauses)`,
  `turns answered on words the caller did not say (a revised tail committed): ${cuts.wrong}/${records.length}`,
  ...(values['pause-set']
    ? [
        `pause set: false cuts ${cuts.cut}/${cuts.utterances} utterances (${((100 * cuts.cut) / Math.max(1, cuts.utterances)).toFixed(1)} %): ${cuts.byFixture}`,
      ]
    : []),
  `TTS emulator: ${ttsStats.syntheses} syntheses (cache hits ${ttsStats.cacheHits}); answers late because local synthesis was not done: ${ttsStats.overruns} (${describeLate(ttsStats.overrunMs)})`,
  `OpenAI emulator: ${llmStats.streams} streams; first tokens > 2 ms late: ${llmStats.lateFirstTokens} (${describeLate(llmStats.firstTokenLateMs)})`,
  `load average at start ${loadAtStart}, at end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
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

function describeLate(ms: readonly number[]): string {
  if (ms.length === 0) return 'none';
  return `p50 ${pct([...ms], 50)!.toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`;
}

function perTurn(rs: readonly TurnRecord[], pick: (r: TurnRecord) => number): string {
  const total = rs.reduce((a, r) => a + pick(r), 0);
  return `${(total / Math.max(1, rs.length)).toFixed(2)} (${total} for ${rs.length} turns)`;
}

/**
 * Pause set: an utterance is cut when the agent ended a turn on only part of it (a turn whose
 * transcript is a strict piece of the line: the caller was still mid-sentence). A turn whose
 * words are in no line is a wrong-word commit (a revised tail answered as heard).
 */
function falseCuts(): { cut: number; wrong: number; utterances: number; byFixture: string } {
  const lines = fixtureTranscripts(fixtureDir);
  const expected = utterances.map((u) => normalizeHebrew((lines.get(u) ?? '').replace(/\s*\|\s*/g, ' ')));
  const perFixture = new Map<string, number>();
  let cut = 0;
  let wrong = 0;
  for (const sid of callSids) {
    const partial = new Set<number>();
    let u = 0;
    for (const r of recordsByCall.get(sid) ?? []) {
      const t = normalizeHebrew(r.transcript);
      let k = u;
      while (k < expected.length && !expected[k]!.includes(t)) k++;
      if (k === expected.length) {
        wrong++;
        continue;
      }
      u = k;
      if (t !== expected[k]) partial.add(k);
    }
    for (const k of partial) {
      cut++;
      perFixture.set(utterances[k]!, (perFixture.get(utterances[k]!) ?? 0) + 1);
    }
  }
  const byFixture = [...perFixture].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return { cut, wrong, utterances: callSids.length * utterances.length, byFixture };
}

function fmtStarts(rs: readonly TurnRecord[]): string {
  const n = rs.map((r) => r.preemptiveStarts ?? 0);
  const total = n.reduce((a, b) => a + b, 0);
  return `${(total / Math.max(1, rs.length)).toFixed(2)} (${total} requests for ${rs.length} turns)`;
}

function savedS(rs: readonly TurnRecord[]): number[] {
  return rs.flatMap((r) =>
    r.preemptive === 'hit' && r.llmRequestMs !== undefined ? [(r.finalMs - r.llmRequestMs) / 1000] : [],
  );
}

/** The emulators with latency 'none': everything measured is their own cost plus the client's. */
async function measureEmulatorOverhead(n: number): Promise<void> {
  const sentences = [
    'הבנתי, אמרת: שלום,',
    'אני רוצה לבדוק את ההזמנה שלי.',
    'איך עוד אפשר לעזור?',
    'מה שעות הפתיחה שלכם ביום שישי.',
    'אני גר ברחוב הרצל עשרים ושתיים בתל אביב.',
  ];
  const emu = await startTtsEmulator({ latency: 'none' });
  const llm = await startOpenAiEmulator({ latency: 'none' });
  const out: string[] = [
    `emulator overhead, latency 'none', ${n} requests each, sequential; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    '',
    '| path | n | p50 ms | p95 ms | max ms |',
    '|---|---|---|---|---|',
  ];
  const row = (name: string, v: number[]): void => {
    out.push(
      `| ${name} | ${v.length} | ${pct(v, 50)!.toFixed(1)} | ${pct(v, 95)!.toFixed(1)} | ${Math.max(...v).toFixed(1)} |`,
    );
  };
  for (const voice of ['he-IL-Wavenet-A', 'he-IL-Chirp3-HD-Kore']) {
    const synth = new GoogleSynthesizer({ voice, speakingRate: 1, pitch: 0, endpoint: emu.endpoint });
    await synth.ready();
    const firstAudio = async (text: string): Promise<number> => {
      const started = performance.now();
      let at = 0;
      for await (const chunk of synth.synthesize({
        callId: 'o',
        text,
        signal: new AbortController().signal,
      })) {
        if (at === 0 && chunk.length > 0) at = performance.now() - started;
      }
      return at;
    };
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < n; i++) {
      // A text never seen before (cold: local synthesis), then the same again (cached).
      const text = `${sentences[i % sentences.length]} ${voice.length + i}`;
      cold.push(await firstAudio(text));
      warm.push(await firstAudio(text));
    }
    const kind = voice.includes('Chirp3') ? 'StreamingSynthesize' : 'SynthesizeSpeech';
    row(`TTS ${kind} request -> first audio, cold (espeak-ng synthesis)`, cold);
    row(`TTS ${kind} request -> first audio, cached`, warm);
    await synth.close();
  }
  const responder = new OpenAiResponder({
    apiKey: 'sk-bench',
    baseUrl: llm.url,
    model: 'emulator',
    temperature: 0.3,
    maxTokens: 200,
    firstTokenTimeoutMs: 5000,
    stallTimeoutMs: 5000,
    retryAttempts: 0,
  });
  const ttft: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    let at = 0;
    for await (const delta of responder.respond({
      callId: 'o',
      messages: [{ role: 'user', content: sentences[i % sentences.length]! }],
      signal: new AbortController().signal,
    })) {
      if (at === 0 && delta !== '') at = performance.now() - started;
    }
    ttft.push(at);
  }
  row('OpenAI chat.completions (SSE) request -> first token', ttft);
  await emu.close();
  await llm.close();
  console.log(out.join('\n'));
}
