// CPU of the Speech client per audio message, old tree against this one in one process
// (docs/bench/cost.md): each tree's raw Google v1 provider (src/stt/google.ts: gax, grpc-js,
// protobuf) streams fixture audio to the Speech emulator, which runs in a child process so its
// CPU is not counted. A round opens `streams` streams, writes 80 ms messages into each on an
// 80 ms beat (time compressed: `beatMs`), reads every response, cancels the streams (as a call's
// end does); CPU per message from process.cpuUsage (the cancels included), and the CPU of the
// cancels alone per stream (with what arrives in the 50 ms after them), medians of the rounds,
// trees alternating.
//
//   node agent/bench/stt-client.ts --old /tmp/old [--rounds 8] [--streams 50] [--messages 60]
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    rounds: { type: 'string', default: '8' },
    streams: { type: 'string', default: '50' },
    messages: { type: 'string', default: '60' },
    beatMs: { type: 'string', default: '20' },
    serve: { type: 'boolean', default: false },
  },
});

interface RawStream {
  write(mulaw: Buffer): void;
  cancel(): void;
}
interface Provider {
  open(callId: string, events: Record<string, (...a: unknown[]) => void>, o?: { baseMs?: number }): RawStream;
  close(): Promise<void>;
}

async function load(src: string, address: string): Promise<Provider> {
  const { defaultConfig } = (await import(join(src, 'config', 'load.ts'))) as {
    defaultConfig: (o: Record<string, unknown>) => Record<string, unknown>;
  };
  const { resolveSttTarget } = (await import(join(src, 'stt', 'capabilities.ts'))) as {
    resolveSttTarget: (c: unknown) => unknown;
  };
  const { createGoogleV1Provider } = (await import(join(src, 'stt', 'google.ts'))) as {
    createGoogleV1Provider: (t: unknown, c: unknown) => Provider;
  };
  const config = defaultConfig({ sttEndpoint: address, maxCalls: 100, googleProject: 'bench' });
  return createGoogleV1Provider(resolveSttTarget(config), config);
}

/** The `hello` fixture (8 kHz PCM16 WAV) as mu-law, in 80 ms messages, with silence after it. */
async function messages(src: string): Promise<Buffer[]> {
  const { encodeMulaw } = (await import(join(src, 'audio', 'mulaw.ts'))) as {
    encodeMulaw: (pcm: Int16Array) => Buffer;
  };
  const wav = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'audio', 'hello.wav'));
  const body = wav.subarray(44);
  const pcm = new Int16Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
  const audio = Buffer.concat([encodeMulaw(pcm), Buffer.alloc(8000 * 2, 0xff)]);
  const out: Buffer[] = [];
  for (let at = 0; at + 640 <= audio.length; at += 640) out.push(audio.subarray(at, at + 640));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function round(
  p: Provider,
  audio: Buffer[],
  n: number,
  count: number,
  beatMs: number,
): Promise<[number, number, number]> {
  let results = 0;
  const t0 = process.cpuUsage();
  const streams = Array.from({ length: n }, (_, i) =>
    p.open(`bench-${i}`, {
      onOpen: () => undefined,
      onResult: () => results++,
      onSpeechEvent: () => undefined,
      onError: () => undefined,
      onEnd: () => undefined,
    }),
  );
  for (let m = 0; m < count; m++) {
    for (const s of streams) s.write(audio[m % audio.length]!);
    await sleep(beatMs);
  }
  const t1 = process.cpuUsage();
  for (const s of streams) s.cancel();
  await sleep(50);
  const d = process.cpuUsage(t0);
  const c = process.cpuUsage(t1);
  return [(d.user + d.system) / (n * count), results / n, (c.user + c.system) / n];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const child = fork(import.meta.filename, ['--serve'], { stdio: 'inherit' });
  const address = await new Promise<string>((resolve) =>
    child.once('message', (m) => resolve((m as { address: string }).address)),
  );
  const here = join(import.meta.dirname, '..', 'src');
  const audio = await messages(here);
  const trees: [string, Provider][] = [['new', await load(here, address)]];
  if (values.old) trees.unshift(['old', await load(join(values.old, 'agent', 'src'), address)]);
  const [n, count, beat] = [Number(values.streams), Number(values.messages), Number(values.beatMs)];
  for (const [, p] of trees) await round(p, audio, n, count, beat); // warm up: JIT, connections
  const cpu = new Map<string, number[]>(trees.map(([name]) => [name, []]));
  const cancels = new Map<string, number[]>(trees.map(([name]) => [name, []]));
  let perStream = 0;
  for (let i = 0; i < Number(values.rounds); i++) {
    for (const [name, p] of i % 2 === 0 ? trees : [...trees].reverse()) {
      const [us, r, cancel] = await round(p, audio, n, count, beat);
      cpu.get(name)!.push(us);
      cancels.get(name)!.push(cancel);
      perStream = r;
    }
  }
  console.log(
    `load ${os.loadavg()[0]!.toFixed(2)}; ${n} streams x ${count} messages per round; ${perStream.toFixed(1)} results per stream`,
  );
  for (const [name, xs] of cpu)
    console.log(
      `${name}: ${median(xs).toFixed(1)} us CPU per message (median of ${xs.length}; min ${Math.min(...xs).toFixed(1)}); ` +
        `cancel ${median(cancels.get(name)!).toFixed(0)} us per stream`,
    );
  for (const [, p] of trees) await p.close();
  child.kill();
}

if (values.serve) {
  const { startSpeechEmulator } = await import('../src/sim/speech/emulator.ts');
  const emu = await startSpeechEmulator({ latencyScale: 0.2 });
  process.send?.({ address: emu.address });
  process.on('disconnect', () => process.exit(0)); // the parent ended (or was killed)
} else {
  await main();
}
