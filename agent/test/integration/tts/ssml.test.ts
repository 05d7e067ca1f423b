// SSML through the real @google-cloud/text-to-speech client and the TTS emulator: a Wavenet
// voice is sent the <say-as> document, a Chirp 3 HD voice only plain text (Google refuses SSML
// for it), and the emulator refuses what Google refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { TextToSpeechClient } from '@google-cloud/text-to-speech';
import { GoogleSynthesizer, emulatorClientOptions, supportsSsml } from '../../../src/tts/google.ts';
import { startTtsEmulator, ssmlText, type TtsEmulator } from '../../../src/sim/tts/server.ts';
import { toSpeakable } from '../../../src/text/speakable.ts';

async function drain(it: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const c of it) bytes += c.length;
  return bytes;
}

describe('SSML by voice', () => {
  let emu: TtsEmulator;
  const synths: GoogleSynthesizer[] = [];
  const make = (voice: string): GoogleSynthesizer => {
    const s = new GoogleSynthesizer({ voice, speakingRate: 1, pitch: 0, endpoint: emu.endpoint });
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

  it('knows which voices take SSML', () => {
    expect(supportsSsml('he-IL-Wavenet-A')).toBe(true);
    expect(supportsSsml('he-IL-Standard-B')).toBe(true);
    expect(supportsSsml('he-IL-Chirp3-HD-Kore')).toBe(false);
    expect(make('he-IL-Wavenet-A').acceptsSsml).toBe(true);
    expect(make('he-IL-Chirp3-HD-Kore').acceptsSsml).toBe(false);
  });

  it('a Wavenet voice is sent the SSML document and speaks its words', async () => {
    const spoken = toSpeakable('נתראה בשעה 14:30.', { ssml: true });
    const bytes = await drain(
      make('he-IL-Wavenet-A').synthesize({
        callId: 't',
        text: spoken.text,
        ssml: spoken.ssml!,
        signal: new AbortController().signal,
      }),
    );
    expect(bytes).toBeGreaterThan(8000);
    expect(emu.calls().at(-1)).toMatchObject({
      method: 'SynthesizeSpeech',
      ssml: spoken.ssml,
      text: 'נתראה בשעה 14:30.',
    });
  });

  it('a Chirp 3 HD voice gets the plain text even when SSML is offered', async () => {
    const spoken = toSpeakable('נתראה בשעה 14:30.', { ssml: true });
    await drain(
      make('he-IL-Chirp3-HD-Kore').synthesize({
        callId: 't',
        text: spoken.text,
        ssml: spoken.ssml!,
        signal: new AbortController().signal,
      }),
    );
    const call = emu.calls().at(-1)!;
    expect(call.method).toBe('StreamingSynthesize');
    expect(call.text).toBe('נתראה בשעה ארבע עשרה ושלושים.');
    expect(call.ssml).toBeUndefined();
  });

  it('the emulator refuses SSML for a voice without SSML support and malformed SSML, as Google does', async () => {
    const client = new TextToSpeechClient(emulatorClientOptions(emu.endpoint));
    const request = (voice: string, ssml: string) =>
      client.synthesizeSpeech({
        input: { ssml },
        voice: { name: voice, languageCode: 'he-IL' },
        audioConfig: { audioEncoding: 'MULAW', sampleRateHertz: 8000 },
      });
    try {
      await expect(request('he-IL-Chirp3-HD-Kore', '<speak>שלום</speak>')).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
      await expect(request('he-IL-Wavenet-A', 'שלום <b>')).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
    } finally {
      await client.close();
    }
  });

  it('ssmlText reads the words of a document', () => {
    expect(ssmlText('<speak>א &amp; <say-as interpret-as="time">14:30</say-as></speak>')).toBe('א & 14:30');
  });
});
