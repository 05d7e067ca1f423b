// The TTS and OpenAI emulators answer on the profile's clock, not the local CPU's: synthesis runs
// during the drawn delay, audio is due at arrival + time to first audio, only an unfinished
// synthesis makes it later (counted as an overrun), and synthesised audio is cached. Checked
// through the real clients. Time assertions are lower bounds (the profile is honoured) or
// counters, never speed targets.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GoogleSynthesizer } from '../../../src/tts/google.ts';
import { OpenAiResponder } from '../../../src/llm/openai.ts';
import { startTtsEmulator, type PcmSource, type TtsEmulator } from '../../../src/sim/tts/server.ts';
import { startOpenAiEmulator, type OpenAiEmulator } from '../../../src/sim/openai/server.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A synthesiser taking `delayMs` per text and returning `seconds` of a constant tone. */
function fakeSource(delayMs: number, seconds = 0.5): PcmSource & { calls: { text: string; at: number }[] } {
  const calls: { text: string; at: number }[] = [];
  return {
    calls,
    ready: async () => undefined,
    close: async () => undefined,
    synthesizePcm: async (text, options) => {
      calls.push({ text, at: performance.now() });
      await sleep(delayMs);
      return new Int16Array(Math.round(options.sampleRate * seconds)).fill(3000);
    },
  };
}

async function timedSynthesis(
  synth: GoogleSynthesizer,
  text: string,
): Promise<{ sentAt: number; firstAt: number; endAt: number; bytes: number }> {
  const sentAt = performance.now();
  let firstAt = 0;
  let bytes = 0;
  for await (const c of synth.synthesize({ callId: 't', text, signal: new AbortController().signal })) {
    if (firstAt === 0) firstAt = performance.now();
    bytes += c.length;
  }
  return { sentAt, firstAt, endAt: performance.now(), bytes };
}

describe('TTS emulator timing and cache', () => {
  const emulators: TtsEmulator[] = [];
  const synths: GoogleSynthesizer[] = [];
  const start = async (
    latency: Parameters<typeof startTtsEmulator>[0] extends infer O
      ? O extends { latency?: infer L }
        ? L
        : never
      : never,
    source: PcmSource,
  ): Promise<TtsEmulator> => {
    const emu = await startTtsEmulator({ latency, synthesizer: source });
    emulators.push(emu);
    return emu;
  };
  const client = (emu: TtsEmulator, voice = 'he-IL-Wavenet-A', pitch = 0): GoogleSynthesizer => {
    const s = new GoogleSynthesizer({ voice, speakingRate: 1, pitch, endpoint: emu.endpoint });
    synths.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of synths.splice(0)) await s.close();
    for (const e of emulators.splice(0)) await e.close();
  });

  it('starts synthesis on arrival and answers at arrival + time to first audio + duration / realtime factor', async () => {
    const source = fakeSource(50, 0.5);
    const emu = await start({ timeToFirstAudioMs: { p50: 600, p95: 600 }, realtimeFactor: 5 }, source);
    const t = await timedSynthesis(client(emu), 'שלום לכם.');
    // synthesis began while the profile's delay ran, not after it
    expect(source.calls).toHaveLength(1);
    expect(source.calls[0]!.at - t.sentAt).toBeLessThan(600);
    // and the answer honours the profile: 600 ms + 500 ms / 5
    expect(t.firstAt - t.sentAt).toBeGreaterThanOrEqual(695);
    expect(t.bytes).toBe(4000);
    expect(emu.stats()).toMatchObject({ syntheses: 1, cacheMisses: 1, overruns: 0 });
  });

  it('a synthesis slower than the profile delays the answer and is counted as an overrun', async () => {
    const emu = await start('none', fakeSource(300));
    const t = await timedSynthesis(client(emu), 'איטי מדי.');
    expect(t.firstAt - t.sentAt).toBeGreaterThanOrEqual(295);
    const stats = emu.stats();
    expect(stats.overruns).toBe(1);
    expect(stats.overrunMsMax).toBeGreaterThanOrEqual(290);
    expect(stats.overrunMs).toHaveLength(1);
  });

  it('caches audio per voice, text, rate and pitch: a repeated sentence costs no synthesis and no overrun', async () => {
    const source = fakeSource(100);
    const emu = await start('none', source);
    const a = client(emu);
    const first = await timedSynthesis(a, 'משפט חוזר.');
    const again = await timedSynthesis(a, 'משפט חוזר.');
    expect(again.bytes).toBe(first.bytes);
    expect(source.calls).toHaveLength(1);
    expect(emu.stats()).toMatchObject({ syntheses: 2, cacheHits: 1, cacheMisses: 1, overruns: 1 });
    // another pitch or another voice is another entry
    await timedSynthesis(client(emu, 'he-IL-Wavenet-A', 2), 'משפט חוזר.');
    await timedSynthesis(client(emu, 'he-IL-Wavenet-B'), 'משפט חוזר.');
    expect(source.calls).toHaveLength(3);
    expect(emu.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 3 });
  });

  it('streaming: first chunk at arrival + time to first audio, the rest paced by the realtime factor', async () => {
    const source = fakeSource(50, 1);
    const emu = await start({ timeToFirstAudioMs: { p50: 400, p95: 400 }, realtimeFactor: 10 }, source);
    const t = await timedSynthesis(client(emu, 'he-IL-Chirp3-HD-Kore'), 'סטרימינג.');
    expect(source.calls[0]!.at - t.sentAt).toBeLessThan(400);
    expect(t.firstAt - t.sentAt).toBeGreaterThanOrEqual(395);
    // 1 s of audio in 100 ms chunks at 10x: the last chunk is due 900 ms / 10 after the first
    // (a lower bound only: Node's timers may fire up to a millisecond early per chunk; seen 84.6)
    expect(t.endAt - t.firstAt).toBeGreaterThanOrEqual(80);
    expect(t.bytes).toBe(8000);
    expect(emu.stats()).toMatchObject({ overruns: 0, cacheMisses: 1 });
  });

  it('a failed synthesis is not cached', async () => {
    let fail = true;
    const ok = fakeSource(0);
    const source: PcmSource = {
      ...ok,
      synthesizePcm: (text, options) => {
        if (fail) return Promise.reject(new Error('engine down'));
        return ok.synthesizePcm(text, options);
      },
    };
    const emu = await start('none', source);
    const s = client(emu);
    await expect(timedSynthesis(s, 'נכשל.')).rejects.toThrow(/engine down/);
    fail = false;
    expect((await timedSynthesis(s, 'נכשל.')).bytes).toBeGreaterThan(0);
    expect(emu.stats()).toMatchObject({ cacheMisses: 2, cacheHits: 0 });
  });
});

describe('OpenAI emulator timing', () => {
  let emu: OpenAiEmulator;
  afterAll(async () => {
    await emu.close();
  });

  it('first token at arrival + TTFT, then tokens at the profile rate, late first tokens counted', async () => {
    emu = await startOpenAiEmulator({
      latency: { timeToFirstTokenMs: { p50: 300, p95: 300 }, tokensPerSecond: 50 },
    });
    const responder = new OpenAiResponder({
      apiKey: 'k',
      baseUrl: emu.url,
      model: 'm',
      temperature: 0,
      maxTokens: 50,
      firstTokenTimeoutMs: 5000,
      stallTimeoutMs: 5000,
      retryAttempts: 0,
    });
    const sentAt = performance.now();
    let firstAt = 0;
    let tokens = 0;
    for await (const d of responder.respond({
      callId: 't',
      messages: [{ role: 'user', content: 'מה השעה?' }],
      signal: new AbortController().signal,
    })) {
      if (d === '') continue;
      if (firstAt === 0) firstAt = performance.now();
      tokens++;
    }
    const endAt = performance.now();
    expect(tokens).toBeGreaterThan(3);
    expect(firstAt - sentAt).toBeGreaterThanOrEqual(295);
    // Token k is due at arrival + TTFT + k x 20 ms and never leaves before it: lower bounds hold on
    // a loaded machine, where a late timer sends the tokens due by then together (so the span from
    // the first token received, itself late, may be shorter).
    expect(endAt - sentAt).toBeGreaterThanOrEqual(295 + (tokens - 1) * 20);
    const stats = emu.stats();
    expect(stats.streams).toBe(1);
    expect(stats.lateFirstTokens).toBe(stats.firstTokenLateMs.length);
  });
});
