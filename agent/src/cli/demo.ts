// `npm run demo`: the agent offline and in-process (embedded Speech emulator, scripted Hebrew
// responder, local espeak-ng), one simulated Twilio call with fixture audio (hello, question,
// thanks), the per-turn latency table, and the whole conversation (caller left, agent right)
// in a WAV. Exits non-zero when a caller turn got no answer.
//
//   npm run demo -- [--out out/demo-call.wav] [--utterances hello,question,thanks] [--verbose]
//                   [--profile ../shared/bench/google-like-profile.json]
//   npm run demo -- --scenario booking [--out out/demo-booking.wav]   (tools and hang-up: cli/demo-booking.ts)
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bootAgent } from '../runtime/boot.ts';
import { formatTurnTable, runConversation, turnRows } from '../sim/conversation.ts';
import type { TurnRecord } from '../call/turn-record.ts';
import { loadConfig } from '../config/load.ts';
import { selectProfile } from '../sim/profile.ts';
import { createLogger } from '../telemetry/logger.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'out/demo-call.wav' },
    utterances: { type: 'string', default: 'hello,question,thanks' },
    verbose: { type: 'boolean', default: false },
    // Latency profile of the emulated Speech API (default $HVA_REFERENCE_PROFILE or the reference).
    profile: { type: 'string' },
    // 'booking': the model checks availability, books and ends the call (docs/tools.md).
    scenario: { type: 'string' },
  },
});
const profile = selectProfile(values.profile);

const started = performance.now();
if (values.scenario !== undefined) {
  if (values.scenario !== 'booking') {
    console.error(`unknown scenario ${values.scenario}: the one scenario is booking`);
    process.exit(2);
  }
  const { runBookingDemo } = await import('./demo-booking.ts');
  const out = values.out === 'out/demo-call.wav' ? 'out/demo-booking.wav' : values.out;
  mkdirSync(dirname(resolve(process.cwd(), out)), { recursive: true });
  const code = await runBookingDemo({ outPath: resolve(process.cwd(), out), verbose: values.verbose });
  console.log(
    `demo ${code === 0 ? 'ok' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  process.exit(code);
}
const outPath = resolve(process.cwd(), values.out);
mkdirSync(dirname(outPath), { recursive: true });
const utterances = values.utterances
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

// Offline whatever the environment says: this demo must work on any laptop.
const config = Object.freeze({
  ...loadConfig({
    ...process.env,
    HOST: '127.0.0.1',
    PUBLIC_HOST: '',
    TWILIO_AUTH_TOKEN: '',
    TWILIO_SIGNATURE_VALIDATION: 'true',
    STT_PROVIDER: 'emulator',
    STT_ENDPOINT: '',
    LLM_PROVIDER: 'scripted',
    TTS_PROVIDER: 'local',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    POD_DELETION_COST_ENABLED: 'false',
    LOG_LEVEL: values.verbose ? 'info' : 'warn',
  }),
  // Any free port (the schema's PORT starts at 1; 0 is for in-process use only).
  port: 0,
  adminPort: 0,
});
// Logs go to stderr so stdout is the table.
const logger = createLogger(config.logLevel, process.stderr);
const records: TurnRecord[] = [];
const booted = await bootAgent(config, logger, {
  onTurn: (r) => records.push(structuredClone(r)),
  onExit: () => undefined,
});

let exitCode = 1;
try {
  console.log(
    `agent ${booted.agent.url} (offline: emulated STT, scripted LLM, local espeak-ng TTS); profile ${profile}; calling with ${utterances.join(', ')}`,
  );
  const { call } = await runConversation({
    agentUrl: booted.agent.url,
    publicHost: booted.agent.publicHost,
    utterances,
    speechEmulator: booted.providers.speechEmulator,
    record: 'stereo',
    recordPath: outPath,
  });
  const rows = turnRows(records, call);
  console.log('');
  console.log(formatTurnTable(rows));
  console.log('');
  console.log(
    'seconds from the caller speech end (agent VAD). caller gap: end of the fixture WAV (incl. its trailing silence) -> agent\n' +
      "audio playing, measured by the simulated caller ('-': the agent answered before the WAV ended)",
  );
  for (const r of records) console.log(`  turn ${r.turnId}: heard "${r.transcript}"`);
  // Answered = the agent sent audio for the turn and Twilio's (the simulator's) mark echo says it played.
  const unanswered = rows.filter(
    (r, i) => r.totalS === undefined || (records[i]?.sentencesPlayed ?? 0) === 0,
  );
  console.log('');
  console.log(
    `call ${call.outcome}, ${Math.round(call.durationMs)} ms; conversation (caller left, agent right): ${outPath}`,
  );
  if (call.outcome === 'error') console.error(`call failed: ${call.error ?? 'unknown error'}`);
  else if (unanswered.length > 0)
    console.error(`no answer for turn(s): ${unanswered.map((r) => `${r.turn} (${r.label})`).join(', ')}`);
  else exitCode = 0;
} finally {
  await booted.close();
}
console.log(
  `demo ${exitCode === 0 ? 'ok' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(exitCode);
