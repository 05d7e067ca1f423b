// A local Speech-to-Text API for tests, demos and offline mode: google.cloud.speech v1 and v2
// StreamingRecognize + Recognize over plaintext gRPC, loaded from the .proto files shipped with
// the client library so the real clients talk to it unmodified. It "hears" speech with its own
// energy VAD, answers interim results during speech and a final after it, with latencies from a
// log-normal profile, and takes the words from a per-call script (x-hva-call-id metadata).
// It rejects what Google rejects, enforces the stream duration limit and the audio timeout,
// and injects faults on demand.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Logger } from '../../telemetry/logger.ts';
import type { SpeechStreamFaultHook } from '../faults/speech-hook.ts';
import { silentLogger } from '../../telemetry/logger.ts';
import { referenceProfilePath, sampleLogNormal, seededRandom, type Percentiles } from '../profile.ts';
import { TIDY_BEHAVIOUR } from './behaviour.ts';
import { loadProfile, type SpeechLatencyProfile } from './profile.ts';
import { ScriptedUtterance, spokenLine, utteranceSeed, type ShapedResult } from './utterance.ts';
import {
  DEFAULT_SEGMENTER,
  EnergySegmenter,
  segmentAll,
  type AudioEncodingName,
  type SegmenterOptions,
} from './vad.ts';

export const CALL_ID_METADATA = 'x-hva-call-id';
/** Call-clock ms of the stream's first byte, sent by the agent: replayed audio then gets the same words, as with Google. */
export const STREAM_BASE_METADATA = 'x-hva-stream-base-ms';

/** Used for calls without a registered script. */
export const DEFAULT_SCRIPT: readonly string[] = [
  'שלום, אני רוצה לבדוק את ההזמנה שלי.',
  'מה שעות הפתיחה שלכם?',
  'כן, בבקשה.',
  'תודה רבה.',
  'אני צריך עזרה עם החשבון.',
  'להתראות.',
];

export type SpeechFault =
  /** The next `count` streams (default 1) fail with UNAVAILABLE as soon as they open. */
  | { readonly kind: 'unavailableAtOpen'; readonly count?: number; readonly callId?: string }
  /** The next streams fail with UNAVAILABLE `afterMs` after they open. */
  | {
      readonly kind: 'unavailableAfter';
      readonly afterMs: number;
      readonly count?: number;
      readonly callId?: string;
    }
  /** The next streams end with the stream-duration OUT_OF_RANGE after `seconds`. */
  | {
      readonly kind: 'outOfRangeAt';
      readonly seconds: number;
      readonly count?: number;
      readonly callId?: string;
    }
  /** The next streams stop answering `afterMs` after open for `durationMs` (responses due then are lost). */
  | {
      readonly kind: 'stall';
      readonly afterMs?: number;
      readonly durationMs: number;
      readonly count?: number;
      readonly callId?: string;
    }
  /** The next streams answer every response `extraMs` later. */
  | { readonly kind: 'slow'; readonly extraMs: number; readonly count?: number; readonly callId?: string }
  /** The next one-shot Recognize calls fail with UNAVAILABLE. */
  | { readonly kind: 'recognizeUnavailable'; readonly count?: number; readonly callId?: string }
  /** The next one-shot Recognize calls answer `extraMs` later. */
  | {
      readonly kind: 'recognizeSlow';
      readonly extraMs: number;
      readonly count?: number;
      readonly callId?: string;
    };

export interface SpeechEmulatorOptions {
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Path of a latency profile JSON (the "stt" section is used) or a parsed profile; default: the shared reference profile. */
  readonly profile?: string | SpeechLatencyProfile;
  /** Multiplies every latency (0 = answer immediately; tests use small values). */
  readonly latencyScale?: number;
  readonly streamLimitSeconds?: number;
  readonly audioTimeoutMs?: number;
  /** The v2 location this endpoint serves (recognizers naming another location are rejected). Default: any. */
  readonly v2Location?: string;
  readonly segmenter?: Partial<SegmenterOptions>;
  readonly defaultScript?: readonly string[];
  readonly seed?: number;
  readonly logger?: Logger;
  /** Called as each streaming response is written (benchmarks correlate it with the agent's event). */
  readonly onResponse?: (info: EmulatorResponseInfo) => void;
  /** A fault plan's say on each new stream (sim/faults/speech-hook.ts): fail it, when, with what. */
  readonly streamFaults?: SpeechStreamFaultHook;
}

export interface EmulatorResponseInfo {
  readonly callId: string;
  readonly apiVersion: 'v1' | 'v2';
  readonly isFinal: boolean;
  readonly text: string;
  /** performance.now() when written. */
  readonly sentAt: number;
}

export interface SpeechEmulatorStats {
  streamsOpened: number;
  streamsActive: number;
  streamsRejected: number;
  recognizeCalls: number;
  /** Most one-shot Recognize calls in flight at once. */
  recognizeInFlightMax: number;
  interimsSent: number;
  finalsSent: number;
  /** Finals sent inside a mid-utterance pause (behaviour midUtteranceFinalAfterPauseMs). */
  midUtteranceFinals: number;
  faultsApplied: number;
  audioBytes: number;
  /** Last error status per kind, e.g. { OUT_OF_RANGE: 2 }. */
  errorsSent: Record<string, number>;
  /** The metadata call ids seen, in order of first appearance. */
  callIds: string[];
}

export interface SpeechEmulator {
  readonly port: number;
  /** host:port, what STT_ENDPOINT should be set to. */
  readonly address: string;
  setScript(callId: string, lines: readonly string[]): void;
  /** Script lines used so far for a call: distinct utterances heard across streams and Recognize calls. */
  finalsFor(callId: string): number;
  injectFault(fault: SpeechFault): void;
  clearFaults(): void;
  stats(): SpeechEmulatorStats;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

function protoRoots(): { speech: string; gax: string } {
  const speechMain = require.resolve('@google-cloud/speech');
  const speechBuild = join(dirname(speechMain), '..');
  const gaxMain = createRequire(speechMain).resolve('google-gax');
  return { speech: join(speechBuild, 'protos'), gax: join(dirname(gaxMain), '..', 'protos') };
}

interface SpeechServices {
  v1: grpc.ServiceDefinition;
  v2: grpc.ServiceDefinition;
}

let cachedServices: SpeechServices | undefined;

function loadServices(): SpeechServices {
  if (cachedServices) return cachedServices;
  const roots = protoRoots();
  const def = protoLoader.loadSync(
    ['google/cloud/speech/v1/cloud_speech.proto', 'google/cloud/speech/v2/cloud_speech.proto'],
    {
      includeDirs: [roots.speech, roots.gax],
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: false,
      oneofs: true,
    },
  );
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    google: {
      cloud: {
        speech: {
          v1: { Speech: { service: grpc.ServiceDefinition } };
          v2: { Speech: { service: grpc.ServiceDefinition } };
        };
      };
    };
  };
  cachedServices = {
    v1: pkg.google.cloud.speech.v1.Speech.service,
    v2: pkg.google.cloud.speech.v2.Speech.service,
  };
  return cachedServices;
}

interface Duration {
  seconds: number;
  nanos: number;
}
function toDuration(ms: number): Duration {
  const whole = Math.max(0, Math.floor(ms / 1000));
  return { seconds: whole, nanos: Math.round((Math.max(0, ms) - whole * 1000) * 1e6) };
}

interface RecognitionSettings {
  encoding: AudioEncodingName;
  interim: boolean;
  vadEvents: boolean;
  languageCode: string;
}

class StatusError extends Error {
  readonly code: grpc.status;
  constructor(code: grpc.status, details: string) {
    super(details);
    this.code = code;
  }
}

const V1_MAX_AUDIO_BYTES = 25 * 1024;
const V2_MAX_AUDIO_BYTES = 15 * 1024;
const V1_HEBREW_REJECTED = new Set([
  'phone_call',
  'latest_short',
  'latest_long',
  'video',
  'medical_dictation',
  'medical_conversation',
]);
const V1_MODELS = new Set(['', 'default', 'command_and_search', ...V1_HEBREW_REJECTED]);

function isHebrew(code: string): boolean {
  return /^(iw|he)(-|$)/i.test(code);
}
function normalizeLanguage(code: string): string {
  return isHebrew(code) ? code.replace(/^he/i, 'iw') : code;
}

function checkEncoding(encoding: unknown, sampleRate: unknown): AudioEncodingName {
  if (encoding !== 'MULAW' && encoding !== 'LINEAR16') {
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      `Invalid recognition 'config': this emulator decodes MULAW or LINEAR16 only (got ${String(encoding)}).`,
    );
  }
  if (sampleRate !== undefined && sampleRate !== 0 && sampleRate !== 8000) {
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      `Invalid recognition 'config': this emulator expects sample_rate_hertz 8000 (got ${String(sampleRate)}).`,
    );
  }
  return encoding;
}

interface V1RecognitionConfig {
  encoding?: string;
  sampleRateHertz?: number;
  languageCode?: string;
  model?: string;
}

function validateV1Config(config: V1RecognitionConfig | undefined): {
  encoding: AudioEncodingName;
  languageCode: string;
} {
  if (!config)
    throw new StatusError(grpc.status.INVALID_ARGUMENT, "Invalid recognition 'config': config is required.");
  const languageCode = normalizeLanguage(config.languageCode ?? '');
  if (languageCode === '')
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      "Invalid recognition 'config': language_code is required.",
    );
  const model = config.model ?? '';
  if (!V1_MODELS.has(model)) {
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      `Invalid recognition 'config': the requested model "${model}" does not exist.`,
    );
  }
  if (isHebrew(languageCode) && V1_HEBREW_REJECTED.has(model)) {
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      `The requested model is currently not supported for language : ${languageCode}.`,
    );
  }
  return { encoding: checkEncoding(config.encoding, config.sampleRateHertz), languageCode };
}

interface V2RecognitionConfig {
  explicitDecodingConfig?: { encoding?: string; sampleRateHertz?: number; audioChannelCount?: number };
  languageCodes?: string[];
  model?: string;
}

const V2_MODELS = new Set([
  'chirp_3',
  'chirp_2',
  'chirp',
  'telephony',
  'long',
  'short',
  'latest_long',
  'latest_short',
]);

function validateV2(
  recognizer: string | undefined,
  config: V2RecognitionConfig | undefined,
  streaming: boolean,
  servedLocation: string | undefined,
): { encoding: AudioEncodingName; languageCode: string } {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/recognizers\/([^/]+)$/.exec(recognizer ?? '');
  if (!m)
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      `Invalid resource field value in the request: recognizer "${recognizer ?? ''}".`,
    );
  const location = m[2]!;
  if (servedLocation !== undefined && location !== servedLocation) {
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      `Expected resource location to be ${servedLocation}, but found ${location} in resource name.`,
    );
  }
  if (!config)
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      'Invalid request: config is required with the implicit recognizer "_".',
    );
  const model = config.model ?? '';
  if (!V2_MODELS.has(model)) {
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      `The model "${model}" does not exist in the location named "${location}".`,
    );
  }
  const languageCode = normalizeLanguage(config.languageCodes?.[0] ?? '');
  if (languageCode === '')
    throw new StatusError(grpc.status.INVALID_ARGUMENT, 'Invalid request: language_codes is required.');
  if (streaming && isHebrew(languageCode) && (model === 'chirp_2' || model === 'chirp')) {
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      `The language "${languageCode}" is not supported by the model "${model}" for streaming recognition in the location named "${location}".`,
    );
  }
  const dec = config.explicitDecodingConfig;
  if (!dec)
    throw new StatusError(
      grpc.status.INVALID_ARGUMENT,
      'Invalid request: explicit_decoding_config is required for headerless audio.',
    );
  if (dec.audioChannelCount !== undefined && dec.audioChannelCount > 1) {
    throw new StatusError(grpc.status.INVALID_ARGUMENT, 'This emulator accepts mono audio only.');
  }
  return { encoding: checkEncoding(dec.encoding, dec.sampleRateHertz), languageCode };
}

interface CallScript {
  lines: readonly string[];
  next: number;
  /** Utterances placed on the call clock (streams that send x-hva-stream-base-ms) and their line. */
  placed: Array<{ startMs: number; line: string }>;
}

/** Speech starting within this distance of a known utterance is the same utterance replayed. */
const REPLAY_MATCH_MS = 400;
/** Silence inside a marked line that counts as the caller's pause (longer than gaps between words). */
const PART_GAP_MS = 200;
/** A marked line whose caller never resumes ends after this much silence. */
const ABANDONED_LINE_MS = 4000;

interface StreamFaults {
  unavailableAfterMs?: number;
  outOfRangeAtMs?: number;
  stall?: { afterMs: number; durationMs: number };
  extraMs: number;
}

export async function startSpeechEmulator(options: SpeechEmulatorOptions = {}): Promise<SpeechEmulator> {
  const services = loadServices();
  const logger = options.logger ?? silentLogger;
  const profile: SpeechLatencyProfile =
    typeof options.profile === 'object' ? options.profile : loadProfile(options.profile);
  const behaviour = profile.behaviour ?? TIDY_BEHAVIOUR;
  const scale = options.latencyScale ?? 1;
  const seed = options.seed ?? 0x5eed;
  const rng = seededRandom(seed);
  const streamLimitMs = (options.streamLimitSeconds ?? 305) * 1000;
  const audioTimeoutMs = options.audioTimeoutMs ?? 10_000;
  const segmenterOpts: SegmenterOptions = { ...DEFAULT_SEGMENTER, ...options.segmenter };
  const defaultScript = options.defaultScript ?? DEFAULT_SCRIPT;
  const scripts = new Map<string, CallScript>();
  const faults: Array<SpeechFault & { remaining: number }> = [];
  const activeCalls = new Set<grpc.ServerDuplexStream<unknown, unknown>>();
  const stats: SpeechEmulatorStats = {
    streamsOpened: 0,
    streamsActive: 0,
    streamsRejected: 0,
    recognizeCalls: 0,
    recognizeInFlightMax: 0,
    interimsSent: 0,
    finalsSent: 0,
    midUtteranceFinals: 0,
    faultsApplied: 0,
    audioBytes: 0,
    errorsSent: {},
    callIds: [],
  };
  const seenCalls = new Set<string>();
  let recognizeInFlight = 0;

  const latency = (p: Percentiles): number => (scale === 0 ? 0 : sampleLogNormal(p, rng) * scale);

  function scriptFor(callId: string): CallScript {
    let s = scripts.get(callId);
    if (!s) {
      s = { lines: defaultScript, next: 0, placed: [] };
      scripts.set(callId, s);
    }
    return s;
  }
  function peekLine(callId: string): string {
    const s = scriptFor(callId);
    return s.lines.length === 0 ? '' : s.lines[s.next % s.lines.length]!;
  }
  function takeLine(callId: string): string {
    const s = scriptFor(callId);
    const line = s.lines.length === 0 ? '' : s.lines[s.next % s.lines.length]!;
    s.next++;
    return line;
  }

  /** The line for an utterance that starts at call time `startMs`: the same line if it was heard before. */
  function lineAt(callId: string, startMs: number): string {
    const s = scriptFor(callId);
    const known = s.placed.find((p) => Math.abs(p.startMs - startMs) <= REPLAY_MATCH_MS);
    if (known) return known.line;
    const line = takeLine(callId);
    s.placed.push({ startMs, line });
    if (s.placed.length > 200) s.placed.shift();
    return line;
  }

  function callIdOf(metadata: grpc.Metadata): string {
    const v = metadata.get(CALL_ID_METADATA)[0];
    const id = typeof v === 'string' && v !== '' ? v : 'unknown';
    if (!seenCalls.has(id)) {
      seenCalls.add(id);
      stats.callIds.push(id);
    }
    return id;
  }

  function takeFaults(callId: string, kinds: ReadonlyArray<SpeechFault['kind']>): SpeechFault[] {
    const taken: SpeechFault[] = [];
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i]!;
      if (!kinds.includes(f.kind)) continue;
      if (f.callId !== undefined && f.callId !== callId) continue;
      if (taken.some((t) => t.kind === f.kind)) continue;
      taken.push(f);
      stats.faultsApplied++;
      f.remaining--;
      if (f.remaining <= 0) faults.splice(i--, 1);
    }
    return taken;
  }

  function countError(code: grpc.status): void {
    const name = grpc.status[code] ?? String(code);
    stats.errorsSent[name] = (stats.errorsSent[name] ?? 0) + 1;
  }

  function handleStream(
    apiVersion: 'v1' | 'v2',
    call: grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>,
  ): void {
    const callId = callIdOf(call.metadata);
    const baseRaw = call.metadata.get(STREAM_BASE_METADATA)[0];
    const baseMs = typeof baseRaw === 'string' && /^-?\d+$/.test(baseRaw) ? Number(baseRaw) : undefined;
    stats.streamsOpened++;
    stats.streamsActive++;
    activeCalls.add(call as grpc.ServerDuplexStream<unknown, unknown>);
    const openedAt = performance.now();
    const timers = new Set<NodeJS.Timeout>();
    let closed = false;
    let settings: RecognitionSettings | undefined;
    let segmenter: EnergySegmenter | undefined;
    let audioMs = 0;
    let bytesPerMs = 8;
    // Finals waiting to be written, in utterance order: like Google, a stream answers in audio
    // order, so a final never overtakes an earlier one even when its drawn latency is shorter
    // (e.g. several utterances heard at once from a replayed buffer).
    const finalQueue: Array<{ dueAt: number; text: string; endMs: number }> = [];
    let halfClosed = false;
    // Current utterance (between the VAD's start and end).
    let utterance:
      | {
          startMs: number;
          line?: string;
          interimTimer?: NodeJS.Timeout;
          shaped?: ScriptedUtterance;
          /** The emulator's segment ended but the line has parts left: a mid-sentence pause. */
          paused?: boolean;
          /** A silence inside the line is under way (its parts advance when voice resumes). */
          inGap?: boolean;
          /** A mid-utterance final was already sent in the current gap. */
          gapFinalSent?: boolean;
        }
      | undefined;
    // Assigned below; cleanup() may run first (a fault at open).
    // eslint-disable-next-line prefer-const
    let audioTimer: NodeJS.Timeout | undefined;

    const sf: StreamFaults = { extraMs: 0 };
    for (const f of takeFaults(callId, [
      'unavailableAtOpen',
      'unavailableAfter',
      'outOfRangeAt',
      'stall',
      'slow',
    ])) {
      if (f.kind === 'unavailableAtOpen') {
        fail(grpc.status.UNAVAILABLE, 'The service is currently unavailable.');
        return;
      }
      if (f.kind === 'unavailableAfter') sf.unavailableAfterMs = f.afterMs;
      if (f.kind === 'outOfRangeAt') sf.outOfRangeAtMs = f.seconds * 1000;
      if (f.kind === 'stall') sf.stall = { afterMs: f.afterMs ?? 0, durationMs: f.durationMs };
      if (f.kind === 'slow') sf.extraMs = f.extraMs;
    }

    const planned = options.streamFaults?.(callId);
    let plannedArmed = false;
    const failPlanned = (): void => {
      if (closed || !planned) return;
      planned.fired();
      fail(planned.code, planned.details);
    };

    function later(ms: number, fn: () => void): NodeJS.Timeout {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!closed) fn();
      }, ms);
      timers.add(t);
      return t;
    }

    function cleanup(): void {
      if (closed) return;
      closed = true;
      stats.streamsActive--;
      activeCalls.delete(call as grpc.ServerDuplexStream<unknown, unknown>);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (audioTimer) clearTimeout(audioTimer);
    }

    function fail(code: grpc.status, details: string): void {
      if (closed) return;
      countError(code);
      if (code === grpc.status.INVALID_ARGUMENT) stats.streamsRejected++;
      logger.debug({ callId, apiVersion, code: grpc.status[code], details }, 'speech emulator: stream error');
      cleanup();
      call.emit('error', { code, details, metadata: new grpc.Metadata() });
    }

    function stalled(): boolean {
      if (!sf.stall) return false;
      const elapsed = performance.now() - openedAt;
      return elapsed >= sf.stall.afterMs && elapsed < sf.stall.afterMs + sf.stall.durationMs;
    }

    function send(isFinal: boolean, text: string, stability: number, endMs: number): void {
      sendResults(isFinal, [{ text, stability }], endMs);
    }

    /** One response holding `results` in order (Google may split one interim into several). */
    function sendResults(isFinal: boolean, shaped: readonly ShapedResult[], endMs: number): void {
      if (shaped.length === 0) return;
      const results = shaped.map(({ text, stability }) => {
        const alternatives = [{ transcript: text, confidence: isFinal ? 0.92 : 0 }];
        const languageCode = settings?.languageCode.toLowerCase();
        // Stability 0 is proto3's default: not on the wire, i.e. unset, as Google sends it.
        return apiVersion === 'v1'
          ? { alternatives, isFinal, stability, resultEndTime: toDuration(endMs), languageCode }
          : { alternatives, isFinal, stability, resultEndOffset: toDuration(endMs), languageCode };
      });
      call.write({ results });
      if (isFinal) stats.finalsSent++;
      else stats.interimsSent++;
      const text = shaped.map((r) => r.text).join('');
      options.onResponse?.({ callId, apiVersion, isFinal, text, sentAt: performance.now() });
    }

    /** The utterance's shaped words for `line` (made again if the line it peeked changed). */
    function shapedFor(u: NonNullable<typeof utterance>, line: string): ScriptedUtterance {
      if (u.shaped?.line !== line) {
        const random = seededRandom(utteranceSeed(seed, callId, (baseMs ?? 0) + u.startMs));
        u.shaped = new ScriptedUtterance(line, u.startMs, behaviour, apiVersion, random);
      }
      return u.shaped;
    }

    function sendEvent(kind: 'begin' | 'end', atMs: number): void {
      if (!settings?.vadEvents || stalled()) return;
      const type = kind === 'begin' ? 'SPEECH_ACTIVITY_BEGIN' : 'SPEECH_ACTIVITY_END';
      call.write(
        apiVersion === 'v1'
          ? { speechEventType: type, speechEventTime: toDuration(atMs) }
          : { speechEventType: type, speechEventOffset: toDuration(atMs) },
      );
    }

    function scheduleInterim(delay: number): void {
      if (!utterance || !settings?.interim) return;
      const u = utterance;
      u.interimTimer = later(delay + sf.extraMs, () => {
        if (utterance !== u) return;
        // No results for later audio while an earlier utterance's final is still due.
        if (!stalled() && finalQueue.length === 0) {
          // The same line the final will carry: placed at speech start, or (without a stream
          // base) the next unused line, which the final takes.
          const shaped = shapedFor(u, u.line ?? peekLine(callId));
          sendResults(false, shaped.interim(audioMs), audioMs);
        }
        scheduleInterim(latency(profile.interimIntervalMs));
      });
    }

    function onSegment(
      ev: { type: 'start'; atMs: number } | { type: 'end'; atMs: number; decidedAtMs: number },
    ): void {
      if (ev.type === 'start') {
        if (utterance?.paused) {
          // The caller goes on after a mid-sentence pause: the same line continues.
          utterance.paused = false;
          scheduleInterim(latency(profile.interimIntervalMs));
          return;
        }
        if (planned?.afterSpeechMs !== undefined && utterance === undefined && !plannedArmed) {
          plannedArmed = true;
          later(planned.afterSpeechMs, failPlanned);
        }
        utterance =
          baseMs === undefined
            ? { startMs: ev.atMs }
            : { startMs: ev.atMs, line: lineAt(callId, baseMs + ev.atMs) };
        sendEvent('begin', ev.atMs);
        scheduleInterim(latency(profile.firstPartialAfterSpeechStartMs));
        return;
      }
      const u = utterance;
      if (u?.interimTimer) {
        clearTimeout(u.interimTimer);
        timers.delete(u.interimTimer);
      }
      if (u && shapedFor(u, u.line ?? peekLine(callId)).hasMoreParts) {
        // A pause inside a line whose script says the caller goes on.
        u.paused = true;
        return;
      }
      endUtterance(ev.atMs, ev.decidedAtMs);
    }

    function endUtterance(atMs: number, decidedAtMs: number): void {
      const u = utterance;
      const placedLine = u?.line;
      utterance = undefined;
      sendEvent('end', atMs);
      // The final covers the speech and a little of the silence after it, never the next speech.
      const endMs = Math.min(decidedAtMs, atMs + 100);
      const alreadyWaited = decidedAtMs - atMs;
      const delay =
        Math.max(0, latency(profile.finalAfterSpeechEndMs) - (scale === 0 ? 0 : alreadyWaited)) + sf.extraMs;
      // Without a stream base the line is taken now, so interims of the next utterance (which
      // peek the next unused line) already show the line its final will carry.
      const line = placedLine ?? takeLine(callId);
      const text = u ? shapedFor(u, line).endFinal() : spokenLine(line);
      queueFinal(performance.now() + delay, text, endMs);
    }

    function queueFinal(dueAt: number, text: string, endMs: number): void {
      const last = finalQueue[finalQueue.length - 1];
      finalQueue.push({ dueAt: Math.max(dueAt, last?.dueAt ?? 0), text, endMs });
      if (finalQueue.length === 1) scheduleFinal();
    }

    /**
     * Silence inside a line with parts left (the pause set): the next part starts when voice
     * resumes; Google-like profiles send a final for the words so far once the pause is long
     * enough; a caller who never resumes ends the line.
     */
    function followPause(): void {
      const u = utterance;
      if (!u?.shaped || !segmenter || !(u.shaped.hasMoreParts || u.inGap)) return;
      const lastVoiced = segmenter.lastVoicedMs;
      const silentFor = segmenter.processedMs - lastVoiced;
      if (silentFor < PART_GAP_MS) {
        if (u.inGap) {
          u.inGap = false;
          u.gapFinalSent = false;
          u.shaped.nextPart(lastVoiced - 20);
        }
        return;
      }
      u.inGap = true;
      const finalAfter = behaviour.midUtteranceFinalAfterPauseMs;
      if (finalAfter !== undefined && !u.gapFinalSent && silentFor >= finalAfter) {
        u.gapFinalSent = true;
        const text = u.shaped.midFinal();
        if (text !== undefined) {
          stats.midUtteranceFinals++;
          queueFinal(performance.now(), text, lastVoiced + 100);
        }
      }
      if (u.paused && silentFor >= ABANDONED_LINE_MS) endUtterance(lastVoiced, segmenter.processedMs);
    }

    function scheduleFinal(): void {
      const head = finalQueue[0];
      if (!head) return;
      later(Math.max(0, head.dueAt - performance.now()), () => {
        const f = finalQueue.shift()!;
        if (!stalled()) send(true, f.text, 0, f.endMs);
        if (finalQueue.length > 0) scheduleFinal();
        else if (halfClosed) finish();
      });
    }

    function finish(): void {
      if (closed) return;
      cleanup();
      call.end();
    }

    audioTimer = setTimeout(() => {
      if (!closed)
        fail(
          grpc.status.OUT_OF_RANGE,
          'Audio Timeout Error: Long duration elapsed without audio. Audio should be sent close to real time.',
        );
    }, audioTimeoutMs);
    later(Math.min(streamLimitMs, sf.outOfRangeAtMs ?? Infinity), () => {
      fail(
        grpc.status.OUT_OF_RANGE,
        `Exceeded maximum allowed stream duration of ${Math.round(streamLimitMs / 1000)} seconds.`,
      );
    });
    if (planned?.afterMs !== undefined) later(planned.afterMs, failPlanned);
    if (sf.unavailableAfterMs !== undefined)
      later(sf.unavailableAfterMs, () =>
        fail(grpc.status.UNAVAILABLE, 'The service is currently unavailable.'),
      );
    later(latency(profile.streamOpenMs), () => call.sendMetadata(new grpc.Metadata()));

    call.on('data', (msg: Record<string, unknown>) => {
      if (closed) return;
      try {
        if (settings === undefined) {
          settings = apiVersion === 'v1' ? firstV1(msg) : firstV2(msg);
          segmenter = new EnergySegmenter(settings.encoding, segmenterOpts);
          bytesPerMs = settings.encoding === 'MULAW' ? 8 : 16;
          return;
        }
        const audio = (apiVersion === 'v1' ? msg.audioContent : msg.audio) as Buffer | undefined;
        if (msg.streamingConfig !== undefined) {
          throw new StatusError(
            grpc.status.INVALID_ARGUMENT,
            'Invalid request: streaming_config may only be sent in the first request.',
          );
        }
        if (!audio || audio.length === 0) return;
        const max = apiVersion === 'v1' ? V1_MAX_AUDIO_BYTES : V2_MAX_AUDIO_BYTES;
        if (audio.length > max) {
          throw new StatusError(
            grpc.status.INVALID_ARGUMENT,
            `Request audio content is too large: ${audio.length} bytes in one request; the maximum is ${max} bytes.`,
          );
        }
        stats.audioBytes += audio.length;
        audioTimer?.refresh();
        audioMs += audio.length / bytesPerMs;
        for (const ev of segmenter!.push(audio)) onSegment(ev);
        followPause();
      } catch (err) {
        if (err instanceof StatusError) fail(err.code, err.message);
        else fail(grpc.status.INTERNAL, String(err));
      }
    });
    call.on('end', () => {
      if (closed) return;
      halfClosed = true;
      for (const ev of segmenter?.flush() ?? []) onSegment(ev);
      if (finalQueue.length === 0) finish();
    });
    call.on('cancelled', cleanup);
    call.on('error', cleanup);
    call.on('close', cleanup);

    function firstV1(msg: Record<string, unknown>): RecognitionSettings {
      const sc = msg.streamingConfig as
        | { config?: V1RecognitionConfig; interimResults?: boolean; enableVoiceActivityEvents?: boolean }
        | undefined;
      if (!sc)
        throw new StatusError(
          grpc.status.INVALID_ARGUMENT,
          'Invalid request: the first request must contain streaming_config.',
        );
      const v = validateV1Config(sc.config);
      return { ...v, interim: sc.interimResults === true, vadEvents: sc.enableVoiceActivityEvents === true };
    }
    function firstV2(msg: Record<string, unknown>): RecognitionSettings {
      const sc = msg.streamingConfig as
        | {
            config?: V2RecognitionConfig;
            streamingFeatures?: { interimResults?: boolean; enableVoiceActivityEvents?: boolean };
          }
        | undefined;
      if (!sc)
        throw new StatusError(
          grpc.status.INVALID_ARGUMENT,
          'Invalid request: the first request must contain streaming_config.',
        );
      const v = validateV2(msg.recognizer as string | undefined, sc.config, true, options.v2Location);
      return {
        ...v,
        interim: sc.streamingFeatures?.interimResults === true,
        vadEvents: sc.streamingFeatures?.enableVoiceActivityEvents === true,
      };
    }
  }

  function handleRecognize(
    apiVersion: 'v1' | 'v2',
    call: grpc.ServerUnaryCall<Record<string, unknown>, Record<string, unknown>>,
    callback: grpc.sendUnaryData<Record<string, unknown>>,
  ): void {
    const callId = callIdOf(call.metadata);
    const baseRaw = call.metadata.get(STREAM_BASE_METADATA)[0];
    const baseMs = typeof baseRaw === 'string' && /^-?\d+$/.test(baseRaw) ? Number(baseRaw) : undefined;
    stats.recognizeCalls++;
    let extraMs = 0;
    for (const f of takeFaults(callId, ['recognizeUnavailable', 'recognizeSlow'])) {
      if (f.kind === 'recognizeUnavailable') {
        countError(grpc.status.UNAVAILABLE);
        callback({ code: grpc.status.UNAVAILABLE, details: 'The service is currently unavailable.' });
        return;
      }
      if (f.kind === 'recognizeSlow') extraMs = f.extraMs;
    }
    let encoding: AudioEncodingName;
    let languageCode: string;
    let audio: Buffer | undefined;
    try {
      if (apiVersion === 'v1') {
        ({ encoding, languageCode } = validateV1Config(
          call.request.config as V1RecognitionConfig | undefined,
        ));
        audio = (call.request.audio as { content?: Buffer } | undefined)?.content;
      } else {
        ({ encoding, languageCode } = validateV2(
          call.request.recognizer as string,
          call.request.config as V2RecognitionConfig,
          false,
          options.v2Location,
        ));
        audio = call.request.content as Buffer | undefined;
      }
      if (!audio || audio.length === 0)
        throw new StatusError(grpc.status.INVALID_ARGUMENT, 'Invalid request: no audio content.');
      const ms = audio.length / (encoding === 'MULAW' ? 8 : 16);
      if (ms > 60_000) {
        throw new StatusError(
          grpc.status.INVALID_ARGUMENT,
          'Sync input too long. For audio longer than 1 min use LongRunningRecognize with a GCS URI.',
        );
      }
    } catch (err) {
      const e = err instanceof StatusError ? err : new StatusError(grpc.status.INTERNAL, String(err));
      countError(e.code);
      callback({ code: e.code, details: e.message });
      return;
    }
    // Lines are placed now, when the audio arrives, not when the answer is due: a stream that
    // hears the next utterance meanwhile must not take this utterance's line.
    const spans = segmentAll(audio, encoding, segmenterOpts).map(
      ([start, end]) =>
        [start, end, baseMs === undefined ? takeLine(callId) : lineAt(callId, baseMs + start)] as const,
    );
    const delay = latency(profile.oneShotRecognizeMs) + extraMs;
    recognizeInFlight++;
    stats.recognizeInFlightMax = Math.max(stats.recognizeInFlightMax, recognizeInFlight);
    setTimeout(() => {
      recognizeInFlight--;
      const results = spans.map(([, end, text]) => {
        const alt = { transcript: spokenLine(text), confidence: 0.9 };
        return apiVersion === 'v1'
          ? { alternatives: [alt], resultEndTime: toDuration(end), languageCode: languageCode.toLowerCase() }
          : {
              alternatives: [alt],
              resultEndOffset: toDuration(end),
              languageCode: languageCode.toLowerCase(),
            };
      });
      callback(null, { results });
    }, delay).unref();
  }

  const server = new grpc.Server();
  const impl = (v: 'v1' | 'v2'): grpc.UntypedServiceImplementation => ({
    StreamingRecognize: (call: grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>) =>
      handleStream(v, call),
    Recognize: (
      call: grpc.ServerUnaryCall<Record<string, unknown>, Record<string, unknown>>,
      cb: grpc.sendUnaryData<Record<string, unknown>>,
    ) => handleRecognize(v, call, cb),
  });
  server.addService(services.v1, impl('v1'));
  server.addService(services.v2, impl('v2'));
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  logger.info(
    {
      host,
      port,
      profile:
        typeof options.profile === 'object' ? 'given object' : (options.profile ?? referenceProfilePath()),
      shape: profile.behaviour ? 'profile behaviour (Google-like results)' : 'tidy',
    },
    'speech emulator listening',
  );

  return {
    port,
    address: `${host}:${port}`,
    setScript(callId, lines) {
      scripts.set(callId, { lines: [...lines], next: 0, placed: [] });
    },
    finalsFor(callId) {
      return scripts.get(callId)?.next ?? 0;
    },
    injectFault(fault) {
      faults.push({ ...fault, remaining: fault.count ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    stats() {
      return { ...stats, errorsSent: { ...stats.errorsSent }, callIds: [...stats.callIds] };
    },
    async close() {
      for (const call of activeCalls)
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'Emulator shutting down.' });
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      });
    },
  };
}
