// A Google Cloud Text-to-Speech gRPC emulator (v1: ListVoices, SynthesizeSpeech,
// StreamingSynthesize) for tests, benchmarks and offline runs. Audio is real speech from the
// local espeak-ng synthesiser; latency follows the reference profile (time to first audio, then
// a realtime factor). Like Google: unary MULAW/LINEAR16 output carries a WAV header, streaming is
// headerless and only for Chirp 3 HD voices, and unknown voices are INVALID_ARGUMENT.
//
// Timing honours the profile, not the local CPU: synthesis starts when the text arrives, in
// parallel with the drawn delay, and audio is due at arrival + time to first audio (+ audio
// duration / realtime factor for the rest). Only when the local synthesis has not finished by
// then is the answer later; such overruns are counted in stats() so a benchmark can report how
// much of its figure is the emulator's own cost. Synthesised audio is cached per voice, text,
// rate and pitch, so repeated sentences cost no CPU.
//
// The request checks are in requests.ts, the synthesis cache in synthesis.ts, the two synthesis
// methods in unary.ts and streaming.ts; this file wires them into a gRPC server with its faults.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LocalSynthesizer } from '../../tts/local.ts';
import type { TtsFaultHook } from '../faults/window-hooks.ts';
import { loadReferenceProfile, logNormalSampler, seededRandom, type Percentiles } from '../profile.ts';
import type { TtsCallRecord, TtsFault, TtsHandlerContext } from './context.ts';
import { HEBREW_VOICES, type TtsVoice } from './requests.ts';
import { streamingSynthesizeHandler } from './streaming.ts';
import { createSynthesisCache, directoryStore, type PcmSource, type TtsEmulatorStats } from './synthesis.ts';
import { synthesizeSpeechHandler } from './unary.ts';

export type { TtsCallRecord, TtsFault } from './context.ts';
export { HEBREW_VOICES, ssmlText, type TtsVoice } from './requests.ts';
export type { PcmSource, TtsEmulatorStats } from './synthesis.ts';

export interface TtsLatency {
  readonly timeToFirstAudioMs: Percentiles;
  /** Seconds of audio produced per second of wall time. */
  readonly realtimeFactor: number;
}

export interface TtsEmulatorOptions {
  readonly port?: number;
  readonly host?: string;
  /** 'reference' (default), 'none', or explicit figures. */
  readonly latency?: 'reference' | 'none' | TtsLatency;
  readonly seed?: number;
  /** Audio source; default a LocalSynthesizer owned (and closed) by the emulator. */
  readonly synthesizer?: PcmSource;
  readonly voices?: readonly TtsVoice[];
  /** Streaming chunk length in ms of audio. Default 100. */
  readonly streamChunkMs?: number;
  /** Synthesised sentences kept in the cache (per voice, text, rate, pitch). Default 512; 0 disables. */
  readonly cacheEntries?: number;
  /**
   * A directory where synthesised audio is kept across runs (synthesis.ts directoryStore), keyed
   * by voice, text, rate, pitch and `audioSourceId`. Default: none (every run synthesises).
   */
  readonly audioStoreDir?: string;
  /** Names the synthesiser in the store's keys (audio of another engine is another entry). Default 'espeak-ng'. */
  readonly audioSourceId?: string;
  /** A fault plan's say on each synthesis (sim/faults/window-hooks.ts); setFault() takes precedence. */
  readonly faultHook?: TtsFaultHook;
}

export interface TtsEmulator {
  /** host:port, for TTS_ENDPOINT. */
  readonly endpoint: string;
  readonly port: number;
  setFault(fault: TtsFault | null): void;
  calls(): readonly TtsCallRecord[];
  stats(): TtsEmulatorStats;
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

export async function startTtsEmulator(options: TtsEmulatorOptions = {}): Promise<TtsEmulator> {
  const random = seededRandom(options.seed ?? 7);
  const latency: TtsLatency =
    options.latency === 'none'
      ? { timeToFirstAudioMs: { p50: 0, p95: 0 }, realtimeFactor: 0 }
      : options.latency === undefined || options.latency === 'reference'
        ? loadReferenceProfile().tts
        : options.latency;
  const ownSynth = options.synthesizer === undefined;
  const synth = options.synthesizer ?? new LocalSynthesizer();
  await synth.ready();
  let fault: (TtsFault & { remaining: number }) | null = null;
  const takeFault = (kind: TtsFault['type']): TtsFault | null => {
    if (!fault || fault.type !== kind) return null;
    const f = fault;
    if (--f.remaining <= 0) fault = null;
    return f;
  };
  const ctx: TtsHandlerContext = {
    voices: options.voices ?? HEBREW_VOICES,
    realtimeFactor: latency.realtimeFactor,
    chunkMs: options.streamChunkMs ?? 100,
    firstAudio: logNormalSampler(latency.timeToFirstAudioMs, random),
    audio: createSynthesisCache(
      synth,
      Math.max(0, options.cacheEntries ?? 512),
      options.audioStoreDir === undefined ? undefined : directoryStore(options.audioStoreDir),
      options.audioSourceId ?? (synth instanceof LocalSynthesizer ? `espeak-ng ${synth.engine}` : 'custom'),
    ),
    records: [],
    takeFault,
    takeErrorFault: () => {
      const manual = takeFault('error');
      if (manual) return manual;
      const planned = options.faultHook?.request();
      return planned ? { type: 'error', code: grpc.status[planned.code], message: planned.message } : null;
    },
    planNow: () => options.faultHook?.now() ?? 0,
    noteServed: (arrivedAt) => options.faultHook?.completed(arrivedAt),
  };

  const listVoices: grpc.handleUnaryCall<{ languageCode?: string }, unknown> = (call, callback) => {
    const lang = call.request.languageCode ?? '';
    ctx.records.push({ method: 'ListVoices', code: grpc.status.OK, cancelled: false });
    callback(null, { voices: ctx.voices.filter((v) => lang === '' || v.languageCodes.includes(lang)) });
  };

  const server = new grpc.Server();
  server.addService(loadTtsService(), {
    listVoices,
    synthesizeSpeech: synthesizeSpeechHandler(ctx),
    streamingSynthesize: streamingSynthesizeHandler(ctx),
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
    calls: () => ctx.records,
    stats: () => ctx.audio.stats(),
    async close() {
      server.forceShutdown();
      if (ownSynth) await synth.close();
    },
  };
}
