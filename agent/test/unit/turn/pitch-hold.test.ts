// The endpointer with the prosody cue (turn/end-of-turn.ts pitchCanHold, ENDPOINT_LEVEL_PITCH_SILENCE_MS):
// on a recognizer that does not punctuate interims (Google), a pause after words that could end
// the turn but spoken with a level pitch is a caller holding the turn mid-sentence; and the
// preemptive pause report waits as long before a mid-sentence pause's decision as before an
// ordinary one. Synthetic voice through the real VAD, scripted STT, fake time.
import { describe, expect, it } from 'vitest';
import {
  concat,
  dbToAmplitude,
  scaleToRms,
  silence,
  speechLike,
  type Signal,
} from '../../../src/sim/synthetic-audio.ts';
import { runTimeline, testConfig, type SttScript } from './timeline.ts';

const VOICE = dbToAmplitude(-20);
/** Voice 500-1500, a pause of `pauseMs`, voice again for 800 ms. */
const withPause = (pauseMs: number) =>
  concat(silence(500), speechLike(1000, VOICE, 3), silence(pauseMs), speechLike(800, VOICE, 5));
/** Voice 500-2000 and nothing after. */
const oneSentence = () => concat(silence(500), speechLike(1500, VOICE, 3));

/** A harmonic voice whose pitch glides from `fromHz` to `toHz` (a statement's final fall). */
function fallingVoice(ms: number, fromHz: number, toHz: number, level: number): Signal {
  const n = Math.round(ms * 8);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * (fromHz + ((toHz - fromHz) * i) / n)) / 8000;
    let v = 0;
    for (let h = 1; h <= 12; h++) v += Math.sin(h * phase) / h;
    out[i] = v;
  }
  return scaleToRms(out, level);
}

const HEAD = 'הזמנתי מכם מקרר';
const FULL = 'הזמנתי מכם מקרר לפני שבועיים';
/** Google-like: unpunctuated interims, the head repeated (agreed) in the pause. */
const pauseScript = (resumeAtMs: number): SttScript[] => [
  { atMs: 1000, kind: 'partial', text: 'הזמנתי מכם', stability: 0.01, audioTimeMs: 1000 },
  { atMs: 1550, kind: 'partial', text: HEAD, stability: 0.01, audioTimeMs: 1500 },
  { atMs: 1750, kind: 'partial', text: HEAD, stability: 0.01, audioTimeMs: 1700 },
  {
    atMs: resumeAtMs + 400,
    kind: 'partial',
    text: `${HEAD} לפני`,
    stability: 0.01,
    audioTimeMs: resumeAtMs + 400,
  },
  { atMs: resumeAtMs + 900, kind: 'partial', text: FULL, stability: 0.01, audioTimeMs: resumeAtMs + 800 },
  { atMs: resumeAtMs + 1100, kind: 'partial', text: FULL, stability: 0.01, audioTimeMs: resumeAtMs + 800 },
];
const endScript = (text: string): SttScript[] => [
  { atMs: 1000, kind: 'partial', text: 'הזמנתי מכם', stability: 0.01, audioTimeMs: 1000 },
  { atMs: 2050, kind: 'partial', text, stability: 0.01, audioTimeMs: 2000 },
  { atMs: 2250, kind: 'partial', text, stability: 0.01, audioTimeMs: 2200 },
];
const silentAtEnd = (r: ReturnType<typeof runTimeline>) => r.turns[0]!.endedAtMs - r.turns[0]!.speechEndMs!;

describe('a level pitch holds an unpunctuated transcript open', () => {
  it('an 800 ms pause after words that could end the turn, spoken level: no turn until the caller finished', () => {
    const r = runTimeline(withPause(800), pauseScript(2300), testConfig(), 4000, { prosody: 'level' });
    expect(r.turns.map((t) => t.transcript)).toEqual([FULL]);
  });

  it('the same pause with a falling pitch ends the turn in the pause (settled partial), as before', () => {
    const r = runTimeline(withPause(800), pauseScript(2300), testConfig(), 4000, { prosody: 'fall' });
    expect(r.turns[0]).toMatchObject({ transcript: HEAD, rule: 'settledPartial' });
  });

  it('a caller who really stopped on a level pitch is answered after ENDPOINT_LEVEL_PITCH_SILENCE_MS', () => {
    const r = runTimeline(oneSentence(), endScript(FULL), testConfig(), 4000, { prosody: 'level' });
    expect(r.turns).toHaveLength(1);
    expect(silentAtEnd(r)).toBeGreaterThanOrEqual(1000);
    expect(silentAtEnd(r)).toBeLessThan(1060);
    const short = runTimeline(
      oneSentence(),
      endScript(FULL),
      testConfig({ endpointLevelPitchSilenceMs: 700 }),
      4000,
      {
        prosody: 'level',
      },
    );
    expect(silentAtEnd(short)).toBeGreaterThanOrEqual(700);
    expect(silentAtEnd(short)).toBeLessThan(760);
  });

  it('does not hold a question, a punctuating recognizer, or when switched off (0)', () => {
    const question = runTimeline(oneSentence(), endScript('מה שעות הפתיחה שלכם'), testConfig(), 4000, {
      prosody: 'level',
    });
    expect(silentAtEnd(question)).toBeLessThan(460);
    const off = runTimeline(
      oneSentence(),
      endScript(FULL),
      testConfig({ endpointLevelPitchSilenceMs: 0 }),
      4000,
      {
        prosody: 'level',
      },
    );
    expect(silentAtEnd(off)).toBeLessThan(460);
    const punctuated: SttScript[] = [
      { atMs: 1000, kind: 'partial', text: 'הזמנתי מכם,', stability: 0.9, audioTimeMs: 1000 },
      { atMs: 2050, kind: 'partial', text: `${FULL}.`, stability: 0.9, audioTimeMs: 2000 },
    ];
    const p = runTimeline(oneSentence(), punctuated, testConfig(), 4000, { prosody: 'level' });
    expect(p.turns[0]).toMatchObject({ rule: 'earlyFinal' });
    expect(silentAtEnd(p)).toBeLessThan(260);
  });

  it("Google's final inside a level-pitch pause does not end the turn; its words are kept", () => {
    const script: SttScript[] = [
      ...pauseScript(2400).slice(0, 3),
      { atMs: 2350, kind: 'final', text: `${HEAD}.`, audioStartMs: 500, audioEndMs: 1500 },
      { atMs: 2800, kind: 'partial', text: 'לפני', stability: 0.01, audioTimeMs: 2800 },
      { atMs: 3300, kind: 'partial', text: 'לפני שבועיים', stability: 0.01, audioTimeMs: 3200 },
      { atMs: 3500, kind: 'partial', text: 'לפני שבועיים', stability: 0.01, audioTimeMs: 3200 },
    ];
    const level = runTimeline(withPause(900), script, testConfig(), 4000, { prosody: 'level' });
    expect(level.turns.map((t) => t.transcript)).toEqual([`${HEAD}. לפני שבועיים`]);
    const fall = runTimeline(withPause(900), script, testConfig(), 4000, { prosody: 'fall' });
    expect(fall.turns[0]).toMatchObject({ transcript: HEAD, rule: 'settledPartial' });
  });

  it('the real tracker: a monotone voice (speechLike, 140 Hz) is held; the same voice ending in a fall is not', () => {
    const level = runTimeline(oneSentence(), endScript(FULL), testConfig(), 4000, { prosody: 'tracker' });
    expect(silentAtEnd(level)).toBeGreaterThanOrEqual(1000);
    const falling = concat(silence(500), speechLike(1200, VOICE, 3), fallingVoice(300, 140, 95, VOICE));
    const fall = runTimeline(falling, endScript(FULL), testConfig(), 4000, { prosody: 'tracker' });
    expect(fall.turns[0]).toMatchObject({ rule: 'settledPartial' });
    expect(silentAtEnd(fall)).toBeLessThan(460);
  });
});

describe('the preemptive pause report waits for a mid-sentence pause', () => {
  const pausedAt = (r: ReturnType<typeof runTimeline>) => {
    const p = r.outputs.find((o) => o.type === 'callerPaused');
    const end = r.vadFrames.find((f) => f.event === 'speechEnd');
    return p && end ? p.outAtMs - end.eventTimeMs! : undefined;
  };

  it('level pitch: reported ENDPOINT_MIN_SILENCE_MS - LLM_PREEMPTIVE_SILENCE_MS before the decision, not at 100 ms', () => {
    const level = runTimeline(oneSentence(), endScript(FULL), testConfig(), 4000, { prosody: 'level' });
    expect(pausedAt(level)).toBeGreaterThanOrEqual(720);
    expect(pausedAt(level)).toBeLessThan(780);
    const fall = runTimeline(oneSentence(), endScript(FULL), testConfig(), 4000, { prosody: 'fall' });
    expect(pausedAt(fall)).toBeLessThanOrEqual(240);
  });

  it('a punctuating recognizer whose interim has no sentence end: reported before ENDPOINT_INCOMPLETE_SILENCE_MS, not at 220 ms', () => {
    const script: SttScript[] = [
      { atMs: 800, kind: 'partial', text: 'שלום,', stability: 0.9, audioTimeMs: 800 },
      { atMs: 1900, kind: 'partial', text: 'שלום, הזמנתי מכם מקרר', stability: 0.9, audioTimeMs: 1900 },
    ];
    const r = runTimeline(oneSentence(), script, testConfig(), 4000);
    expect(pausedAt(r)).toBeGreaterThanOrEqual(920);
    // And its interims, which cannot end the turn, are marked so (no preemptive start on them).
    expect(r.partials.at(-1)).toMatchObject({ couldEnd: false });
  });
});
