import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BARGE_IN_AFTER_MS,
  callSidFor,
  parseTranscripts,
  planCall,
  rampMsFor,
  selectFixtures,
  slotStartMs,
  thinkTimeMs,
} from '../../../bench/capacity/conversation.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'audio');
const fixtures = selectFixtures(
  parseTranscripts(readFileSync(join(FIXTURES, 'transcripts.tsv'), 'utf8')),
  parseTranscripts(readFileSync(join(FIXTURES, 'pauses', 'transcripts.tsv'), 'utf8'), 'pauses'),
);

describe('planCall', () => {
  it('is a multi-turn call with a paused sentence and one barge-in over an answer', () => {
    const p = planCall('abc123', 7, fixtures, FIXTURES);
    expect(p.turns).toEqual(['hello', p.turns[1], 'question', 'thanks (barge-in)', 'address']);
    expect(p.turns[1]).toMatch(/^p\d{3}$/);
    expect(p.lines).toHaveLength(5);
    expect(p.lines[1]).toContain('|'); // the pause set marks the caller's pause
    expect(p.bargeInTurn).toBe(3);
    // The barge-in is played once the answer to the question has started, not after it ended.
    const kinds = p.script.map((s) => (s.kind === 'waitForAgent' ? `wait:${s.until}` : s.kind));
    const q = p.script.findIndex((s) => s.kind === 'play' && s.label === 'question');
    expect(kinds.slice(q, q + 4)).toEqual(['play', 'wait:start', 'silence', 'play']);
    expect(p.script[q + 2]).toEqual({ kind: 'silence', ms: BARGE_IN_AFTER_MS });
    expect(p.script[p.script.length - 1]).toEqual({ kind: 'stop' });
    for (const s of p.script)
      if (s.kind === 'play' && 'file' in s) expect(s.file.startsWith(FIXTURES)).toBe(true);
  });

  it('is deterministic per index and rotates through the pause set', () => {
    expect(planCall('r', 3, fixtures, FIXTURES)).toEqual(planCall('r', 3, fixtures, FIXTURES));
    const paused = new Set(
      Array.from({ length: fixtures.paused.length }, (_, i) => planCall('r', i, fixtures, FIXTURES).turns[1]),
    );
    expect(paused.size).toBe(fixtures.paused.length);
  });

  it('refuses an empty pause set', () => {
    expect(() => planCall('r', 0, { ...fixtures, paused: [] }, FIXTURES)).toThrow(/pause set/);
  });
});

describe('call sids, think times, starts', () => {
  it('gives every call of a run its own Twilio-shaped sid', () => {
    const a = callSidFor('0123456789abcdef99', 1);
    expect(a).toMatch(/^CA[0-9a-f]{32}$/);
    expect(callSidFor('0123456789abcdef99', 2)).not.toBe(a);
    expect(callSidFor('fedcba9876543210', 1)).not.toBe(a);
  });

  it('keeps think times within 0.4-1.6 s', () => {
    for (let i = 0; i < 50; i++)
      for (let t = 0; t < 4; t++) {
        expect(thinkTimeMs(i, t)).toBeGreaterThanOrEqual(400);
        expect(thinkTimeMs(i, t)).toBeLessThan(1600);
      }
  });

  it('spreads slot starts over the ramp and over the 20 ms frame cycle', () => {
    const starts = Array.from({ length: 100 }, (_, s) => slotStartMs(s, 100, 4000));
    expect(Math.min(...starts)).toBe(0);
    expect(Math.max(...starts)).toBeLessThan(4000 + 20);
    const phases = new Set(starts.map((t) => Math.floor(t % 20)));
    expect(phases.size).toBeGreaterThan(15);
  });

  it("starts a step's calls over about two-thirds of a call, so they do not turn in lockstep", () => {
    expect(rampMsFor(1)).toBe(1000);
    expect(rampMsFor(10)).toBe(6000);
    expect(rampMsFor(50)).toBe(30_000);
    expect(rampMsFor(400)).toBe(30_000);
    expect(rampMsFor(2000)).toBe(50_000); // 25 ms per call beyond 1 200
    expect(rampMsFor(100, 2.5)).toBe(2500); // --ramp
  });
});
