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
import { formatTurnTable, runConversation, turnRows } from '../sim/conversation.ts';
import { selectProfile } from '../sim/profile.ts';
import { bootDemoAgent } from './demo-agent.ts';

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
const { booted, records } = await bootDemoAgent({
  settings: { LLM_PROVIDER: 'scripted' },
  verbose: values.verbose,
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
  const unanswered = rows.filter((r) => r.totalS === undefined || r.sentencesPlayed === 0);
  const takenBack = records.filter((r) => r.outcome === 'takenBack').length;
  if (takenBack > 0)
    console.log(`  ${takenBack} turn(s) taken back: the caller went on speaking before any answer audio`);
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
