// Callers who cannot be served hear something: the TwiML after <Connect> (the fallback from the
// VoiceAgent) as the caller simulator sees it, acting as Twilio, when the stream is refused for
// capacity, while draining, or because the call could not start; and not after a normal goodbye,
// which the agent completes through the (emulated) Twilio REST API first.
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../../src/app.ts';
import type { CallHandlerFactory } from '../../../src/call/types.ts';
import { createPassthroughFactory } from '../../../src/sim/passthrough.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import {
  SimulatedCall,
  placeCall,
  startTwilioRestEmulator,
  type CallOptions,
  type TwilioRestEmulator,
} from '../../../src/sim/caller/index.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { until } from '../server/twilio-client.ts';

const TOKEN = 'fallback-test-token';
const APOLOGY = 'מצטערים, כל הנציגים עסוקים';
const agents: RunningAgent[] = [];
let rest: TwilioRestEmulator | undefined;

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await rest?.close();
});

/** Echoes audio; DTMF 9 is the caller saying goodbye: the agent hangs up. */
const goodbyeOn9: CallHandlerFactory = (ctx) => {
  const echo = createPassthroughFactory()(ctx);
  return { ...echo, onDtmf: (digit) => (digit === '9' ? ctx.sink.hangup('goodbye') : undefined) };
};

async function agentWith(
  overrides: Partial<Config>,
  handlerFactory: CallHandlerFactory = goodbyeOn9,
  readiness?: () => { ready: boolean; reasons: string[] },
) {
  rest = await startTwilioRestEmulator({ authToken: TOKEN });
  const agent = await startAgent({
    config: defaultConfig({
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      twilioAuthToken: TOKEN,
      twilioApiBaseUrl: rest.url,
      fallbackSayText: APOLOGY,
      fallbackDialNumber: '+97231234567',
      podDeletionCost: false,
      ...overrides,
    }),
    logger: silentLogger,
    handlerFactory,
    ...(readiness ? { readiness } : {}),
    onExit: () => undefined,
  });
  agents.push(agent);
  return agent;
}

function options(agent: RunningAgent, script: CallOptions['script']): CallOptions {
  return {
    url: agent.url,
    script,
    signature: { authToken: TOKEN, publicUrl: agent.publicHost },
    twilioRest: rest!,
  };
}

const FALLBACK = [
  { verb: 'Say', attributes: { language: 'he-IL' }, text: APOLOGY },
  { verb: 'Dial', attributes: {}, text: '+97231234567' },
];

describe('fallback TwiML heard by callers who cannot be served', () => {
  it('a caller over MAX_CALLS hears the Hebrew apology and is transferred', async () => {
    const agent = await agentWith({ maxCalls: 1 });
    const first = new SimulatedCall(
      options(agent, [{ kind: 'waitForAgent', until: 'end', timeoutMs: 60_000 }]),
    );
    const firstDone = first.run();
    await until(() => agent.startedCalls() === 1, 30_000);
    const refused = await placeCall({ ...options(agent, [{ kind: 'silence', ms: 5000 }]) });
    expect([refused.outcome, refused.closeCode, refused.closeReason]).toEqual([
      'server-closed',
      1013,
      'max_calls',
    ]);
    expect(refused.afterStream).toEqual(FALLBACK);
    first.hangup();
    expect((await firstDone).afterStream).toEqual([]);
  });

  it('when the call cannot start (session start-up failure), the caller hears it too', async () => {
    const broken = await agentWith({}, () => {
      throw new Error('session could not start: TTS down');
    });
    const failed = await placeCall(options(broken, [{ kind: 'silence', ms: 5000 }]));
    expect([failed.closeCode, failed.closeReason]).toEqual([1011, 'handler_error']);
    expect(failed.afterStream).toEqual(FALLBACK);
  });

  it('when a provider failed at start-up (not ready), the stream is refused and the caller hears it', async () => {
    const agent = await agentWith({}, goodbyeOn9, () => ({
      ready: false,
      reasons: ['tts not ready: texttospeech.googleapis.com:443: unreachable (ECONNREFUSED)'],
    }));
    const refused = await placeCall(options(agent, [{ kind: 'silence', ms: 5000 }]));
    expect([refused.closeCode, refused.closeReason]).toEqual([1013, 'not_ready']);
    expect(refused.afterStream).toEqual(FALLBACK);
  });

  it('a refused stream during a drain with a call still running plays the fallback', async () => {
    const agent = await agentWith({ drainSeconds: 600 });
    const held = new SimulatedCall(
      options(agent, [{ kind: 'waitForAgent', until: 'end', timeoutMs: 60_000 }]),
    );
    const heldDone = held.run();
    await until(() => agent.startedCalls() === 1, 30_000);
    void agent.drain();
    const refused = await placeCall(options(agent, [{ kind: 'silence', ms: 5000 }]));
    expect([refused.closeCode, refused.closeReason]).toEqual([1013, 'draining']);
    expect(refused.afterStream).toEqual(FALLBACK);
    held.hangup();
    await heldDone;
  });

  it('after a normal goodbye the agent completes the call at Twilio first: no apology', async () => {
    const agent = await agentWith({});
    const result = await placeCall(
      options(agent, [
        { kind: 'silence', ms: 200 },
        { kind: 'dtmf', digit: '9' },
        { kind: 'silence', ms: 10_000 },
      ]),
    );
    expect([result.outcome, result.closeCode]).toEqual(['server-closed', 1000]);
    expect(rest!.completed(result.callSid)).toBe(true);
    expect(result.afterStream).toEqual([]);
    const requests = rest!.requests();
    expect(requests).toHaveLength(1);
    expect(requests[0]?.path).toMatch(
      new RegExp(`^/2010-04-01/Accounts/AC[0-9a-f]{32}/Calls/${result.callSid}\\.json$`),
    );
    expect(requests[0]?.status).toBe(200);
  });
});
