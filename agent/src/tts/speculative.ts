// One sentence synthesised ahead of need: the request starts now, its audio is buffered, and
// whoever adopts it later reads the same audio from the start and then live (the answer's speech
// pipeline, once its turn is confirmed), or it is cancelled unheard. No audio leaves from here:
// playback stays with the pipeline that adopts it.
import type { SynthesizeRequest, Synthesizer } from './types.ts';

export class SpeculativeSynthesis {
  /** The speakable text (and SSML) requested: adoption must ask for exactly this. */
  readonly text: string;
  readonly ssml: string | undefined;
  /** When the request was made and when its first audio arrived (the clock given). */
  readonly requestedAtMs: number;
  firstAudioAtMs: number | undefined;
  private readonly controller = new AbortController();
  private readonly chunks: Buffer[] = [];
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  private adopted = false;

  constructor(synthesizer: Synthesizer, request: Omit<SynthesizeRequest, 'signal'>, now: () => number) {
    this.text = request.text;
    this.ssml = request.ssml;
    this.requestedAtMs = now();
    void this.pump(synthesizer, request, now);
  }

  private async pump(
    synthesizer: Synthesizer,
    request: Omit<SynthesizeRequest, 'signal'>,
    now: () => number,
  ): Promise<void> {
    try {
      for await (const chunk of synthesizer.synthesize({ ...request, signal: this.controller.signal })) {
        if (this.controller.signal.aborted) break;
        if (chunk.length === 0) continue;
        this.firstAudioAtMs ??= now();
        this.chunks.push(chunk);
        this.notify();
      }
    } catch (err) {
      if (!this.controller.signal.aborted) this.error = err;
    } finally {
      this.done = true;
      this.notify();
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Not adopted, not cancelled, not failed: its audio can still be handed over. */
  get adoptable(): boolean {
    return !this.adopted && !this.controller.signal.aborted && this.error === undefined;
  }

  /**
   * Hands the audio over: everything buffered, then the rest as it comes; the synthesis error if
   * it failed. `signal` (the answer's) cancels the synthesis. Once only.
   */
  adopt(signal: AbortSignal): AsyncIterable<Buffer> {
    if (this.adopted) throw new Error('speculative synthesis already adopted');
    this.adopted = true;
    const onAbort = (): void => this.cancelNow();
    if (signal.aborted) this.cancelNow();
    else signal.addEventListener('abort', onAbort, { once: true });
    return this.read(() => signal.removeEventListener('abort', onAbort));
  }

  /** Stops a synthesis nobody adopted (a wrong or withdrawn guess); no effect once adopted. */
  cancel(): void {
    if (!this.adopted) this.cancelNow();
  }

  private cancelNow(): void {
    this.controller.abort();
    this.notify();
  }

  private async *read(detach: () => void): AsyncIterable<Buffer> {
    let i = 0;
    try {
      for (;;) {
        if (i < this.chunks.length) {
          yield this.chunks[i++]!;
          continue;
        }
        if (this.controller.signal.aborted) return;
        if (this.done) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      detach();
    }
  }
}
