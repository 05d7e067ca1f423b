// The emulators apply a plan's window faults on the wire as the real services send them: the
// OpenAI emulator's 429 with Retry-After and the rate-limit headers (the openai client's view),
// the TTS emulator's UNAVAILABLE for unary and streaming synthesis (the Google client's view),
// and both report the first request served after the window. The plan clock is a fake one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaultInjector, parseFaultPlan, type FaultClock } from '../../../src/sim/faults/index.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { startOpenAiEmulator, type OpenAiEmulator } from '../../../src/sim/openai/server.ts';
import { startSpeechEmulator, type SpeechEmulator } from '../../../src/sim/speech/emulator.ts';
import { resolveSttTarget } from '../../../src/stt/capabilities.ts';
import { createGoogleV1Provider } from '../../../src/stt/google.ts';
import type { RawStreamEvents } from '../../../src/stt/raw.ts';
import { startTtsEmulator, type TtsEmulator } from '../../../src/sim/tts/server.ts';
import { GoogleSynthesizer } from '../../../src/tts/google.ts';
import { SynthesizerError } from '../../../src/tts/errors.ts';

class PlanClock implements FaultClock {
  t = 0;
  now(): number {
    return this.t;
  }
}
const time = new PlanClock();

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

describe('OpenAI emulator with llm-429-burst and llm-stall', () => {
  const injector = createFaultInjector(
    parseFaultPlan(['llm-429-burst:at=10s,for=10s,retry-after=3', 'llm-stall:at=30s,for=10s,after-tokens=2']),
    { clock: time, epochMs: 0 },
  );
  let emu: OpenAiEmulator;
  beforeAll(async () => {
    emu = await startOpenAiEmulator({ latency: 'none', ...injector.emulatorOptions.openai });
  });
  afterAll(async () => {
    await emu?.close();
  });
  const chat = (stream: boolean, signal?: AbortSignal): Promise<Response> =>
    fetch(`${emu.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content: 'שלום' }] }),
      ...(signal ? { signal } : {}),
    });

  it('answers 429 rate_limit_exceeded with Retry-After inside the burst, then serves and logs the recovery', async () => {
    time.t = 9_999;
    expect((await chat(false)).status).toBe(200);
    time.t = 10_000;
    const limited = await chat(true);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    time.t = 20_500;
    const served = await chat(true);
    expect(served.status).toBe(200);
    expect(await served.text()).toContain('[DONE]');
    expect(
      injector.log
        .events()
        .filter((e) => e.fault === 'llm-429-burst')
        .map((e) => [e.type, e.afterMs]),
    ).toEqual([
      ['injected', undefined],
      ['recovered', 500],
    ]);
  });

  it('stalls a streamed answer after the planned tokens inside the stall window', async () => {
    time.t = 30_000;
    const ac = new AbortController();
    const res = await chat(true, ac.signal);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    // The role chunk and two content tokens come, then nothing: read until three chunks are in.
    while ((text.match(/^data: /gm) ?? []).length < 3)
      text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    expect(text).not.toContain('[DONE]');
    const last = emu.requests().at(-1)!;
    expect(last.tokensSent).toBe(2);
    await expect.poll(() => last.clientClosed).toBe(true);
    expect(last.completed).toBe(false);
  });
});

describe('TTS emulator with tts-outage', () => {
  const injector = createFaultInjector(parseFaultPlan(['tts-outage:at=10s,for=10s']), {
    clock: time,
    epochMs: 0,
  });
  let emu: TtsEmulator;
  const synths: GoogleSynthesizer[] = [];
  const synth = (voice: string): GoogleSynthesizer => {
    const s = new GoogleSynthesizer({ voice, speakingRate: 1, pitch: 0, endpoint: emu.endpoint });
    synths.push(s);
    return s;
  };
  beforeAll(async () => {
    emu = await startTtsEmulator({
      latency: 'none',
      // A tone instead of espeak-ng: what is tested here is the fault, not the voice.
      synthesizer: {
        ready: async () => undefined,
        synthesizePcm: async () => new Int16Array(1600).fill(3000),
        close: async () => undefined,
      },
      ...injector.emulatorOptions.tts,
    });
  });
  afterAll(async () => {
    for (const s of synths) await s.close();
    await emu?.close();
  });
  const request = { callId: 't', text: 'שלום.', signal: new AbortController().signal };

  it.each(['he-IL-Wavenet-A', 'he-IL-Chirp3-HD-Kore'])(
    '%s: UNAVAILABLE inside the outage (the synthesiser reports it so), audio again after it',
    async (voice) => {
      time.t = 12_000;
      const failure = await collect(synth(voice).synthesize(request)).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SynthesizerError);
      expect(failure).toMatchObject({ kind: 'unavailable' });
      time.t = 20_000;
      expect((await collect(synth(voice).synthesize(request))).length).toBeGreaterThan(0);
    },
  );

  it('logged every refused synthesis and the first served after each outage', () => {
    const events = injector.log.events();
    expect(events.filter((e) => e.type === 'injected')).toHaveLength(2);
    // The plan clock went back into the window for the second voice: two recoveries.
    expect(events.filter((e) => e.type === 'recovered').map((e) => e.afterMs)).toEqual([0, 0]);
  });
});

describe('Speech emulator with stt-stream-fail', () => {
  const injector = createFaultInjector(
    parseFaultPlan(['stt-stream-fail:calls=100%,at=300ms,code=UNAVAILABLE']),
    { clock: time, epochMs: 0 },
  );
  let emu: SpeechEmulator;
  beforeAll(async () => {
    emu = await startSpeechEmulator({ latencyScale: 0, ...injector.emulatorOptions.speech });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('fails the planned stream with the status through the real client; the reconnect is served and logged', async () => {
    const config = defaultConfig({ sttEndpoint: emu.address, maxCalls: 1 });
    const provider = createGoogleV1Provider(resolveSttTarget(config), config);
    try {
      const failed = new Promise<unknown>((resolve) => {
        const events: RawStreamEvents = {
          onOpen: () => undefined,
          onResult: () => undefined,
          onSpeechEvent: () => undefined,
          onError: resolve,
          onEnd: () => undefined,
        };
        const stream = provider.open('CA1', events);
        stream.write(Buffer.alloc(800, 0xff));
      });
      time.t = 1000;
      expect(await failed).toMatchObject({ code: 14, details: 'The service is currently unavailable.' });
      time.t = 1250;
      const again = provider.open('CA1', {
        onOpen: () => undefined,
        onResult: () => undefined,
        onSpeechEvent: () => undefined,
        onError: () => undefined,
        onEnd: () => undefined,
      });
      again.write(Buffer.alloc(800, 0xff));
      await expect.poll(() => injector.log.events().length).toBe(2);
      expect(injector.log.events().map((e) => [e.type, e.callId, e.detail, e.afterMs])).toEqual([
        ['injected', 'CA1', 'UNAVAILABLE', undefined],
        ['recovered', 'CA1', undefined, 250],
      ]);
      again.cancel();
    } finally {
      await provider.close();
    }
  });
});
