import { describe, expect, it } from 'vitest';
import { EchoTiming } from '../../../src/sim/caller/echo-timing.ts';
import { isDigitalSilence, TurnLedger, voicedEndByte } from '../../../src/sim/caller/turn-ledger.ts';

/** A clip of `voicedMs` of voice (a loud mu-law code) then `silentMs` of digital silence. */
function clip(voicedMs: number, silentMs: number): Uint8Array {
  return Uint8Array.from([
    ...Array<number>(voicedMs * 8).fill(0x10),
    ...Array<number>(silentMs * 8).fill(0xff),
  ]);
}

describe('TurnLedger: which agent audio answers which caller turn', () => {
  it('times the answer from the end of the clip, and credits it once', () => {
    const ledger = new TurnLedger();
    expect(ledger.startTurn('hello', 0, clip(800, 300))).toBe(0);
    expect(ledger.replyFromMs).toBe(800);
    expect(ledger.endTurn(1100).early).toBeUndefined();
    expect(ledger.onAudible(1700, 1700, 2500)).toEqual({ turn: 0, playStartMs: 1700 });
    expect(ledger.onAudible(1720, 2500, 2520)).toBeUndefined();
    expect(ledger.snapshot()[0]).toMatchObject({
      speechEndMs: 1100,
      agentAudioStartMs: 1700,
      latencyMs: 600,
    });
  });

  it("credits an answer begun in the clip's trailing silence at the clip's end, with a negative gap", () => {
    const ledger = new TurnLedger();
    ledger.startTurn('question', 0, clip(800, 300));
    // Audio while the clip still plays is not credited yet: the turn has not ended.
    expect(ledger.onAudible(950, 950, 1600)).toBeUndefined();
    expect(ledger.endTurn(1100).early).toEqual({ turn: 0, playStartMs: 950 });
    expect(ledger.snapshot()[0]!.latencyMs).toBe(-150);
  });

  it('does not take the rest of a talked-over answer for the reply to the clip that cut it', () => {
    const ledger = new TurnLedger();
    ledger.startTurn('first', 0, clip(500, 0));
    ledger.endTurn(500);
    ledger.onAudible(900, 900, 3000);
    // The caller barges in at 1200 while the answer is still queued to 3000.
    ledger.startTurn('barge-in', 1200, clip(500, 0));
    ledger.onMarkCleared('answer-0-1');
    expect(ledger.endTurn(1700).early).toBeUndefined();
    expect(ledger.onAudible(1720, 3000, 3020)).toBeUndefined();
    ledger.onClear(1750);
    expect(ledger.onAudible(2100, 2100, 2900)).toEqual({ turn: 1, playStartMs: 2100 });
    const [first, second] = ledger.snapshot();
    expect(first!.marksCleared).toEqual(['answer-0-1']);
    expect(second!.latencyMs).toBe(400);
  });

  it('notes the first answer wait after a clip and the marks played after it', () => {
    const ledger = new TurnLedger();
    ledger.onMarkPlayed('greeting-0-1', 100);
    ledger.startTurn('hello', 200, clip(400, 0));
    ledger.noteAnswerWait('heard');
    ledger.endTurn(600);
    ledger.onMarkPlayed('answer-1-1', 1500);
    ledger.noteAnswerWait('timed-out');
    ledger.noteAnswerWait('heard');
    expect(ledger.snapshot()[0]).toMatchObject({
      answerWait: 'timed-out',
      marksPlayed: ['answer-1-1'],
      firstMarkPlayedMs: 1500,
    });
  });

  it('finds digital silence and the end of the voice in a clip', () => {
    expect(isDigitalSilence(Uint8Array.from([0xff, 0x7f, 0xff]))).toBe(true);
    expect(isDigitalSilence(Uint8Array.from([0xff, 0x10]))).toBe(false);
    expect(voicedEndByte(clip(10, 5))).toBe(80);
    expect(voicedEndByte(clip(0, 5))).toBe(0);
  });
});

describe('EchoTiming: how steadily agent audio arrives', () => {
  it('measures lateness against the earliest transit of the talk spurt, and restarts after a gap', () => {
    const echo = new EchoTiming({ frameBytes: 160, lateFrameMs: 20, spurtGapMs: 200, measureRtt: false });
    echo.onEcho(1000, 160);
    echo.onEcho(1020, 160);
    echo.onEcho(1070, 160); // due at 1040: 30 ms late
    echo.onEcho(2000, 160); // a new spurt
    expect(echo.late).toBe(1);
    expect(echo.jitter.summary().maxMs).toBe(30);
    expect(echo.rtt).toBeUndefined();
  });

  it('times the round trip from the frame holding the echo’s last byte', () => {
    const echo = new EchoTiming({ frameBytes: 160, lateFrameMs: 20, spurtGapMs: 200, measureRtt: true });
    echo.onFrameSent(0);
    echo.onFrameSent(20);
    echo.onEcho(45, 240); // its last byte is in frame 1, sent at 20
    expect(echo.rtt!.summary().maxMs).toBe(25);
  });
});
