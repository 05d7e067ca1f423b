import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVad } from '../../../src/turn/vad.ts';
import { vadTrace } from './vad-trace.ts';

// Recorded from the VAD before its one-pass rewrite (filter, energy and peak in one loop, ring
// buffers instead of arrays): every decision, event and event time must stay the same.
const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'vad', 'golden-trace.json'), 'utf8'),
) as Record<'hangover220' | 'hangover0' | 'tuned', string[]>;

describe('energy VAD decisions are those of the recorded trace', () => {
  it('default tuning, hangover 220 ms', () => {
    expect(vadTrace(() => createVad({ vadHangoverMs: 220 }))).toEqual(golden.hangover220);
  });
  it('hangover 0', () => {
    expect(vadTrace(() => createVad({ vadHangoverMs: 0 }))).toEqual(golden.hangover0);
  });
  it('short onset window, short stationarity window, wider margin', () => {
    const tuning = { onsetFrames: 2, onsetWindowFrames: 3, stationaryFrames: 10, marginDb: 6 };
    expect(vadTrace(() => createVad({ vadHangoverMs: 300, vadTuning: tuning }))).toEqual(golden.tuned);
  });
  it('rejects frame counts that are not whole numbers', () => {
    expect(() => createVad({ vadHangoverMs: 0, vadTuning: { onsetFrames: 2.5 } })).toThrow(/onsetFrames/);
    expect(() => createVad({ vadHangoverMs: 0, vadTuning: { onsetWindowFrames: -1 } })).toThrow(
      /onsetWindowFrames/,
    );
    expect(() => createVad({ vadHangoverMs: 0, vadTuning: { stationaryFrames: Number.NaN } })).toThrow(
      /stationaryFrames/,
    );
  });
  it('a window of zero frames: speech starts on the first voiced frame and steady level is never adopted', () => {
    const vad = createVad({
      vadHangoverMs: 0,
      vadTuning: { onsetFrames: 0, onsetWindowFrames: 0, stationaryFrames: 0 },
    });
    const loud = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin(i / 3)));
    expect(vad.process(loud, 0)).toMatchObject({ voiced: true, event: 'speechStart', eventTimeMs: 0 });
    for (let i = 1; i < 60; i++) expect(vad.process(loud, i * 20).voiced).toBe(true);
  });
});
