// The TTS emulator's synthesis cache and its on-disk audio store (agent/src/sim/tts/synthesis.ts):
// a later run serves audio made by an earlier one instead of synthesising it again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createSynthesisCache,
  directoryStore,
  type AudioStore,
  type PcmSource,
} from '../../../src/sim/tts/synthesis.ts';

const fakeSynth = (): PcmSource & { synthesizePcm: ReturnType<typeof vi.fn> } => ({
  ready: async () => undefined,
  close: async () => undefined,
  synthesizePcm: vi.fn(async (text: string) => Int16Array.from([1, -2, 300, text.length])),
});

/** The directory store, with its writes awaitable (they are not awaited by the cache). */
function tracked(dir: string): AudioStore & { writes: Promise<void>[] } {
  const store = directoryStore(dir);
  const writes: Promise<void>[] = [];
  return {
    writes,
    read: (k) => store.read(k),
    write: (k, pcm) => {
      const w = store.write(k, pcm);
      writes.push(w);
      return w;
    },
  };
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('createSynthesisCache with an audio store', () => {
  it('a second run reads the audio an earlier run synthesised, without synthesising it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tts-store-'));
    const first = fakeSynth();
    const store1 = tracked(dir);
    const run1 = createSynthesisCache(first, 16, store1, 'espeak-ng wasm-worker');
    const made = await run1.synthesize('he-IL-Wavenet-A', 'הבנתי,', 8000, 1, 0);
    await Promise.all(store1.writes);
    expect(first.synthesizePcm).toHaveBeenCalledTimes(1);

    const second = fakeSynth();
    const run2 = createSynthesisCache(second, 16, tracked(dir), 'espeak-ng wasm-worker');
    expect(await run2.synthesize('he-IL-Wavenet-A', 'הבנתי,', 8000, 1, 0)).toEqual(made);
    expect(second.synthesizePcm).not.toHaveBeenCalled();
    expect(run2.stats()).toMatchObject({ cacheMisses: 1, storeHits: 1 });
  });

  it('audio of another engine, voice or rate is another entry', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tts-store-'));
    const store1 = tracked(dir);
    await createSynthesisCache(fakeSynth(), 16, store1, 'espeak-ng wasm-worker').synthesize(
      'v',
      'שלום',
      8000,
      1,
      0,
    );
    await Promise.all(store1.writes);
    const other = fakeSynth();
    const store2 = tracked(dir);
    const run2 = createSynthesisCache(other, 16, store2, 'espeak-ng binary');
    await run2.synthesize('v', 'שלום', 8000, 1, 0);
    const run3 = createSynthesisCache(other, 16, store2, 'espeak-ng wasm-worker');
    await run3.synthesize('v', 'שלום', 8000, 1.2, 0);
    await Promise.all(store2.writes);
    expect(other.synthesizePcm).toHaveBeenCalledTimes(2);
    expect(run2.stats().storeHits + run3.stats().storeHits).toBe(0);
  });

  it('a store that cannot be written costs nothing to the answer', async () => {
    const broken: AudioStore = {
      read: async () => undefined,
      write: () => Promise.reject(new Error('ENOSPC')),
    };
    const cache = createSynthesisCache(fakeSynth(), 16, broken, 'x');
    await expect(cache.synthesize('v', 'שלום', 8000, 1, 0)).resolves.toEqual(
      Int16Array.from([1, -2, 300, 4]),
    );
  });
});
