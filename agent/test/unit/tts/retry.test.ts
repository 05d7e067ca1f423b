import { describe, expect, it } from 'vitest';
import { SynthesizerError } from '../../../src/tts/errors.ts';
import { isTransientSynthesisError, synthesizeWithRetry } from '../../../src/tts/retry.ts';
import type { SynthesizeRequest, Synthesizer } from '../../../src/tts/types.ts';

/** Attempt n behaves as `script[n]`: 'ok' audio, 'refuse' an error before audio, 'cut' audio then an error. */
function scripted(script: Array<'ok' | 'refuse' | 'cut'>, error: Error): Synthesizer & { attempts: number } {
  return {
    name: 'scripted',
    attempts: 0,
    synthesize(_request: SynthesizeRequest): AsyncIterable<Buffer> {
      const step = script[this.attempts++] ?? 'ok';
      return (async function* () {
        await Promise.resolve();
        if (step === 'refuse') throw error;
        yield Buffer.alloc(160, 0xff);
        if (step === 'cut') throw error;
      })();
    },
  };
}

async function run(
  synth: Synthesizer,
  attempts: number,
): Promise<{ bytes: number; waits: number[]; error?: unknown }> {
  const waits: number[] = [];
  const request = { callId: 'c', text: 'שלום', signal: new AbortController().signal };
  let bytes = 0;
  try {
    for await (const c of synthesizeWithRetry(synth, request, { attempts, backoffMs: 250 }, async (ms) => {
      waits.push(ms);
    }))
      bytes += c.length;
  } catch (error) {
    return { bytes, waits, error };
  }
  return { bytes, waits };
}

const unavailable = new SynthesizerError('google', 'unavailable', 'UNAVAILABLE');

describe('synthesizeWithRetry', () => {
  it('retries a refusal before any audio, doubling the wait', async () => {
    const s = scripted(['refuse', 'refuse', 'ok'], unavailable);
    expect(await run(s, 2)).toEqual({ bytes: 160, waits: [250, 500] });
    expect(s.attempts).toBe(3);
  });

  it('gives up after the attempts with the provider error', async () => {
    const s = scripted(['refuse', 'refuse', 'refuse', 'ok'], unavailable);
    const r = await run(s, 2);
    expect(r.error).toBe(unavailable);
    expect(s.attempts).toBe(3);
  });

  it('never retries once audio came (no half sentence twice), nor a permanent error', async () => {
    const cut = scripted(['cut', 'ok'], unavailable);
    expect((await run(cut, 2)).error).toBe(unavailable);
    expect(cut.attempts).toBe(1);
    const bad = new SynthesizerError('google', 'invalid_argument', 'bad voice');
    const refused = scripted(['refuse', 'ok'], bad);
    expect((await run(refused, 2)).error).toBe(bad);
    expect(refused.attempts).toBe(1);
  });

  it('counts only unavailable and timeout as transient', () => {
    expect(isTransientSynthesisError(unavailable)).toBe(true);
    expect(isTransientSynthesisError(new SynthesizerError('google', 'timeout', 'deadline'))).toBe(true);
    expect(isTransientSynthesisError(new SynthesizerError('google', 'internal', 'x'))).toBe(false);
    expect(isTransientSynthesisError(new Error('x'))).toBe(false);
  });
});
