// What the Text-to-Speech emulator checks in a request, like Google: the voice (INVALID_ARGUMENT
// for one that does not exist or does not match the language), SSML (refused by voices without
// SSML support, and unless it is one <speak> element), and the audio encodings it can produce.
import * as grpc from '@grpc/grpc-js';
import { encodeMulaw } from '../../audio/mulaw.ts';

export interface TtsVoice {
  readonly name: string;
  readonly languageCodes: readonly string[];
  readonly ssmlGender: 'MALE' | 'FEMALE';
  readonly naturalSampleRateHertz: number;
}

const CHIRP_NAMES = ['Achernar', 'Aoede', 'Charon', 'Fenrir', 'Kore', 'Puck'] as const;

/** he-IL voices as ListVoices reports them (Standard/Wavenet A-D, and Chirp3-HD). */
export const HEBREW_VOICES: readonly TtsVoice[] = [
  ...(['Standard', 'Wavenet'] as const).flatMap((family) =>
    (['A', 'B', 'C', 'D'] as const).map((letter) => ({
      name: `he-IL-${family}-${letter}`,
      languageCodes: ['he-IL'],
      ssmlGender: letter === 'A' || letter === 'C' ? ('FEMALE' as const) : ('MALE' as const),
      naturalSampleRateHertz: 24000,
    })),
  ),
  ...CHIRP_NAMES.map((n) => ({
    name: `he-IL-Chirp3-HD-${n}`,
    languageCodes: ['he-IL'],
    ssmlGender: n === 'Charon' || n === 'Fenrir' || n === 'Puck' ? ('MALE' as const) : ('FEMALE' as const),
    naturalSampleRateHertz: 24000,
  })),
];

export type VoiceParams = { name?: string; languageCode?: string };
export type AudioConfigIn = {
  audioEncoding?: string;
  sampleRateHertz?: number;
  speakingRate?: number;
  pitch?: number;
};

export function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

/** The error Google answers with while it is down (the emulator's faults). */
export function unavailable(code: grpc.status | undefined, message: string | undefined): grpc.ServiceError {
  return grpcError(
    code ?? grpc.status.UNAVAILABLE,
    message ?? 'The service is currently unavailable (emulator fault).',
  );
}

/** Validates the voice like Google: a name that does not exist is INVALID_ARGUMENT. */
export function checkVoice(
  voices: readonly TtsVoice[],
  voice: VoiceParams | undefined,
): grpc.ServiceError | TtsVoice {
  const name = voice?.name ?? '';
  const lang = voice?.languageCode ?? '';
  if (lang === '' && name === '')
    return grpcError(grpc.status.INVALID_ARGUMENT, 'Voice language code is required.');
  const found =
    name === '' ? voices.find((v) => v.languageCodes.includes(lang)) : voices.find((v) => v.name === name);
  if (!found) {
    return grpcError(
      grpc.status.INVALID_ARGUMENT,
      name !== ''
        ? `Voice '${name}' does not exist. Is it misspelled?`
        : `Language code '${lang}' is not supported.`,
    );
  }
  if (lang !== '' && !found.languageCodes.includes(lang)) {
    return grpcError(
      grpc.status.INVALID_ARGUMENT,
      `Requested language code '${lang}' doesn't match the voice '${found.name}' language code.`,
    );
  }
  return found;
}

/** Encodes PCM16 for an audio encoding; null if the encoding is not one this emulator makes. */
/**
 * mu-law made from each synthesised PCM once: the synthesis cache hands every answer of a
 * sentence the same Int16Array, and encoding it again per answer was the TTS emulator's largest
 * own cost under load. Callers only read the buffer (slice it, copy it behind a header).
 */
const mulawOfPcm = new WeakMap<Int16Array, Buffer>();

export function encodeAudio(pcm: Int16Array, encoding: string): Buffer | null {
  if (encoding === 'MULAW') {
    let mulaw = mulawOfPcm.get(pcm);
    if (mulaw === undefined) {
      mulaw = encodeMulaw(pcm);
      mulawOfPcm.set(pcm, mulaw);
    }
    return mulaw;
  }
  if (encoding === 'LINEAR16' || encoding === 'PCM')
    return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return null;
}

/** The words of an SSML document (tags dropped, entities decoded), as the emulator speaks them. */
export function ssmlText(ssml: string): string {
  return ssml
    .replace(/<break\b[^>]*>/gu, ' ')
    .replace(/<[^>]*>/gu, '')
    .replace(
      /&(lt|gt|amp|quot|apos);/gu,
      (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!,
    )
    .replace(/\s+/gu, ' ')
    .trim();
}

/** Google's refusals for SSML: voices without SSML support, and a document that is not <speak>...</speak>. */
export function checkSsml(ssml: string, voice: string): grpc.ServiceError | undefined {
  if (/-Chirp3-HD-|-Chirp-HD-|-Journey-/iu.test(voice))
    return grpcError(grpc.status.INVALID_ARGUMENT, `This voice does not support SSML input: ${voice}.`);
  const body = ssml.trim();
  if (
    !body.startsWith('<speak>') ||
    !body.endsWith('</speak>') ||
    /<(?!\/?(speak|say-as|break|sub|p|s|prosody|emphasis)\b)/u.test(body)
  )
    return grpcError(
      grpc.status.INVALID_ARGUMENT,
      'Invalid SSML: the document must be one <speak> element with supported tags.',
    );
  return undefined;
}
