// Complete conversations through the caller simulator against the real app (fastify + ws edge,
// call sessions, real STT client code against the Speech emulator, real VAD/endpointer):
// offline providers (scripted LLM, local espeak-ng), and the cloud code paths (openai client,
// Google TTS client) against the OpenAI and Text-to-Speech emulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootAgent, type BootedAgent } from '../../../src/runtime/boot.ts';
import { fixtureTranscripts, runConversation } from '../../../src/sim/conversation.ts';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { normalizeHebrew } from '../../../src/llm/preemptive.ts';
import { startOpenAiEmulator, type OpenAiEmulator } from '../../../src/sim/openai/server.ts';
import { startTtsEmulator, type TtsEmulator } from '../../../src/sim/tts/server.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

function offlineConfig(env: Record<string, string> = {}): Config {
  return Object.freeze({
    ...loadConfig({
      HOST: '127.0.0.1',
      STT_PROVIDER: 'emulator',
      LLM_PROVIDER: 'scripted',
      TTS_PROVIDER: 'local',
      POD_DELETION_COST_ENABLED: 'false',
      ...env,
    }),
    port: 0,
    adminPort: 0,
  });
}

const transcripts = fixtureTranscripts();
const same = (a: string | undefined, b: string | undefined): boolean =>
  normalizeHebrew(a ?? '') === normalizeHebrew(b ?? '');

describe('offline agent: a complete conversation through the caller simulator', () => {
  let booted: BootedAgent;
  const records = new Map<string, TurnRecord[]>();

  beforeAll(async () => {
    booted = await bootAgent(offlineConfig(), silentLogger, {
      speechEmulator: { latencyScale: 0.5 },
      onExit: () => undefined,
      onTurn: (r, callSid) => {
        const list = records.get(callSid) ?? [];
        list.push(structuredClone(r));
        records.set(callSid, list);
      },
    });
  }, 60_000);
  afterAll(async () => {
    await booted?.close();
  });

  it('greets, answers every utterance with what it heard, says goodbye and hangs up', async () => {
    const { call, callSid } = await runConversation({
      agentUrl: booted.agent.url,
      publicHost: booted.agent.publicHost,
      utterances: ['hello', 'question', 'thanks'],
      speechEmulator: booted.providers.speechEmulator,
      record: 'stereo',
    });
    expect(call.protocolErrors.total).toBe(0);
    // The scripted responder says goodbye to "thanks", and the session ends the stream after it played.
    expect(call.outcome).toBe('server-closed');
    const turns = records.get(callSid) ?? [];
    expect(turns.map((t) => t.outcome)).toEqual(['answered', 'answered', 'answered']);
    expect(same(turns[0]?.transcript, transcripts.get('hello'))).toBe(true);
    expect(same(turns[1]?.transcript, transcripts.get('question'))).toBe(true);
    expect(same(turns[2]?.transcript, transcripts.get('thanks'))).toBe(true);
    for (const t of turns) {
      expect(t.sentencesPlayed).toBeGreaterThan(0);
      expect(t.firstFrameSentMs).toBeGreaterThan(t.speechEndMs);
      expect(t.llmFirstTokenMs).toBeDefined();
      expect(t.ttsFirstAudioMs).toBeDefined();
    }
    // greeting + at least one sentence per answer, all confirmed played by mark echoes
    expect(call.agent.marksPlayed).toBeGreaterThanOrEqual(4);
    expect(call.agent.marksCleared).toBe(0);
    expect(call.agent.clears).toBe(0);
    expect(call.recording?.channels).toBe(2);
    expect(booted.agent.activeCalls()).toBe(0);
  });

  it('barge-in: the caller talking over the greeting clears it, and the caller is answered', async () => {
    const callSid = `CA${'b'.repeat(32)}`;
    booted.providers.speechEmulator?.setScript(callSid, [transcripts.get('question') ?? '']);
    const { placeCall } = await import('../../../src/sim/caller/index.ts');
    const { FIXTURE_AUDIO_DIR } = await import('../../../src/sim/conversation.ts');
    const { LOCAL_DEV_AUTH_TOKEN } = await import('../../../src/app.ts');
    const call = await placeCall({
      url: booted.agent.url.replace(/^http/, 'ws'),
      callSid,
      signature: { authToken: LOCAL_DEV_AUTH_TOKEN, publicUrl: booted.agent.publicHost },
      script: [
        // The greeting (about 3 s of audio) arrives within a few hundred ms; talk over it.
        { kind: 'silence', ms: 1000 },
        { kind: 'play', file: `${FIXTURE_AUDIO_DIR}/question.wav`, label: 'question' },
        { kind: 'waitForAgent', until: 'end', timeoutMs: 15_000, quietMs: 600 },
        { kind: 'stop' },
      ],
    });
    expect(call.protocolErrors.total).toBe(0);
    expect(call.agent.clears).toBe(1);
    expect(call.agent.marksCleared).toBeGreaterThanOrEqual(1);
    expect(call.agent.discardedMs).toBeGreaterThan(0);
    const turns = records.get(callSid) ?? [];
    expect(turns).toHaveLength(1);
    expect(turns[0]?.outcome).toBe('answered');
    expect(same(turns[0]?.transcript, transcripts.get('question'))).toBe(true);
  });
});

describe('cloud code paths: openai client and Google TTS client against their emulators', () => {
  let openai: OpenAiEmulator;
  let tts: TtsEmulator;
  let booted: BootedAgent;
  const records: TurnRecord[] = [];

  beforeAll(async () => {
    openai = await startOpenAiEmulator({ host: '127.0.0.1', port: 0, latency: 'reference' });
    tts = await startTtsEmulator({ host: '127.0.0.1', port: 0, latency: 'reference' });
    booted = await bootAgent(
      offlineConfig({
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: openai.url,
        OPENAI_API_KEY: 'sk-emulator-test',
        TTS_PROVIDER: 'google',
        TTS_ENDPOINT: tts.endpoint,
        LLM_SYSTEM_PROMPT: 'ענה בקצרה.',
      }),
      silentLogger,
      {
        speechEmulator: { latencyScale: 0.5 },
        onExit: () => undefined,
        onTurn: (r) => records.push(structuredClone(r)),
      },
    );
  }, 90_000);
  afterAll(async () => {
    await booted?.close();
    await tts?.close();
    await openai?.close();
  });

  it('answers two turns; the model sees the system prompt and the heard answer', async () => {
    expect(booted.providers.live).toEqual({ stt: 'emulator', llm: 'openai', tts: 'google' });
    const { call } = await runConversation({
      agentUrl: booted.agent.url,
      publicHost: booted.agent.publicHost,
      utterances: ['hello', 'question'],
      speechEmulator: booted.providers.speechEmulator,
    });
    expect(call.protocolErrors.total).toBe(0);
    expect(call.outcome).toBe('completed');
    expect(records.map((r) => r.outcome)).toEqual(['answered', 'answered']);
    const completed = openai.requests().filter((r) => r.completed && !r.clientClosed);
    expect(completed.length).toBeGreaterThanOrEqual(2);
    const last = completed.at(-1)?.body['messages'] as Array<{ role: string; content: string }>;
    expect(last[0]).toEqual({ role: 'system', content: 'ענה בקצרה.' });
    expect(last.filter((m) => m.role === 'assistant')).toHaveLength(1);
    expect(last.at(-1)?.role).toBe('user');
    expect(same(last.at(-1)?.content, transcripts.get('question'))).toBe(true);
    const synth = tts.calls().filter((c) => c.method !== 'ListVoices');
    expect(synth.length).toBeGreaterThanOrEqual(3); // greeting/apology phrases + answer sentences
    expect(synth.every((c) => c.voice === booted.providers.effectiveConfig.ttsVoice)).toBe(true);
    expect(records.every((r) => r.firstFrameSentMs !== undefined && r.sentencesPlayed > 0)).toBe(true);
  });

  it('after an LLM stall mid-answer the caller hears the apology, and their next utterance is answered', async () => {
    const before = records.length;
    // The answer to the whole first utterance sends two tokens, then the connection hangs (held
    // open, nothing sent). Matched on the transcript: a preemptive guess on a partial may come first.
    openai.setFault({
      type: 'stall',
      times: 1,
      afterTokens: 2,
      when: (messages) => same(messages.at(-1)?.content ?? undefined, transcripts.get('hello')),
    });
    const { call } = await runConversation({
      agentUrl: booted.agent.url,
      publicHost: booted.agent.publicHost,
      utterances: ['hello', 'question'],
      speechEmulator: booted.providers.speechEmulator,
    });
    openai.setFault(null);
    expect(call.protocolErrors.total).toBe(0);
    expect(call.outcome).toBe('completed');
    const turns = records.slice(before);
    // The stalled answer ends as an apology, or is talked over by the caller's next utterance
    // (whichever comes first on a loaded machine); either way that utterance is answered.
    expect(turns).toHaveLength(2);
    expect(['apology', 'interrupted']).toContain(turns[0]?.outcome);
    expect(turns[1]?.outcome).toBe('answered');
    expect(same(turns[1]?.transcript, transcripts.get('question'))).toBe(true);
    expect(turns[1]?.sentencesPlayed).toBeGreaterThan(0);
  });
});
