import { describe, expect, it } from 'vitest';
import { AgentTalk, type WaitUntil } from '../../../src/sim/caller/agent-talk.ts';

/** waitDone with 600 ms of quiet and 20 ms checks. */
const done = (
  talk: AgentTalk,
  until: WaitUntil,
  waitStartMs: number,
  atMs: number,
  replyFromMs = -Infinity,
) => talk.waitDone(until, { waitStartMs, replyFromMs, atMs, quietMs: 600, frameMs: 20 });

describe('AgentTalk: when the simulated caller hears the agent', () => {
  it("waits for 'start' until audio overlapping the wait plays, and for 'end' until quiet after it", () => {
    const talk = new AgentTalk();
    expect(talk.silentSoFar).toBe(true);
    expect(done(talk, 'start', 0, 100)).toBe(false);
    talk.onAudible(200, 200, 1200);
    expect(talk.silentSoFar).toBe(false);
    expect(done(talk, 'start', 0, 180)).toBe(false);
    expect(done(talk, 'start', 0, 220)).toBe(true);
    expect(done(talk, 'end', 0, 1700)).toBe(false);
    expect(done(talk, 'end', 0, 1800)).toBe(true);
    // Audio that ended before a wait began does not end it.
    expect(done(talk, 'end', 1300, 2000)).toBe(false);
  });

  it('keeps one run while audio queues back to back, and starts a new one after a gap', () => {
    const talk = new AgentTalk();
    talk.onAudible(100, 100, 600);
    talk.onAudible(300, 600, 1100);
    expect([talk.runStart, talk.runEnd, talk.runReceivedMs]).toEqual([100, 1100, 100]);
    talk.onAudible(1500, 1500, 1900);
    expect([talk.runStart, talk.runEnd, talk.runReceivedMs]).toEqual([1500, 1900, 1500]);
  });

  it('after a clear the agent is silent: a wait begun after it needs new audio (a barge-in answer)', () => {
    const talk = new AgentTalk();
    // The answer arrives ahead of playout: queued to play until 5000.
    talk.onAudible(1000, 1000, 5000);
    // The caller barges in; the agent clears at 2200, the caller's line ends at 2600.
    talk.onClear(2200);
    expect(talk.runEnd).toBe(2200);
    // Its wait for the answer began at 2600: the discarded audio (to 5000) must not end it.
    expect(done(talk, 'end', 2600, 5600)).toBe(false);
    expect(done(talk, 'end', 2600, 9000)).toBe(false);
    // The answer to the barge-in, 3 s later: a new run, and the wait ends after it.
    talk.onAudible(5600, 5600, 6400);
    expect(talk.runStart).toBe(5600);
    expect(done(talk, 'end', 2600, 7000)).toBe(true);
  });

  it('the rest of an answer the caller talked over, cleared after the caller stopped, is no reply', () => {
    const talk = new AgentTalk();
    talk.onAudible(1000, 1000, 3000);
    // The caller's voice ends at 2000 (its wait starts at 2100); the agent notices late and clears at 2600.
    talk.onAudible(2100, 3000, 4000); // the next sentence, queued behind the first
    talk.onClear(2600);
    expect(done(talk, 'end', 2100, 3300, 2000)).toBe(false);
    expect(done(talk, 'start', 2100, 2500, 2000)).toBe(false);
    // The answer: begun after the voice ended.
    talk.onAudible(3800, 3800, 4400);
    expect(done(talk, 'start', 2100, 3820, 2000)).toBe(true);
    expect(done(talk, 'end', 2100, 5000, 2000)).toBe(true);
  });

  it('a clear after the queued audio has played changes nothing', () => {
    const talk = new AgentTalk();
    talk.onAudible(0, 0, 800);
    talk.onClear(1000);
    expect(talk.runEnd).toBe(800);
  });
});
