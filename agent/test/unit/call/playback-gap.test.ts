import { describe, expect, it } from 'vitest';
import { playbackGapMs, type PlaybackSegment } from '../../../src/call/playback.ts';

let nextId = 1;
/** A segment whose first byte left at `sentAt` ms, carrying `audioMs` of 8 kHz mu-law. */
const seg = (sentAt: number | undefined, audioMs: number): PlaybackSegment => ({
  id: nextId++,
  kind: 'answer',
  turnId: 1,
  text: 'x',
  state: 'played',
  bytes: audioMs * 8,
  markName: undefined,
  firstSentAtMs: sentAt,
  resolvedAtMs: undefined,
});

describe('playbackGapMs', () => {
  it('is 0 when each sentence is sent before the previous one finishes playing', () => {
    expect(playbackGapMs([seg(1000, 600), seg(1500, 2000), seg(1700, 1000)])).toBe(0);
  });

  it('adds the silence before each late sentence, playing from the later of send time and the previous end', () => {
    // first plays 1000-1600, second sent at 1800 (gap 200) plays 1800-2300, third sent at 2400 (gap 100)
    expect(playbackGapMs([seg(1000, 600), seg(1800, 500), seg(2400, 100)])).toBe(300);
  });

  it('queued audio pushes the cursor: a sentence sent early plays after the backlog', () => {
    // 1000-3000, then 3000-3500 (sent at 1100, queued), third sent at 3600: gap 100
    expect(playbackGapMs([seg(1000, 2000), seg(1100, 500), seg(3600, 100)])).toBe(100);
  });

  it('ignores segments that sent no audio', () => {
    expect(playbackGapMs([seg(1000, 500), seg(undefined, 0), seg(1500, 500)])).toBe(0);
    expect(playbackGapMs([])).toBe(0);
  });
});
