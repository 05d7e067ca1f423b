// `npm run call -- --url ws://localhost:8080 --wav hello.wav`: places simulated Twilio calls
// against a running agent, prints each call's per-turn timeline and writes recordings.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_DEV_AUTH_TOKEN } from '../server/signature.ts';
import {
  formatTimeline,
  parseScript,
  placeCalls,
  type CallEvent,
  type CallResult,
  type CallStepSpec,
  type RecordingMode,
} from '../sim/caller/index.ts';
import { mediaStreamConnectUrl } from '../sim/caller/signature.ts';
import { createFaultInjector, FaultSpecError, parseFaultPlan, type FaultPlan } from '../sim/faults/index.ts';

const HELP = `Usage: npm run call -- --url <ws://host:port> (--wav <file> ... | --script <steps>) [options]

Places simulated Twilio calls against an agent the way Twilio does: POST the signed voice webhook,
then open the stream its TwiML names with its <Parameter>s (the per-call stream token included):
connected, start, 20 ms mu-law frames paced against an absolute clock, mark echoes after
real-time playout, clear handling. A refused stream prints what Twilio would play next.
Prints a timeline per call (caller speech end -> first agent audio) and writes recordings.

Audio and script:
  --wav <file>          Caller utterance (WAV of any rate/format, or raw mu-law 8 kHz as .ulaw).
                        Repeatable; the default script plays each one, then waits for the agent
                        to answer and go quiet, and finally hangs up (stop).
  --script <steps>      Steps separated by ';' instead of --wav (prefix with @ to read a file):
                          play:<file>  silence:<ms>  dtmf:<digits>  stop  drop
                          wait[:start|end[:<timeoutMs>[:<quietMs>]]]
                        e.g. "silence:500; play:hello.wav; wait; dtmf:12; play:bye.wav; wait; stop"
  --lead-ms <ms>        Silence before the first utterance (default script only). Default 1000.
  --wait-timeout <ms>   How long the default script waits for an answer. Default 15000.
  --quiet-ms <ms>       Agent silence that counts as "done answering". Default 700.

Call:
  --url <url>           Agent URL (ws://, wss://, http(s)://; /ws/twilio-media is added). Required.
  --param <name=value>  start.customParameters entry. Repeatable.
  --calls <n>           Calls to place (concurrently). Default 1.
  --stagger-ms <ms>     Delay between call starts. Default 200.
  --auth-token <token>  Signs the upgrade (X-Twilio-Signature). Default: $TWILIO_AUTH_TOKEN, else
                        the agent's local development token.
  --public-host <host>  Host the agent validates signatures against. Default: $PUBLIC_HOST, else
                        localhost:<port> for a loopback URL, else the URL's host.
  --no-sign             Do not sign, and skip the webhook (for agents with validation off).

Faults (docs/bench/chaos.md):
  --fault <spec>        Inject a fault from the caller's side. Repeatable. Only ws-drop applies
                        here (cut one live call's socket like a network failure, no stop), e.g.
                        --fault ws-drop:every=20s,count=1; the emulator faults (stt-stream-fail,
                        llm-429-burst, llm-stall, tts-outage) go to \`npm run bench -- --fault\`.
  --fault-seed <n>      Seeds which call is dropped. Default 1.

Output:
  --record <file.wav>   Write what the caller heard (with -<n> suffixes for several calls).
  --record-mode <mode>  agent (mono agent audio), stereo (left caller, right agent) or mix.
                        Default stereo.
  --verbose             Print events as they happen (marks, clears, dtmf, errors).
  --json                Print results as JSON instead of the timeline.
  --help                This text.

Exit status: 0 when every call connected and saw no protocol errors, 1 otherwise, 2 on bad usage.`;

function fail(message: string): never {
  console.error(`call: ${message}\n(see --help)`);
  process.exit(2);
}

function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) fail(`--${name} must be a whole number >= ${min}`);
  return Number(value);
}

/** `npm run` changes into the workspace; resolve paths against where the user typed the command. */
function userPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

function defaultPublicHost(connectUrl: string): string {
  if (process.env.PUBLIC_HOST) return process.env.PUBLIC_HOST;
  const u = new URL(connectUrl);
  const loopback = ['localhost', '127.0.0.1', '[::1]', '::1'].includes(u.hostname);
  const port = u.port || (u.protocol === 'wss:' ? '443' : '80');
  return loopback ? `localhost:${port}` : u.host;
}

function describe(e: CallEvent, callNo: number): string | undefined {
  const at = `${Math.round(e.atMs)}`.padStart(6);
  const who = `[call ${callNo}] ${at} ms`;
  switch (e.type) {
    case 'speech-start':
      return `${who} caller speaks: ${e.label}`;
    case 'speech-end':
      return `${who} caller done: ${e.label}`;
    case 'agent-audio':
      return `${who} agent audio (plays at ${Math.round(e.playStartMs)} ms)`;
    case 'mark':
      return `${who} mark ${e.name}`;
    case 'mark-echo':
      return `${who} mark echo ${e.name} (${e.outcome})`;
    case 'clear':
      return `${who} clear (${Math.round(e.discardedMs)} ms of audio dropped)`;
    case 'dtmf':
      return `${who} dtmf ${e.digit}`;
    case 'wait-timeout':
      return `${who} no answer in time`;
    case 'protocol-error':
      return `${who} protocol error ${e.error}: ${e.detail}`;
    case 'stop':
      return `${who} stop (hang up)`;
    case 'closed':
      return `${who} socket closed ${e.code}${e.reason ? ` ${e.reason}` : ''}`;
    default:
      return undefined;
  }
}

const CLI_OPTIONS = {
  url: { type: 'string' },
  wav: { type: 'string', multiple: true },
  script: { type: 'string' },
  'lead-ms': { type: 'string' },
  'wait-timeout': { type: 'string' },
  'quiet-ms': { type: 'string' },
  param: { type: 'string', multiple: true },
  calls: { type: 'string' },
  'stagger-ms': { type: 'string' },
  'auth-token': { type: 'string' },
  'public-host': { type: 'string' },
  'no-sign': { type: 'boolean' },
  fault: { type: 'string', multiple: true },
  'fault-seed': { type: 'string' },
  record: { type: 'string' },
  'record-mode': { type: 'string' },
  verbose: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type CliArgs = ReturnType<typeof parseArgs<{ options: typeof CLI_OPTIONS; strict: true }>>['values'];

/** The call's steps: a --script (inline or @file), or each --wav followed by a wait for the agent. */
async function buildScript(args: CliArgs): Promise<CallStepSpec[]> {
  if (args.script !== undefined) {
    if (args.wav) fail('use either --wav or --script, not both');
    let text = args.script;
    if (text.startsWith('@')) {
      const { readFile } = await import('node:fs/promises');
      text = await readFile(userPath(text.slice(1)), 'utf8');
    }
    try {
      return parseScript(text).map((s) =>
        s.kind === 'play' && 'file' in s ? { ...s, file: userPath(s.file) } : s,
      );
    } catch (err) {
      fail((err as Error).message);
    }
  }
  if (!args.wav || args.wav.length === 0) fail('give at least one --wav, or a --script');
  const timeoutMs = intOption(args['wait-timeout'], 'wait-timeout', 15_000);
  const quietMs = intOption(args['quiet-ms'], 'quiet-ms', 700);
  const leadMs = intOption(args['lead-ms'], 'lead-ms', 1000);
  const script: CallStepSpec[] = leadMs > 0 ? [{ kind: 'silence', ms: leadMs }] : [];
  for (const file of args.wav) {
    script.push(
      { kind: 'play', file: userPath(file) },
      { kind: 'waitForAgent', until: 'end', timeoutMs, quietMs },
    );
  }
  script.push({ kind: 'stop' });
  return script;
}

/** The --fault plan; only faults the caller itself injects (a WebSocket drop) belong here. */
function callerFaults(args: CliArgs): ReturnType<typeof createFaultInjector> {
  let plan: FaultPlan;
  try {
    plan = parseFaultPlan(args.fault ?? [], intOption(args['fault-seed'], 'fault-seed', 1));
  } catch (err) {
    if (err instanceof FaultSpecError) fail(err.message);
    throw err;
  }
  const emulatorOnly = plan.faults.find((f) => f.kind !== 'ws-drop');
  if (emulatorOnly)
    fail(`--fault ${emulatorOnly.kind} is injected by the emulators: use npm run bench -- --fault`);
  return createFaultInjector(plan);
}

/** The results as JSON, or a timeline per call with latency percentiles over several calls. */
function printResults(results: readonly CallResult[], args: CliArgs, calls: number): void {
  if (args.json) {
    console.log(
      JSON.stringify(
        results.map(({ recording: _r, ...rest }) => rest),
        null,
        2,
      ),
    );
  } else {
    for (const r of results) console.log(formatTimeline(r));
    const latencies = results.flatMap((r) => r.turns.map((t) => t.latencyMs)).filter((v) => v !== undefined);
    if (results.length > 1 && latencies.length > 0) {
      latencies.sort((a, b) => a - b);
      const q = (p: number) =>
        Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
      console.log(
        `${results.length} calls, ${latencies.length} answered turns: latency p50 ${q(0.5)} ms, p95 ${q(0.95)} ms`,
      );
    }
    if (args.record && results.some((r) => r.outcome !== 'error')) {
      console.log(`recording written to ${args.record}${calls > 1 ? ' (-<n> per call)' : ''}`);
    }
  }
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs({ options: CLI_OPTIONS, strict: true }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.help) {
    console.log(HELP);
    return;
  }
  if (!args.url) fail('--url is required');
  let connectUrl: string;
  try {
    connectUrl = mediaStreamConnectUrl(args.url);
  } catch (err) {
    fail((err as Error).message);
  }

  const script = await buildScript(args);

  const customParameters: Record<string, string> = {};
  for (const p of args.param ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) fail(`--param expects name=value, got '${p}'`);
    customParameters[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const mode = (args['record-mode'] ?? 'stereo') as RecordingMode;
  if (!['agent', 'stereo', 'mix'].includes(mode)) fail('--record-mode must be agent, stereo or mix');
  const calls = intOption(args.calls, 'calls', 1, 1);
  const staggerMs = intOption(args['stagger-ms'], 'stagger-ms', 200);
  const signature = args['no-sign']
    ? undefined
    : {
        authToken: args['auth-token'] ?? (process.env.TWILIO_AUTH_TOKEN || LOCAL_DEV_AUTH_TOKEN),
        publicUrl: args['public-host'] ?? defaultPublicHost(connectUrl),
      };

  const faults = callerFaults(args);

  const callNumbers = new Map<string, number>();
  const results: CallResult[] = await placeCalls(
    {
      url: connectUrl,
      script,
      customParameters,
      ...(signature ? { signature } : {}),
      ...(faults.caller ? { faults: faults.caller } : {}),
      ...(args.record ? { record: mode, recordPath: userPath(args.record) } : {}),
      onEvent: args.verbose
        ? (e: CallEvent, callSid: string) => {
            if (!callNumbers.has(callSid)) callNumbers.set(callSid, callNumbers.size + 1);
            const line = describe(e, callNumbers.get(callSid)!);
            if (line) console.log(line);
          }
        : undefined,
    },
    calls,
    staggerMs,
  ).catch((err: Error) => fail(err.message));
  faults.stop();
  if (faults.caller) console.error(`ws-drop: ${faults.caller.drops} call(s) dropped`);

  printResults(results, args, calls);
  const bad = results.some((r) => r.outcome === 'error' || r.protocolErrors.total > 0);
  process.exitCode = bad ? 1 : 0;
}

await main();
