import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../../src/audio/batcher.ts';
import type { AudioChunk } from '../../../src/audio/types.ts';

/** A 20 ms mu-law frame whose bytes encode its index, so order and content can be checked. */
const frame = (i: number): AudioChunk => ({ mulaw: Buffer.alloc(160, i & 0xff), audioTimeMs: i * 20 });

describe('audio batcher', () => {
  it('groups 20 ms frames into STT_BATCH_MS batches with the time of their first sample', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80 }, (c) => out.push(c));
    for (let i = 0; i < 10; i++) b.push(frame(i));
    expect(out.map((c) => [c.audioTimeMs, c.mulaw.length])).toEqual([
      [0, 640],
      [80, 640],
    ]);
    expect(out[1]?.mulaw.subarray(0, 160).every((x) => x === 4)).toBe(true);
    expect(b.bufferedMs).toBe(40);
    b.flush();
    expect(out[2]).toMatchObject({ audioTimeMs: 160 });
    expect(out[2]?.mulaw.length).toBe(320);
    b.flush(); // nothing buffered: nothing sent
    expect(out).toHaveLength(3);
  });

  it('splits a chunk larger than a batch and keeps times exact', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 50 }, (c) => out.push(c));
    b.push({ mulaw: Buffer.alloc(1000, 1), audioTimeMs: 1000 }); // 125 ms
    b.flush();
    expect(out.map((c) => [c.audioTimeMs, c.mulaw.length])).toEqual([
      [1000, 400],
      [1050, 400],
      [1100, 200],
    ]);
  });

  it('a gap in audio time closes the batch so every batch is contiguous', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 100 }, (c) => out.push(c));
    b.push(frame(0));
    b.push(frame(1));
    b.push(frame(5)); // frames 2..4 lost
    b.flush();
    expect(out.map((c) => [c.audioTimeMs, c.mulaw.length])).toEqual([
      [0, 320],
      [100, 160],
    ]);
  });

  it('copies input (the caller may reuse its buffer) and batch of 20 ms passes frames through', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 20 }, (c) => out.push(c));
    const buf = Buffer.alloc(160, 7);
    b.push({ mulaw: buf, audioTimeMs: 0 });
    buf.fill(9);
    expect(out[0]?.mulaw.every((x) => x === 7)).toBe(true);
  });

  it('rejects bad input with clear errors and keeps its state', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 40 }, (c) => out.push(c));
    b.push(frame(0));
    expect(() => b.push({ mulaw: 'x' as unknown as Buffer, audioTimeMs: 20 })).toThrow(/Buffer/);
    expect(() => b.push({ mulaw: Buffer.alloc(160), audioTimeMs: Number.NaN })).toThrow(/audioTimeMs/);
    b.push(frame(1));
    expect(out.map((c) => [c.audioTimeMs, c.mulaw.length])).toEqual([[0, 320]]);
    expect(() => createBatcher({ sttBatchMs: 0 }, () => {})).toThrow(/sttBatchMs/);
  });

  it('each batch owns its bytes: later frames and a reused input buffer do not change a sent batch', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 40 }, (c) => out.push(c));
    const buf = Buffer.alloc(160);
    for (let i = 0; i < 6; i++) {
      buf.fill(i + 1); // one buffer reused for every frame, as a socket reader might
      b.push({ mulaw: buf, audioTimeMs: i * 20 });
    }
    b.flush();
    expect(out.map((c) => [c.audioTimeMs, [...new Set(c.mulaw)]])).toEqual([
      [0, [1, 2]],
      [40, [3, 4]],
      [80, [5, 6]],
    ]);
    expect(out.map((c) => c.mulaw.length)).toEqual([320, 320, 320]);
  });

  it('a short batch (flushed early) holds exactly the audio pushed, in order', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 100 }, (c) => out.push(c));
    b.push({ mulaw: Buffer.from([1, 2, 3]), audioTimeMs: 0 });
    b.push({ mulaw: Buffer.from([4, 5]), audioTimeMs: 0.375 });
    b.flush();
    expect(out).toHaveLength(1);
    expect([...out[0]!.mulaw]).toEqual([1, 2, 3, 4, 5]);
    expect(out[0]!.audioTimeMs).toBe(0);
  });
});
