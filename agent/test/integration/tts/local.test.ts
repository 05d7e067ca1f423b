// The offline synthesiser: espeak-ng (wasm, worker thread) -> libsamplerate -> mu-law 8 kHz.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSynthesizer } from '../../../src/tts/local.ts';
import { decodeMulaw } from '../../../src/audio/mulaw.ts';
import { hasWavHeader } from '../../../src/tts/wav-header.ts';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

function rms(pcm: Int16Array, from = 0, to = pcm.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += pcm[i]! * pcm[i]!;
  return Math.sqrt(s / Math.max(1, to - from));
}

describe('LocalSynthesizer', () => {
  const synth = new LocalSynthesizer({ engine: 'auto' });
  beforeAll(() => synth.ready());
  afterAll(() => synth.close());

  it('uses the WebAssembly engine with the Hebrew voice', () => {
    expect(synth.engine).toBe('wasm-worker');
  });

  it('speaks a Hebrew sentence as non-silent 8 kHz mu-law of plausible duration', async () => {
    const audio = await collect(
      synth.synthesize({
        callId: 'c',
        text: 'שלום, אני רוצה לבדוק את ההזמנה שלי.',
        signal: new AbortController().signal,
      }),
    );
    expect(hasWavHeader(audio)).toBe(false);
    const seconds = audio.length / 8000;
    // The fixture of the same sentence (espeak-ng -s 150) is 3.6 s; at the default 175 wpm ~2.8 s.
    expect(seconds).toBeGreaterThan(1.5);
    expect(seconds).toBeLessThan(5);
    const pcm = decodeMulaw(audio);
    expect(rms(pcm)).toBeGreaterThan(500);
    // Speech has pauses: some 50 ms windows are much quieter than the loudest.
    const windows: number[] = [];
    for (let at = 0; at + 400 <= pcm.length; at += 400) windows.push(rms(pcm, at, at + 400));
    expect(Math.min(...windows)).toBeLessThan(Math.max(...windows) / 10);
    // Every sentence is timed by the engine (reported by the synthesiser for the boot log/bench).
    expect(synth.lastSynthMs).toBeGreaterThan(0);
  });

  it('a faster speaking rate gives shorter audio', async () => {
    const text = 'מה שעות הפתיחה שלכם ביום שישי?';
    const normal = await synth.synthesizePcm(text, { sampleRate: 8000 });
    const fast = await synth.synthesizePcm(text, { sampleRate: 8000, speakingRate: 1.6 });
    expect(fast.length).toBeLessThan(normal.length * 0.8);
  });

  it('an aborted request yields nothing and later requests still work', async () => {
    const ctrl = new AbortController();
    const pending = collect(
      synth.synthesize({ callId: 'c', text: 'בקשה שבוטלה באמצע.', signal: ctrl.signal }),
    );
    ctrl.abort();
    expect((await pending).length).toBe(0);
    const audio = await collect(
      synth.synthesize({ callId: 'c', text: 'תודה.', signal: new AbortController().signal }),
    );
    expect(audio.length).toBeGreaterThan(1000);
  });

  it('the espeak-ng binary fallback produces the same kind of audio', async () => {
    const binary = new LocalSynthesizer({ engine: 'binary' });
    try {
      await binary.ready();
      expect(binary.engine).toBe('binary');
      const pcm = await binary.synthesizePcm('תודה רבה, להתראות.', { sampleRate: 8000 });
      expect(pcm.length / 8000).toBeGreaterThan(0.8);
      expect(rms(pcm)).toBeGreaterThan(500);
    } finally {
      await binary.close();
    }
  });
});
