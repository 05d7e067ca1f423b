// Pipelined synthesis: while the caller hears sentence k, sentence k+1 (up to `lookahead`
// sentences ahead) is already being synthesised, so there is no gap between sentences.
import type { Synthesizer } from './types.ts';

export interface SynthesizedSentence {
  readonly index: number;
  readonly text: string;
  /** The sentence's mu-law audio; buffered while the consumer is still on an earlier sentence. */
  readonly audio: AsyncIterable<Buffer>;
}

export interface PipelineOptions {
  readonly callId: string;
  readonly signal: AbortSignal;
  /** How many sentences beyond the one being consumed may be in synthesis. Default 1. */
  readonly lookahead?: number;
}

/** One sentence's synthesis running in the background into a buffer. */
class BufferedSynthesis {
  private readonly chunks: Buffer[] = [];
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  readonly controller = new AbortController();

  constructor(synthesizer: Synthesizer, callId: string, text: string) {
    void this.run(synthesizer, callId, text);
  }

  private async run(synthesizer: Synthesizer, callId: string, text: string): Promise<void> {
    try {
      for await (const chunk of synthesizer.synthesize({ callId, text, signal: this.controller.signal })) {
        this.chunks.push(chunk);
        this.notify();
      }
    } catch (e) {
      this.error = e;
    } finally {
      this.done = true;
      this.notify();
    }
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }

  async *read(signal: AbortSignal): AsyncIterable<Buffer> {
    for (;;) {
      if (signal.aborted) return;
      const chunk = this.chunks.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.done) {
        if (this.error !== undefined && !signal.aborted) throw this.error;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

/**
 * Maps a stream of sentences to a stream of sentences with audio. A background pump reads the
 * sentence source (typically the LLM -> splitter) and starts each synthesis as soon as the
 * sentence exists, while at most `lookahead` sentences wait beyond the one being consumed.
 * Synthesis errors surface from the failing sentence's `audio` iterator; source errors from this
 * iterator. Aborting `signal` (or stopping iteration) cancels every synthesis in flight.
 */
export async function* pipelineSynthesis(
  sentences: AsyncIterable<string>,
  synthesizer: Synthesizer,
  options: PipelineOptions,
): AsyncIterable<SynthesizedSentence> {
  const lookahead = Math.max(0, options.lookahead ?? 1);
  const { signal, callId } = options;
  const local = new AbortController(); // stops the pump when the consumer stops
  const ready: { index: number; text: string; synthesis: BufferedSynthesis }[] = [];
  const started: BufferedSynthesis[] = [];
  let consumed = 0; // sentences handed out and moved past
  let pumpDone = false;
  let pumpError: unknown;
  let wakeConsumer: (() => void) | undefined;
  let wakePump: (() => void) | undefined;
  const notifyConsumer = (): void => {
    wakeConsumer?.();
    wakeConsumer = undefined;
  };
  const notifyPump = (): void => {
    wakePump?.();
    wakePump = undefined;
  };
  const stopped = (): boolean => signal.aborted || local.signal.aborted;
  const abortAll = (): void => {
    for (const s of started) s.controller.abort();
    notifyConsumer();
    notifyPump();
  };
  signal.addEventListener('abort', abortAll, { once: true });

  const pump = async (): Promise<void> => {
    const source = sentences[Symbol.asyncIterator]();
    let index = 0;
    try {
      for (;;) {
        // Sentence `index` may start once the consumer is at most `lookahead` sentences behind it.
        while (index - consumed > lookahead && !stopped()) await new Promise<void>((r) => (wakePump = r));
        if (stopped()) return;
        const next = await source.next();
        if (next.done || stopped()) return;
        if (next.value.trim() === '') continue;
        const synthesis = new BufferedSynthesis(synthesizer, callId, next.value);
        started.push(synthesis);
        if (stopped()) synthesis.controller.abort();
        ready.push({ index, text: next.value, synthesis });
        index++;
        notifyConsumer();
      }
    } catch (e) {
      pumpError = e;
    } finally {
      pumpDone = true;
      notifyConsumer();
      if (stopped()) await source.return?.(undefined).catch(() => undefined);
    }
  };
  const pumping = pump();

  try {
    for (;;) {
      if (signal.aborted) return;
      const item = ready.shift();
      if (item) {
        yield { index: item.index, text: item.text, audio: item.synthesis.read(signal) };
        consumed = item.index + 1;
        notifyPump();
        continue;
      }
      if (pumpDone) {
        if (pumpError !== undefined && !signal.aborted) throw pumpError;
        return;
      }
      await new Promise<void>((r) => (wakeConsumer = r));
    }
  } finally {
    local.abort();
    signal.removeEventListener('abort', abortAll);
    abortAll();
    // Not awaited: the pump may be parked in source.next() until the LLM stream ends or aborts.
    void pumping;
  }
}
