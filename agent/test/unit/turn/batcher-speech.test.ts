import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../../src/audio/batcher.ts';
import type { AudioChunk } from '../../../src/audio/types.ts';

const frame = (i: number): AudioChunk => ({ mulaw: Buffer.alloc(160, i & 0xff), audioTimeMs: i * 20 });
const spans = (out: AudioChunk[]): Array<[number, number]> =>
  out.map((c) => [c.audioTimeMs, c.mulaw.length / 8]);

/** Pushes frames i0..i1-1 with the VAD's decision for each, as user-turns does. */
function feed(
  b: ReturnType<typeof createBatcher>,
  i0: number,
  i1: number,
  voiced: (i: number) => boolean,
): void {
  for (let i = i0; i < i1; i++) {
    b.push(frame(i));
    b.noteVoice(voiced(i), i * 20);
  }
}

describe('audio batcher: speech batches (STT_SPEECH_BATCH_MS)', () => {
  it('while the voice goes on, batches are the speech size', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttSpeechBatchMs: 160 }, (c) => out.push(c));
    feed(b, 0, 4, () => false); // 80 ms of silence before the voice
    feed(b, 4, 4 + 40, () => true); // 800 ms of voice
    expect(spans(out)).toEqual([
      [0, 80],
      [80, 80], // opened on an unvoiced frame's heels: a normal batch, then speech batches
      [160, 160],
      [320, 160],
      [480, 160],
      [640, 160],
    ]);
    expect(b.batchMs).toBe(160);
  });

  it('the first unvoiced frame sends the waiting speech at once, then STT_BATCH_MS batches', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttSpeechBatchMs: 160 }, (c) => out.push(c));
    feed(b, 0, 1, () => false);
    feed(b, 1, 15, () => true);
    // [0, 80] opened on a quiet frame; then speech batches from 80 ms, 60 ms waiting in the second.
    expect(spans(out)).toEqual([
      [0, 80],
      [80, 160],
    ]);
    b.push(frame(15));
    b.noteVoice(false, 300); // the pause begins
    // Sent with that unvoiced frame: the recognizer has everything up to the pause's first 20 ms.
    expect(spans(out).at(-1)).toEqual([240, 80]);
    feed(b, 16, 16 + 8, () => false);
    expect(spans(out).slice(3)).toEqual([
      [320, 80],
      [400, 80],
    ]);
    expect(b.batchMs).toBe(80);
  });

  it('in pauses every frame is sent within STT_BATCH_MS, and the first one at once', () => {
    // Speech with unvoiced gaps between words, as the VAD reports it.
    const voiced = (i: number): boolean => i % 17 < 12;
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttSpeechBatchMs: 160 }, (c) => out.push(c));
    for (let i = 0; i < 200; i++) {
      b.push(frame(i));
      b.noteVoice(voiced(i), i * 20);
      if (voiced(i)) continue;
      const last = out.at(-1)!;
      const sentUpTo = last.audioTimeMs + last.mulaw.length / 8;
      const frameEnd = (i + 1) * 20;
      if (voiced(i - 1)) expect(sentUpTo).toBe(frameEnd);
      else expect(sentUpTo).toBeGreaterThan(frameEnd - 80);
    }
  });

  it('fewer messages for the same audio, nothing lost or repeated', () => {
    const count = (sttSpeechBatchMs: number): AudioChunk[] => {
      const out: AudioChunk[] = [];
      const b = createBatcher({ sttBatchMs: 80, sttSpeechBatchMs }, (c) => out.push(c));
      feed(b, 0, 300, (i) => i % 40 < 30);
      b.flush();
      return out;
    };
    const small = count(0);
    const large = count(160);
    expect(large.length).toBeLessThan(small.length * 0.75);
    expect(Buffer.concat(large.map((c) => c.mulaw))).toEqual(Buffer.concat(small.map((c) => c.mulaw)));
    const sizes = spans(large);
    for (let k = 1; k < sizes.length; k++) expect(sizes[k]![0]).toBe(sizes[k - 1]![0] + sizes[k - 1]![1]);
  });

  it('off when 0 or not above STT_BATCH_MS; a negative size is refused', () => {
    for (const sttSpeechBatchMs of [0, 80, 40]) {
      const out: AudioChunk[] = [];
      const b = createBatcher({ sttBatchMs: 80, sttSpeechBatchMs }, (c) => out.push(c));
      feed(b, 0, 16, () => true);
      expect(spans(out).map(([, ms]) => ms)).toEqual([80, 80, 80, 80]);
    }
    expect(() => createBatcher({ sttBatchMs: 80, sttSpeechBatchMs: -1 }, () => {})).toThrow(
      /sttSpeechBatchMs/,
    );
  });

  it('with idle batches: the first voiced frame sends the idle batch, then speech batches', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs: 320, sttSpeechBatchMs: 160 }, (c) =>
      out.push(c),
    );
    feed(b, 0, 10, () => false); // idle: 200 ms waiting
    expect(out).toEqual([]);
    feed(b, 10, 10 + 17, () => true);
    expect(spans(out)).toEqual([
      [0, 220],
      [220, 160],
      [380, 160],
    ]);
  });
});
