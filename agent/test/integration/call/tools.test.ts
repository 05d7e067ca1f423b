// Issue 11 part 4, end to end: scripted Hebrew conversations through the caller simulator against
// the whole agent (Speech emulator, the real openai client against the OpenAI emulator playing a
// tool-calling model, local TTS, the Twilio edge), with a signed business backend and the Twilio
// REST emulator. (a) booking: availability (slow: the filler), booking, confirmation, goodbye,
// hang-up over REST after the goodbye was heard; (b) a caller asks for a person and is
// transferred (<Dial> over REST, the stream leaves).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { bootAgent, type BootedAgent } from '../../../src/runtime/boot.ts';
import { startTwilioRestEmulator, type TwilioRestEmulator } from '../../../src/sim/caller/index.ts';
import { startOpenAiEmulator, type OpenAiEmulator } from '../../../src/sim/openai/server.ts';
import {
  BOOKING_LINES,
  SAY,
  TRANSFER_LINES,
  TRANSFER_TARGETS,
  bookingModel,
  bookingTools,
} from '../../../src/sim/scenarios/booking.ts';
import { startBookingBackend, type BookingBackend } from '../../../src/sim/scenarios/booking-backend.ts';
import { runScenarioCall } from '../../../src/sim/scenarios/run.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

const TOKEN = 'tools-test-auth-token';
const HMAC_KEY = 'booking-hmac-key-for-tests';

describe('the model acts: tools and call control through the caller simulator', () => {
  let openai: OpenAiEmulator;
  let backend: BookingBackend;
  let rest: TwilioRestEmulator;
  let booted: BootedAgent;
  const records = new Map<string, TurnRecord[]>();
  /** Wall clock when each turn record was reported (after what was heard of it is known). */
  const reportedAt = new Map<string, number[]>();

  beforeAll(async () => {
    openai = await startOpenAiEmulator({
      latency: { timeToFirstTokenMs: { p50: 200, p95: 300 }, tokensPerSecond: 40 },
      script: bookingModel,
    });
    // Availability takes 900 ms: longer than TOOL_FILLER_AFTER_MS, so the caller hears the filler.
    backend = await startBookingBackend({ secret: HMAC_KEY, delayMs: { '/availability': 900 } });
    rest = await startTwilioRestEmulator({ authToken: TOKEN });
    const config = Object.freeze({
      ...loadConfig({
        HOST: '127.0.0.1',
        STT_PROVIDER: 'emulator',
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: openai.url,
        OPENAI_API_KEY: 'sk-emulator',
        TTS_PROVIDER: 'local',
        TWILIO_AUTH_TOKEN: TOKEN,
        TWILIO_API_BASE_URL: rest.url,
        TOOLS_JSON: JSON.stringify(bookingTools(backend.url, 'BOOKING_HMAC_KEY')),
        TRANSFER_TARGETS_JSON: JSON.stringify(TRANSFER_TARGETS),
        POD_DELETION_COST_ENABLED: 'false',
      }),
      port: 0,
      adminPort: 0,
    });
    booted = await bootAgent(config, silentLogger, {
      env: { BOOKING_HMAC_KEY: HMAC_KEY },
      speechEmulator: { latencyScale: 0.5 },
      onExit: () => undefined,
      onTurn: (r, callSid) => {
        records.set(callSid, [...(records.get(callSid) ?? []), structuredClone(r)]);
        reportedAt.set(callSid, [...(reportedAt.get(callSid) ?? []), Date.now()]);
      },
    });
  }, 90_000);
  afterAll(async () => {
    await booted?.close();
    await Promise.all([openai?.close(), backend?.close(), rest?.close()]);
  });

  const place = (lines: readonly string[]) =>
    runScenarioCall({
      agentUrl: booted.agent.url,
      publicHost: booted.agent.publicHost,
      authToken: TOKEN,
      lines,
      speechEmulator: booted.providers.speechEmulator!,
      twilioRest: rest,
    });

  it('(a) books an appointment through a signed backend, confirms, says goodbye and hangs up over REST', async () => {
    const { call, callSid } = await place(BOOKING_LINES);
    expect(call.protocolErrors.total).toBe(0);
    // The agent ended the call (the simulator did not reach its own stop).
    expect(call.outcome).toBe('server-closed');
    expect(call.afterStream).toEqual([]);

    // The backend got both calls, each with a valid signature and the model's arguments.
    const requests = backend.requests();
    expect(requests.map((r) => [r.path, r.verified.ok])).toEqual([
      ['/availability', true],
      ['/book', true],
    ]);
    expect(requests.map((r) => (r.body as { arguments: unknown }).arguments)).toEqual([
      { day: 'tomorrow' },
      { day: 'tomorrow', time: '10:00' },
    ]);
    expect((requests[0]!.body as { callSid: string }).callSid).toBe(callSid);

    // A turn the caller went on speaking over before any answer audio is withdrawn (takenBack, issue 9)
    // and its words answered with the next: on a loaded machine a pause inside a line can do that.
    const turns = (records.get(callSid) ?? []).filter((t) => t.outcome !== 'takenBack');
    expect(turns.map((t) => t.outcome)).toEqual(['answered', 'answered', 'answered']);
    expect(turns.map((t) => (t.tools ?? []).map((x) => `${x.name}:${x.outcome}`))).toEqual([
      ['check_availability:ok'],
      ['book_appointment:ok'],
      ['end_call:action'],
    ]);
    // The slow availability check got the spoken filler before the answer; the model heard it
    // in the history of the next request, with the tool call and its result.
    const slow = turns[0]!.tools![0]!;
    expect(slow.endMs - slow.startMs).toBeGreaterThanOrEqual(900);
    const bookingRequest = openai
      .requests()
      .map((r) => r.body['messages'] as { role: string; content: string | null }[])
      .find((m) => m.at(-1)?.role === 'tool' && m.at(-1)?.content?.includes('"booked":true'));
    expect(bookingRequest).toBeDefined();
    const heardFirst = bookingRequest!
      .filter((m) => m.role === 'assistant' && m.content)
      .map((m) => m.content);
    expect(heardFirst[0]).toContain('רגע, אני בודקת.');
    expect(heardFirst[0]).toContain('איזו שעה מתאימה לך?');
    // The filler is the first audio of that turn: it went out before the tool had answered.
    expect(turns[0]!.firstFrameSentMs!).toBeLessThan(slow.endMs);
    if (process.env['HVA_PRINT_FIGURES'] === '1')
      console.error(
        `filler audio ${Math.round(turns[0]!.firstFrameSentMs! - turns[0]!.speechEndMs)} ms after the caller's speech end`,
      );

    // Goodbye heard (its marks echoed played), then the REST hang-up, once.
    const goodbye = turns[2]!;
    expect(goodbye.sentencesPlayed).toBeGreaterThan(0);
    const hangups = rest.requests().filter((r) => r.callSid === callSid);
    expect(hangups.map((r) => [r.status, r.params])).toEqual([[200, { Status: 'completed' }]]);
    expect(rest.completed(callSid)).toBe(true);
    expect(hangups[0]!.at).toBeGreaterThanOrEqual(reportedAt.get(callSid)![2]!);
  }, 120_000);

  it('(b) a caller who asks for a person hears the sentence and is transferred with <Dial>', async () => {
    const { call, callSid } = await place(TRANSFER_LINES);
    expect(call.protocolErrors.total).toBe(0);
    // Twilio (the simulator) left the stream because the call was redirected.
    expect(call.redirected).toBe(true);
    expect(rest.updates(callSid)).toEqual([
      {
        type: 'redirect',
        twiml:
          '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number>+97231234567</Number></Dial></Response>',
      },
    ]);
    expect(rest.completed(callSid)).toBe(false);
    // A turn the caller went on speaking over before any answer audio is withdrawn (takenBack, issue 9)
    // and its words answered with the next: on a loaded machine a pause inside a line can do that.
    const turns = (records.get(callSid) ?? []).filter((t) => t.outcome !== 'takenBack');
    expect(turns[0]!.tools!.map((t) => `${t.name}:${t.outcome}`)).toEqual(['transfer_call:action']);
    expect(turns[0]!.sentencesPlayed).toBeGreaterThan(0);
    const redirect = rest.requests().find((r) => r.callSid === callSid)!;
    expect(redirect.at).toBeGreaterThanOrEqual(reportedAt.get(callSid)![0]!);
    expect(SAY.transfer).toContain('נציג');
  }, 120_000);
});
