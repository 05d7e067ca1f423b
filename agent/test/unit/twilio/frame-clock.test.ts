import { describe, expect, it } from 'vitest';
import { FrameClock, LATE_FRAME_THRESHOLD_MS } from '../../../src/twilio/frame-clock.ts';

describe('FrameClock', () => {
  it('sees nothing wrong in a steady 20 ms stream with small jitter', () => {
    const c = new FrameClock();
    for (let i = 1; i <= 100; i++) {
      const o = c.observe(i, (i - 1) * 20, 50 + (i - 1) * 20 + (i % 3) * 5);
      expect(o).toMatchObject({ late: false, dropped: 0, outOfOrder: false });
    }
  });

  it('counts gaps in chunk numbers as dropped frames', () => {
    const c = new FrameClock();
    c.observe(1, 0, 0);
    expect(c.observe(2, 20, 20).dropped).toBe(0);
    expect(c.observe(6, 100, 100).dropped).toBe(3);
  });

  it('flags out-of-order frames as late', () => {
    const c = new FrameClock();
    c.observe(1, 0, 0);
    c.observe(2, 20, 20);
    expect(c.observe(2, 20, 21)).toMatchObject({ late: true, outOfOrder: true, dropped: 0 });
    expect(c.observe(3, 10, 40)).toMatchObject({ late: true, outOfOrder: true });
    expect(c.observe(3, 40, 40)).toMatchObject({ late: false, outOfOrder: false });
  });

  it('flags frames held up beyond the threshold relative to the best offset', () => {
    const c = new FrameClock();
    c.observe(1, 0, 10);
    c.observe(2, 20, 30);
    const o = c.observe(3, 40, 50 + LATE_FRAME_THRESHOLD_MS + 1);
    expect(o.late).toBe(true);
    expect(o.lagMs).toBe(LATE_FRAME_THRESHOLD_MS + 1);
    expect(c.observe(4, 60, 70 + LATE_FRAME_THRESHOLD_MS - 1).late).toBe(false);
  });
});
