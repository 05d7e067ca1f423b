// streamFile on fake time: frames, batches and VAD marks as a call sends them, latencies from
// the moments the speech was sent, and the end of a file decided by the finals, not a timer.
import { describe, expect, it } from 'vitest';
import { MULAW_SILENCE } from '../../../src/audio/mulaw.ts';
import { streamFile, type EvalClock } from '../../../src/eval/stream-file.ts';
import type {
  AudioChunk,
  SttListener,
  SttSessionContext,
  SttStream,
  StreamingStt,
} from '../../../src/stt/types.ts';
import { TONE_MULAW } from './tone.ts';

/** A clock that only moves when the code under test sleeps. */
function fakeClock(): EvalClock & { t: number } {
  const c = {
    t: 1000,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += Math.max(0, ms);
      await Promise.resolve();
    },
  };
  return c;
}

/**
 * A recogniser that answers on the audio clock: a partial 200 ms of audio after speech starts
 * and a final 300 ms of audio after each markUtterance, with `text`.
 */
class AudioClockStt implements StreamingStt {
  readonly name = 'audio-clock';
  writes: AudioChunk[] = [];
  marks: Array<[number, number]> = [];
  closed = false;
  private readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  open(ctx: SttSessionContext, listener: SttListener): SttStream {
    let partialDue: number | undefined;
    const finalsDue: number[] = [];
    const writes = this.writes;
    const marks = this.marks;
    const text = this.text;
    const onClose = (): void => {
      this.closed = true;
    };
    return {
      state: 'streaming',
      write(chunk) {
        writes.push(chunk);
        const end = chunk.audioTimeMs + chunk.mulaw.length / 8;
        if (partialDue === undefined && chunk.mulaw.some((b) => b !== MULAW_SILENCE)) partialDue = end + 200;
        if (partialDue !== undefined && partialDue > 0 && end >= partialDue) {
          listener.onPartial({ text: 'חלקי', stability: 0.5, audioTimeMs: end, receivedAtMs: ctx.now() });
          partialDue = -1;
        }
        while (finalsDue.length > 0 && end >= finalsDue[0]!) {
          finalsDue.shift();
          listener.onFinal({
            text,
            confidence: 0.9,
            audioStartMs: 0,
            audioEndMs: end,
            receivedAtMs: ctx.now(),
          });
        }
      },
      markUtterance(start, end) {
        marks.push([start, end]);
        finalsDue.push(end + 300);
      },
      close: async () => onClose(),
    };
  }
}

const silence = (ms: number): Buffer => Buffer.alloc(ms * 8, MULAW_SILENCE);
const tone = (ms: number): Buffer => Buffer.concat(Array.from({ length: ms / 20 }, () => TONE_MULAW));

describe('streamFile', () => {
  it('streams in real time on the clock, batches, marks the utterance and measures latencies', async () => {
    const clock = fakeClock();
    const stt = new AudioClockStt('שלום לך');
    const audio = Buffer.concat([silence(400), tone(600), silence(400)]);
    const r = await streamFile({
      stt,
      config: { sttBatchMs: 100, vadHangoverMs: 200 },
      callId: 'c1',
      mulaw: audio,
      clock,
      tailMs: 500,
      settleMs: 3000,
    });
    expect(r.hypothesis).toBe('שלום לך');
    expect(r.utterances).toBe(1);
    expect(r.audioMs).toBe(1400);
    // Batches of 100 ms on a contiguous call clock.
    expect(stt.writes.every((w, i) => w.audioTimeMs === i * 100 && w.mulaw.length === 800)).toBe(true);
    // One VAD utterance, marked around the tone.
    expect(stt.marks).toHaveLength(1);
    const [start, end] = stt.marks[0]!;
    expect(start).toBeGreaterThanOrEqual(380);
    expect(start).toBeLessThanOrEqual(420);
    expect(end).toBeGreaterThanOrEqual(800); // the VAD may end on a weak last frame
    expect(end).toBeLessThanOrEqual(1020);
    // Real-time pacing: latencies are the recogniser's audio delays (+ one batch at most).
    expect(r.firstPartialMs).toBeGreaterThanOrEqual(200);
    expect(r.firstPartialMs).toBeLessThanOrEqual(300);
    expect(r.finalMs).toBeGreaterThanOrEqual(300);
    expect(r.finalMs).toBeLessThanOrEqual(600);
    expect(stt.closed).toBe(true);
    // Stopped once settled, long before the settle deadline.
    expect(clock.t - 1000).toBeLessThan(1400 + 500 + 500);
  });

  it('fast mode sends the recording without waiting; the tail is still real time', async () => {
    const clock = fakeClock();
    const stt = new AudioClockStt('כן');
    const r = await streamFile({
      stt,
      config: { sttBatchMs: 80, vadHangoverMs: 200 },
      callId: 'c2',
      mulaw: Buffer.concat([silence(200), tone(400), silence(2000)]),
      clock,
      fast: true,
      tailMs: 400,
    });
    expect(r.hypothesis).toBe('כן');
    // Only the tail took clock time.
    expect(clock.t - 1000).toBeLessThanOrEqual(400 + 20);
  });

  it('gives up at the settle deadline when no final comes, and reports no final latency', async () => {
    const clock = fakeClock();
    const mute: StreamingStt = {
      name: 'mute',
      open: () => ({ state: 'streaming', write: () => undefined, close: async () => undefined }),
    };
    const r = await streamFile({
      stt: mute,
      config: { sttBatchMs: 80, vadHangoverMs: 200 },
      callId: 'c3',
      mulaw: Buffer.concat([tone(400), silence(400)]),
      clock,
      tailMs: 200,
      settleMs: 1000,
    });
    expect(r).toMatchObject({
      hypothesis: '',
      finals: [],
      utterances: 1,
      firstPartialMs: undefined,
      finalMs: undefined,
    });
    expect(clock.t - 1000).toBeGreaterThanOrEqual(800 + 1200);
    expect(clock.t - 1000).toBeLessThanOrEqual(800 + 1200 + 40);
  });
});
