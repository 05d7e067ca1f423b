import { describe, expect, it } from 'vitest';
import { IDLE_AFTER_MS, RECOGNIZING_HOLD_MS, createBatcher } from '../../../src/audio/batcher.ts';
import type { AudioChunk } from '../../../src/audio/types.ts';

const frame = (i: number): AudioChunk => ({ mulaw: Buffer.alloc(160, i & 0xff), audioTimeMs: i * 20 });
const spans = (out: AudioChunk[]): Array<[number, number]> =>
  out.map((c) => [c.audioTimeMs, c.mulaw.length / 8]);

describe('audio batcher: idle batches (STT_IDLE_BATCH_MS)', () => {
  it('while nothing is heard, batches are the idle size', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs: 320 }, (c) => out.push(c));
    for (let i = 0; i < 40; i++) {
      b.push(frame(i));
      b.noteVoice(false, i * 20);
    }
    expect(spans(out)).toEqual([
      [0, 320],
      [320, 320],
    ]);
    expect(b.batchMs).toBe(320);
  });

  it('the first voiced frame sends the waiting audio at once, then STT_BATCH_MS batches', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs: 320 }, (c) => out.push(c));
    for (let i = 0; i < 10; i++) b.push(frame(i)); // 200 ms of silence waiting
    expect(out).toEqual([]);
    b.push(frame(10));
    b.noteVoice(true, 200);
    // Sent with the voiced frame, before an 80 ms batch would have filled.
    expect(spans(out)).toEqual([[0, 220]]);
    expect([...new Set(out[0]!.mulaw.subarray(200 * 8))]).toEqual([10]);
    for (let i = 11; i < 19; i++) {
      b.push(frame(i));
      b.noteVoice(true, i * 20);
    }
    expect(spans(out)).toEqual([
      [0, 220],
      [220, 80],
      [300, 80],
    ]);
  });

  it(`back to idle batches ${IDLE_AFTER_MS} ms after the last voiced frame`, () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs: 320 }, (c) => out.push(c));
    b.push(frame(0));
    b.noteVoice(true, 0); // voiced audio ends at 20 ms
    const quietFrames = IDLE_AFTER_MS / 20 + 40;
    for (let i = 1; i <= quietFrames; i++) {
      b.push(frame(i));
      b.noteVoice(false, i * 20);
    }
    const sizes = spans(out);
    // Small batches while the caller may still be talking; the first batch starting IDLE_AFTER_MS
    // after the voice is an idle one.
    expect(sizes.filter(([t]) => t < 20 + IDLE_AFTER_MS).every(([, ms]) => ms <= 80)).toBe(true);
    expect(sizes.filter(([t]) => t >= 20 + IDLE_AFTER_MS).every(([, ms]) => ms === 320)).toBe(true);
    expect(sizes.some(([, ms]) => ms === 320)).toBe(true);
    // Contiguous: nothing lost or repeated.
    for (let k = 1; k < sizes.length; k++) expect(sizes[k]![0]).toBe(sizes[k - 1]![0] + sizes[k - 1]![1]);
  });

  it('a partial keeps batches small until its final, however long the silence', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs: 320 }, (c) => out.push(c));
    for (let i = 0; i < 8; i++) b.push(frame(i)); // idle batch filling
    b.noteRecognizing(true); // a partial: send now, small from here
    expect(spans(out)).toEqual([[0, 160]]);
    const end = (IDLE_AFTER_MS + 1000) / 20;
    for (let i = 8; i < end; i++) b.push(frame(i));
    expect(out.slice(1).every((c) => c.mulaw.length === 640)).toBe(true);
    b.noteRecognizing(false); // its final
    b.flush();
    out.length = 0;
    for (let i = end; i < end + 32; i++) b.push(frame(i));
    expect(spans(out).map(([, ms]) => ms)).toEqual([320, 320]);
  });

  it(`a final after the last voiced frame: idle batches at once, not ${IDLE_AFTER_MS} ms later`, () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs: 320 }, (c) => out.push(c));
    let i = 0;
    const push = (voiced: boolean): void => {
      b.push(frame(i));
      b.noteVoice(voiced, i * 20);
      i++;
    };
    for (let k = 0; k < 20; k++) push(true); // 400 ms of speech: 80 ms batches
    b.noteRecognizing(true); // a partial
    for (let k = 0; k < 12; k++) push(false); // 240 ms of pause
    b.noteRecognizing(false); // the final, 640 ms into the audio
    for (let k = 0; k < 40; k++) push(false); // the caller listens: 800 ms
    const sizes = spans(out);
    // (The first frame opened an idle batch, sent at once by its own voice.) The 80 ms batch open
    // when the final came fills as it was; the next ones are idle-sized.
    expect(sizes).toEqual([
      [0, 20],
      ...Array.from({ length: 8 }, (_, k) => [20 + 80 * k, 80]),
      [660, 320],
      [980, 320],
    ]);
    expect(b.batchMs).toBe(320);
    // The caller talks again: the waiting audio goes with the first voiced frame, then small batches.
    out.length = 0;
    push(true);
    expect(spans(out)).toEqual([[1300, 160]]);
    for (let k = 0; k < 8; k++) push(true);
    expect(spans(out).slice(1)).toEqual([
      [1460, 80],
      [1540, 80],
    ]);
    expect(b.batchMs).toBe(80);
  });

  it('a final while the caller is still voiced keeps batches small', () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs: 320 }, (c) => out.push(c));
    for (let i = 0; i < 10; i++) {
      b.push(frame(i));
      b.noteVoice(true, i * 20);
    }
    b.noteRecognizing(false); // a final mid-speech (the recognizer's own segmenting)
    for (let i = 10; i < 30; i++) {
      b.push(frame(i));
      b.noteVoice(i % 3 !== 0, i * 20); // speech with unvoiced frames between words
    }
    expect(
      spans(out)
        .slice(1)
        .every(([, ms]) => ms === 80),
    ).toBe(true);
  });

  it(`a partial whose final never comes stops holding after ${RECOGNIZING_HOLD_MS} ms`, () => {
    const out: AudioChunk[] = [];
    const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs: 320 }, (c) => out.push(c));
    b.push(frame(0));
    b.noteRecognizing(true);
    for (let i = 1; i < (RECOGNIZING_HOLD_MS + 1000) / 20; i++) b.push(frame(i));
    const sizes = spans(out);
    expect(sizes.filter(([t]) => t < RECOGNIZING_HOLD_MS).every(([, ms]) => ms <= 80)).toBe(true);
    expect(sizes.filter(([t]) => t >= RECOGNIZING_HOLD_MS + 80).every(([, ms]) => ms === 320)).toBe(true);
  });

  it('off when STT_IDLE_BATCH_MS is 0 or not above STT_BATCH_MS: STT_BATCH_MS batches throughout', () => {
    for (const sttIdleBatchMs of [0, 80, 40]) {
      const out: AudioChunk[] = [];
      const b = createBatcher({ sttBatchMs: 80, sttIdleBatchMs }, (c) => out.push(c));
      for (let i = 0; i < 10; i++) b.push(frame(i));
      b.noteVoice(true, 200);
      expect(spans(out)).toEqual([
        [0, 80],
        [80, 80],
      ]);
    }
    expect(() => createBatcher({ sttBatchMs: 80, sttIdleBatchMs: -1 }, () => {})).toThrow(/sttIdleBatchMs/);
  });
});
