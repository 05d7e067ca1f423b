// A Google Cloud Text-to-Speech gRPC emulator (v1: ListVoices, SynthesizeSpeech,
// StreamingSynthesize) for tests, benchmarks and offline runs. Audio is real speech from the
// local espeak-ng synthesiser; latency follows the reference profile (time to first audio, then
// a realtime factor). Like Google: unary MULAW/LINEAR16 output carries a WAV header, streaming is
// headerless and only for Chirp 3 HD voices, and unknown voices are INVALID_ARGUMENT.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LocalSynthesizer } from '../../tts/local.ts';
import { buildWavHeader } from '../../tts/wav-header.ts';
import { encodeMulaw } from '../../audio/mulaw.ts';
import { loadReferenceProfile, logNormalSampler, seededRandom, type Percentiles } from '../profile.ts';

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

export interface TtsLatency {
  readonly timeToFirstAudioMs: Percentiles;
  /** Seconds of audio produced per second of wall time. */
  readonly realtimeFactor: number;
}

export type TtsFault =
  /** The next `times` calls fail with this status (default UNAVAILABLE) before any audio. */
  | { type: 'error'; times?: number; code?: grpc.status; message?: string }
  /** Streaming: the next `times` streams fail after their first audio chunk. */
  | { type: 'fail_mid_stream'; times?: number; code?: grpc.status };

export interface TtsEmulatorOptions {
  readonly port?: number;
  readonly host?: string;
  /** 'reference' (default), 'none', or explicit figures. */
  readonly latency?: 'reference' | 'none' | TtsLatency;
  readonly seed?: number;
  /** Audio source; default a LocalSynthesizer owned (and closed) by the emulator. */
  readonly synthesizer?: LocalSynthesizer;
  readonly voices?: readonly TtsVoice[];
  /** Streaming chunk length in ms of audio. Default 100. */
  readonly streamChunkMs?: number;
}

export interface TtsCallRecord {
  readonly method: 'ListVoices' | 'SynthesizeSpeech' | 'StreamingSynthesize';
  readonly voice?: string;
  readonly text?: string;
  readonly encoding?: string;
  readonly sampleRateHertz?: number;
  code: grpc.status;
  cancelled: boolean;
}

export interface TtsEmulator {
  /** host:port, for TTS_ENDPOINT. */
  readonly endpoint: string;
  readonly port: number;
  setFault(fault: TtsFault | null): void;
  calls(): readonly TtsCallRecord[];
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

function loadTtsService(): grpc.ServiceDefinition {
  const ttsProtos = join(dirname(require.resolve('@google-cloud/text-to-speech')), '..', 'protos');
  const gaxProtos = join(dirname(require.resolve('google-gax')), '..', 'protos');
  const def = protoLoader.loadSync('google/cloud/texttospeech/v1/cloud_tts.proto', {
    includeDirs: [ttsProtos, gaxProtos],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    google: { cloud: { texttospeech: { v1: { TextToSpeech: { service: grpc.ServiceDefinition } } } } };
  };
  return pkg.google.cloud.texttospeech.v1.TextToSpeech.service;
}

function grpcError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: new grpc.Metadata(),
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

type VoiceParams = { name?: string; languageCode?: string };
type AudioConfigIn = {
  audioEncoding?: string;
  sampleRateHertz?: number;
  speakingRate?: number;
  pitch?: number;
};

export async function startTtsEmulator(options: TtsEmulatorOptions = {}): Promise<TtsEmulator> {
  const random = seededRandom(options.seed ?? 7);
  const latency: TtsLatency =
    options.latency === 'none'
      ? { timeToFirstAudioMs: { p50: 0, p95: 0 }, realtimeFactor: 0 }
      : options.latency === undefined || options.latency === 'reference'
        ? loadReferenceProfile().tts
        : options.latency;
  const firstAudio = logNormalSampler(latency.timeToFirstAudioMs, random);
  const voices = options.voices ?? HEBREW_VOICES;
  const ownSynth = options.synthesizer === undefined;
  const synth = options.synthesizer ?? new LocalSynthesizer();
  await synth.ready();
  const chunkMs = options.streamChunkMs ?? 100;
  const records: TtsCallRecord[] = [];
  let fault: (TtsFault & { remaining: number }) | null = null;
  const takeFault = (kind: TtsFault['type']): TtsFault | null => {
    if (!fault || fault.type !== kind) return null;
    const f = fault;
    if (--f.remaining <= 0) fault = null;
    return f;
  };

  /** Validates the voice like Google: a name that does not exist is INVALID_ARGUMENT. */
  const checkVoice = (voice: VoiceParams | undefined): grpc.ServiceError | TtsVoice => {
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
  };

  /** Encodes PCM16 for an audio encoding; null if the encoding is not one this emulator makes. */
  const encode = (pcm: Int16Array, encoding: string): Buffer | null => {
    if (encoding === 'MULAW') return encodeMulaw(pcm);
    if (encoding === 'LINEAR16' || encoding === 'PCM')
      return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    return null;
  };

  const listVoices: grpc.handleUnaryCall<{ languageCode?: string }, unknown> = (call, callback) => {
    const lang = call.request.languageCode ?? '';
    records.push({ method: 'ListVoices', code: grpc.status.OK, cancelled: false });
    callback(null, { voices: voices.filter((v) => lang === '' || v.languageCodes.includes(lang)) });
  };

  const synthesizeSpeech: grpc.handleUnaryCall<
    { input?: { text?: string; ssml?: string }; voice?: VoiceParams; audioConfig?: AudioConfigIn },
    unknown
  > = (call, callback) => {
    const { input, voice, audioConfig } = call.request;
    const text = input?.text ?? '';
    const record: TtsCallRecord = {
      method: 'SynthesizeSpeech',
      text,
      ...(voice?.name ? { voice: voice.name } : {}),
      ...(audioConfig?.audioEncoding ? { encoding: audioConfig.audioEncoding } : {}),
      ...(audioConfig?.sampleRateHertz ? { sampleRateHertz: audioConfig.sampleRateHertz } : {}),
      code: grpc.status.OK,
      cancelled: false,
    };
    records.push(record);
    call.on('cancelled', () => (record.cancelled = true));
    const fail = (e: grpc.ServiceError): void => {
      record.code = e.code;
      callback(e);
    };
    const started = performance.now();
    void (async () => {
      const f = takeFault('error');
      if (f && f.type === 'error')
        return fail(
          grpcError(
            f.code ?? grpc.status.UNAVAILABLE,
            f.message ?? 'The service is currently unavailable (emulator fault).',
          ),
        );
      if (text.trim() === '')
        return fail(
          grpcError(grpc.status.INVALID_ARGUMENT, 'Either `input.text` or `input.ssml` needs to be set.'),
        );
      const v = checkVoice(voice);
      if (v instanceof Error) return fail(v);
      const encoding = audioConfig?.audioEncoding ?? 'AUDIO_ENCODING_UNSPECIFIED';
      if (encoding === 'AUDIO_ENCODING_UNSPECIFIED')
        return fail(grpcError(grpc.status.INVALID_ARGUMENT, 'Audio encoding must be specified.'));
      const rate = audioConfig?.sampleRateHertz || v.naturalSampleRateHertz;
      let pcm: Int16Array;
      try {
        pcm = await synth.synthesizePcm(text, {
          sampleRate: rate,
          speakingRate: audioConfig?.speakingRate || 1,
          pitch: audioConfig?.pitch ?? 0,
        });
      } catch (e) {
        return fail(grpcError(grpc.status.INTERNAL, `synthesis failed: ${String(e)}`));
      }
      const body = encode(pcm, encoding);
      if (!body)
        return fail(
          grpcError(
            grpc.status.INVALID_ARGUMENT,
            `Unsupported audio encoding in this emulator: ${encoding}.`,
          ),
        );
      // Unary: the whole sentence must be made before anything is returned.
      const audioSeconds = pcm.length / rate;
      const makeMs =
        firstAudio() + (latency.realtimeFactor > 0 ? (audioSeconds * 1000) / latency.realtimeFactor : 0);
      await sleep(makeMs - (performance.now() - started));
      if (record.cancelled) return;
      const header = buildWavHeader({
        format: encoding === 'MULAW' ? 'mulaw' : 'pcm16',
        sampleRate: rate,
        dataLength: body.length,
      });
      callback(null, { audioContent: Buffer.concat([header, body]) });
    })();
  };

  const streamingSynthesize: grpc.handleBidiStreamingCall<
    {
      streamingConfig?: { voice?: VoiceParams; streamingAudioConfig?: AudioConfigIn };
      input?: { text?: string };
    },
    { audioContent: Buffer }
  > = (call) => {
    const record: TtsCallRecord = { method: 'StreamingSynthesize', code: grpc.status.OK, cancelled: false };
    records.push(record);
    let failed = false;
    const fail = (e: grpc.ServiceError): void => {
      if (failed) return;
      failed = true;
      record.code = e.code;
      call.emit('error', e);
    };
    call.on('cancelled', () => (record.cancelled = true));
    let config: { voice: TtsVoice; encoding: string; rate: number; speakingRate: number } | undefined;
    const texts: string[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    const errorFault = takeFault('error');
    const midFault = takeFault('fail_mid_stream');
    call.on(
      'data',
      (msg: {
        streamingConfig?: { voice?: VoiceParams; streamingAudioConfig?: AudioConfigIn };
        input?: { text?: string };
      }) => {
        if (failed) return;
        if (!config) {
          const sc = msg.streamingConfig;
          if (!sc)
            return fail(
              grpcError(grpc.status.INVALID_ARGUMENT, 'The first message must contain a streaming_config.'),
            );
          const v = checkVoice(sc.voice);
          if (v instanceof Error) return fail(v);
          if (!/-Chirp3-HD-/.test(v.name)) {
            return fail(
              grpcError(
                grpc.status.INVALID_ARGUMENT,
                `Voice '${v.name}' does not support streaming synthesis; only Chirp 3: HD voices are supported.`,
              ),
            );
          }
          const encoding = sc.streamingAudioConfig?.audioEncoding ?? 'PCM';
          if (encoding !== 'MULAW' && encoding !== 'PCM' && encoding !== 'LINEAR16') {
            return fail(
              grpcError(
                grpc.status.INVALID_ARGUMENT,
                `Unsupported streaming audio encoding in this emulator: ${encoding}.`,
              ),
            );
          }
          config = {
            voice: v,
            encoding,
            rate: sc.streamingAudioConfig?.sampleRateHertz || 24000,
            speakingRate: sc.streamingAudioConfig?.speakingRate || 1,
          };
          Object.assign(record, { voice: v.name, encoding, sampleRateHertz: config.rate });
          return;
        }
        if (msg.streamingConfig)
          return fail(
            grpcError(grpc.status.INVALID_ARGUMENT, 'streaming_config may only be sent once, first.'),
          );
        const text = msg.input?.text ?? '';
        texts.push(text);
        Object.assign(record, { text: texts.join(' ') });
        wake?.();
      },
    );
    call.on('end', () => {
      ended = true;
      wake?.();
    });
    void (async () => {
      if (errorFault && errorFault.type === 'error') {
        return fail(
          grpcError(
            errorFault.code ?? grpc.status.UNAVAILABLE,
            errorFault.message ?? 'The service is currently unavailable (emulator fault).',
          ),
        );
      }
      let firstSent = false;
      const started = performance.now();
      for (;;) {
        if (failed || record.cancelled) return;
        const text = texts.shift();
        if (text === undefined) {
          if (ended) break;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        if (!config || text.trim() === '') continue;
        let pcm: Int16Array;
        try {
          pcm = await synth.synthesizePcm(text, {
            sampleRate: config.rate,
            speakingRate: config.speakingRate,
          });
        } catch (e) {
          return fail(grpcError(grpc.status.INTERNAL, `synthesis failed: ${String(e)}`));
        }
        const audio = encode(pcm, config.encoding)!;
        const bytesPerMs = (config.rate * (config.encoding === 'MULAW' ? 1 : 2)) / 1000;
        const step = Math.max(1, Math.round(chunkMs * bytesPerMs));
        for (let at = 0; at < audio.length; at += step) {
          if (!firstSent) await sleep(firstAudio() - (performance.now() - started));
          else if (latency.realtimeFactor > 0) await sleep(chunkMs / latency.realtimeFactor);
          if (failed || record.cancelled) return;
          call.write({ audioContent: audio.subarray(at, Math.min(audio.length, at + step)) });
          if (!firstSent && midFault) {
            return fail(
              grpcError(
                midFault.code ?? grpc.status.INTERNAL,
                'Internal error encountered (emulator fault mid-stream).',
              ),
            );
          }
          firstSent = true;
        }
      }
      if (!config && !failed)
        return fail(grpcError(grpc.status.INVALID_ARGUMENT, 'No streaming_config was sent.'));
      if (!failed && !record.cancelled) call.end();
    })();
  };

  const server = new grpc.Server();
  server.addService(loadTtsService(), {
    listVoices,
    synthesizeSpeech,
    streamingSynthesize,
  } as grpc.UntypedServiceImplementation);
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    endpoint: `${host}:${port}`,
    port,
    setFault(next) {
      fault = next ? { ...next, remaining: next.times ?? Number.POSITIVE_INFINITY } : null;
    },
    calls: () => records,
    async close() {
      server.forceShutdown();
      if (ownSynth) await synth.close();
    },
  };
}
