// Google Cloud Text-to-Speech: he-IL voice, MULAW at 8000 Hz. Unary SynthesizeSpeech returns a
// WAV file (header stripped here); Chirp 3 HD voices use the bidirectional StreamingSynthesize,
// whose audio is headerless and arrives while the rest of the sentence is still being made.
import * as grpc from '@grpc/grpc-js';
import { TextToSpeechClient } from '@google-cloud/text-to-speech';
import type { ClientOptions } from 'google-gax';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import type { SynthesizeRequest, Synthesizer } from './types.ts';
import { hasWavHeader, stripWavHeader } from './wav-header.ts';
import { SynthesizerError, type SynthesizerErrorKind } from './errors.ts';
import { ttsFirstAudio, ttsRequests } from './metrics.ts';

export interface GoogleSynthesizerOptions {
  readonly voice: string;
  readonly speakingRate: number;
  readonly pitch: number;
  /** host[:port] of a plaintext endpoint (emulator). Empty/undefined: Google's TLS endpoint. */
  readonly endpoint?: string;
  /** Streaming synthesis: 'auto' = only for Chirp3-HD voices, the only ones Google streams. */
  readonly streaming?: 'auto' | 'always' | 'never';
  /** Bytes per yielded chunk of unary audio (8 bytes = 1 ms). Default 1600 (200 ms). */
  readonly chunkBytes?: number;
  /** Deadline of one unary synthesis (ms). Default 10000. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  /** An existing client (tests); otherwise one is created from `endpoint`. */
  readonly client?: TextToSpeechClient;
}

/** Google only streams Chirp 3 HD voices. */
export function supportsStreamingSynthesis(voice: string): boolean {
  return /-Chirp3-HD-/i.test(voice);
}

/**
 * Whether a voice takes SSML input. Chirp 3 HD (and Chirp HD / Journey) voices take plain text
 * only; Standard, Wavenet, Neural2 and Studio voices take SSML.
 */
export function supportsSsml(voice: string): boolean {
  return !/-(?:Chirp3-HD|Chirp-HD|Journey)-/iu.test(voice);
}

/** Language code of a voice name: 'he-IL-Wavenet-A' -> 'he-IL'. */
export function voiceLanguage(voice: string): string {
  const m = /^([a-z]{2,3}-[A-Z]{2})-/.exec(voice);
  return m?.[1] ?? 'he-IL';
}

/** Client options that point the real client at a plaintext host[:port] (the TTS emulator). */
export function emulatorClientOptions(endpoint: string): ClientOptions {
  const [host, portText] = endpoint.split(':');
  return {
    apiEndpoint: host,
    port: portText ? Number(portText) : 443,
    sslCreds: grpc.credentials.createInsecure(),
    // Without it the client probes the cloud metadata server for the universe domain.
    universeDomain: 'googleapis.com',
  };
}

const GRPC_KIND: Partial<Record<number, SynthesizerErrorKind>> = {
  [grpc.status.INVALID_ARGUMENT]: 'invalid_argument',
  [grpc.status.NOT_FOUND]: 'invalid_argument',
  [grpc.status.UNAVAILABLE]: 'unavailable',
  [grpc.status.RESOURCE_EXHAUSTED]: 'unavailable',
  [grpc.status.DEADLINE_EXCEEDED]: 'timeout',
};

function toSynthError(e: unknown): SynthesizerError {
  if (e instanceof SynthesizerError) return e;
  const code = typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : undefined;
  const kind = (code !== undefined ? GRPC_KIND[code] : undefined) ?? 'internal';
  const message = e instanceof Error ? e.message : String(e);
  return new SynthesizerError(
    'google',
    kind,
    `Google TTS: ${message}`,
    code !== undefined ? { cause: e, grpcCode: code } : { cause: e },
  );
}

export class GoogleSynthesizer implements Synthesizer {
  readonly name = 'google';
  readonly client: TextToSpeechClient;
  readonly acceptsSsml: boolean;
  private readonly options: GoogleSynthesizerOptions;
  private readonly streaming: boolean;
  private readonly chunkBytes: number;
  private readonly logger: Logger;

  constructor(options: GoogleSynthesizerOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.chunkBytes = options.chunkBytes ?? 1600;
    const mode = options.streaming ?? 'auto';
    this.streaming = mode === 'always' || (mode === 'auto' && supportsStreamingSynthesis(options.voice));
    // StreamingSynthesize takes text only, whatever the voice.
    this.acceptsSsml = !this.streaming && supportsSsml(options.voice);
    this.client =
      options.client ??
      new TextToSpeechClient(options.endpoint ? emulatorClientOptions(options.endpoint) : {});
  }

  /** Confirms the configured voice exists (ListVoices); a wrong voice fails at boot, not on the first call. */
  async ready(): Promise<void> {
    const languageCode = voiceLanguage(this.options.voice);
    let voices: { name?: string | null }[];
    try {
      const [response] = await this.client.listVoices({ languageCode });
      voices = response.voices ?? [];
    } catch (e) {
      throw toSynthError(e);
    }
    if (!voices.some((v) => v.name === this.options.voice)) {
      const names = voices.map((v) => v.name).join(', ');
      throw new SynthesizerError(
        'google',
        'invalid_argument',
        `TTS voice '${this.options.voice}' is not offered for ${languageCode} (available: ${names})`,
      );
    }
    this.logger.info(
      { tts: 'google', voice: this.options.voice, streaming: this.streaming },
      'Google TTS voice confirmed',
    );
  }

  synthesize(request: SynthesizeRequest): AsyncIterable<Buffer> {
    return this.streaming ? this.synthesizeStreaming(request) : this.synthesizeUnary(request);
  }

  private async *synthesizeUnary(request: SynthesizeRequest): AsyncIterable<Buffer> {
    const started = performance.now();
    if (request.signal.aborted) return;
    let audio: Buffer;
    try {
      const call = this.client.synthesizeSpeech(
        {
          input:
            this.acceptsSsml && request.ssml !== undefined ? { ssml: request.ssml } : { text: request.text },
          voice: { name: this.options.voice, languageCode: voiceLanguage(this.options.voice) },
          audioConfig: {
            audioEncoding: 'MULAW',
            sampleRateHertz: 8000,
            speakingRate: this.options.speakingRate,
            pitch: this.options.pitch,
          },
        },
        // No gax retries (its default retries UNAVAILABLE for up to 300 s): a live call is better
        // served by failing fast into the apology than by a long silence.
        { retry: null, timeout: this.options.timeoutMs ?? 10_000 },
      );
      // gax promises carry cancel(): it cancels the underlying gRPC call (rejects with CANCELLED).
      const cancel = (): void => (call as unknown as { cancel?: () => void }).cancel?.();
      request.signal.addEventListener('abort', cancel, { once: true });
      let response;
      try {
        [response] = await call;
      } finally {
        request.signal.removeEventListener('abort', cancel);
      }
      const content = response.audioContent ?? new Uint8Array();
      // A view of the decoded bytes, not a copy of the whole answer's audio.
      audio = stripWavHeader(
        typeof content === 'string'
          ? Buffer.from(content, 'base64')
          : Buffer.from(content.buffer, content.byteOffset, content.byteLength),
      );
    } catch (e) {
      if (request.signal.aborted) {
        ttsRequests.inc({ provider: this.name, outcome: 'aborted' });
        return;
      }
      const err = toSynthError(e);
      ttsRequests.inc({ provider: this.name, outcome: err.kind });
      throw err;
    }
    if (request.signal.aborted) {
      ttsRequests.inc({ provider: this.name, outcome: 'aborted' });
      return;
    }
    ttsFirstAudio.observe({ provider: this.name }, (performance.now() - started) / 1000);
    for (let at = 0; at < audio.length; at += this.chunkBytes) {
      if (request.signal.aborted) {
        ttsRequests.inc({ provider: this.name, outcome: 'aborted' });
        return;
      }
      yield audio.subarray(at, Math.min(audio.length, at + this.chunkBytes));
    }
    ttsRequests.inc({ provider: this.name, outcome: 'ok' });
  }

  private async *synthesizeStreaming(request: SynthesizeRequest): AsyncIterable<Buffer> {
    const started = performance.now();
    if (request.signal.aborted) return;
    const stream = this.client.streamingSynthesize();
    const queue: Buffer[] = [];
    let done = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      wake?.();
      wake = undefined;
    };
    stream.on('data', (msg: { audioContent?: Uint8Array | string | null }) => {
      const c = msg.audioContent;
      if (c && c.length > 0) queue.push(typeof c === 'string' ? Buffer.from(c, 'base64') : Buffer.from(c));
      notify();
    });
    stream.on('error', (e: unknown) => {
      failure ??= e;
      done = true;
      notify();
    });
    stream.on('end', () => {
      done = true;
      notify();
    });
    const onAbort = (): void => {
      stream.cancel();
      done = true;
      notify();
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    let first = true;
    let outcome = 'ok';
    try {
      stream.write({
        streamingConfig: {
          voice: { name: this.options.voice, languageCode: voiceLanguage(this.options.voice) },
          streamingAudioConfig: {
            audioEncoding: 'MULAW',
            sampleRateHertz: 8000,
            speakingRate: this.options.speakingRate,
          },
        },
      });
      stream.write({ input: { text: request.text } });
      stream.end();
      for (;;) {
        if (request.signal.aborted) {
          outcome = 'aborted';
          return;
        }
        const chunk = queue.shift();
        if (chunk) {
          if (first) {
            first = false;
            ttsFirstAudio.observe({ provider: this.name }, (performance.now() - started) / 1000);
            // Streaming output is documented as headerless; strip defensively anyway.
            yield hasWavHeader(chunk) ? stripWavHeader(chunk) : chunk;
          } else yield chunk;
          continue;
        }
        if (done) break;
        await new Promise<void>((r) => (wake = r));
      }
      if (request.signal.aborted) {
        outcome = 'aborted';
        return;
      }
      if (failure !== undefined) {
        const err = toSynthError(failure);
        outcome = err.kind;
        throw err;
      }
    } finally {
      request.signal.removeEventListener('abort', onAbort);
      if (!done) stream.cancel(); // consumer stopped early
      ttsRequests.inc({ provider: this.name, outcome });
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
