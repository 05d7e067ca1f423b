// The VAD's decisions over a fixed set of signals, as compact text: what vad-golden.test.ts
// compares against agent/test/fixtures/vad/golden-trace.json, recorded from the frame-by-frame
// implementation before the one-pass rewrite (docs/bench/cost.md). Any change in a decision,
// event or event time shows up as a differing line.
import {
  clicks,
  concat,
  dbToAmplitude,
  frames,
  mixAt,
  pinkNoise,
  silence,
  speechLike,
  toPcm16,
  tone,
  whiteNoise,
  type Signal,
} from '../../../src/sim/synthetic-audio.ts';
import type { Vad } from '../../../src/turn/types.ts';
import { FIXTURE_TEXT, fixture } from './timeline.ts';

const VOICE = dbToAmplitude(-20);

export function traceSignals(): Array<[string, Signal]> {
  const out: Array<[string, Signal]> = [];
  for (const name of Object.keys(FIXTURE_TEXT)) {
    const clean = concat(silence(700), fixture(name), silence(900));
    out.push([`fixture ${name}`, clean]);
    out.push([
      `fixture ${name} + pink 10 dB`,
      mixAt(clean, pinkNoise((clean.length / 8000) * 1000, VOICE / 3, 4)),
    ]);
  }
  out.push(['silence', silence(2000)]);
  out.push(['clicks', concat(silence(300), clicks(2000, 90, 0.9))]);
  out.push(['tone', concat(silence(500), tone(3000, 440, VOICE), silence(500))]);
  out.push(['white -30 dB', whiteNoise(4000, dbToAmplitude(-30), 5)]);
  out.push([
    'speech over white 20 dB',
    mixAt(concat(silence(1000), speechLike(1500, VOICE, 8), silence(1000)), whiteNoise(3500, VOICE / 10, 9)),
  ]);
  out.push([
    'bursts',
    concat(
      ...Array.from({ length: 8 }, (_, i) =>
        concat(silence(300 + 40 * i), whiteNoise(60 + 20 * i, VOICE, i + 1)),
      ),
    ),
  ]);
  out.push(['loud speech-like', concat(speechLike(2000, 0.5, 11), silence(400), speechLike(700, 0.05, 12))]);
  return out;
}

/** One line per signal: run-length coded frames (v/- voiced, S/_ speech) and every event with its time. */
export function vadTrace(make: () => Vad): string[] {
  return traceSignals().map(([name, signal]) => {
    const vad = make();
    const parts: string[] = [];
    let last = '';
    let run = 0;
    frames(toPcm16(signal)).forEach((f, i) => {
      const r = vad.process(f, i * 20);
      const code = (r.voiced ? 'v' : '-') + (r.speech ? 'S' : '_');
      if (r.event !== undefined) {
        if (run > 0) parts.push(`${last}${run}`);
        parts.push(`${r.event}@${r.eventTimeMs}`);
        run = 0;
        last = '';
      }
      if (code === last) run++;
      else {
        if (run > 0) parts.push(`${last}${run}`);
        last = code;
        run = 1;
      }
    });
    if (run > 0) parts.push(`${last}${run}`);
    return `${name}: ${parts.join(' ')}`;
  });
}
