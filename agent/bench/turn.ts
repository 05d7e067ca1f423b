// Turn latency benchmark: caller speech end -> first agent audio frame sent, per stage, over N
// simulated calls, with every provider emulated on a latency profile (default
// ../shared/bench/reference-profile.json, or --profile / $HVA_REFERENCE_PROFILE, e.g.
// ../shared/bench/google-like-profile.json, unmodified): the Speech API emulator (reached by the
// real gRPC client), the OpenAI emulator (real `openai` client, SSE) and the Text-to-Speech
// emulator (real Google TTS client).
//
//   npm run bench:turn -- [--calls 20] [--concurrency 4] [--utterances hello,question,address]
//                         [--voice he-IL-Wavenet-A | he-IL-Chirp3-HD-Kore] [--no-preemptive]
//                         [--profile path] [--pause-set [--pause-dir pauses-split]] [--env KEY=VALUE ...]
//                         [--processes [--ramp-ms N]] [--no-audio-store]
//     --no-audio-store: the TTS emulator synthesises every sentence again instead of reading the
//     audio earlier runs made (agent/.cache/tts-emulator; sim/tts/synthesis.ts directoryStore).
//     --pause-set: the utterances of agent/test/fixtures/audio/pauses (one mid-sentence pause of
//     300-900 ms each); reports the false-cut rate (turn-report.ts falseCuts). --pause-dir picks
//     another set under agent/test/fixtures/audio (pauses-split: the first set, each half spoken
//     as its own sentence; scripts/make-pause-fixtures.sh).
//   npm run bench:turn -- --overhead [--requests 30]
//     the emulators' own cost with latency 'none' (turn-overhead.ts).
// In-process (default): the agent (bootAgent), the emulators and the callers share this process.
// --processes: three processes through the capacity harness (turn-processes.ts), for many calls.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bootAgent } from '../src/runtime/boot.ts';
import { FIXTURE_AUDIO_DIR, fixtureTranscripts, runConversation } from '../src/sim/conversation.ts';
import { turnLogFields } from '../src/call/turn-record.ts';
import { loadConfig } from '../src/config/load.ts';
import { loadReferenceProfile, selectProfile } from '../src/sim/profile.ts';
import { startOpenAiEmulator } from '../src/sim/openai/server.ts';
import { startTtsEmulator } from '../src/sim/tts/server.ts';
import { createLogger } from '../src/telemetry/logger.ts';
import { floorTable, profileFloor } from './turn-floor.ts';
import { dumpObserver, type CallDump } from './turn-dump.ts';
import { measureEmulatorOverhead } from './turn-overhead.ts';
import { runInProcesses } from './turn-processes.ts';
import {
  countBy,
  falseCuts,
  fmt,
  isTakenBack,
  pct,
  perTurn,
  stageSeconds,
  stageTable,
  tailCauses,
  turnSpans,
  type TurnSample,
} from './turn-report.ts';

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
    'pause-dir': { type: 'string', default: 'pauses' },
    // Agent settings for an experiment, e.g. --env LLM_PREEMPTIVE_SILENCE_MS=120 (repeatable).
    env: { type: 'string', multiple: true, default: [] },
    // The agent, the emulators and the callers in three processes (turn-processes.ts).
    processes: { type: 'boolean', default: false },
    // --processes: spread the callers' first calls over this many ms (0: all at once, in step).
    'ramp-ms': { type: 'string', default: '0' },
    // The TTS emulator keeps synthesised audio in agent/.cache/tts-emulator across runs (--no-audio-store: off).
    'audio-store': { type: 'boolean', default: true },
    // In-process: every call's STT responses, turn ends and turn records (call clock) to this
    // JSON file, to trace a turn (turn-dump.ts prints the wrong-word ones).
    'dump-stt': { type: 'string' },
  },
});
// Before any emulator starts: they all read the selected profile.
const profile = selectProfile(values.profile);

if (values.overhead) {
  await measureEmulatorOverhead(Number(values.requests));
  process.exit(0);
}
const envOverrides = Object.fromEntries(
  values.env.map((kv) => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`--env expects KEY=VALUE, got ${kv}`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  }),
);
const calls = Number(values.calls);
const concurrency = Math.max(1, Number(values.concurrency));
if (!/^[\w-]+$/.test(values['pause-dir']))
  throw new Error(`--pause-dir: a folder name, got ${values['pause-dir']}`);
const PAUSE_DIR = join(FIXTURE_AUDIO_DIR, values['pause-dir']);
const fixtureDir = values['pause-set'] ? PAUSE_DIR : FIXTURE_AUDIO_DIR;
const utterances = values['pause-set']
  ? [...fixtureTranscripts(PAUSE_DIR).keys()]
  : values.utterances.split(',').map((s) => s.trim());
/** Where the TTS emulator keeps audio across runs, so its own synthesis does not make answers late. */
const audioStoreDir = values['audio-store']
  ? join(import.meta.dirname, '..', '.cache', 'tts-emulator')
  : undefined;
const loadNow = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadAtStart = loadNow();

interface RunResult {
  readonly samples: TurnSample[];
  readonly callSids: string[];
  readonly callerGapsS: number[];
  readonly failed: number;
  readonly wallS: number;
  /** Emulator counters for the report. */
  readonly notes: string[];
}

// The same agent settings either way (the process harness adds production defaults).
const agentSettings: Record<string, string> = {
  TTS_VOICE: values.voice,
  LLM_PREEMPTIVE: String(values.preemptive),
  // The callers here never stay silent on purpose: no re-prompts in the measurements.
  SILENCE_REPROMPT_SECONDS: '0',
  ...envOverrides,
};
const run = values.processes
  ? await runInProcesses({
      profile,
      calls,
      concurrency,
      utterances,
      ...(values['pause-set'] ? { subdir: values['pause-dir'] } : {}),
      env: agentSettings,
      rampMs: Number(values['ramp-ms']),
      ...(audioStoreDir ? { audioStoreDir } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    })
  : await runInProcess();
report(run);
process.exit(run.failed > 0 ? 1 : 0);

async function runInProcess(): Promise<RunResult> {
  const openai = await startOpenAiEmulator({ host: '127.0.0.1', port: 0, latency: 'reference', seed: 11 });
  const tts = await startTtsEmulator({
    host: '127.0.0.1',
    port: 0,
    latency: 'reference',
    seed: 13,
    ...(audioStoreDir ? { audioStoreDir } : {}),
  });
  const config = Object.freeze({
    ...loadConfig({
      HOST: '127.0.0.1',
      STT_PROVIDER: 'emulator',
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'sk-bench',
      TTS_PROVIDER: 'google',
      TTS_ENDPOINT: tts.endpoint,
      POD_DELETION_COST_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      ...agentSettings,
    }),
    port: 0,
    adminPort: 0,
  });
  const samples: TurnSample[] = [];
  const dump = values['dump-stt'] !== undefined ? new Map<string, CallDump>() : undefined;
  const booted = await bootAgent(config, createLogger('warn', process.stderr), {
    speechEmulator: { profile, seed: 17 },
    onExit: () => undefined,
    ...(dump ? { observe: dumpObserver(dump) } : {}),
    onTurn: (r, callSid) => {
      const fields = { ...turnLogFields(r), preemptiveStarts: r.preemptiveStarts };
      samples.push({ callSid, fields, transcript: r.transcript });
      if (values.verbose)
        process.stderr.write(
          `turn ${callSid.slice(-4)} u${r.utteranceId} ${JSON.stringify(fields)} transcript=${JSON.stringify(r.transcript)} candidate=${JSON.stringify(r.preemptiveCandidate ?? '')}\n`,
        );
    },
  });
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const callerGapsS: number[] = [];
  const callSids: string[] = [];
  const worker = async (): Promise<void> => {
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
      for (const t of call.turns) if (t.latencyMs !== undefined) callerGapsS.push(t.latencyMs / 1000);
      process.stderr.write(`call ${i + 1}/${calls}: ${call.outcome}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
  const wallS = (performance.now() - started) / 1000;
  if (dump && values['dump-stt'])
    writeFileSync(values['dump-stt'], JSON.stringify([...dump.values()], null, 1));
  const speech = booted.providers.speechEmulator?.stats();
  await booted.close();
  const t = tts.stats();
  const l = openai.stats();
  await tts.close();
  await openai.close();
  const notes = [
    `Speech emulator: ${speech?.interimsSent ?? 0} interim responses, ${speech?.finalsSent ?? 0} finals (${speech?.midUtteranceFinals ?? 0} inside mid-utterance pauses)`,
    `TTS emulator: ${t.syntheses} syntheses (cache hits ${t.cacheHits}, audio from the store of earlier runs ${t.storeHits}); answers late because local synthesis was not done: ${t.overruns} (${describeLate(t.overrunMs)})`,
    `OpenAI emulator: ${l.streams} streams over ${l.connections} TCP connections (${(l.connections / Math.max(1, l.streams)).toFixed(2)} per stream), ${l.modelRequests} warm-ups, ${l.coldRequests} requests waited for a connection set-up (${l.coldChats} of them chat requests); first tokens > 2 ms late: ${l.lateFirstTokens} (${describeLate(l.firstTokenLateMs)})`,
    `event-loop delay of this one process over the run (ms, p50 / p99 / max): ${l.eventLoopDelayMs.p50.toFixed(0)} / ${l.eventLoopDelayMs.p99.toFixed(0)} / ${l.eventLoopDelayMs.max.toFixed(0)}`,
  ];
  return { samples, callSids, callerGapsS, failed, wallS, notes };
}

function report(r: RunResult): void {
  const turns = r.samples.filter((s) => !isTakenBack(s));
  const byCall = new Map<string, TurnSample[]>(r.callSids.map((sid) => [sid, []]));
  for (const s of r.samples) byCall.get(s.callSid)?.push(s);
  const count = (k: string, v: string): number => turns.filter((s) => s.fields[k] === v).length;
  const gaps = stageSeconds(r.samples, 'playbackGapMs');
  const saved = turns.flatMap((s) => {
    const req = s.fields['llmRequestMs'];
    const fin = s.fields['finalMs'];
    return s.fields['preemptive'] === 'hit' && typeof req === 'number' && typeof fin === 'number'
      ? [(fin - req) / 1000]
      : [];
  });
  const withText = r.samples.every((s) => s.transcript !== undefined);
  const cuts = withText ? falseCuts(byCall, utterances, fixtureTranscripts(fixtureDir)) : undefined;
  const lines = [
    `${values.processes ? `three processes (agent, emulators, callers), callers started over ${values['ramp-ms']} ms` : 'one process'}; calls ${calls} (concurrency ${concurrency}, ${utterances.join(', ')}), turns ${turns.length} (+${r.samples.length - turns.length} taken back), failed calls ${r.failed}, wall ${r.wallS.toFixed(1)} s`,
    `voice ${values.voice}; profile ${profile}; settings ${values.env.join(' ') || 'defaults'}; preemptive ${values.preemptive ? 'on' : 'off'} (hit ${count('preemptive', 'hit')}, miss ${count('preemptive', 'miss')})`,
    `silence inside answers (a sentence's audio late for the previous one's end): turns with a gap ${gaps.filter((g) => g > 0).length}/${gaps.length}, p50 ${fmt(pct(gaps, 50))} s, p95 ${fmt(pct(gaps, 95))} s, max ${fmt(pct(gaps, 100))} s`,
    `preemptive requests per turn: ${perTurn(r.samples, 'preemptiveStarts')}; head start on hits p50 ${fmt(pct(saved, 50))} s`,
    `LLM requests per turn (preemptive starts + fresh requests): ${perTurn(r.samples, 'llmRequests')}; TTS characters per turn: ${perTurn(r.samples, 'ttsChars')}`,
    ...r.notes,
    ...(cuts
      ? [
          `turns answered on words the caller did not say (a revised tail committed): ${cuts.wrong}/${turns.length}`,
          ...(values['pause-set']
            ? [
                `pause set ${values['pause-dir']}: false cuts (answer heard or turn committed on part of a line) ${cuts.cut}/${cuts.utterances} utterances (${((100 * cuts.cut) / Math.max(1, cuts.utterances)).toFixed(1)} %): ${cuts.byFixture}; turns taken back (caller resumed before any answer audio) ${cuts.resumed}`,
              ]
            : []),
        ]
      : []),
    ...turnSpans(r.samples),
    ...tailCauses(r.samples),
    `load average at start ${loadAtStart}, at end ${loadNow()}`,
    `rules: ${countBy(r.samples, 'rule')}; outcomes: ${countBy(r.samples, 'outcome', false)}`,
    '',
    ...stageTable(r.samples, r.callerGapsS),
    '',
    ...floorLines(r.samples),
  ];
  console.log(lines.join('\n'));
}

/** The measured stages beside the profile's own floor (turn-floor.ts): what is above it is the agent's. */
function floorLines(samples: readonly TurnSample[]): string[] {
  const floor = profileFloor(loadReferenceProfile(profile));
  const measured = new Map([
    ['decided (last word shown)', stageSeconds(samples, 'finalMs')],
    ['LLM first token', stageSeconds(samples, 'llmFirstTokenMs')],
    ['TTS first audio', stageSeconds(samples, 'ttsFirstAudioMs')],
    ['total', stageSeconds(samples, 'firstFrameSentMs')],
  ]);
  return [
    `the profile's floor (bench/turn-floor.ts: an oracle agent under this profile and the Speech emulator's rules, ${floor.turns} seeded turns, streaming first audio; a one-shot voice adds its first chunk's audio / realtime factor):`,
    ...floorTable(floor, measured),
  ];
}

function describeLate(ms: readonly number[]): string {
  if (ms.length === 0) return 'none';
  return `p50 ${pct([...ms], 50)!.toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`;
}
