// GoogleSynthesizer through the real @google-cloud/text-to-speech client against the TTS
// emulator (which speaks with the local espeak-ng synthesiser).
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { TextToSpeechClient } from '@google-cloud/text-to-speech';
import { GoogleSynthesizer, emulatorClientOptions } from '../../../src/tts/google.ts';
import { SynthesizerError } from '../../../src/tts/errors.ts';
import { hasWavHeader, parseWavHeader } from '../../../src/tts/wav-header.ts';
import { startTtsEmulator, type TtsEmulator } from '../../../src/sim/tts/server.ts';
import { decodeMulaw } from '../../../src/audio/mulaw.ts';

const SENTENCE = 'שלום, אני רוצה לבדוק את ההזמנה שלי.';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

function rms(mulaw: Buffer): number {
  const pcm = decodeMulaw(mulaw);
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

describe('Google TTS over the emulator', () => {
  let emu: TtsEmulator;
  const synths: GoogleSynthesizer[] = [];
  const make = (voice: string, streaming: 'auto' | 'always' | 'never' = 'auto'): GoogleSynthesizer => {
    const s = new GoogleSynthesizer({ voice, speakingRate: 1, pitch: 0, endpoint: emu.endpoint, streaming });
    synths.push(s);
    return s;
  };
  beforeAll(async () => {
    emu = await startTtsEmulator({ latency: 'none' });
  });
  afterAll(async () => {
    for (const s of synths) await s.close();
    await emu.close();
  });
  beforeEach(() => emu.setFault(null));

  it('unary MULAW comes back WAV-headed from the service and headerless from the synthesiser', async () => {
    const client = new TextToSpeechClient(emulatorClientOptions(emu.endpoint));
    try {
      const [raw] = await client.synthesizeSpeech({
        input: { text: SENTENCE },
        voice: { name: 'he-IL-Wavenet-A', languageCode: 'he-IL' },
        audioConfig: { audioEncoding: 'MULAW', sampleRateHertz: 8000 },
      });
      const bytes = Buffer.from(raw.audioContent as Uint8Array);
      expect(hasWavHeader(bytes)).toBe(true);
      expect(parseWavHeader(bytes)).toMatchObject({ audioFormat: 7, sampleRate: 8000, bitsPerSample: 8 });
    } finally {
      await client.close();
    }
    const audio = await collect(
      make('he-IL-Wavenet-A').synthesize({
        callId: 't',
        text: SENTENCE,
        signal: new AbortController().signal,
      }),
    );
    expect(hasWavHeader(audio)).toBe(false);
    const seconds = audio.length / 8000;
    expect(seconds).toBeGreaterThan(1.2);
    expect(seconds).toBeLessThan(6);
    expect(rms(audio)).toBeGreaterThan(300);
    const call = emu.calls().at(-1)!;
    expect(call).toMatchObject({
      method: 'SynthesizeSpeech',
      voice: 'he-IL-Wavenet-A',
      encoding: 'MULAW',
      sampleRateHertz: 8000,
    });
  });

  it('lists he-IL voices and confirms a configured voice', async () => {
    await expect(make('he-IL-Standard-B').ready()).resolves.toBeUndefined();
    await expect(make('he-IL-Chirp3-HD-Kore').ready()).resolves.toBeUndefined();
  });

  it('rejects an unknown voice with INVALID_ARGUMENT, at ready() and on synthesis', async () => {
    const s = make('he-IL-Neural2-A');
    await expect(s.ready()).rejects.toThrow(/he-IL-Neural2-A/);
    const err = await collect(
      s.synthesize({ callId: 't', text: SENTENCE, signal: new AbortController().signal }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthesizerError);
    expect((err as SynthesizerError).kind).toBe('invalid_argument');
    expect((err as SynthesizerError).grpcCode).toBe(grpc.status.INVALID_ARGUMENT);
    expect((err as SynthesizerError).message).toMatch(/Voice 'he-IL-Neural2-A' does not exist/);
  });

  it('streams Chirp3-HD voices through StreamingSynthesize, audio arriving in several chunks', async () => {
    const chunks: Buffer[] = [];
    for await (const c of make('he-IL-Chirp3-HD-Kore').synthesize({
      callId: 't',
      text: SENTENCE,
      signal: new AbortController().signal,
    }))
      chunks.push(c);
    expect(chunks.length).toBeGreaterThan(5);
    const audio = Buffer.concat(chunks);
    expect(hasWavHeader(audio)).toBe(false);
    expect(audio.length / 8000).toBeGreaterThan(1.2);
    expect(rms(audio)).toBeGreaterThan(300);
    expect(emu.calls().at(-1)).toMatchObject({
      method: 'StreamingSynthesize',
      voice: 'he-IL-Chirp3-HD-Kore',
      encoding: 'MULAW',
      sampleRateHertz: 8000,
    });
  });

  it('refuses streaming synthesis for a voice that is not Chirp3-HD', async () => {
    const err = await collect(
      make('he-IL-Wavenet-A', 'always').synthesize({
        callId: 't',
        text: SENTENCE,
        signal: new AbortController().signal,
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthesizerError);
    expect((err as SynthesizerError).kind).toBe('invalid_argument');
  });

  it('a failure mid-answer surfaces as an error from that sentence, after the earlier sentence played', async () => {
    const synth = make('he-IL-Wavenet-A');
    const sentences = ['שלום, מה שלומך?', 'ההזמנה שלך בדרך.', 'יום טוב.'];
    const played: number[] = [];
    let failure: unknown;
    try {
      // Sentence by sentence, as the session's speech pipeline asks; the fault is armed after sentence 0.
      for (const [index, text] of sentences.entries()) {
        const audio = await collect(
          synth.synthesize({ callId: 't', text, signal: new AbortController().signal }),
        );
        played.push(index);
        expect(audio.length).toBeGreaterThan(0);
        emu.setFault({ type: 'error', times: 1, code: grpc.status.UNAVAILABLE });
      }
    } catch (e) {
      failure = e;
    }
    expect(played).toEqual([0]);
    expect(failure).toBeInstanceOf(SynthesizerError);
    expect((failure as SynthesizerError).kind).toBe('unavailable');
  });

  it('a streaming failure after the first chunk surfaces from the iterator', async () => {
    emu.setFault({ type: 'fail_mid_stream', times: 1 });
    const chunks: Buffer[] = [];
    let failure: unknown;
    try {
      for await (const c of make('he-IL-Chirp3-HD-Puck').synthesize({
        callId: 't',
        text: SENTENCE,
        signal: new AbortController().signal,
      }))
        chunks.push(c);
    } catch (e) {
      failure = e;
    }
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    expect(failure).toBeInstanceOf(SynthesizerError);
  });

  it('aborting a streaming synthesis cancels the call', async () => {
    const slow = await startTtsEmulator({
      latency: { timeToFirstAudioMs: { p50: 5, p95: 10 }, realtimeFactor: 1 },
    });
    const s = new GoogleSynthesizer({
      voice: 'he-IL-Chirp3-HD-Kore',
      speakingRate: 1,
      pitch: 0,
      endpoint: slow.endpoint,
    });
    try {
      const ctrl = new AbortController();
      let n = 0;
      for await (const c of s.synthesize({ callId: 't', text: SENTENCE, signal: ctrl.signal })) {
        expect(c.length).toBeGreaterThan(0);
        if (++n === 2) ctrl.abort();
      }
      expect(n).toBe(2);
      // The server sees the cancel when the client's RST_STREAM reaches it: wait for that event,
      // not a fixed 100 ms, which a loaded machine overran.
      await vi.waitFor(() => expect(slow.calls().at(-1)?.cancelled).toBe(true), {
        timeout: 10_000,
        interval: 20,
      });
    } finally {
      await s.close();
      await slow.close();
    }
  });
});
