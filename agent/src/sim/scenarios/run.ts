// Places one scripted call for a scenario: the caller says `lines` (the Speech emulator's
// transcripts for this call, over fixture audio), waiting for the agent after each, and lets
// the agent end it (hang-up) or Twilio take it away (a transfer's redirect, seen on the REST
// emulator). The caller signs like Twilio with the agent's auth token.
import { join } from 'node:path';
import { placeCall, randomSid, type CallResult } from '../caller/index.ts';
import type { RecordingMode } from '../caller/recording.ts';
import type { CallStepSpec } from '../caller/script.ts';
import type { TwilioRestEmulator } from '../caller/twilio-rest.ts';
import type { SpeechEmulator } from '../speech/emulator.ts';

const FIXTURE_AUDIO_DIR = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'audio');
/** Fixture recordings the lines are spoken over (the emulator decides the words, not the audio). */
const CARRIERS = ['hello', 'question', 'thanks', 'address'] as const;

export interface ScenarioCallOptions {
  readonly agentUrl: string;
  readonly publicHost: string;
  readonly authToken: string;
  readonly lines: readonly string[];
  readonly speechEmulator: SpeechEmulator;
  readonly twilioRest: TwilioRestEmulator;
  readonly record?: RecordingMode;
  readonly recordPath?: string;
  /** How long to wait for each answer (ms). Default 20000. */
  readonly answerTimeoutMs?: number;
  /** Agent silence that ends its answer (ms): longer than a slow tool's pause. Default 2500. */
  readonly quietMs?: number;
}

export async function runScenarioCall(
  o: ScenarioCallOptions,
): Promise<{ call: CallResult; callSid: string }> {
  const callSid = randomSid('CA');
  o.speechEmulator.setScript(callSid, o.lines);
  const timeoutMs = o.answerTimeoutMs ?? 20_000;
  const quietMs = o.quietMs ?? 2500;
  const script: CallStepSpec[] = [{ kind: 'waitForAgent', until: 'end', timeoutMs, quietMs }];
  o.lines.forEach((_, i) => {
    const carrier = CARRIERS[i % CARRIERS.length]!;
    script.push({ kind: 'play', file: join(FIXTURE_AUDIO_DIR, `${carrier}.wav`), label: `line ${i + 1}` });
    script.push({ kind: 'waitForAgent', until: 'end', timeoutMs, quietMs });
  });
  script.push({ kind: 'silence', ms: 2000 });
  script.push({ kind: 'stop' });
  const call = await placeCall({
    url: o.agentUrl.replace(/^http/, 'ws'),
    callSid,
    script,
    signature: { authToken: o.authToken, publicUrl: o.publicHost },
    twilioRest: o.twilioRest,
    ...(o.record ? { record: o.record } : {}),
    ...(o.recordPath ? { recordPath: o.recordPath } : {}),
  });
  return { call, callSid };
}
