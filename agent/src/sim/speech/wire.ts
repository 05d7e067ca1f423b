// The Speech API's wire rules as the emulator enforces them: the google.cloud.speech v1/v2 service
// definitions loaded from the .proto files shipped with the client library, request validation
// with Google's error texts, and proto Durations. No state, no timers.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { AudioEncodingName } from './vad.ts';

const require = createRequire(import.meta.url);

function protoRoots(): { speech: string; gax: string } {
  const speechMain = require.resolve('@google-cloud/speech');
  const speechBuild = join(dirname(speechMain), '..');
  const gaxMain = createRequire(speechMain).resolve('google-gax');
  return { speech: join(speechBuild, 'protos'), gax: join(dirname(gaxMain), '..', 'protos') };
}

export interface SpeechServices {
  v1: grpc.ServiceDefinition;
  v2: grpc.ServiceDefinition;
}

let cachedServices: SpeechServices | undefined;

export function loadServices(): SpeechServices {
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

export interface Duration {
  seconds: number;
  nanos: number;
}
export function toDuration(ms: number): Duration {
  const whole = Math.max(0, Math.floor(ms / 1000));
  return { seconds: whole, nanos: Math.round((Math.max(0, ms) - whole * 1000) * 1e6) };
}

export interface RecognitionSettings {
  encoding: AudioEncodingName;
  interim: boolean;
  vadEvents: boolean;
  languageCode: string;
}

export class StatusError extends Error {
  readonly code: grpc.status;
  constructor(code: grpc.status, details: string) {
    super(details);
    this.code = code;
  }
}

export const V1_MAX_AUDIO_BYTES = 25 * 1024;
export const V2_MAX_AUDIO_BYTES = 15 * 1024;
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

export interface V1RecognitionConfig {
  encoding?: string;
  sampleRateHertz?: number;
  languageCode?: string;
  model?: string;
}

export function validateV1Config(config: V1RecognitionConfig | undefined): {
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

export interface V2RecognitionConfig {
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

export function validateV2(
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

/** The first request of a v1 stream: its streaming_config, validated. */
export function firstV1Request(msg: Record<string, unknown>): RecognitionSettings {
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

/** The first request of a v2 stream: recognizer and streaming_config, validated. */
export function firstV2Request(
  msg: Record<string, unknown>,
  servedLocation: string | undefined,
): RecognitionSettings {
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
  const v = validateV2(msg.recognizer as string | undefined, sc.config, true, servedLocation);
  return {
    ...v,
    interim: sc.streamingFeatures?.interimResults === true,
    vadEvents: sc.streamingFeatures?.enableVoiceActivityEvents === true,
  };
}

/** The call-clock base the agent sends with a stream or Recognize call (x-hva-stream-base-ms). */
export function streamBaseOf(metadata: grpc.Metadata, key: string): number | undefined {
  const raw = metadata.get(key)[0];
  return typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : undefined;
}
