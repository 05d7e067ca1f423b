// mu-law codec benchmark: the table codec (audio/mulaw.ts) against a per-sample formula codec and
// the alawmulaw package, per 20 ms frame (160 samples), plus the per-frame protocol costs around
// it (parse an inbound media message, encode an outbound one). Prints a Markdown table.
// Run: npm run bench:codec (short: ~10 s of CPU on one core).
import alawmulawPackage from 'alawmulaw';
import { decodeMulaw, decodeMulawSample, encodeMulaw, encodeMulawSample } from '../src/audio/mulaw.ts';

// alawmulaw is CommonJS: Node exposes it as a default export only.
const alawmulaw = alawmulawPackage.mulaw;
import { encodeMedia, parseFrame } from '../src/twilio/protocol.ts';

const FRAME = 160;
const FRAMES_PER_RUN = 20_000;
const RUNS = 7;

// Speech-like input: a few mixed tones with an envelope, so every segment is exercised.
const pcm = new Int16Array(FRAME * 50);
for (let i = 0; i < pcm.length; i++) {
  const t = i / 8000;
  const env = 0.2 + 0.8 * Math.abs(Math.sin(2 * Math.PI * 3 * t));
  pcm[i] = Math.round(
    env *
      (9000 * Math.sin(2 * Math.PI * 220 * t) +
        5000 * Math.sin(2 * Math.PI * 1330 * t) +
        1200 * Math.sin(2 * Math.PI * 2900 * t)),
  );
}
const mulaw = encodeMulaw(pcm);
const frames = Array.from({ length: 50 }, (_, i) => ({
  pcm: pcm.subarray(i * FRAME, (i + 1) * FRAME),
  mulaw: mulaw.subarray(i * FRAME, (i + 1) * FRAME),
}));

function formulaDecode(buf: Uint8Array, out: Int16Array): Int16Array {
  for (let i = 0; i < buf.length; i++) out[i] = decodeMulawSample(buf[i]!);
  return out;
}
function formulaEncode(samples: Int16Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < samples.length; i++) out[i] = encodeMulawSample(samples[i]!);
  return out;
}

let sink = 0;
function measure(fn: (i: number) => number): number {
  for (let i = 0; i < FRAMES_PER_RUN; i++) sink += fn(i); // warm-up
  const results: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < FRAMES_PER_RUN; i++) sink += fn(i);
    results.push(Number(process.hrtime.bigint() - t0) / FRAMES_PER_RUN);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(RUNS / 2)]!;
}

const outPcm = new Int16Array(FRAME);
const outBuf = Buffer.alloc(FRAME);
const sid = 'MZ0123456789abcdef0123456789abcdef';
const mediaMessages = frames.map((f, i) =>
  JSON.stringify({
    event: 'media',
    sequenceNumber: String(i + 2),
    streamSid: sid,
    media: {
      track: 'inbound',
      chunk: String(i + 1),
      timestamp: String(i * 20),
      payload: Buffer.from(f.mulaw).toString('base64'),
    },
  }),
);
const mediaBuffers = mediaMessages.map((m) => Buffer.from(m));

const rows: [string, number][] = [
  [
    'decode: table (decodeMulaw, reused output)',
    measure((i) => decodeMulaw(frames[i % 50]!.mulaw, outPcm)[7]!),
  ],
  ['decode: table (decodeMulaw, new Int16Array)', measure((i) => decodeMulaw(frames[i % 50]!.mulaw)[7]!)],
  ['decode: per-sample formula', measure((i) => formulaDecode(frames[i % 50]!.mulaw, outPcm)[7]!)],
  ['decode: alawmulaw.mulaw.decode', measure((i) => alawmulaw.decode(frames[i % 50]!.mulaw)[7]!)],
  [
    'encode: table (encodeMulaw, reused output)',
    measure((i) => encodeMulaw(frames[i % 50]!.pcm, outBuf)[7]!),
  ],
  ['encode: table (encodeMulaw, new Buffer)', measure((i) => encodeMulaw(frames[i % 50]!.pcm)[7]!)],
  ['encode: per-sample formula', measure((i) => formulaEncode(frames[i % 50]!.pcm, outBuf)[7]!)],
  ['encode: alawmulaw.mulaw.encode', measure((i) => alawmulaw.encode(frames[i % 50]!.pcm)[7]!)],
  [
    'protocol: parseFrame (JSON + validation + base64 decode) of a media message',
    measure((i) => (parseFrame(mediaBuffers[i % 50]!, false).ok ? 1 : 0)),
  ],
  [
    'protocol: encodeMedia (base64 + JSON) of a 160-byte frame',
    measure((i) => encodeMedia(sid, frames[i % 50]!.mulaw).length),
  ],
];

console.log(
  `Node ${process.version}, ${FRAMES_PER_RUN} frames x ${RUNS} runs, median ns per 160-sample frame\n`,
);
console.log('| operation | ns/frame | ns/sample |');
console.log('| --- | ---: | ---: |');
for (const [name, ns] of rows) console.log(`| ${name} | ${ns.toFixed(0)} | ${(ns / FRAME).toFixed(2)} |`);
if (sink === 0.5) console.log(sink); // keep results observable
