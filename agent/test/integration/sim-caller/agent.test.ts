// The caller simulator against the real edge (startAgent) with the pass-through call handler:
// the signed upgrade is accepted (and a wrong signature refused with 403), every frame reaches
// the handler, the echo comes back, and the agent's marks are echoed as played.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../../../src/app.ts';
import { createPassthroughFactory, type PassthroughStats } from '../../../src/sim/passthrough.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { placeCall, placeCalls } from '../../../src/sim/caller/index.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/audio');
const TOKEN = 'sim-caller-test-token';

let agent: RunningAgent;
const stats = new Map<string, PassthroughStats>();

beforeAll(async () => {
  const config = {
    ...loadConfig({ TWILIO_AUTH_TOKEN: TOKEN, HOST: '127.0.0.1', POD_DELETION_COST_ENABLED: 'false' }),
    port: 0,
    adminPort: 0,
  };
  agent = await startAgent({
    config,
    logger: silentLogger,
    handlerFactory: createPassthroughFactory((s, callSid) => stats.set(callSid, s)),
    installSignalHandlers: false,
    onExit: () => {},
  });
});

afterAll(async () => {
  await agent?.close();
});

describe('simulator against the real edge with the pass-through handler', () => {
  it('streams a WAV, gets every frame echoed and the marks echoed as played', async () => {
    const result = await placeCall({
      url: agent.url,
      script: [
        { kind: 'play', file: join(FIXTURES, 'hello.wav') },
        { kind: 'dtmf', digit: '5' },
        { kind: 'silence', ms: 300 },
      ],
      signature: { authToken: TOKEN, publicUrl: agent.publicHost },
      customParameters: { lang: 'he' },
      measureEchoRtt: true,
    });
    expect(result.outcome).toBe('completed');
    expect(result.protocolErrors.total).toBe(0);
    const s = stats.get(result.callSid)!;
    expect(s.framesIn).toBe(result.framesSent);
    expect(s.dtmf).toBe('5');
    // Echoes of the frames sent before the stop arrived: all but the pass-through's incomplete last
    // 100 ms batch (at most 4 frames) and possibly a few in flight.
    expect(result.agent.bytes).toBeGreaterThan((result.framesSent - 10) * 160);
    expect(result.echoRtt!.count).toBe(result.agent.mediaMessages);
    // One mark per echoed second; each is echoed after its audio played.
    expect(result.agent.marksReceived).toBe(Math.floor(result.agent.bytes / 8000));
    expect(result.agent.marksPlayed).toBe(result.agent.marksReceived);
    await expect.poll(() => s.disposed).toBe(true);
    expect(s.marksPlayed).toBe(result.agent.marksPlayed);
  });

  it('is refused with 403 when the signature is wrong or missing', async () => {
    const wrong = await placeCall({
      url: agent.url,
      script: [{ kind: 'silence', ms: 100 }],
      signature: { authToken: 'not-the-token', publicUrl: agent.publicHost },
    });
    expect(wrong.outcome).toBe('error');
    expect(wrong.webhookStatus).toBe(403);
    const wrongUpgrade = await placeCall({
      url: agent.url,
      script: [{ kind: 'silence', ms: 100 }],
      signature: { authToken: 'not-the-token', publicUrl: agent.publicHost },
      webhook: false,
    });
    expect(wrongUpgrade.upgradeStatus).toBe(403);
    const missing = await placeCall({ url: agent.url, script: [{ kind: 'silence', ms: 100 }] });
    expect(missing.upgradeStatus).toBe(403);
  });

  it('goes through the voice webhook like Twilio; a valid upgrade signature alone starts no call', async () => {
    const viaWebhook = await placeCall({
      url: agent.url,
      script: [{ kind: 'silence', ms: 100 }],
      signature: { authToken: TOKEN, publicUrl: agent.publicHost },
    });
    expect(viaWebhook.outcome).toBe('completed');
    expect(viaWebhook.twiml?.streamUrl).toBe(`wss://${agent.publicHost}/ws/twilio-media`);
    expect(viaWebhook.twiml?.parameters['streamToken']).toMatch(/^v1\.\d+\./);
    expect(viaWebhook.twiml?.parameters['callSid']).toBe(viaWebhook.callSid);
    // A leaked upgrade signature (the same for every call) without the webhook's token is refused.
    const leaked = await placeCall({
      url: agent.url,
      script: [{ kind: 'silence', ms: 2000 }],
      signature: { authToken: TOKEN, publicUrl: agent.publicHost },
      webhook: false,
    });
    expect(leaked.outcome).toBe('server-closed');
    expect([leaked.closeCode, leaked.closeReason]).toEqual([1008, 'stream_token_missing']);
  });

  it('runs several calls at once on the shared scheduler without cross-talk', async () => {
    const results = await placeCalls(
      {
        url: agent.url,
        script: [{ kind: 'play', file: join(FIXTURES, 'short.wav') }],
        signature: { authToken: TOKEN, publicUrl: agent.publicHost },
      },
      8,
      10,
    );
    expect(new Set(results.map((r) => r.streamSid)).size).toBe(8);
    for (const r of results) {
      expect(r.outcome).toBe('completed');
      expect(r.protocolErrors.total).toBe(0);
      expect(stats.get(r.callSid)!.framesIn).toBe(r.framesSent);
    }
  });
});
