// A started call whose peer stops sending media is ended by the edge, and the session's
// streaming STT stream is closed with it (no Speech stream, and no Speech bill, for a dead peer).
// Waits on events (the close frame) and on the emulator's stream count, never on sleeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootAgent, type BootedAgent } from '../../../src/runtime/boot.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { TestTwilioClient, metricValue, scrape, until } from '../server/twilio-client.ts';

let booted: BootedAgent;

beforeAll(async () => {
  booted = await bootAgent(
    {
      ...loadConfig({
        HOST: '127.0.0.1',
        STT_PROVIDER: 'emulator',
        LLM_PROVIDER: 'scripted',
        TTS_PROVIDER: 'local',
        POD_DELETION_COST_ENABLED: 'false',
        MEDIA_TIMEOUT_MS: '1000',
      }),
      port: 0,
      adminPort: 0,
    },
    silentLogger,
    { onExit: () => undefined },
  );
}, 120_000);

afterAll(async () => {
  await booted?.close();
});

describe('media timeout on a real call session', () => {
  it('ends the call (1008 media_timeout), counts it, and closes its STT stream', async () => {
    const emulator = booted.providers.speechEmulator!;
    const before = metricValue(await scrape(booted.agent), 'hva_calls_ended_by_edge_total', {
      reason: 'media_timeout',
    });
    const c = await TestTwilioClient.connect(booted.agent);
    c.connected();
    c.start();
    for (let i = 0; i < 10; i++) c.media(Buffer.alloc(160, 0xff));
    await until(() => emulator.stats().streamsActive >= 1, 30_000);
    // The peer goes silent: no more media frames.
    expect(await c.closed).toEqual({ code: 1008, reason: 'media_timeout' });
    await until(() => emulator.stats().streamsActive === 0, 30_000);
    expect(
      metricValue(await scrape(booted.agent), 'hva_calls_ended_by_edge_total', { reason: 'media_timeout' }),
    ).toBe(before + 1);
  });
});
