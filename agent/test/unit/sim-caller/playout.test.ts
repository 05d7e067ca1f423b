import { describe, expect, it } from 'vitest';
import { PlayoutBuffer } from '../../../src/sim/caller/playout.ts';

describe('PlayoutBuffer (Twilio playout model)', () => {
  it('plays audio at 8 bytes/ms from arrival, queued back to back', () => {
    const p = new PlayoutBuffer();
    expect(p.enqueueAudio(100, 800)).toEqual({ startMs: 100, endMs: 200 });
    expect(p.enqueueAudio(150, 160)).toEqual({ startMs: 200, endMs: 220 });
    expect(p.bufferedMs(150)).toBe(70);
    expect(p.isPlaying(219)).toBe(true);
    expect(p.isPlaying(220)).toBe(false);
    // Idle again: new audio starts when it arrives, not when the old audio ended.
    expect(p.enqueueAudio(500, 160)).toEqual({ startMs: 500, endMs: 520 });
  });

  it('echoes a mark at once when nothing is buffered', () => {
    const p = new PlayoutBuffer();
    expect(p.addMark(0, 'a')).toBe(true);
    p.enqueueAudio(10, 160);
    expect(p.addMark(40, 'b')).toBe(true); // the 20 ms played out by 30
  });

  it('echoes a mark when the audio sent before it has played, in order', () => {
    const p = new PlayoutBuffer();
    p.enqueueAudio(0, 8000); // 1 s
    expect(p.addMark(5, 'm1')).toBe(false);
    p.enqueueAudio(6, 1600); // +200 ms
    expect(p.addMark(7, 'm2')).toBe(false);
    expect(p.nextMarkDueMs()).toBe(1000);
    expect(p.takeDueMarks(999)).toEqual([]);
    expect(p.takeDueMarks(1000)).toEqual(['m1']);
    expect(p.nextMarkDueMs()).toBe(1200);
    expect(p.takeDueMarks(5000)).toEqual(['m2']);
    expect(p.pendingCount).toBe(0);
  });

  it('keeps FIFO order for a mark sent while earlier ones are due but not yet echoed', () => {
    const p = new PlayoutBuffer();
    p.enqueueAudio(0, 160);
    expect(p.addMark(0, 'first')).toBe(false);
    expect(p.addMark(30, 'second')).toBe(false); // 'first' is due but still pending: must not overtake it
    expect(p.takeDueMarks(30)).toEqual(['first', 'second']);
  });

  it('clear drops unplayed audio and releases every pending mark', () => {
    const p = new PlayoutBuffer();
    p.enqueueAudio(0, 16000); // 2 s
    p.addMark(0, 'x');
    p.enqueueAudio(0, 800);
    p.addMark(0, 'y');
    const r = p.clear(500);
    expect(r.echoed).toEqual(['x', 'y']);
    expect(r.discardedMs).toBe(1600);
    expect(p.pendingCount).toBe(0);
    expect(p.isPlaying(500)).toBe(false);
    expect(p.addMark(500, 'z')).toBe(true);
    expect(p.enqueueAudio(600, 160).startMs).toBe(600);
  });
});
