// The capacity benchmark's second process: the three provider emulators (Speech gRPC, OpenAI
// HTTP/SSE, Text-to-Speech gRPC) on one latency profile, plus a small control server through
// which the callers' process registers what each call's caller says and a step sets its fault
// plan (POST /faults; GET /faults returns what the hooks did). Started by harness.ts
// (startEmulators) with its EmulatorsConfig as JSON in HVA_BENCH_EMULATORS; reports its
// endpoints over IPC and exits when the parent disconnects.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFaultInjector, createSwitchableFaults, parseFaultPlan } from '../../src/sim/faults/index.ts';
import { selectProfile } from '../../src/sim/profile.ts';
import { startOpenAiEmulator, type OpenAiEmulatorOptions } from '../../src/sim/openai/server.ts';
import { startSpeechEmulator, type SpeechEmulatorOptions } from '../../src/sim/speech/emulator.ts';
import { startTtsEmulator, type TtsEmulatorOptions } from '../../src/sim/tts/server.ts';
import type { EmulatorStats, EmulatorsConfig, EmulatorsMessage, FaultsSpec } from './protocol.ts';
import { readProcStat } from './prom.ts';

if (!process.send) throw new Error('emulators-process.ts is started by harness.ts over IPC');
const send = (m: EmulatorsMessage): void => void process.send!(m);

try {
  const config = JSON.parse(process.env['HVA_BENCH_EMULATORS'] ?? '') as EmulatorsConfig;
  // Before any emulator starts: the OpenAI and TTS emulators read $HVA_REFERENCE_PROFILE.
  selectProfile(config.profile);
  const host = '127.0.0.1';
  // Fault hooks that follow the plan set through POST /faults (a step sets its own, with its epoch).
  const faults = createSwitchableFaults();
  const speech = await startSpeechEmulator({
    ...faults.emulatorOptions.speech,
    profile: config.profile,
    seed: config.seed,
    ...(config.options.speech as Partial<SpeechEmulatorOptions>),
    host,
    port: 0,
  });
  const openai = await startOpenAiEmulator({
    ...faults.emulatorOptions.openai,
    latency: 'reference',
    seed: config.seed + 1,
    ...(config.options.openai as Partial<OpenAiEmulatorOptions>),
    host,
    port: 0,
  });
  const tts = await startTtsEmulator({
    ...faults.emulatorOptions.tts,
    latency: 'reference',
    seed: config.seed + 2,
    ...(config.options.tts as Partial<TtsEmulatorOptions>),
    host,
    port: 0,
  });

  const stats = (): EmulatorStats => {
    const proc = readProcStat(process.pid);
    const s = speech.stats();
    const o = openai.stats();
    return {
      // Without the per-call id list (thousands of sids in a soak).
      speech: { ...s, callIds: s.callIds.length },
      openai: { ...o, firstTokenLateMs: undefined },
      tts: { ...tts.stats(), overrunMs: undefined },
      cpuMs: proc.cpuMs,
      rssBytes: proc.rssBytes,
    };
  };

  const control = createServer((req, res) => void route(req, res));
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body?: unknown): void => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      if (req.method === 'POST' && req.url === '/scripts') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          callSid?: unknown;
          lines?: unknown;
        };
        if (typeof body.callSid !== 'string' || !Array.isArray(body.lines))
          return reply(400, { error: 'expected {callSid: string, lines: string[]}' });
        speech.setScript(body.callSid, body.lines.map(String));
        return reply(204);
      }
      if (req.method === 'GET' && req.url === '/stats') return reply(200, stats());
      if (req.method === 'POST' && req.url === '/faults') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const f = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FaultsSpec;
        // A bad spec is the caller's error (400, with the parser's message).
        const plan = parseFaultPlan(f.specs, f.seed);
        faults.use(plan.faults.length === 0 ? undefined : createFaultInjector(plan, { epochMs: f.epochMs }));
        return reply(204);
      }
      if (req.method === 'GET' && req.url === '/faults')
        return reply(200, faults.current?.log.events() ?? []);
      reply(404, { error: 'POST /scripts, GET /stats, POST or GET /faults' });
    } catch (err) {
      reply(400, { error: (err as Error).message });
    }
  }
  await new Promise<void>((r) => control.listen(0, host, r));
  const controlPort = (control.address() as AddressInfo).port;

  const close = async (): Promise<void> => {
    control.close();
    await Promise.allSettled([speech.close(), openai.close(), tts.close()]);
    process.exit(0);
  };
  process.on('disconnect', () => void close());
  process.on('SIGTERM', () => void close());
  send({
    type: 'ready',
    endpoints: {
      speech: speech.address,
      openaiUrl: openai.url,
      tts: tts.endpoint,
      control: `http://${host}:${controlPort}`,
      pid: process.pid,
    },
  });
} catch (err) {
  send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
