import { describe, expect, it } from 'vitest';
import { defaultTurnComponents } from '../../../src/call/components.ts';
import { FakeVad, createHarness } from './fakes.ts';

// The session feeds its batcher the VAD's voice decisions and the recognizer's partials/finals,
// so audio goes to Speech in idle batches while the caller listens and at once when they speak.
const SILENCE = 0xff; // mu-law digital silence
const LOUD = 0x00; // mu-law full scale: FakeVad calls it voiced

describe('user turns: STT batching follows the caller', () => {
  it('idle batches in silence; a voiced frame sends the waiting audio at once; a partial holds small batches', () => {
    const h = createHarness(
      { sttBatchMs: 80, sttIdleBatchMs: 320, sttSpeechBatchMs: 0 },
      { components: { ...defaultTurnComponents, createVad: () => new FakeVad() } },
    );
    const frame = (i: number, byte: number): void =>
      h.handler.onAudio({ mulaw: Buffer.alloc(160, byte), audioTimeMs: i * 20 });
    for (let i = 0; i < 36; i++) frame(i, SILENCE); // 720 ms: two idle batches, 80 ms waiting
    expect(h.stt.writes.map((c) => [c.audioTimeMs, c.mulaw.length / 8])).toEqual([
      [0, 320],
      [320, 320],
    ]);
    frame(36, LOUD);
    expect(h.stt.writes.at(-1)).toMatchObject({ audioTimeMs: 640 });
    expect(h.stt.writes.at(-1)!.mulaw.length / 8).toBe(100);
    for (let i = 37; i < 45; i++) frame(i, LOUD);
    expect(h.stt.writes.slice(3).map((c) => c.mulaw.length / 8)).toEqual([80, 80]);
    h.stt.listener!.onPartial({ text: 'שלום', stability: 0.9, audioTimeMs: 900, receivedAtMs: 1000 });
    for (let i = 45; i < 45 + 150; i++) frame(i, SILENCE); // 3 s of silence, no final yet
    expect(h.stt.writes.slice(5).every((c) => c.mulaw.length === 640)).toBe(true);
    h.stt.listener!.onFinal({
      text: 'שלום.',
      confidence: 0.9,
      audioStartMs: 720,
      audioEndMs: 900,
      receivedAtMs: 4000,
    });
    const before = h.stt.writes.length;
    for (let i = 195; i < 195 + 40; i++) frame(i, SILENCE);
    expect(h.stt.writes.slice(before + 1).map((c) => c.mulaw.length / 8)).toContain(320);
  });

  it('speech batches while the caller talks; the first quiet frame sends what waits at once', () => {
    const h = createHarness(
      { sttBatchMs: 80, sttIdleBatchMs: 0, sttSpeechBatchMs: 160 },
      { components: { ...defaultTurnComponents, createVad: () => new FakeVad() } },
    );
    const frame = (i: number, byte: number): void =>
      h.handler.onAudio({ mulaw: Buffer.alloc(160, byte), audioTimeMs: i * 20 });
    for (let i = 0; i < 4; i++) frame(i, SILENCE);
    for (let i = 4; i < 4 + 22; i++) frame(i, LOUD); // 440 ms of voice
    const spans = (): number[][] => h.stt.writes.map((c) => [c.audioTimeMs, c.mulaw.length / 8]);
    expect(spans()).toEqual([
      [0, 80],
      [80, 80], // the batch opened after a quiet frame is a normal one
      [160, 160],
      [320, 160],
    ]);
    frame(26, SILENCE); // the pause begins: the 60 ms of voice waiting and this frame go now
    expect(spans().at(-1)).toEqual([480, 60]);
    for (let i = 27; i < 27 + 8; i++) frame(i, SILENCE);
    expect(spans().slice(5)).toEqual([
      [540, 80],
      [620, 80],
    ]);
  });
});
