// Google Speech v1 and v2 through @google-cloud/speech: one raw bidirectional stream per open()
// and one-shot Recognize. No retry here (the resilient wrapper owns it). Both versions use the
// client's raw `_streamingRecognize()` so that a stream can be cancelled (the v1 helper can only
// be destroyed, which leaves the RPC running) and so that v2 can send its recognizer.
//
// Encoding: MULAW by default. Twilio delivers G.711 mu-law 8 kHz; forwarding it untouched costs
// no CPU, half the bytes of LINEAR16 and adds no conversion error (decoding to LINEAR16 is
// lossless but carries no more information). LINEAR16 stays available (STT_ENCODING) for
// comparison: the audio is then decoded with the G.711 table before sending.
import * as grpc from '@grpc/grpc-js';
import speech from '@google-cloud/speech';
import { decodeMulaw } from '../audio/mulaw.ts';
import type { Config } from '../config/schema.ts';
import type { SttTarget } from './capabilities.ts';
import {
  durationToMs,
  type OneShotRecognizer,
  type OneShotResult,
  type RawStream,
  type RawStreamEvents,
  type RawStreamOptions,
  type RawResult,
  type RawStreamingProvider,
} from './raw.ts';
import { responseResults } from './results.ts';
import { streamingCallTransformer, V1_STREAMING, V2_STREAMING, type StreamingCodecs } from './google-wire.ts';

export const CALL_ID_HEADER = 'x-hva-call-id';
/** Call-clock ms of a stream's first audio byte; Google ignores it, the emulator uses it to match replayed speech. */
export const STREAM_BASE_HEADER = 'x-hva-stream-base-ms';

export type SpeechClientV1 = InstanceType<typeof speech.v1.SpeechClient>;
export type SpeechClientV2 = InstanceType<typeof speech.v2.SpeechClient>;

/** Client options for the resolved target: Google (TLS + ADC) or a plaintext emulator. */
export function speechClientOptions(
  target: SttTarget,
  config: Pick<Config, 'googleProject' | 'googleCredentials'>,
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    apiEndpoint: target.endpoint.host,
    port: target.endpoint.port,
    // Separate connections per client so a pool spreads streams over several HTTP/2 connections
    // (servers cap concurrent streams per connection).
    'grpc.use_local_subchannel_pool': 1,
    'grpc.keepalive_time_ms': 30_000,
  };
  if (target.endpoint.plaintext) {
    // With sslCreds gax skips Google auth; universeDomain avoids probing the metadata server.
    return { ...base, sslCreds: grpc.credentials.createInsecure(), universeDomain: 'googleapis.com' };
  }
  return {
    ...base,
    ...(config.googleProject !== '' ? { projectId: config.googleProject } : {}),
    ...(config.googleCredentials !== '' ? { keyFilename: config.googleCredentials } : {}),
  };
}

/**
 * The client options of a provider's pool: the target's, plus this module's StreamingRecognize
 * codecs (google-wire.ts: the responses decoded for the fields the stream reads, audio requests
 * encoded without protobufjs; the same bytes both ways), through a grpc-js client option gax passes on.
 */
export function providerClientOptions(
  target: SttTarget,
  config: Pick<Config, 'googleProject' | 'googleCredentials'>,
  codecs: StreamingCodecs,
): Record<string, unknown> {
  return {
    ...speechClientOptions(target, config),
    'grpc.callInvocationTransformer': streamingCallTransformer(codecs),
  };
}

function callOptions(callId: string, baseMs?: number): { otherArgs: { headers: Record<string, string> } } {
  const headers: Record<string, string> = { [CALL_ID_HEADER]: callId };
  if (baseMs !== undefined && Number.isFinite(baseMs))
    headers[STREAM_BASE_HEADER] = String(Math.round(baseMs));
  return { otherArgs: { headers } };
}

/**
 * One-shot Recognize: the wrapper owns retries (gax would otherwise retry UNAVAILABLE for up to
 * 10 minutes inside one call, holding back every later utterance), and the request has a deadline.
 */
function recognizeOptions(
  callId: string,
  options: RawStreamOptions | undefined,
): ReturnType<typeof callOptions> & { retry: null; timeout?: number } {
  return {
    ...callOptions(callId, options?.baseMs),
    retry: null,
    ...(options?.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  };
}

function phrases(config: Pick<Config, 'sttPhraseHints'>): string[] {
  return config.sttPhraseHints
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function toWire(mulaw: Buffer, encoding: 'MULAW' | 'LINEAR16'): Buffer {
  if (encoding === 'MULAW') return mulaw;
  const pcm = decodeMulaw(mulaw);
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Round-robin pool of clients (lazy), so hundreds of streams do not share one connection. */
class ClientPool<C extends { close(): Promise<void> }> {
  private readonly clients: C[] = [];
  private next = 0;
  private readonly size: number;
  private readonly make: () => C;
  constructor(size: number, make: () => C) {
    this.size = Math.max(1, size);
    this.make = make;
    // The first client loads and compiles the Speech protos (about 200 ms of blocked event loop):
    // do it now, at boot, not when the first call's audio arrives while other calls are live.
    this.clients.push(make());
  }
  get(): C {
    if (this.clients.length < this.size) {
      const c = this.make();
      this.clients.push(c);
      return c;
    }
    const c = this.clients[this.next % this.clients.length]!;
    this.next++;
    return c;
  }
  async close(): Promise<void> {
    const all = this.clients.splice(0);
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }
}

export type SttProviderConfig = Pick<
  Config,
  'googleProject' | 'googleCredentials' | 'sttPhraseHints' | 'sttPhraseBoost' | 'sttEncoding' | 'maxCalls'
>;

/** Streams per client connection before another client is added to the pool. */
const STREAMS_PER_CLIENT = 50;

export interface DuplexCall {
  on(event: string, fn: (...args: never[]) => void): unknown;
  write(msg: unknown): boolean;
  end(): void;
  cancel(): void;
  removeAllListeners(): unknown;
  /** gax's StreamProxy: the grpc-js call under it, once gax has started it. */
  readonly stream?: {
    removeAllListeners(event: string): unknown;
    on(event: string, fn: () => void): unknown;
  };
}

const ignore = (): void => undefined;

/** A gax stream call as a RawStream; exported for the tests that read responses through it. */
export function wireRawStream(
  call: DuplexCall,
  events: RawStreamEvents,
  encodeAudio: (mulaw: Buffer) => unknown,
): RawStream {
  let done = false;
  call.on('metadata', () => {
    if (!done) events.onOpen();
  });
  call.on('data', (resp: Record<string, unknown>) => {
    if (done) return;
    const results = (resp.results as Array<Record<string, unknown>> | undefined) ?? [];
    const parsed = results.map((r): RawResult => {
      const alt = (r.alternatives as Array<{ transcript?: string; confidence?: number }> | undefined)?.[0];
      return {
        text: alt?.transcript ?? '',
        isFinal: r.isFinal === true,
        stability: typeof r.stability === 'number' ? r.stability : 0,
        confidence: alt?.confidence ?? 0,
        endOffsetMs: durationToMs(r.resultEndTime ?? r.resultEndOffset),
      };
    });
    // One interim per response: the stable head and the unstable tail together.
    for (const r of responseResults(parsed)) events.onResult(r);
    const ev = resp.speechEventType;
    if (ev === 'SPEECH_ACTIVITY_BEGIN' || ev === 2)
      events.onSpeechEvent('begin', durationToMs(resp.speechEventTime ?? resp.speechEventOffset));
    else if (ev === 'SPEECH_ACTIVITY_END' || ev === 3)
      events.onSpeechEvent('end', durationToMs(resp.speechEventTime ?? resp.speechEventOffset));
    const error = resp.error as { code?: number; message?: string } | null | undefined;
    if (error && typeof error.code === 'number' && error.code !== 0) {
      done = true;
      events.onError(
        Object.assign(new Error(error.message ?? 'stream error'), {
          code: error.code,
          details: error.message,
        }),
      );
      call.cancel();
    }
  });
  call.on('error', (err: unknown) => {
    if (done) return;
    done = true;
    events.onError(err);
  });
  call.on('end', () => {
    if (done) return;
    done = true;
    events.onEnd();
  });
  return {
    write(mulaw) {
      if (!done) call.write(encodeAudio(mulaw));
    },
    end() {
      if (!done) call.end();
    },
    cancel() {
      if (done) return;
      done = true;
      // gax parses every error of the gRPC call for status details and builds a protobuf Root
      // for it each time (GoogleErrorDecoder, about 2 ms); our own CANCELLED carries none and
      // nothing reads it, so the call's error listeners go before the cancel.
      call.stream?.removeAllListeners('error');
      call.stream?.on('error', ignore);
      call.cancel();
      // Swallow the CANCELLED error the library emits after a cancel (a call gax has not started yet).
      call.on('error', ignore);
    },
  };
}

export function createGoogleV1Provider(
  target: SttTarget,
  config: SttProviderConfig,
): RawStreamingProvider & OneShotRecognizer {
  const opts = providerClientOptions(target, config, V1_STREAMING);
  const pool = new ClientPool<SpeechClientV1>(
    Math.ceil(config.maxCalls / STREAMS_PER_CLIENT),
    () => new speech.v1.SpeechClient(opts as ConstructorParameters<typeof speech.v1.SpeechClient>[0]),
  );
  const hints = phrases(config);
  const recognitionConfig = {
    encoding: config.sttEncoding,
    sampleRateHertz: 8000,
    audioChannelCount: 1,
    languageCode: target.languageCode,
    model: target.model,
    enableAutomaticPunctuation: true,
    ...(hints.length > 0 ? { speechContexts: [{ phrases: hints, boost: config.sttPhraseBoost }] } : {}),
  };
  const streamingConfig = {
    config: recognitionConfig,
    interimResults: true,
    enableVoiceActivityEvents: true,
  };
  return {
    name: 'google-v1',
    open(callId, events, options) {
      const call = pool
        .get()
        ._streamingRecognize(callOptions(callId, options?.baseMs)) as unknown as DuplexCall;
      call.write({ streamingConfig });
      return wireRawStream(call, events, (mulaw) => ({ audioContent: toWire(mulaw, config.sttEncoding) }));
    },
    async recognize(callId, mulaw, _signal, options): Promise<OneShotResult> {
      const [resp] = await pool
        .get()
        .recognize(
          { config: recognitionConfig, audio: { content: toWire(mulaw, config.sttEncoding) } },
          recognizeOptions(callId, options),
        );
      return joinResults(resp.results);
    },
    close: () => pool.close(),
  };
}

export function createGoogleV2Provider(
  target: SttTarget,
  config: SttProviderConfig,
): RawStreamingProvider & OneShotRecognizer {
  if (target.recognizer === undefined)
    throw new Error('Speech v2 needs a recognizer path (GOOGLE_CLOUD_PROJECT)');
  const recognizer = target.recognizer;
  const opts = providerClientOptions(target, config, V2_STREAMING);
  const pool = new ClientPool<SpeechClientV2>(
    Math.ceil(config.maxCalls / STREAMS_PER_CLIENT),
    () => new speech.v2.SpeechClient(opts as ConstructorParameters<typeof speech.v2.SpeechClient>[0]),
  );
  const hints = phrases(config);
  const recognitionConfig = {
    explicitDecodingConfig: { encoding: config.sttEncoding, sampleRateHertz: 8000, audioChannelCount: 1 },
    languageCodes: [target.languageCode],
    model: target.model,
    features: { enableAutomaticPunctuation: true },
    ...(hints.length > 0
      ? {
          adaptation: {
            phraseSets: [
              {
                inlinePhraseSet: { phrases: hints.map((value) => ({ value, boost: config.sttPhraseBoost })) },
              },
            ],
          },
        }
      : {}),
  };
  const streamingConfig = {
    config: recognitionConfig,
    streamingFeatures: {
      interimResults: true,
      enableVoiceActivityEvents: true,
      // Endpointing sensitivity is documented for chirp_3 and newer; older models reject it.
      ...(target.model === 'chirp_3' ? { endpointingSensitivity: 'ENDPOINTING_SENSITIVITY_SHORT' } : {}),
    },
  };
  return {
    name: 'google-v2',
    open(callId, events, options) {
      const call = pool
        .get()
        ._streamingRecognize(callOptions(callId, options?.baseMs)) as unknown as DuplexCall;
      call.write({ recognizer, streamingConfig });
      return wireRawStream(call, events, (mulaw) => ({ audio: toWire(mulaw, config.sttEncoding) }));
    },
    async recognize(callId, mulaw, _signal, options): Promise<OneShotResult> {
      const [resp] = await pool
        .get()
        .recognize(
          { recognizer, config: recognitionConfig, content: toWire(mulaw, config.sttEncoding) },
          recognizeOptions(callId, options),
        );
      return joinResults(resp.results);
    },
    close: () => pool.close(),
  };
}

function joinResults(
  results:
    | ReadonlyArray<{
        alternatives?: ReadonlyArray<{ transcript?: string | null; confidence?: number | null }> | null;
      }>
    | null
    | undefined,
): OneShotResult {
  const alts = (results ?? []).map((r) => r.alternatives?.[0]).filter((a) => a !== undefined && a !== null);
  const text = alts
    .map((a) => a.transcript ?? '')
    .filter((t) => t !== '')
    .join(' ');
  const confidence = alts.length === 0 ? 0 : alts.reduce((s, a) => s + (a.confidence ?? 0), 0) / alts.length;
  return { text, confidence };
}
