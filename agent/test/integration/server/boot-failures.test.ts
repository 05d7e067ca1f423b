// Start-up failures are loud: unreachable or misconfigured Speech, TTS and LLM endpoints are
// logged as errors naming the endpoint and the reason as soon as the check fails (a refused
// connection fails at once; nothing here waits on a clock), and /readyz names each provider.
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { bootAgent, type BootedAgent } from '../../../src/runtime/boot.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { startTtsEmulator, type TtsEmulator } from '../../../src/sim/tts/server.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function capture() {
  const lines: { level: string; msg: string; provider?: string; endpoint?: string; reason?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

let booted: BootedAgent | undefined;
let tts: TtsEmulator | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
  await tts?.close();
  tts = undefined;
});

describe('providers at boot', () => {
  it('unreachable Speech, TTS and LLM endpoints: one error each with endpoint and reason; /readyz names them', async () => {
    const [sttPort, ttsPort, llmPort] = [await closedPort(), await closedPort(), await closedPort()];
    const { lines, logger } = capture();
    const config = {
      ...loadConfig({
        HOST: '127.0.0.1',
        STT_PROVIDER: 'google',
        STT_ENDPOINT: `127.0.0.1:${sttPort}`,
        TTS_PROVIDER: 'google',
        TTS_ENDPOINT: `127.0.0.1:${ttsPort}`,
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: `http://127.0.0.1:${llmPort}/v1`,
        POD_DELETION_COST_ENABLED: 'false',
      }),
      port: 0,
      adminPort: 0,
    };
    booted = await bootAgent(config, logger, { waitForProviders: false, onExit: () => undefined });
    await expect(booted.providers.whenReady()).rejects.toThrow(/not ready/);
    const errors = lines.filter((l) => l.level === 'error' && l.provider !== undefined);
    expect(errors.map((e) => [e.provider, e.endpoint])).toEqual(
      expect.arrayContaining([
        ['stt', `127.0.0.1:${sttPort}`],
        ['tts', `127.0.0.1:${ttsPort}`],
        ['llm', `http://127.0.0.1:${llmPort}/v1`],
      ]),
    );
    for (const e of errors) expect(e.reason).toBeTruthy();
    expect(errors.find((e) => e.provider === 'stt')?.reason).toContain('ECONNREFUSED');
    const res = await fetch(`${booted.agent.adminUrl}/readyz`);
    expect(res.status).toBe(503);
    const { reasons } = (await res.json()) as { reasons: string[] };
    for (const [provider, endpoint] of [
      ['stt', `127.0.0.1:${sttPort}`],
      ['tts', `127.0.0.1:${ttsPort}`],
      ['llm', `http://127.0.0.1:${llmPort}/v1`],
    ])
      expect(reasons.some((r) => r.startsWith(`${provider} not ready: ${endpoint}: `))).toBe(true);
  });

  it('a misconfigured TTS voice is named as the reason; the other providers are ready', async () => {
    tts = await startTtsEmulator({ host: '127.0.0.1', port: 0, latency: 'none' });
    const { lines, logger } = capture();
    const config = {
      ...loadConfig({
        HOST: '127.0.0.1',
        STT_PROVIDER: 'emulator',
        TTS_PROVIDER: 'google',
        TTS_ENDPOINT: tts.endpoint,
        TTS_VOICE: 'he-IL-Nonexistent-Z',
        LLM_PROVIDER: 'scripted',
        POD_DELETION_COST_ENABLED: 'false',
      }),
      port: 0,
      adminPort: 0,
    };
    booted = await bootAgent(config, logger, { waitForProviders: false, onExit: () => undefined });
    await expect(booted.providers.whenReady()).rejects.toThrow(/he-IL-Nonexistent-Z/);
    const errors = lines.filter((l) => l.level === 'error' && l.provider !== undefined);
    expect(errors.map((e) => e.provider)).toEqual(['tts']);
    expect(errors[0]?.reason).toContain("'he-IL-Nonexistent-Z' is not offered");
    const { reasons } = (await (await fetch(`${booted.agent.adminUrl}/readyz`)).json()) as {
      reasons: string[];
    };
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^tts not ready: 127\.0\.0\.1:\d+: .*he-IL-Nonexistent-Z/);
  });
});
