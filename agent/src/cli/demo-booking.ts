// `npm run demo -- --scenario booking`: issue 11's booking conversation, offline. The agent runs
// in-process with the embedded Speech emulator and local espeak-ng; the model is the OpenAI
// emulator playing a tool-calling model (sim/scenarios/booking.ts) through the real `openai`
// client; the business backend verifies every HMAC signature; Twilio's REST side is the
// emulator that sees the hang-up. Prints the turns with their tool calls, the backend's view and
// the hang-up, and writes the conversation to a WAV. Exits non-zero unless the appointment was
// booked through signed requests and the call was hung up after the goodbye.
import { randomBytes } from 'node:crypto';
import { startTwilioRestEmulator } from '../sim/caller/index.ts';
import { formatTurnTable, turnRows } from '../sim/conversation.ts';
import { startOpenAiEmulator } from '../sim/openai/server.ts';
import { BOOKING_LINES, TRANSFER_TARGETS, bookingModel, bookingTools } from '../sim/scenarios/booking.ts';
import { startBookingBackend } from '../sim/scenarios/booking-backend.ts';
import { runScenarioCall } from '../sim/scenarios/run.ts';
import { bootDemoAgent } from './demo-agent.ts';

export interface BookingDemoOptions {
  readonly outPath: string;
  readonly verbose: boolean;
}

/** Runs the scenario; resolves with the process exit code. */
export async function runBookingDemo(o: BookingDemoOptions): Promise<number> {
  const token = randomBytes(16).toString('hex');
  const hmacKey = randomBytes(32).toString('hex');
  const openai = await startOpenAiEmulator({ latency: 'reference', script: bookingModel });
  // A backend that takes 900 ms to look up availability: the caller hears the filler.
  const backend = await startBookingBackend({ secret: hmacKey, delayMs: { '/availability': 900 } });
  const rest = await startTwilioRestEmulator({ authToken: token });
  const { booted, records } = await bootDemoAgent({
    settings: {
      TWILIO_AUTH_TOKEN: token,
      TWILIO_API_BASE_URL: rest.url,
      TWILIO_ACCOUNT_SID: '',
      TWILIO_API_KEY_SID: '',
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'sk-emulator',
      TOOLS_JSON: JSON.stringify(bookingTools(backend.url, 'DEMO_BOOKING_HMAC_KEY')),
      TOOLS_FILE: '',
      TRANSFER_TARGETS_JSON: JSON.stringify(TRANSFER_TARGETS),
    },
    verbose: o.verbose,
    env: { DEMO_BOOKING_HMAC_KEY: hmacKey },
  });
  try {
    console.log(
      `agent ${booted.agent.url} (emulated STT, OpenAI emulator playing a tool-calling model, local espeak-ng TTS); backend ${backend.url}; Twilio REST emulator ${rest.url}`,
    );
    const { call, callSid } = await runScenarioCall({
      agentUrl: booted.agent.url,
      publicHost: booted.agent.publicHost,
      authToken: token,
      lines: BOOKING_LINES,
      speechEmulator: booted.providers.speechEmulator!,
      twilioRest: rest,
      record: 'stereo',
      recordPath: o.outPath,
    });
    console.log('');
    console.log(formatTurnTable(turnRows(records, call)));
    console.log('');
    for (const r of records) {
      const tools = (r.tools ?? []).map(
        (t) => `${t.name} ${t.outcome} ${Math.round(t.endMs - t.startMs)} ms`,
      );
      console.log(
        `  turn ${r.turnId}: heard "${r.transcript}"${tools.length ? `; tools: ${tools.join(', ')}` : ''}`,
      );
    }
    const requests = backend.requests();
    console.log('');
    for (const r of requests)
      console.log(
        `  backend ${r.path}: signature ${r.verified.ok ? 'valid' : `INVALID (${r.verified.reason})`}, arguments ${JSON.stringify((r.body as { arguments?: unknown }).arguments)}`,
      );
    const hangup = rest.requests().filter((r) => r.callSid === callSid);
    for (const r of hangup) console.log(`  Twilio REST: ${JSON.stringify(r.params)} -> HTTP ${r.status}`);
    console.log('');
    console.log(
      `call ${call.outcome}, ${Math.round(call.durationMs)} ms; conversation (caller left, agent right): ${o.outPath}`,
    );
    const booked = requests.some((r) => r.path === '/book' && r.verified.ok);
    const signed = requests.length > 0 && requests.every((r) => r.verified.ok);
    if (call.outcome === 'error') console.error(`call failed: ${call.error ?? 'unknown error'}`);
    else if (!booked || !signed) console.error('the appointment was not booked through signed requests');
    else if (!rest.completed(callSid)) console.error('the agent did not hang up over Twilio REST');
    else return 0;
    return 1;
  } finally {
    await booted.close();
    await Promise.all([openai.close(), backend.close(), rest.close()]);
  }
}
