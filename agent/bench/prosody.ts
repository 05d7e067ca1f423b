// Prosody cue benchmark: CPU of the phrase-end tracker (agent/src/turn/prosody.ts) per 20 ms
// frame, and its readings at the pauses of the pause sets and at the ends of the benchmark
// utterances (through the real VAD, as call/user-turns.ts feeds it). The endpointer asks for a
// reading only in a pause of >= 100 ms on a transcript a level pitch may hold open; here it is
// asked in every such pause (the worst case: an unpunctuated recognizer on every pause).
//
//   npx node agent/bench/prosody.ts [--rounds 50]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { frames, parsePcm16Wav } from '../src/sim/synthetic-audio.ts';
import { createPhraseEndTracker, type FinalPitch } from '../src/turn/prosody.ts';
import { createVad } from '../src/turn/vad.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '50' } } });
const rounds = Math.max(1, Number(values.rounds));
const AUDIO = join(import.meta.dirname, '../test/fixtures/audio');

interface Clip {
  readonly name: string;
  readonly frames: Int16Array[];
  readonly voiced: boolean[];
}

function load(rel: string): Clip {
  const pcm = parsePcm16Wav(readFileSync(join(AUDIO, rel)));
  const padded = new Int16Array(pcm.length + 4000);
  padded.set(pcm);
  const fs = frames(padded);
  const vad = createVad({ vadHangoverMs: 220 });
  return { name: rel, frames: fs, voiced: fs.map((f, i) => vad.process(f, i * 20).voiced) };
}

/** One pass: push every frame, ask once per pause of >= 100 ms; the readings in order. */
function pass(clip: Clip, out?: Array<{ atMs: number; reading: FinalPitch }>): number {
  const tracker = createPhraseEndTracker();
  let asked = false;
  let analyses = 0;
  clip.frames.forEach((f, i) => {
    const voiced = clip.voiced[i]!;
    tracker.push(f, voiced);
    if (voiced) asked = false;
    else if (!asked) {
      const r = tracker.finalPitch();
      if (r !== undefined) {
        asked = true;
        analyses++;
        out?.push({ atMs: (i - 4) * 20, reading: r });
      }
    }
  });
  return analyses;
}

const names = [
  ...['hello', 'question', 'address', 'thanks', 'short', 'long'].map((n) => `${n}.wav`),
  ...['pauses', 'pauses-split'].flatMap((d) =>
    readdirSync(join(AUDIO, d))
      .filter((f) => f.endsWith('.wav'))
      .sort()
      .map((f) => `${d}/${f}`),
  ),
];
const clips = names.map(load);

// Readings (what the endpointer would see at each pause; the last one is the utterance end).
console.log('| clip | readings at each pause of >= 100 ms (ms after the clip start of the pause) |');
console.log('|---|---|');
for (const c of clips) {
  const r: Array<{ atMs: number; reading: FinalPitch }> = [];
  pass(c, r);
  console.log(`| ${c.name} | ${r.map((x) => `${x.atMs}:${x.reading}`).join(' ')} |`);
}

// CPU: frames pushed (the per-frame work) and analyses (once per pause), warmed up first.
for (const c of clips) pass(c);
const totalFrames = clips.reduce((a, c) => a + c.frames.length, 0) * rounds;
let analyses = 0;
const t0 = process.cpuUsage();
for (let k = 0; k < rounds; k++) for (const c of clips) analyses += pass(c);
const cpu = process.cpuUsage(t0);
const us = cpu.user + cpu.system;
// Per-frame work alone: the same passes without asking.
const t1 = process.cpuUsage();
for (let k = 0; k < rounds; k++)
  for (const c of clips) {
    const tracker = createPhraseEndTracker();
    c.frames.forEach((f, i) => tracker.push(f, c.voiced[i]!));
  }
const cpu1 = process.cpuUsage(t1);
const pushUs = cpu1.user + cpu1.system;
const audioS = (totalFrames * 20) / 1000;
console.log('');
console.log(
  `frames ${totalFrames} (${audioS.toFixed(0)} s of audio), analyses ${analyses}: ` +
    `push only ${(pushUs / totalFrames).toFixed(2)} us/frame; with an analysis in every pause ` +
    `${(us / totalFrames).toFixed(2)} us/frame, ${((us - pushUs) / 1000 / analyses).toFixed(3)} ms per analysis, ` +
    `${(us / 1000 / audioS).toFixed(3)} ms CPU per second of caller audio`,
);
