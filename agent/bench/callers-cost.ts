// What the simulated callers cost per call-second, an older tree's SimulatedCall against this
// one's in one process, phases interleaved (docs/bench/cost.md): N calls (cheap framing, as the
// capacity benchmark runs them) each play the fixture WAVs with pauses between them against a
// sink in a child process that takes every frame and, every 2 s per call, answers with 1 s of
// audio in 200 ms media messages and a mark (so the receive side runs too). CPU of this process
// (user + system: the kernel's loopback TCP work included) per call-second of each phase.
//
//   node agent/bench/callers-cost.ts --old /tmp/old [--calls 100] [--seconds 10] [--rounds 3]
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    calls: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    sink: { type: 'boolean', default: false },
  },
});

if (values.sink) runSink();
else await main();

/** The child: a WebSocket server that reads everything and answers each call with audio and marks. */
function runSink(): void {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  const audio = Buffer.alloc(1600, 0x10).toString('base64');
  wss.on('connection', (ws) => {
    let streamSid = '';
    let n = 0;
    const timer = setInterval(() => {
      if (!streamSid) return;
      for (let i = 0; i < 5; i++)
        ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: audio } }));
      ws.send(JSON.stringify({ event: 'mark', streamSid, mark: { name: `m${++n}` } }));
    }, 2000);
    ws.on('message', (data) => {
      if (streamSid) return;
      const m = JSON.parse(String(data)) as { event?: string; streamSid?: string };
      if (m.event === 'start' && m.streamSid) streamSid = m.streamSid;
    });
    ws.on('close', () => clearInterval(timer));
  });
  wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
}

interface CallLike {
  run(): Promise<unknown>;
  hangup(): void;
}
type CallCtor = new (o: Record<string, unknown>) => CallLike;

async function main(): Promise<void> {
  const calls = Number(values.calls);
  const seconds = Number(values.seconds);
  const here = join(import.meta.dirname, '..', 'src');
  const trees: Array<[string, string]> = [['new', here]];
  if (values.old) trees.unshift(['old', join(values.old, 'agent', 'src')]);
  const sink = fork(import.meta.filename, ['--sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  process.on('exit', () => sink.kill());
  const port = await new Promise<number>((r) => sink.once('message', (m: { port: number }) => r(m.port)));
  const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'audio');
  const results = new Map<string, number[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [name, src] of trees) {
      const mod = (await import(join(src, 'sim', 'caller', 'index.ts'))) as {
        SimulatedCall: CallCtor;
        loadCallerAudio: (path: string) => Promise<Buffer>;
      };
      const clips = await Promise.all(
        ['hello.wav', 'question.wav', 'address.wav'].map((f) => mod.loadCallerAudio(join(fixtures, f))),
      );
      const script = clips.flatMap((audio, i) => [
        { kind: 'play', audio, label: `clip${i}` },
        { kind: 'silence', ms: 1500 },
      ]);
      const msPerCallS = await phase(mod.SimulatedCall, port, calls, seconds, [
        ...script,
        ...script,
        ...script,
      ]);
      results.set(name, [...(results.get(name) ?? []), msPerCallS]);
      console.log(`round ${round + 1} ${name}: ${msPerCallS.toFixed(3)} ms CPU per call-second`);
    }
  }
  for (const [name, r] of results)
    console.log(`${name}: best ${Math.min(...r).toFixed(3)}, all ${r.map((x) => x.toFixed(3)).join(' ')}`);
  sink.kill();
}

/** N calls started 25 ms apart; CPU over `seconds` once all are open, per call-second. */
async function phase(
  Call: CallCtor,
  port: number,
  calls: number,
  seconds: number,
  script: unknown[],
): Promise<number> {
  const running: CallLike[] = [];
  const done: Promise<unknown>[] = [];
  for (let i = 0; i < calls; i++) {
    const call = new Call({ url: `ws://127.0.0.1:${port}/`, script, cheapFraming: true });
    running.push(call);
    done.push(call.run());
    await new Promise((r) => setTimeout(r, 25));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(cpu0);
  const wallS = (performance.now() - t0) / 1000;
  for (const c of running) c.hangup();
  await Promise.all(done);
  return (used.user + used.system) / 1000 / (calls * wallS);
}
