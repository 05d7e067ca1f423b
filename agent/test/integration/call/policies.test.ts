// Call policies end to end: keys pressed on the phone reach the model (OpenAI emulator); a silent caller through the caller simulator against the real app
// (edge, session, Speech emulator, local TTS): greeted, re-prompted SILENCE_MAX_REPROMPTS times,
// told goodbye, and hung up by the agent. The hang-up closes the media stream (CallActions'
// default); with Twilio REST actions wired in (issue 11 part 2) it is a REST completion instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEV_AUTH_TOKEN } from '../../../src/app.ts';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { DTMF_PREFIX } from '../../../src/llm/history.ts';
import { bootAgent, type BootedAgent } from '../../../src/runtime/boot.ts';
import { placeCall, type CallEvent } from '../../../src/sim/caller/index.ts';
import { startOpenAiEmulator, type OpenAiEmulator } from '../../../src/sim/openai/server.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

describe('call policy: a silent caller is re-prompted, then hung up', () => {
  let booted: BootedAgent;

  beforeAll(async () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      STT_PROVIDER: 'emulator',
      LLM_PROVIDER: 'scripted',
      TTS_PROVIDER: 'local',
      POD_DELETION_COST_ENABLED: 'false',
      GREETING_TEXT: 'שלום.',
      SILENCE_REPROMPT_SECONDS: '1',
      SILENCE_MAX_REPROMPTS: '2',
      SILENCE_REPROMPT_TEXT: 'הלו?',
      SILENCE_CLOSING_TEXT: 'להתראות.',
    });
    booted = await bootAgent(Object.freeze({ ...config, port: 0, adminPort: 0 }), silentLogger, {
      speechEmulator: { latencyScale: 0.5 },
      onExit: () => undefined,
    });
  }, 60_000);
  afterAll(async () => {
    await booted?.close();
  });

  it('greeting, two re-prompts after a second of silence each, the closing sentence, then the agent ends the stream', async () => {
    const callSid = `CA${'5'.repeat(32)}`;
    booted.providers.speechEmulator?.setScript(callSid, []);
    const events: CallEvent[] = [];
    const call = await placeCall({
      url: booted.agent.url.replace(/^http/, 'ws'),
      callSid,
      signature: { authToken: LOCAL_DEV_AUTH_TOKEN, publicUrl: booted.agent.publicHost },
      // Silent far longer than the policy needs: the agent, not the script, ends this call.
      script: [{ kind: 'silence', ms: 60_000 }, { kind: 'stop' }],
      onEvent: (e) => events.push(e),
    });
    expect(call.protocolErrors.total).toBe(0);
    expect(call.outcome).toBe('server-closed');
    // What the caller heard, in order (mark names are `<kind>-<id>-<segment>`).
    const played = events.flatMap((e) =>
      e.type === 'mark-echo' && e.outcome === 'played' ? [e.name.split('-')[0]] : [],
    );
    expect(played).toEqual(['greeting', 'prompt', 'prompt', 'goodbye']);
    // Each re-prompt came after at least a second of silence following the previous phrase.
    const echoes = events.filter((e) => e.type === 'mark-echo');
    const marks = events.filter((e) => e.type === 'mark');
    for (let i = 1; i < marks.length; i++) {
      expect(marks[i]!.atMs - echoes[i - 1]!.atMs).toBeGreaterThanOrEqual(900);
    }
    const closed = events.find((e) => e.type === 'closed');
    expect(closed!.atMs).toBeLessThan(30_000);
    expect(booted.agent.activeCalls()).toBe(0);
  });
});

describe('call policy: keys pressed on the phone reach the model as a caller message', () => {
  let openai: OpenAiEmulator;
  let booted: BootedAgent;
  const records: TurnRecord[] = [];

  beforeAll(async () => {
    openai = await startOpenAiEmulator({ host: '127.0.0.1', port: 0, latency: 'none' });
    const config = loadConfig({
      HOST: '127.0.0.1',
      STT_PROVIDER: 'emulator',
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'sk-emulator-test',
      TTS_PROVIDER: 'local',
      POD_DELETION_COST_ENABLED: 'false',
      GREETING_TEXT: 'שלום.',
      SILENCE_REPROMPT_SECONDS: '0',
      DTMF_FINISH_KEY: '#',
    });
    booted = await bootAgent(Object.freeze({ ...config, port: 0, adminPort: 0 }), silentLogger, {
      speechEmulator: { latencyScale: 0.5 },
      onExit: () => undefined,
      onTurn: (r) => records.push(structuredClone(r)),
    });
  }, 60_000);
  afterAll(async () => {
    await booted?.close();
    await openai?.close();
  });

  it('Twilio dtmf frames up to the finish key become one user message, answered like a spoken turn', async () => {
    const callSid = `CA${'7'.repeat(32)}`;
    booted.providers.speechEmulator?.setScript(callSid, []);
    const call = await placeCall({
      url: booted.agent.url.replace(/^http/, 'ws'),
      callSid,
      signature: { authToken: LOCAL_DEV_AUTH_TOKEN, publicUrl: booted.agent.publicHost },
      script: [
        { kind: 'waitForAgent', until: 'end', timeoutMs: 15_000, quietMs: 600 },
        ...['4', '2', '#'].map((digit) => ({ kind: 'dtmf' as const, digit })),
        { kind: 'waitForAgent', until: 'end', timeoutMs: 15_000, quietMs: 600 },
        { kind: 'stop' },
      ],
    });
    expect(call.protocolErrors.total).toBe(0);
    expect(call.waitTimeouts).toBe(0);
    const asked = openai
      .requests()
      .map((r) => r.body['messages'] as Array<{ role: string; content: string }>);
    expect(asked).toHaveLength(1);
    expect(asked[0]?.at(-1)).toEqual({ role: 'user', content: `${DTMF_PREFIX} 42#` });
    expect(records).toHaveLength(1);
    // The answer was heard (its outcome depends on whether the caller hung up before its last
    // sentence on a loaded machine, so only its start is checked).
    expect(records[0]).toMatchObject({ rule: 'dtmf', transcript: `${DTMF_PREFIX} 42#` });
    expect(records[0]!.sentencesPlayed).toBeGreaterThan(0);
    expect(records[0]!.firstFrameSentMs).toBeGreaterThan(records[0]!.finalMs);
  });
});
