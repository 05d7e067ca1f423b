import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultTurnComponents } from '../../../src/call/components.ts';
import { createVad } from '../../../src/turn/vad.ts';
import { GOLDEN_CASES, GOLDEN_FILE, goldenTrace } from './user-turns-golden.ts';

// Recorded from the caller-side pipeline before its per-frame and per-tick work was trimmed
// (docs/bench/cost.md, session 5): every VAD frame, endpointer output, session event, STT batch
// and utterance mark must come out the same, at the same clock time.
const golden = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as Record<string, string[]>;

describe('caller-side decisions are those of the recorded trace', () => {
  for (const c of GOLDEN_CASES) {
    it(c.name, () => {
      const expected = golden[c.name];
      expect(expected?.length).toBeGreaterThan(100);
      expect(goldenTrace(c)).toEqual(expected);
    });
  }

  it('the trace sees a change of timing: a VAD hangover 20 ms longer moves lines', () => {
    const c = GOLDEN_CASES[0]!;
    const later = goldenTrace(c, {
      ...defaultTurnComponents,
      createVad: (config) => createVad({ vadHangoverMs: config.vadHangoverMs + 20 }),
    });
    expect(later).not.toEqual(golden[c.name]);
  });
});
