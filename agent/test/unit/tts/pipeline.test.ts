import { describe, expect, it } from 'vitest';
import { pipelineSynthesis } from '../../../src/tts/pipeline.ts';
import type { SynthesizeRequest, Synthesizer } from '../../../src/tts/types.ts';

/** A synthesiser whose work is visible: start/finish/abort events in order. */
class TracingSynth implements Synthesizer {
  readonly name = 'tracing';
  events: string[] = [];
  failOn: string | undefined;
  async *synthesize(request: SynthesizeRequest): AsyncIterable<Buffer> {
    this.events.push(`start ${request.text}`);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 10));
      if (request.signal.aborted) {
        this.events.push(`abort ${request.text}`);
        return;
      }
      if (this.failOn === request.text && i === 1) throw new Error(`tts failed on ${request.text}`);
      yield Buffer.from([i]);
    }
    this.events.push(`done ${request.text}`);
  }
}

async function* sentences(items: string[], gapMs = 0): AsyncIterable<string> {
  for (const s of items) {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    yield s;
  }
}

describe('pipelineSynthesis', () => {
  it('starts sentence k+1 while sentence k is still being consumed', async () => {
    const synth = new TracingSynth();
    const out: string[] = [];
    for await (const item of pipelineSynthesis(sentences(['א', 'ב', 'ג']), synth, {
      callId: 'c',
      signal: new AbortController().signal,
    })) {
      // Before reading sentence k's audio, sentence k+1 has already started.
      await new Promise((r) => setTimeout(r, 5));
      if (item.index < 2) expect(synth.events).toContain(`start ${['א', 'ב', 'ג'][item.index + 1]}`);
      let n = 0;
      for await (const chunk of item.audio) n += chunk.length;
      out.push(`${item.text}:${n}`);
    }
    expect(out).toEqual(['א:3', 'ב:3', 'ג:3']);
  });

  it('keeps at most `lookahead` sentences beyond the one being consumed', async () => {
    const synth = new TracingSynth();
    const it = pipelineSynthesis(sentences(['1', '2', '3', '4']), synth, {
      callId: 'c',
      signal: new AbortController().signal,
      lookahead: 1,
    })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(synth.events.filter((e) => e.startsWith('start'))).toEqual(['start 1', 'start 2']);
    await it.return?.();
  });

  it('a synthesis error surfaces from the failing sentence, after earlier sentences played', async () => {
    const synth = new TracingSynth();
    synth.failOn = 'ב';
    const played: string[] = [];
    const run = async (): Promise<void> => {
      for await (const item of pipelineSynthesis(sentences(['א', 'ב', 'ג']), synth, {
        callId: 'c',
        signal: new AbortController().signal,
      })) {
        for await (const chunk of item.audio) expect(chunk.length).toBe(1);
        played.push(item.text);
      }
    };
    await expect(run()).rejects.toThrow('tts failed on ב');
    expect(played).toEqual(['א']);
  });

  it('abort (barge-in) stops the output and cancels every synthesis in flight', async () => {
    const synth = new TracingSynth();
    const ctrl = new AbortController();
    const got: number[] = [];
    for await (const item of pipelineSynthesis(sentences(['א', 'ב', 'ג'], 1), synth, {
      callId: 'c',
      signal: ctrl.signal,
    })) {
      for await (const chunk of item.audio) {
        got.push(chunk[0]!);
        if (got.length === 2) ctrl.abort();
      }
    }
    expect(got).toEqual([0, 1]);
    await new Promise((r) => setTimeout(r, 40));
    expect(synth.events).toContain('abort א');
    expect(synth.events.filter((e) => e.startsWith('done'))).toEqual([]);
  });

  it('a source error (LLM failure) surfaces from the iterator after the sentences before it', async () => {
    const synth = new TracingSynth();
    async function* failing(): AsyncIterable<string> {
      yield 'א';
      throw new Error('llm stalled');
    }
    const texts: string[] = [];
    const run = async (): Promise<void> => {
      for await (const item of pipelineSynthesis(failing(), synth, {
        callId: 'c',
        signal: new AbortController().signal,
      })) {
        for await (const c of item.audio) expect(c.length).toBe(1);
        texts.push(item.text);
      }
    };
    await expect(run()).rejects.toThrow('llm stalled');
    expect(texts.length).toBeLessThanOrEqual(1);
  });
});
