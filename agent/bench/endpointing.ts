// Endpointing benchmark: how often early finalization cuts a caller off (false early finals),
// and how much time it saves when it is right. Audio is the espeak-ng Hebrew fixtures through
// the real VAD; STT output is scripted like a streaming recognizer's. No timers: it runs on
// timestamps, so the figures are deterministic.
//
//   npx node agent/bench/endpointing.ts
//
// Continuation cases (the danger): the caller says sentence A, pauses P ms, then goes on with
// sentence B in the same turn, and the recognizer shows a punctuated interim "A." during the
// pause. An early final there (or a silence end) before B starts is a premature end.
// Complete cases (the benefit): one sentence; the early final should come well before the
// recognizer's final and before the silence rule.
import { defaultConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import {
  activeRms,
  concat,
  dbToAmplitude,
  mixAt,
  pinkNoise,
  silence,
  speechLabels,
  whiteNoise,
  type Signal,
} from '../src/sim/synthetic-audio.ts';
import {
  FIXTURE_TEXT,
  fixture,
  runTimeline,
  speechSpan,
  sttScriptFor,
  type SttScript,
} from '../test/unit/turn/timeline.ts';

const NAMES = ['hello', 'question', 'address', 'thanks', 'long'];
const PAUSES_MS = [150, 250, 350, 500, 700];
const STABILITIES = [0.5, 0.8, 0.9];
const FINAL_DELAY_MS = 700;
type Noise = 'clean' | 'pink 20 dB' | 'white 10 dB';
const NOISES: Noise[] = ['clean', 'pink 20 dB', 'white 10 dB'];

function addNoise(clean: Signal, noise: Noise, seed: number): Signal {
  if (noise === 'clean') return clean;
  const labels = speechLabels(clean);
  const ms = (clean.length / 8000) * 1000;
  const level = activeRms(clean, labels);
  return noise === 'pink 20 dB'
    ? mixAt(clean, pinkNoise(ms, level / dbToAmplitude(20), seed))
    : mixAt(clean, whiteNoise(ms, level / dbToAmplitude(10), seed));
}

interface ContinuationResult {
  cases: number;
  earlyPremature: number;
  /** Premature early finals in pauses shorter than ENDPOINT_MIN_SILENCE_MS (silence alone would not end there). */
  earlyPrematureShortPause: number;
  shortPauseCases: number;
  silencePremature: number;
  otherPremature: number;
  /** Premature silence/timeout ends in pauses shorter than ENDPOINT_MIN_SILENCE_MS (the VAD lost speech). */
  silencePrematureShortPause: number;
}

function continuation(config: Config, noise: Noise, stability: number): ContinuationResult {
  const r: ContinuationResult = {
    cases: 0,
    earlyPremature: 0,
    earlyPrematureShortPause: 0,
    shortPauseCases: 0,
    silencePremature: 0,
    otherPremature: 0,
    silencePrematureShortPause: 0,
  };
  let seed = 1;
  for (const [i, a] of NAMES.entries()) {
    const b = NAMES[(i + 1) % NAMES.length] as string;
    for (const pause of PAUSES_MS) {
      const audioA = fixture(a);
      const audioB = fixture(b);
      const lead = silence(800);
      const spanA = speechSpan(concat(lead, audioA));
      const bStartOffset = lead.length / 8 + audioA.length / 8 + pause;
      const spanBLocal = speechSpan(audioB);
      const spanB = { startMs: bStartOffset + spanBLocal.startMs, endMs: bStartOffset + spanBLocal.endMs };
      // Trim A's trailing silence so the real pause is `pause`.
      const aEnd = Math.round(spanA.endMs * 8);
      const bStart = Math.round(spanBLocal.startMs * 8);
      const clean = concat(
        concat(lead, audioA).subarray(0, aEnd),
        silence(pause),
        audioB.subarray(bStart),
        silence(300),
      );
      const realBStart = spanA.endMs + pause;
      const shift = realBStart - spanB.startMs;
      const textA = FIXTURE_TEXT[a] ?? '';
      const textB = FIXTURE_TEXT[b] ?? '';
      const script: SttScript[] = [
        ...sttScriptFor(textA, spanA, { stability }),
        ...sttScriptFor(
          textB,
          { startMs: spanB.startMs + shift, endMs: spanB.endMs + shift },
          { stability },
        ).map((e) => ({ ...e, text: `${textA} ${e.text}` })),
        {
          atMs: spanB.endMs + shift + FINAL_DELAY_MS,
          kind: 'final',
          text: `${textA} ${textB}`,
          audioStartMs: spanA.startMs,
          audioEndMs: spanB.endMs + shift,
        },
      ];
      const out = runTimeline(addNoise(clean, noise, seed++), script, config);
      r.cases++;
      const shortPause = pause < config.endpointMinSilenceMs;
      if (shortPause) r.shortPauseCases++;
      const first = out.turns[0];
      if (first && first.endedAtMs < realBStart + 100) {
        if (first.rule === 'earlyFinal') {
          r.earlyPremature++;
          if (shortPause) r.earlyPrematureShortPause++;
        } else if (first.rule === 'silence') r.silencePremature++;
        else r.otherPremature++;
        if (first.rule !== 'earlyFinal' && shortPause) r.silencePrematureShortPause++;
      }
    }
  }
  return r;
}

interface CompleteResult {
  cases: number;
  early: number;
  savedVsFinalMs: number[];
  endAfterSpeechMs: number[];
}

function complete(config: Config, noise: Noise, stability: number): CompleteResult {
  const r: CompleteResult = { cases: 0, early: 0, savedVsFinalMs: [], endAfterSpeechMs: [] };
  let seed = 100;
  for (const name of NAMES) {
    const clean = concat(silence(800), fixture(name), silence(300));
    const span = speechSpan(clean);
    const out = runTimeline(
      addNoise(clean, noise, seed++),
      sttScriptFor(FIXTURE_TEXT[name] ?? '', span, { stability, finalDelayMs: FINAL_DELAY_MS }),
      config,
    );
    r.cases++;
    const t = out.turns[0];
    if (!t) continue;
    if (t.rule === 'earlyFinal') r.early++;
    r.savedVsFinalMs.push(span.endMs + FINAL_DELAY_MS - t.endedAtMs);
    r.endAfterSpeechMs.push(t.endedAtMs - span.endMs);
  }
  return r;
}

const mean = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

console.log(`# Endpointing benchmark (final arrives ${FINAL_DELAY_MS} ms after speech end)\n`);
console.log('## Defaults, by noise and interim stability\n');
console.log(
  '| noise | stability | continuation cases | premature early finals (all pauses) | of which in pauses < min silence | premature silence/timeout ends (all / pauses < min silence) | complete: early finals | end after speech (mean ms) | saved vs final (mean ms) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const base = defaultConfig();
for (const noise of NOISES) {
  for (const stability of STABILITIES) {
    const c = continuation(base, noise, stability);
    const k = complete(base, noise, stability);
    console.log(
      `| ${noise} | ${stability} | ${c.cases} | ${c.earlyPremature} | ${c.earlyPrematureShortPause}/${c.shortPauseCases} | ${c.silencePremature + c.otherPremature} / ${c.silencePrematureShortPause} | ` +
        `${k.early}/${k.cases} | ${mean(k.endAfterSpeechMs).toFixed(0)} | ${mean(k.savedVsFinalMs).toFixed(0)} |`,
    );
  }
}

console.log('\n## STT_EARLY_FINAL_SILENCE_MS sweep (clean, stability 0.9)\n');
console.log(
  '| early-final silence ms | premature early finals | premature by pause (150/250/350/500/700 ms) | complete: end after speech (mean ms) |',
);
console.log('| --- | --- | --- | --- |');
for (const silenceMs of [100, 200, 300, 400, 500]) {
  const config = defaultConfig({ sttEarlyFinalSilenceMs: silenceMs });
  const byPause = PAUSES_MS.map((p) => {
    const saved = PAUSES_MS.slice();
    PAUSES_MS.splice(0, PAUSES_MS.length, p);
    const c = continuation(config, 'clean', 0.9);
    PAUSES_MS.splice(0, PAUSES_MS.length, ...saved);
    return c.earlyPremature;
  });
  const k = complete(config, 'clean', 0.9);
  console.log(
    `| ${silenceMs} | ${byPause.reduce((a, b) => a + b, 0)}/${NAMES.length * PAUSES_MS.length} | ${byPause.join(' / ')} | ${mean(k.endAfterSpeechMs).toFixed(0)} |`,
  );
}
