// Settings of text-to-speech: provider, voice, retries and endpoint. Part of the one schema
// (schema.ts).
import { int, num, oneOf, str, type Field } from './field.ts';

export const ttsFields = {
  ttsProvider: oneOf({
    env: 'TTS_PROVIDER',
    default: 'auto',
    values: ['auto', 'google', 'local'] as const,
    doc: 'auto: google when Google credentials/project are configured or TTS_ENDPOINT is set (emulator), else the local espeak-ng synthesiser.',
  }),
  ttsVoice: str({
    env: 'TTS_VOICE',
    default: 'he-IL-Wavenet-A',
    pattern: '^[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9]+(-[A-Za-z0-9]+)*$',
    allowed: 'a Google voice name (e.g. he-IL-Wavenet-A)',
    maxLength: 128,
    cr: 'tts.voice',
    doc: 'Google voice name. Chirp3-HD voices use StreamingSynthesize.',
  }),
  ttsSpeakingRate: num({
    env: 'TTS_SPEAKING_RATE',
    default: 1.0,
    min: 0.25,
    max: 4,
    cr: 'tts.speakingRate',
    doc: 'Speaking rate.',
  }),
  ttsPitch: num({
    env: 'TTS_PITCH',
    default: 0,
    min: -20,
    max: 20,
    cr: 'tts.pitch',
    doc: 'Pitch (semitones).',
  }),
  ttsRetryAttempts: int({
    env: 'TTS_RETRY_ATTEMPTS',
    default: 2,
    min: 0,
    max: 5,
    cr: 'tts.retryAttempts',
    doc: 'Retries of a sentence whose synthesis fails transiently (UNAVAILABLE, RESOURCE_EXHAUSTED, deadline) before any of its audio; after them the caller hears the cached apology.',
  }),
  ttsRetryBackoffMs: int({
    env: 'TTS_RETRY_BACKOFF_MS',
    default: 250,
    min: 0,
    max: 5000,
    unit: 'ms',
    cr: 'tts.retryBackoffMs',
    doc: 'Wait before the first synthesis retry; doubles per retry (with the defaults a sentence gives up after 0.75 s of an outage).',
  }),
  ttsEndpoint: str({
    env: 'TTS_ENDPOINT',
    default: '',
    pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
    allowed: 'a host name with an optional :port, without scheme or path (e.g. voice.example.com)',
    maxLength: 260,
    doc: 'Override the Text-to-Speech host[:port] (emulators).',
  }),
} as const satisfies Record<string, Field>;
