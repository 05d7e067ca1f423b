// The Twilio caller simulator's public surface. Tests and benchmarks use placeCall /
// placeCalls (or SimulatedCall directly); the CLI (src/cli/call.ts) is a thin shell over them.
//
//   const result = await placeCall({
//     url: agent.url,                                   // or ws://host:port, /ws/twilio-media is added
//     script: [
//       { kind: 'play', file: 'hello.wav' },            // any WAV, resampled to 8 kHz mu-law
//       { kind: 'waitForAgent', until: 'end' },         // until the agent answered and went quiet
//       { kind: 'dtmf', digit: '1' },
//       { kind: 'silence', ms: 500 },
//       { kind: 'stop' },                               // implicit at the end of the script
//     ],
//     signature: { authToken, publicUrl: agent.publicHost },
//     customParameters: { lang: 'he' },
//     record: 'stereo', recordPath: 'call.wav',
//   });
//   console.log(formatTimeline(result));
//
// Every option is documented on CallOptions (call.ts); results on CallResult.
import { writeWavFile } from '../../audio/wav.ts';
import { SimulatedCall, type CallOptions, type CallResult } from './call.ts';
import { resolveScript } from './audio-source.ts';
import type { CallStepSpec } from './script.ts';

export { SimulatedCall, randomSid, FRAME_BYTES, FRAME_MS } from './call.ts';
export type { CallOptions, CallResult, CallEvent, TurnTiming, ProtocolErrorCounts } from './call.ts';
export { Scheduler, sharedScheduler } from './scheduler.ts';
export type { ScheduledTask, SchedulerOptions } from './scheduler.ts';
export { PlayoutBuffer } from './playout.ts';
export { parseScript, validateScript, ScriptError } from './script.ts';
export type {
  CallStep,
  CallStepSpec,
  PlayStep,
  PlayFileStep,
  SilenceStep,
  DtmfStep,
  WaitForAgentStep,
} from './script.ts';
export { loadCallerAudio, resolveScript, wavToMulaw8k } from './audio-source.ts';
export {
  twilioSignature,
  mediaStreamSignatureUrl,
  mediaStreamConnectUrl,
  MEDIA_STREAM_PATH,
} from './signature.ts';
export { MsHistogram } from './histogram.ts';
export type { HistogramSummary } from './histogram.ts';
export type { Recording, RecordingMode } from './recording.ts';
export { parseServerMessage } from './protocol.ts';
export type { ProtocolErrorKind, ServerMessage } from './protocol.ts';

export interface PlaceCallOptions extends Omit<CallOptions, 'script'> {
  /** Steps; `play` steps may name a file ({kind:'play', file}) instead of carrying audio. */
  readonly script: readonly CallStepSpec[];
  /** Writes CallResult.recording to this WAV file (record defaults to 'agent' when set). */
  readonly recordPath?: string;
  /** Shares loaded audio between calls. */
  readonly audioCache?: Map<string, Promise<Buffer>>;
}

/** Places one call and resolves with its result when it has ended (never rejects for call failures). */
export async function placeCall(options: PlaceCallOptions): Promise<CallResult> {
  const { script: specs, recordPath, audioCache, ...rest } = options;
  const script = await resolveScript(specs, audioCache);
  const record = rest.record ?? (recordPath ? 'agent' : undefined);
  const result = await new SimulatedCall({ ...rest, script, ...(record ? { record } : {}) }).run();
  if (recordPath && result.recording && result.outcome !== 'error') {
    await writeWavFile(
      recordPath,
      result.recording.samples,
      result.recording.sampleRate,
      result.recording.channels,
    );
  }
  return result;
}

/**
 * Places `count` calls with the same options, starting one every `staggerMs`; each gets its own
 * sids, and `recordPath` gets a `-<n>` suffix when count > 1.
 */
export async function placeCalls(
  options: PlaceCallOptions,
  count: number,
  staggerMs = 0,
): Promise<CallResult[]> {
  const audioCache = options.audioCache ?? new Map<string, Promise<Buffer>>();
  const calls: Promise<CallResult>[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && staggerMs > 0) await new Promise((r) => setTimeout(r, staggerMs));
    const recordPath =
      options.recordPath && count > 1
        ? options.recordPath.replace(/(\.wav)?$/i, `-${i + 1}.wav`)
        : options.recordPath;
    calls.push(placeCall({ ...options, audioCache, ...(recordPath ? { recordPath } : {}) }));
  }
  return Promise.all(calls);
}

function ms(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '-' : `${Math.round(v)}`;
}

/** Human-readable per-turn timeline and counters of one call. */
export function formatTimeline(r: CallResult): string {
  const lines = [
    `call ${r.callSid} stream ${r.streamSid}: ${r.outcome}${r.error ? ` (${r.error})` : ''}` +
      `${r.closeCode !== undefined ? ` close=${r.closeCode}${r.closeReason ? ` "${r.closeReason}"` : ''}` : ''}, ${ms(r.durationMs)} ms`,
    '  turn  label                 speech start   speech end   agent recv   agent play   latency(ms)',
  ];
  for (const t of r.turns) {
    lines.push(
      `  ${String(t.index + 1).padStart(4)}  ${t.label.slice(0, 20).padEnd(20)}  ${ms(t.speechStartMs).padStart(12)}` +
        `  ${ms(t.speechEndMs).padStart(11)}  ${ms(t.agentAudioReceivedMs).padStart(11)}  ${ms(t.agentAudioStartMs).padStart(11)}` +
        `  ${ms(t.latencyMs).padStart(12)}`,
    );
  }
  if (r.afterStream !== undefined && r.afterStream.length > 0) {
    const verbs = r.afterStream.map((v) => `${v.verb}${v.text ? ` "${v.text}"` : ''}`).join(', then ');
    lines.splice(1, 0, `  stream refused or cut: Twilio goes on with ${verbs}`);
  }
  const a = r.agent;
  lines.push(
    `  frames sent ${r.framesSent} (send lag p99 ${r.sendLag.p99Ms.toFixed(1)} ms), dtmf ${r.dtmfSent}, wait timeouts ${r.waitTimeouts}`,
    `  agent audio ${a.mediaMessages} msgs, played ${ms(a.playedMs)} ms, discarded ${ms(a.discardedMs)} ms by ${a.clears} clear(s);` +
      ` marks ${a.marksReceived} (played ${a.marksPlayed}, cleared ${a.marksCleared})`,
    `  echo jitter p50 ${r.jitter.p50Ms.toFixed(1)} / p99 ${r.jitter.p99Ms.toFixed(1)} / max ${r.jitter.maxMs.toFixed(1)} ms, late ${r.jitter.late};` +
      ` protocol errors ${r.protocolErrors.total}` +
      (r.protocolErrors.total > 0
        ? ` (${Object.entries(r.protocolErrors)
            .filter(([k, v]) => k !== 'total' && v > 0)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`
        : ''),
  );
  return lines.join('\n');
}
export { parseConnectTwiml, postVoiceWebhook } from './webhook.ts';
export type { ConnectTwiml, TwimlVerb, WebhookResult } from './webhook.ts';
export { startTwilioRestEmulator } from './twilio-rest.ts';
export type { TwilioRestEmulator } from './twilio-rest.ts';
