// Fixed phrases (greeting, apology, goodbye) are synthesised once per process and replayed from
// memory: the apology in particular must play instantly when the language model has failed.
import type { Synthesizer } from './types.ts';
import { ttsPhraseCache } from './metrics.ts';

export interface PhraseCacheOptions {
  /** Part of the key: the same text in another voice/rate/pitch is different audio. */
  readonly voice: string;
  readonly speakingRate: number;
  readonly pitch: number;
}

export class PhraseCache {
  private readonly synthesizer: Synthesizer;
  private readonly options: PhraseCacheOptions;
  private readonly entries = new Map<string, Promise<Buffer>>();

  constructor(synthesizer: Synthesizer, options: PhraseCacheOptions) {
    this.synthesizer = synthesizer;
    this.options = options;
  }

  key(text: string): string {
    const o = this.options;
    return JSON.stringify([this.synthesizer.name, o.voice, o.speakingRate, o.pitch, text]);
  }

  /**
   * The mu-law audio of `text`. The first request synthesises; concurrent requests share that
   * synthesis; later ones get the stored audio. A failed synthesis is not cached (next call retries).
   */
  get(text: string): Promise<Buffer> {
    const key = this.key(text);
    const existing = this.entries.get(key);
    if (existing) {
      ttsPhraseCache.inc({ result: 'hit' });
      return existing;
    }
    ttsPhraseCache.inc({ result: 'miss' });
    const pending = this.synthesizeAll(text);
    this.entries.set(key, pending);
    pending.catch(() => {
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    return pending;
  }

  /** Synthesises every phrase now (at boot), so the first call never waits for them. */
  async warm(texts: readonly string[]): Promise<void> {
    await Promise.all(texts.filter((t) => t.trim() !== '').map((t) => this.get(t)));
  }

  has(text: string): boolean {
    return this.entries.has(this.key(text));
  }

  get size(): number {
    return this.entries.size;
  }

  private async synthesizeAll(text: string): Promise<Buffer> {
    // Never aborted: the audio outlives the call that first asked for it.
    const parts: Buffer[] = [];
    for await (const chunk of this.synthesizer.synthesize({
      callId: 'phrase-cache',
      text,
      signal: new AbortController().signal,
    })) {
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  }
}
