// The profile's floor for bench:turn (agent/bench/turn-floor.ts): an oracle agent under the
// profile's own distributions and the Speech emulator's rules (sim/speech/stream.ts).
import { describe, expect, it } from 'vitest';
import { floorTable, lastWordShownMs, profileFloor, simulateFloorTurn } from '../../../bench/turn-floor.ts';
import { EMBEDDED_REFERENCE_PROFILE, seededRandom, type ReferenceProfile } from '../../../src/sim/profile.ts';

/** p50 = p95: the log-normal draw is exactly the median, so every turn is the same. */
const fixed = (ms: number): { p50: number; p95: number } => ({ p50: ms, p95: ms });
const profile = (stt: Partial<Record<keyof ReferenceProfile['stt'], number>>): ReferenceProfile => ({
  stt: {
    firstPartialAfterSpeechStartMs: fixed(stt.firstPartialAfterSpeechStartMs ?? 450),
    interimIntervalMs: fixed(stt.interimIntervalMs ?? 200),
    interimLagBehindAudioMs: fixed(stt.interimLagBehindAudioMs ?? 300),
    finalAfterSpeechEndMs: fixed(stt.finalAfterSpeechEndMs ?? 1000),
    oneShotRecognizeMs: fixed(900),
    streamOpenMs: fixed(80),
  },
  llm: { timeToFirstTokenMs: fixed(350), tokensPerSecond: 80 },
  tts: { timeToFirstAudioMs: fixed(200), realtimeFactor: 5 },
});

describe('lastWordShownMs', () => {
  // Ticks from the emulator's VAD start (-2500 + 60 ms) + 450, then every interval.
  it('is the first interim tick at which the caller was silent 350 ms and the covered audio reached the speech end', () => {
    // Ticks at ..., -190, 10, 210, 410: at 410 the audio received is 400 ms past the end, 100 covered.
    expect(lastWordShownMs(profile({}), 2500, seededRandom(1))).toBeCloseTo(410, 6);
  });

  it('holds the last word back for 350 ms of silence even when the interims do not trail the audio', () => {
    // Lag 0, a tick every 100 ms: ticks at 10, 110, 210, 310 see less than 350 ms of silence.
    const p = profile({ interimLagBehindAudioMs: 0, interimIntervalMs: 100 });
    expect(lastWordShownMs(p, 2500, seededRandom(1))).toBeCloseTo(410, 6);
  });

  it('waits for the covered audio to reach the speech end, or for the emulator VAD end (500 ms)', () => {
    // Lag 450: at 410 the covered audio is -50; the VAD's hangover ended the utterance by 610.
    const p = profile({ interimLagBehindAudioMs: 450 });
    expect(lastWordShownMs(p, 2500, seededRandom(1))).toBeCloseTo(610, 6);
  });

  it('is the final when it comes before the next interim', () => {
    // A tick every 1000 ms (-1990, -990, 10, 1010): the final, due at the 500 ms hangover, is sooner.
    const p = profile({ interimIntervalMs: 1000, finalAfterSpeechEndMs: 300 });
    expect(lastWordShownMs(p, 2500, seededRandom(1))).toBeCloseTo(500, 6);
  });
});

describe('simulateFloorTurn', () => {
  it('adds the first token, the first audio (with a one-shot chunk paced by the realtime factor) and the frame clock', () => {
    const t = simulateFloorTurn(profile({}), { firstChunkAudioMs: 500 }, seededRandom(3));
    expect(t.decidedMs).toBeCloseTo(410, 6);
    expect(t.firstTokenMs).toBeCloseTo(760, 6);
    expect(t.firstAudioMs).toBeCloseTo(1060, 6);
    expect(t.totalMs).toBeGreaterThanOrEqual(1059.999);
    expect(t.totalMs).toBeLessThan(1080);
  });
});

describe('profileFloor', () => {
  it('is reproducible for a seed and never decides before the 350 ms words-finished silence', () => {
    const a = profileFloor(EMBEDDED_REFERENCE_PROFILE, { turns: 2000, seed: 5 });
    expect(profileFloor(EMBEDDED_REFERENCE_PROFILE, { turns: 2000, seed: 5 })).toEqual(a);
    const random = seededRandom(9);
    for (let i = 0; i < 2000; i++) {
      expect(lastWordShownMs(EMBEDDED_REFERENCE_PROFILE, 2500, random)).toBeGreaterThanOrEqual(350);
    }
  });

  it('puts the reference profile floor near the sum of its stage medians (about 1.05 s)', () => {
    const total = profileFloor(EMBEDDED_REFERENCE_PROFILE, { turns: 5000 }).stages.find(
      (s) => s.name === 'total',
    )!;
    expect(total.p50).toBeGreaterThan(0.95);
    expect(total.p50).toBeLessThan(1.15);
    expect(total.p95).toBeGreaterThan(total.p50 + 0.25);
  });
});

describe('floorTable', () => {
  it('prints each stage measured beside the floor and how far above it (signed)', () => {
    const floor = {
      turns: 1,
      stages: [
        { name: 'total', p50: 1, p95: 1.5, p99: 2 },
        { name: 'LLM first token', p50: 0.8, p95: 1.2, p99: 1.4 },
      ],
    };
    const rows = floorTable(floor, new Map([['total', [1.2, 1.2, 1.9]]]));
    expect(rows[2]).toBe(
      '| total | 1.200 / 1.900 / 1.900 | 1.000 / 1.500 / 2.000 | +0.200 / +0.400 / -0.100 |',
    );
    expect(rows[3]).toBe('| LLM first token | - / - / - | 0.800 / 1.200 / 1.400 | - / - / - |');
  });
});
