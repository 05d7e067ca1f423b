import { describe, expect, it } from 'vitest';
import { FinalOrder } from '../../../src/stt/final-order.ts';
import { ReplayBuffer } from '../../../src/stt/replay-buffer.ts';
import type { SttFinal } from '../../../src/stt/types.ts';

const chunk = (t: number, ms = 20, byte = 1) => ({ mulaw: Buffer.alloc(ms * 8, byte), t, dur: ms });

describe('ReplayBuffer', () => {
  it('keeps at most its bound, never the newest chunk, and says once when it first drops', () => {
    const b = new ReplayBuffer(0.05); // 50 ms
    expect(b.push(chunk(0))).toEqual({ droppedMs: 0, firstDrop: false });
    b.push(chunk(20));
    expect(b.push(chunk(40))).toEqual({ droppedMs: 20, firstDrop: true });
    expect(b.push(chunk(60))).toEqual({ droppedMs: 20, firstDrop: false });
    expect([b.firstMs, b.ms]).toEqual([40, 40]);
    b.trimBefore(80); // below half the bound: the next drop is told again
    expect(b.ms).toBe(0);
    b.push(chunk(80));
    b.push(chunk(100));
    expect(b.push(chunk(120)).firstDrop).toBe(true);
  });

  it('cuts the audio between two call times at byte precision', () => {
    const b = new ReplayBuffer(10);
    b.push(chunk(0, 20, 1));
    b.push(chunk(20, 20, 2));
    const cut = b.slice(10, 25)!;
    expect(cut.audioStartMs).toBe(10);
    expect(cut.audio.length).toBe(15 * 8);
    expect([cut.audio[0], cut.audio.at(-1)]).toEqual([1, 2]);
    expect(b.slice(100, 200)).toBeUndefined();
    b.clear();
    expect([b.ms, b.firstMs]).toEqual([0, undefined]);
  });
});

describe('FinalOrder', () => {
  const final = (text: string, audioStartMs: number): SttFinal =>
    ({ text, audioStartMs, audioEndMs: audioStartMs + 500, receivedAtMs: 0 }) as SttFinal;

  it('holds a later final while an earlier utterance is still being recognized, then delivers both in audio order', () => {
    const out: string[] = [];
    const cleared: unknown[] = [];
    const order = new FinalOrder(
      (f) => out.push(`${f.text}@${f.receivedAtMs}`),
      (t) => cleared.push(t),
      () => 42,
    );
    expect(order.emit(final('alone', 0))).toBe(true);
    const slot = order.reserve(1000);
    slot.timer = 'deadline';
    expect(order.emit(final('later', 2000))).toBe(false);
    expect(out).toEqual(['alone@0']);
    order.settle(slot, final('earlier', 1000));
    expect(out).toEqual(['alone@0', 'earlier@42', 'later@42']);
    expect(cleared).toContain('deadline');
  });

  it('a place settled without a final frees the way; drop forgets every place', () => {
    const out: string[] = [];
    const order = new FinalOrder(
      (f) => out.push(f.text),
      () => undefined,
      () => 0,
    );
    const lost = order.reserve(0);
    order.emit(final('next', 500));
    order.settle(lost, undefined);
    expect(out).toEqual(['next']);
    order.reserve(1000);
    order.drop();
    expect(order.emit(final('after drop', 2000))).toBe(true);
  });
});
