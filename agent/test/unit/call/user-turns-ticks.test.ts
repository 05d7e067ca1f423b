import { describe, expect, it } from 'vitest';
import { FakeEndpointer, createHarness } from './fakes.ts';

// The shared 20 ms tick reaches a call's endpointer only while the endpointer can use it
// (needsTicks): with hundreds of calls, most of them listening, the idle ones cost nothing per tick.
const ticksFed = (ep: FakeEndpointer): number => ep.inputs.filter((i) => i.type === 'tick').length;

describe('user turns: the tick goes only to calls that need it', () => {
  it('no ticks while needsTicks is false; every tick while it is true; frames always', () => {
    const h = createHarness();
    // The harness's endpointer reports needsTicks as the test sets it (the session asks per tick).
    Object.assign(h.endpointer, { needsTicks: false });
    h.clock.advance(200);
    expect(ticksFed(h.endpointer)).toBe(0);
    h.audio('silence', 100);
    expect(h.endpointer.inputs.filter((i) => i.type === 'vad')).toHaveLength(5);
    expect(ticksFed(h.endpointer)).toBe(0);
    Object.assign(h.endpointer, { needsTicks: true });
    h.clock.advance(200);
    expect(ticksFed(h.endpointer)).toBe(10);
    Object.assign(h.endpointer, { needsTicks: false });
    h.clock.advance(200);
    expect(ticksFed(h.endpointer)).toBe(10);
  });

  it('an endpointer without needsTicks (undefined) gets every tick, as before', () => {
    const h = createHarness();
    h.clock.advance(200);
    expect(ticksFed(h.endpointer)).toBe(10);
  });
});
