// The Text-to-Speech emulator's audio: local synthesis started when a text arrives, cached per
// voice, text, rate and pitch (repeated sentences cost no CPU), and a tally of what the emulator
// itself cost: answers whose audio was due, per the profile, before the local synthesis was done.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalSynthesizer } from '../../tts/local.ts';

/** What the emulator needs from a synthesiser (LocalSynthesizer; tests may pass their own). */
export type PcmSource = Pick<LocalSynthesizer, 'ready' | 'synthesizePcm' | 'close'>;

/** What the emulator itself cost, beside the profile's drawn delays. */
export interface TtsEmulatorStats {
  /** Texts synthesised for an answer (unary requests plus streamed inputs). */
  readonly syntheses: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  /** Of the misses, audio read from the on-disk store (made by an earlier run) instead of synthesised. */
  readonly storeHits: number;
  /** Answers whose audio was due (per the profile) before the local synthesis had finished. */
  readonly overruns: number;
  /** Sum and maximum of how late those answers were because of it (ms). */
  readonly overrunMsTotal: number;
  readonly overrunMsMax: number;
  /** Each overrun in ms, most recent last (bounded), for percentiles. */
  readonly overrunMs: readonly number[];
}

export interface SynthesisCache {
  /** Audio for a text, from the cache or a synthesis started now (shared by concurrent requests). */
  synthesize(
    voice: string,
    text: string,
    sampleRate: number,
    speakingRate: number,
    pitch: number,
  ): Promise<Int16Array>;
  /** Notes an answer whose audio was ready (readyAt) only after it was due (dueAt). */
  noteReady(dueAt: number, readyAt: number): void;
  stats(): TtsEmulatorStats;
}

/** An answer later than its due time by less than this is timer noise, not an overrun. */
const OVERRUN_TOLERANCE_MS = 1;
const MAX_OVERRUN_SAMPLES = 10_000;

/**
 * Synthesised audio kept on disk across runs (one file of raw PCM16 per voice, text, rate, pitch
 * and engine): a benchmark's second run serves every sentence it has heard before without
 * synthesising it again, so the emulator's own CPU cannot make its answers later than the
 * profile. The audio is still the engine's own; the timing is unchanged (due times come from
 * the profile and the audio's length).
 */
export interface AudioStore {
  read(key: string): Promise<Int16Array | undefined>;
  write(key: string, pcm: Int16Array): Promise<void>;
}

export function directoryStore(dir: string): AudioStore {
  const file = (key: string): string => join(dir, `${createHash('sha256').update(key).digest('hex')}.pcm`);
  let made: Promise<unknown> | undefined;
  return {
    async read(key) {
      try {
        const b = await readFile(file(key));
        // A copy: the buffer's memory may be a shared pool, not aligned for 16-bit samples.
        return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      } catch {
        return undefined;
      }
    },
    async write(key, pcm) {
      made ??= mkdir(dir, { recursive: true });
      await made;
      // Written aside and renamed: a reader never sees half a file.
      const tmp = `${file(key)}.${process.pid}.tmp`;
      await writeFile(tmp, new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      await rename(tmp, file(key));
    },
  };
}

export function createSynthesisCache(
  synth: PcmSource,
  cacheEntries: number,
  store?: AudioStore,
  /** Names the synthesiser in the store's keys. */
  sourceId = '',
): SynthesisCache {
  const cache = new Map<string, Promise<Int16Array>>();
  const stats = {
    syntheses: 0,
    cacheHits: 0,
    cacheMisses: 0,
    storeHits: 0,
    overruns: 0,
    overrunMsTotal: 0,
    overrunMsMax: 0,
    overrunMs: [] as number[],
  };
  return {
    synthesize(voice, text, sampleRate, speakingRate, pitch) {
      stats.syntheses++;
      const key = JSON.stringify([voice, text, sampleRate, speakingRate, pitch]);
      const cached = cache.get(key);
      if (cached) {
        stats.cacheHits++;
        cache.delete(key); // most recently used last
        cache.set(key, cached);
        return cached;
      }
      stats.cacheMisses++;
      const made = store ? fromStore(store, JSON.stringify([sourceId, key]), make) : make();
      function make(): Promise<Int16Array> {
        return synth.synthesizePcm(text, { sampleRate, speakingRate, pitch });
      }
      if (cacheEntries > 0) {
        cache.set(key, made);
        made.catch(() => cache.delete(key));
        if (cache.size > cacheEntries) cache.delete(cache.keys().next().value as string);
      }
      return made;
    },
    noteReady(dueAt, readyAt) {
      const late = readyAt - dueAt;
      if (late <= OVERRUN_TOLERANCE_MS) return;
      stats.overruns++;
      stats.overrunMsTotal += late;
      stats.overrunMsMax = Math.max(stats.overrunMsMax, late);
      stats.overrunMs.push(late);
      if (stats.overrunMs.length > MAX_OVERRUN_SAMPLES) stats.overrunMs.shift();
    },
    stats: () => ({ ...stats, overrunMs: [...stats.overrunMs] }),
  };

  async function fromStore(
    st: AudioStore,
    key: string,
    make: () => Promise<Int16Array>,
  ): Promise<Int16Array> {
    const stored = await st.read(key);
    if (stored !== undefined) {
      stats.storeHits++;
      return stored;
    }
    const pcm = await make();
    // The store is an optimisation: a full disk costs a synthesis next time, never this answer.
    st.write(key, pcm).catch(() => undefined);
    return pcm;
  }
}
