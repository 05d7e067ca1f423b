// A scripted caller conversation against a booted agent: the fixture utterances are registered
// as the Speech emulator's transcripts for the call, the caller simulator plays them (waiting
// for each answer), and the agent's turn records are collected. Used by `npm run demo`, the
// turn benchmark and the integration tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_DEV_AUTH_TOKEN } from '../app.ts';
import { placeCall, randomSid, type CallResult } from './caller/index.ts';
import type { CallStepSpec } from './caller/script.ts';
import type { RecordingMode } from './caller/recording.ts';
import type { SpeechEmulator } from './speech/emulator.ts';
import type { TurnRecord } from '../call/turn-record.ts';

export const FIXTURE_AUDIO_DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'audio');

/** The fixture transcripts (agent/test/fixtures/audio/transcripts.tsv): name -> Hebrew text. */
export function fixtureTranscripts(dir = FIXTURE_AUDIO_DIR): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'transcripts.tsv'), 'utf8').split('\n')) {
    const [name, text] = line.split('\t');
    if (name && text) out.set(name.trim(), text.trim());
  }
  return out;
}

export interface ConversationOptions {
  /** http://host:port of the agent. */
  readonly agentUrl: string;
  /** The host the agent validates signatures against (RunningAgent.publicHost). */
  readonly publicHost: string;
  /** Fixture names, in order (e.g. hello, question, thanks). */
  readonly utterances: readonly string[];
  /** The agent's embedded Speech emulator, told what the caller "says" in this call. */
  readonly speechEmulator?: SpeechEmulator;
  readonly fixtureDir?: string;
  readonly recordPath?: string;
  readonly record?: RecordingMode;
  /** How long to wait for each answer to start (ms). Default 15000. */
  readonly answerTimeoutMs?: number;
  readonly audioCache?: Map<string, Promise<Buffer>>;
  readonly callSid?: string;
}

export interface ConversationResult {
  readonly call: CallResult;
  readonly callSid: string;
}

/** Places one call: greeting, then each utterance followed by the agent's answer; then hangs up. */
export async function runConversation(options: ConversationOptions): Promise<ConversationResult> {
  const dir = options.fixtureDir ?? FIXTURE_AUDIO_DIR;
  const transcripts = fixtureTranscripts(dir);
  const callSid = options.callSid ?? randomSid('CA');
  const lines = options.utterances.map((u) => {
    const t = transcripts.get(u);
    if (t === undefined)
      throw new Error(`no transcript for fixture '${u}' in ${join(dir, 'transcripts.tsv')}`);
    return t;
  });
  options.speechEmulator?.setScript(callSid, lines);
  const timeoutMs = options.answerTimeoutMs ?? 15_000;
  const script: CallStepSpec[] = [{ kind: 'waitForAgent', until: 'end', timeoutMs, quietMs: 600 }];
  for (const u of options.utterances) {
    script.push({ kind: 'play', file: join(dir, `${u}.wav`), label: u });
    script.push({ kind: 'waitForAgent', until: 'end', timeoutMs, quietMs: 600 });
  }
  script.push({ kind: 'silence', ms: 200 });
  script.push({ kind: 'stop' });
  const wsUrl = options.agentUrl.replace(/^http/, 'ws');
  const call = await placeCall({
    url: wsUrl,
    callSid,
    script,
    signature: { authToken: LOCAL_DEV_AUTH_TOKEN, publicUrl: options.publicHost },
    ...(options.record ? { record: options.record } : {}),
    ...(options.recordPath ? { recordPath: options.recordPath } : {}),
    ...(options.audioCache ? { audioCache: options.audioCache } : {}),
  });
  return { call, callSid };
}

/** One row per caller turn: what the agent measured and what the caller experienced. */
export interface TurnRow {
  readonly turn: number;
  readonly label: string;
  readonly transcript: string;
  readonly rule: string;
  readonly outcome: string;
  readonly partialS: number | undefined;
  readonly finalS: number | undefined;
  readonly llmS: number | undefined;
  readonly ttsS: number | undefined;
  readonly totalS: number | undefined;
  /** Caller side: its speech end -> the agent's audio starting to play. */
  readonly callerGapS: number | undefined;
  /** Sentences of the answer that played to their end (0: the caller heard nothing of it). */
  readonly sentencesPlayed: number;
}

/**
 * One row per caller line: the line's answer record beside what the caller measured. A turn the
 * caller went on speaking over before any answer audio (outcome 'takenBack', issue 9) had its
 * words answered with the next record, so it is not a line's answer and is left out here.
 */
export function turnRows(records: readonly TurnRecord[], call: CallResult): TurnRow[] {
  const sec = (t: number | undefined, from: number): number | undefined =>
    t === undefined ? undefined : (t - from) / 1000;
  const answers = records.filter((r) => r.outcome !== 'takenBack');
  return call.turns.map((t, i) => {
    const r = answers[i];
    return {
      turn: i + 1,
      label: t.label,
      transcript: r?.transcript ?? '',
      rule: r?.rule ?? '-',
      outcome: r?.outcome ?? 'no answer',
      partialS: r ? sec(r.firstPartialMs, r.speechEndMs) : undefined,
      finalS: r ? sec(r.finalMs, r.speechEndMs) : undefined,
      llmS: r ? sec(r.llmFirstTokenMs, r.speechEndMs) : undefined,
      ttsS: r ? sec(r.ttsFirstAudioMs, r.speechEndMs) : undefined,
      totalS: r ? sec(r.firstFrameSentMs, r.speechEndMs) : undefined,
      callerGapS: t.latencyMs === undefined ? undefined : t.latencyMs / 1000,
      sentencesPlayed: r?.sentencesPlayed ?? 0,
    };
  });
}

export function formatTurnTable(rows: readonly TurnRow[]): string {
  const f = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(3));
  const header = [
    'turn',
    'fixture',
    'rule',
    'outcome',
    'partial',
    'final',
    'llm',
    'tts',
    'total',
    'caller gap',
  ];
  const body = rows.map((r) => [
    String(r.turn),
    r.label,
    r.rule,
    r.outcome,
    f(r.partialS),
    f(r.finalS),
    f(r.llmS),
    f(r.ttsS),
    f(r.totalS),
    f(r.callerGapS),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
