import { describe, expect, it } from 'vitest';
import { SpeculativeSynthesis } from '../../../src/tts/speculative.ts';
import type { SynthesizeRequest, Synthesizer } from '../../../src/tts/types.ts';

/** Yields the chunks released by the test, one by one. */
class GatedSynthesizer implements Synthesizer {
  readonly name = 'gated';
  signals: AbortSignal[] = [];
  private release: Array<() => void> = [];
  synthesize(request: SynthesizeRequest): AsyncIterable<Buffer> {
    this.signals.push(request.signal);
    const gate = (): Promise<void> => new Promise((resolve) => this.release.push(resolve));
    return (async function* () {
      for (const byte of [1, 2, 3]) {
        await gate();
        if (request.signal.aborted) return;
        yield Buffer.from([byte]);
      }
    })();
  }
  next(): void {
    this.release.shift()?.();
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('SpeculativeSynthesis', () => {
  it('buffers audio before adoption, then hands over the buffered chunks followed by the live ones', async () => {
    const tts = new GatedSynthesizer();
    let now = 100;
    const s = new SpeculativeSynthesis(tts, { callId: 'c', text: 'שלום.' }, () => now);
    await tick();
    now = 150;
    tts.next();
    await tick();
    expect(s.requestedAtMs).toBe(100);
    expect(s.firstAudioAtMs).toBe(150);
    const got: number[] = [];
    const reading = (async () => {
      for await (const chunk of s.adopt(new AbortController().signal)) got.push(chunk[0]!);
    })();
    await tick();
    expect(got).toEqual([1]);
    tts.next();
    await tick();
    tts.next();
    await reading;
    expect(got).toEqual([1, 2, 3]);
    expect(s.adoptable).toBe(false);
    expect(() => s.adopt(new AbortController().signal)).toThrow(/already adopted/);
  });

  it('cancel() stops a synthesis nobody adopted, and is a no-op once adopted (the adopter aborts it)', async () => {
    const tts = new GatedSynthesizer();
    const unheard = new SpeculativeSynthesis(tts, { callId: 'c', text: 'א.' }, () => 0);
    unheard.cancel();
    expect(tts.signals[0]?.aborted).toBe(true);
    expect(unheard.adoptable).toBe(false);

    const kept = new SpeculativeSynthesis(tts, { callId: 'c', text: 'ב.' }, () => 0);
    const answer = new AbortController();
    const it = kept.adopt(answer.signal)[Symbol.asyncIterator]();
    kept.cancel();
    expect(tts.signals[1]?.aborted).toBe(false);
    const pending = it.next();
    answer.abort();
    expect(tts.signals[1]?.aborted).toBe(true);
    expect((await pending).done).toBe(true);
  });
});
