// CPU of the LLM client per streamed answer, old tree against this one in one process
// (docs/bench/cost.md): the real OpenAiResponder (openai SDK + undici) of each tree asks the
// OpenAI emulator, which runs in a child process so its CPU is not counted; rounds alternate
// between the trees; CPU per request (and per SSE event) from process.cpuUsage, median of the
// rounds. The emulator paces tokens like the reference profile (80 per second), so each SSE
// event arrives in its own TCP read, as from the real API.
//
//   node agent/bench/llm-client.ts --old /tmp/old [--rounds 8] [--concurrency 20] [--words 40]
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    rounds: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '20' },
    words: { type: 'string', default: '40' },
    serve: { type: 'boolean', default: false },
  },
});

const words = Number(values.words);

interface Responder {
  respond(r: {
    callId: string;
    messages: { role: string; content: string }[];
    signal: AbortSignal;
  }): AsyncIterable<string>;
  close(): Promise<void>;
}

async function load(src: string, url: string): Promise<Responder> {
  const mod = (await import(join(src, 'llm', 'openai.ts'))) as {
    OpenAiResponder: new (o: Record<string, unknown>) => Responder;
  };
  return new mod.OpenAiResponder({
    apiKey: 'k',
    baseUrl: url,
    model: 'gpt-4o-mini',
    temperature: 0.3,
    maxTokens: 200,
    firstTokenTimeoutMs: 5000,
    stallTimeoutMs: 5000,
    retryAttempts: 0,
  });
}

/** One round: `concurrency` answers at once, each read to the end; CPU us per request and deltas seen. */
async function round(r: Responder, concurrency: number): Promise<[number, number]> {
  const t0 = process.cpuUsage();
  let deltas = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const ctrl = new AbortController();
      for await (const _t of r.respond({
        callId: `c${i}`,
        messages: [{ role: 'user', content: 'שלום, מה שעות הפתיחה?' }],
        signal: ctrl.signal,
      }))
        deltas++;
    }),
  );
  const d = process.cpuUsage(t0);
  return [(d.user + d.system) / concurrency, deltas / concurrency];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const child: ChildProcess = fork(import.meta.filename, ['--serve', '--words', String(words)], {
    stdio: 'inherit',
  });
  const url = await new Promise<string>((resolve) =>
    child.once('message', (m) => resolve((m as { url: string }).url)),
  );
  const here = join(import.meta.dirname, '..', 'src');
  const trees: [string, Responder][] = [['new', await load(here, url)]];
  if (values.old) trees.unshift(['old', await load(join(values.old, 'agent', 'src'), url)]);
  const concurrency = Number(values.concurrency);
  for (const [, r] of trees) await round(r, concurrency); // warm up: JIT, connections
  const cpu = new Map<string, number[]>(trees.map(([n]) => [n, []]));
  let perAnswer = 0;
  for (let i = 0; i < Number(values.rounds); i++) {
    const order = i % 2 === 0 ? trees : [...trees].reverse();
    for (const [name, r] of order) {
      const [us, d] = await round(r, concurrency);
      cpu.get(name)!.push(us);
      perAnswer = d;
    }
  }
  console.log(
    `load ${os.loadavg()[0]!.toFixed(2)}; ${concurrency} answers per round, ${perAnswer} text deltas each`,
  );
  for (const [name, xs] of cpu)
    console.log(
      `${name}: ${median(xs).toFixed(0)} us CPU per answer (median of ${xs.length}; min ${Math.min(...xs).toFixed(0)})`,
    );
  for (const [, r] of trees) await r.close();
  child.kill();
}

if (values.serve) {
  const { startOpenAiEmulator } = await import('../src/sim/openai/server.ts');
  const answer = Array.from({ length: words }, (_, i) => `מילה${i % 7}`).join(' ');
  const emu = await startOpenAiEmulator({
    latency: { timeToFirstTokenMs: { p50: 20, p95: 40 }, tokensPerSecond: 80 },
    answer: () => answer,
  });
  process.send?.({ url: emu.url });
  process.on('disconnect', () => process.exit(0)); // the parent ended (or was killed)
} else {
  await main();
}
