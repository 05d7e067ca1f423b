// What Google rejects, the emulator rejects the same way, and the agent fails loudly (no silent
// fallback); the audio timeout is enforced and our keepalive avoids it; the startup probe.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { startSpeechEmulator, type SpeechEmulator } from '../../../src/sim/speech/emulator.ts';
import { resolveSttTarget, type SttTarget } from '../../../src/stt/capabilities.ts';
import { createGoogleV1Provider, createGoogleV2Provider } from '../../../src/stt/google.ts';
import { sttHealth } from '../../../src/stt/health.ts';
import { createSttProvider, probeStt } from '../../../src/stt/index.ts';
import type { RawStreamingProvider } from '../../../src/stt/raw.ts';
import { createResilientStt } from '../../../src/stt/resilient.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { callAudio, feed, record, sleep } from './harness.ts';

let emu: SpeechEmulator;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  emu = await startSpeechEmulator({ latencyScale: 0.3, v2Location: 'eu', audioTimeoutMs: 1500 });
});
afterEach(() => sttHealth.reset());
afterAll(async () => {
  for (const c of closers) await c();
  await emu.close();
});

/** Bypasses the boot-time capability check, as a misconfigured or outdated build would. */
function forcedTarget(
  over: Partial<SttTarget>,
  configOver: Partial<Config> = {},
): { target: SttTarget; config: Config } {
  const config = defaultConfig({
    sttEndpoint: emu.address,
    maxCalls: 1,
    googleProject: 'test-project',
    ...configOver,
  });
  return { target: { ...resolveSttTarget(config), ...over }, config };
}

async function openAndWaitForFailure(raw: RawStreamingProvider, callId: string) {
  closers.push(() => raw.close());
  const stt = createResilientStt({
    config: defaultConfig(),
    streaming: raw,
    oneShot: { recognize: () => Promise.reject(new Error('unused')) },
  });
  const rec = record();
  const stream = stt.open({ callId, logger: silentLogger, now: () => performance.now() }, rec.listener);
  stream.write({ mulaw: Buffer.alloc(640, 0xff), audioTimeMs: 0 });
  await rec.waitForState('failed', 5000);
  await stream.close();
  return rec;
}

describe('Google-shaped rejections fail the call loudly', () => {
  it("v1 phone_call for iw-IL: INVALID_ARGUMENT with Google's message, state failed, readiness flag set", async () => {
    const { target, config } = forcedTarget({ model: 'phone_call' });
    const rec = await openAndWaitForFailure(createGoogleV1Provider(target, config), 'reject-v1');
    expect(rec.errors).toEqual([
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        retryable: false,
        message: 'The requested model is currently not supported for language : iw-IL.',
      }),
    ]);
    expect(sttHealth.ok).toBe(false);
    expect(sttHealth.reasons()).toEqual([
      'INVALID_ARGUMENT: The requested model is currently not supported for language : iw-IL.',
    ]);
  });

  it('v2 chirp_2 streaming for iw-IL is rejected', async () => {
    const { target, config } = forcedTarget(
      {},
      { sttApiVersion: 'v2', sttModel: 'chirp_3', sttLocation: 'eu' },
    );
    const rec = await openAndWaitForFailure(
      createGoogleV2Provider({ ...target, model: 'chirp_2' }, config),
      'reject-chirp2',
    );
    expect(rec.errors[0]).toMatchObject({ code: 'INVALID_ARGUMENT', retryable: false });
    expect(rec.errors[0]!.message).toMatch(/"iw-IL" is not supported by the model "chirp_2" for streaming/);
  });

  it('v2 recognizer location that does not match the endpoint is rejected', async () => {
    // The agent refuses STT_LOCATION=us for EU pods at boot; force the mismatched recognizer path.
    const { target, config } = forcedTarget(
      { location: 'us', recognizer: 'projects/test-project/locations/us/recognizers/_' },
      { sttApiVersion: 'v2', sttModel: 'chirp_3' },
    );
    const rec = await openAndWaitForFailure(createGoogleV2Provider(target, config), 'reject-location');
    expect(rec.errors[0]!.message).toBe(
      'Expected resource location to be eu, but found us in resource name.',
    );
  });

  it('an audio message over the v1 limit (25 KB) is rejected', async () => {
    const { target, config } = forcedTarget({});
    const raw = createGoogleV1Provider(target, config);
    closers.push(() => raw.close());
    const err = await new Promise<unknown>((resolve) => {
      const s = raw.open('oversize', {
        onOpen: () => undefined,
        onResult: () => undefined,
        onSpeechEvent: () => undefined,
        onError: resolve,
        onEnd: () => resolve(undefined),
      });
      s.write(Buffer.alloc(26 * 1024, 0xff));
    });
    expect(err).toMatchObject({
      code: 3,
      details: expect.stringMatching(/too large: 26624 bytes.*maximum is 25600/),
    });
  });

  it('the boot-time check rejects the same configuration before any request', () => {
    expect(() =>
      createSttProvider(defaultConfig({ sttEndpoint: emu.address, sttModel: 'phone_call' })),
    ).toThrow(/phone_call is not supported for iw-IL/);
  });
});

describe('audio timeout', () => {
  it("the emulator ends a stream that gets no audio with Google's OUT_OF_RANGE message", async () => {
    const { target, config } = forcedTarget({});
    const raw = createGoogleV1Provider(target, config);
    closers.push(() => raw.close());
    const err = await new Promise<unknown>((resolve) => {
      const s = raw.open('audio-timeout', {
        onOpen: () => undefined,
        onResult: () => undefined,
        onSpeechEvent: () => undefined,
        onError: resolve,
        onEnd: () => resolve(undefined),
      });
      s.write(Buffer.alloc(640, 0xff));
    });
    expect(err).toMatchObject({
      code: 11,
      details:
        'Audio Timeout Error: Long duration elapsed without audio. Audio should be sent close to real time.',
    });
  });

  it('the keepalive sends silence while the caller side is quiet, so the timeout never fires', async () => {
    const p = createSttProvider(defaultConfig({ sttEndpoint: emu.address, maxCalls: 1 }), {
      tuning: { keepaliveMs: 500 },
    });
    closers.push(() => p.close!());
    emu.setScript('keepalive', ['אחרי שקט.']);
    const rec = record();
    const stream = p.open(
      { callId: 'keepalive', logger: silentLogger, now: () => performance.now() },
      rec.listener,
    );
    const audio = callAudio(['short']);
    stream.write({ mulaw: Buffer.alloc(800, 0xff), audioTimeMs: 0 });
    await sleep(3000); // twice the emulator's 1.5 s audio timeout, no audio from the caller
    await feed(stream, audio, { startMs: 100 });
    await rec.waitForFinals(1);
    expect(rec.finals.map((f) => f.text)).toEqual(['אחרי שקט.']);
    expect(rec.errors).toEqual([]);
    await stream.close();
  });
});

describe('startup probe', () => {
  it('passes against a working endpoint', async () => {
    await expect(probeStt(defaultConfig({ sttEndpoint: emu.address, maxCalls: 1 }))).resolves.toBeUndefined();
  });

  it('fails with the API error for a rejected configuration and flags readiness', async () => {
    const { target, config } = forcedTarget({ model: 'latest_long' });
    const raw = createGoogleV1Provider(target, config);
    closers.push(() => raw.close());
    await expect(probeStt(config, { provider: raw })).rejects.toThrow(
      /INVALID_ARGUMENT: The requested model is currently not supported for language : iw-IL/,
    );
    expect(sttHealth.ok).toBe(false);
  });
});
