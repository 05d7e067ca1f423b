import { describe, expect, it } from 'vitest';
import { PhraseCache } from '../../../src/tts/phrase-cache.ts';
import type { SynthesizeRequest, Synthesizer } from '../../../src/tts/types.ts';

class CountingSynth implements Synthesizer {
  readonly name = 'counting';
  calls: string[] = [];
  failNext = false;
  async *synthesize(request: SynthesizeRequest): AsyncIterable<Buffer> {
    this.calls.push(request.text);
    await new Promise((r) => setTimeout(r, 20));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('synthesis failed');
    }
    yield Buffer.from(request.text.slice(0, 2), 'utf8');
    yield Buffer.from([1, 2, 3]);
  }
}

const opts = { voice: 'he-IL-Wavenet-A', speakingRate: 1, pitch: 0 };

describe('PhraseCache', () => {
  it('synthesises a phrase once; concurrent and later requests share it', async () => {
    const synth = new CountingSynth();
    const cache = new PhraseCache(synth, opts);
    const [a, b, c] = await Promise.all([cache.get('סליחה'), cache.get('סליחה'), cache.get('סליחה')]);
    const d = await cache.get('סליחה');
    expect(synth.calls).toEqual(['סליחה']);
    expect(a).toEqual(Buffer.concat([Buffer.from('סל', 'utf8'), Buffer.from([1, 2, 3])]));
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(d).toBe(a);
  });

  it('keys by voice, rate and pitch as well as text', () => {
    const synth = new CountingSynth();
    const one = new PhraseCache(synth, opts);
    const other = new PhraseCache(synth, { ...opts, speakingRate: 1.2 });
    expect(one.key('שלום')).not.toBe(other.key('שלום'));
    expect(one.key('שלום')).not.toBe(one.key('להתראות'));
  });

  it('warm() fills the cache at boot; a failed synthesis is not cached and is retried', async () => {
    const synth = new CountingSynth();
    const cache = new PhraseCache(synth, opts);
    synth.failNext = true;
    await expect(cache.get('שלום')).rejects.toThrow('synthesis failed');
    expect(cache.has('שלום')).toBe(false);
    await cache.warm(['שלום', 'להתראות', '']);
    expect(cache.size).toBe(2);
    expect(synth.calls).toEqual(['שלום', 'שלום', 'להתראות']);
  });
});
