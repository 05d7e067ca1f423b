import { describe, expect, it } from 'vitest';
import { MULAW_DECODE_TABLE } from '../../../src/audio/mulaw.ts';
import { defaultTurnComponents } from '../../../src/call/components.ts';
import type { Vad, VadFrame } from '../../../src/turn/types.ts';
import { createUserTurns } from '../../../src/call/user-turns.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeStt, createHarness } from './fakes.ts';

/** Records every frame the call's VAD is given: its time and a copy of its samples. */
class RecordingVad implements Vad {
  readonly frames: Array<{ atMs: number; samples: number[] }> = [];
  process(pcm: Int16Array, audioTimeMs: number): VadFrame {
    this.frames.push({ atMs: audioTimeMs, samples: [...pcm] });
    return { voiced: false, speech: false };
  }
  reset(): void {}
}

function run(chunks: Array<{ bytes: number; atMs: number }>): RecordingVad {
  const vad = new RecordingVad();
  const h = createHarness({}, { components: { ...defaultTurnComponents, createVad: () => vad } });
  let code = 0;
  for (const c of chunks) {
    const mulaw = Buffer.alloc(c.bytes);
    for (let i = 0; i < c.bytes; i++) mulaw[i] = code++ & 0xff;
    h.handler.onAudio({ mulaw, audioTimeMs: c.atMs });
  }
  return vad;
}

const decoded = (from: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => MULAW_DECODE_TABLE[(from + i) & 0xff]!);

describe('caller audio reaches the VAD as 20 ms frames', () => {
  it('a chunk of several frames: one frame per 160 samples, times 20 ms apart, samples decoded', () => {
    const vad = run([{ bytes: 480, atMs: 1000 }]);
    expect(vad.frames.map((f) => f.atMs)).toEqual([1000, 1020, 1040]);
    expect(vad.frames.map((f) => f.samples)).toEqual([decoded(0, 160), decoded(160, 160), decoded(320, 160)]);
  });

  it('frames of successive chunks do not share samples (the decode buffer is reused)', () => {
    const vad = run([
      { bytes: 160, atMs: 0 },
      { bytes: 160, atMs: 20 },
    ]);
    expect(vad.frames.map((f) => f.samples)).toEqual([decoded(0, 160), decoded(160, 160)]);
  });

  it('a chunk longer than the decode buffer (11 frames) and a partial frame at the end', () => {
    const vad = run([{ bytes: 11 * 160 + 40, atMs: 500 }]);
    expect(vad.frames.map((f) => f.atMs)).toEqual(Array.from({ length: 11 }, (_, k) => 500 + 20 * k));
    expect(vad.frames[10]?.samples).toEqual(decoded(1600, 160));
  });

  it('a chunk shorter than a frame is not given to the VAD', () => {
    expect(run([{ bytes: 100, atMs: 0 }]).frames).toEqual([]);
  });
});

describe('the barge-in rule asks whether the agent speaks only inside caller speech', () => {
  // Most frames of a call are the caller listening: the playback lookup is skipped there, and the
  // rule still sees the agent's state on every frame of a speech segment.
  it('silent frames do not ask; speech frames ask and still interrupt the agent', () => {
    let asked = 0;
    const frames: VadFrame[] = [
      ...Array.from({ length: 5 }, () => ({ voiced: false, speech: false })),
      { voiced: true, speech: true, event: 'speechStart' as const, eventTimeMs: 100 },
      ...Array.from({ length: 20 }, () => ({ voiced: true, speech: true })),
    ];
    let k = 0;
    const vad: Vad = { process: () => frames[Math.min(k++, frames.length - 1)]!, reset() {} };
    const bargeIns: number[] = [];
    const turns = createUserTurns(
      {
        config: defaultConfig({ bargeInMinMs: 100 }),
        components: { ...defaultTurnComponents, createVad: () => vad },
        stt: new FakeStt(),
        clock: new FakeClock(),
        callId: 'frames',
        logger: silentLogger,
        observer: undefined,
        agentSpeaking: () => {
          asked++;
          return true;
        },
        guard: (_where, fn, arg) => fn(arg as never),
      },
      {
        speechStarted() {},
        partial() {},
        turnEnded() {},
        lateFinal() {},
        bargeIn: (atMs) => bargeIns.push(atMs),
      },
    );
    const silence = Buffer.alloc(160, 0xff);
    for (let i = 0; i < 5; i++) turns.onAudio({ mulaw: silence, audioTimeMs: i * 20 });
    expect(asked).toBe(0);
    for (let i = 5; i < 26; i++) turns.onAudio({ mulaw: silence, audioTimeMs: i * 20 });
    expect(asked).toBe(21);
    expect(bargeIns).toEqual([180]);
  });
});
