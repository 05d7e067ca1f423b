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
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LocalSynthesizer } from '../../tts/local.ts';
import type { TtsFaultHook } from '../faults/window-hooks.ts';
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

/** What the emulator needs from a synthesiser (LocalSynthesizer; tests may pass their own). */
export type PcmSource = Pick<LocalSynthesizer, 'ready' | 'synthesizePcm' | 'close'>;

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
  readonly synthesizer?: PcmSource;
  readonly voices?: readonly TtsVoice[];
  /** Streaming chunk length in ms of audio. Default 100. */
  readonly streamChunkMs?: number;
  /** Synthesised sentences kept in the cache (per voice, text, rate, pitch). Default 512; 0 disables. */
  readonly cacheEntries?: number;
  /** A fault plan's say on each synthesis (sim/faults/window-hooks.ts); setFault() takes precedence. */
  readonly faultHook?: TtsFaultHook;
}

/** What the emulator itself cost, beside the profile's drawn delays. */
export interface TtsEmulatorStats {
  /** Texts synthesised for an answer (unary requests plus streamed inputs). */
  readonly syntheses: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  /** Answers whose audio was due (per the profile) before the local synthesis had finished. */
  readonly overruns: number;
  /** Sum and maximum of how late those answers were because of it (ms). */
  readonly overrunMsTotal: number;
  readonly overrunMsMax: number;
  /** Each overrun in ms, most recent last (bounded), for percentiles. */
  readonly overrunMs: readonly number[];
}

export interface TtsCallRecord {
  readonly method: 'ListVoices' | 'SynthesizeSpeech' | 'StreamingSynthesize';
  readonly voice?: string;
  readonly text?: string;
  /** The SSML document, when the request sent SSML instead of text. */
  readonly ssml?: string;
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
  stats(): TtsEmulatorStats;
  close(): Promise<void>;
}

/** An answer later than its due time by less than this is timer noise, not an overrun. */
const OVERRUN_TOLERANCE_MS = 1;
const MAX_OVERRUN_SAMPLES = 10_000;

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

/** Waits until `ms` from now; already due resolves without a timer turn. */
const sleep = (ms: number): Promise<void> =>
  ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));

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
  const cacheEntries = Math.max(0, options.cacheEntries ?? 512);
  const cache = new Map<string, Promise<Int16Array>>();
  const stats = {
    syntheses: 0,
    cacheHits: 0,
    cacheMisses: 0,
    overruns: 0,
    overrunMsTotal: 0,
    overrunMsMax: 0,
    overrunMs: [] as number[],
  };
  /** Audio for a text, from the cache or a synthesis started now (shared by concurrent requests). */
  const synthesize = (
    voice: string,
    text: string,
    sampleRate: number,
    speakingRate: number,
    pitch: number,
  ): Promise<Int16Array> => {
    stats.syntheses++;
    const key = JSON.stringify([voice, text, sampleRate, speakingRate, pitch]);
    const cached = cache.get(key);
    if (cached) {
      stats.cacheHits++;
      cache.delete(key); // most recently used last
      cache.set(key, cached);
      return cached;
    }
    stats.cacheMisses++;
    const made = synth.synthesizePcm(text, { sampleRate, speakingRate, pitch });
    if (cacheEntries > 0) {
      cache.set(key, made);
      made.catch(() => cache.delete(key));
      if (cache.size > cacheEntries) cache.delete(cache.keys().next().value as string);
    }
    return made;
  };
  /** Notes an answer whose audio was ready only after it was due. */
  const noteReady = (dueAt: number, readyAt: number): void => {
    const late = readyAt - dueAt;
    if (late <= OVERRUN_TOLERANCE_MS) return;
    stats.overruns++;
    stats.overrunMsTotal += late;
    stats.overrunMsMax = Math.max(stats.overrunMsMax, late);
    stats.overrunMs.push(late);
    if (stats.overrunMs.length > MAX_OVERRUN_SAMPLES) stats.overrunMs.shift();
  };
  const records: TtsCallRecord[] = [];
  let fault: (TtsFault & { remaining: number }) | null = null;
  const takeFault = (kind: TtsFault['type']): TtsFault | null => {
    if (!fault || fault.type !== kind) return null;
    const f = fault;
    if (--f.remaining <= 0) fault = null;
    return f;
  };

  /** A manual fault first, else the plan's: an outage answers every synthesis with its status. */
  const takeErrorFault = (): TtsFault | null => {
    const manual = takeFault('error');
    if (manual) return manual;
    const planned = options.faultHook?.request();
    return planned ? { type: 'error', code: grpc.status[planned.code], message: planned.message } : null;
  };
  /** The plan's time of a synthesis' arrival, for noteServed. */
  const planNow = (): number => options.faultHook?.now() ?? 0;
  /** Tells the plan a synthesis that arrived at `arrivedAt` (planNow) was served in full. */
  const noteServed = (arrivedAt: number): void => options.faultHook?.completed(arrivedAt);

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
    const ssml = input?.ssml ?? '';
    // SSML is spoken as its text content; the record keeps what was sent.
    const text = ssml !== '' ? ssmlText(ssml) : (input?.text ?? '');
    const record: TtsCallRecord = {
      method: 'SynthesizeSpeech',
      text,
      ...(ssml !== '' ? { ssml } : {}),
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
    const arrivedAt = performance.now();
    const planArrival = planNow();
    void (async () => {
      const f = takeErrorFault();
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
      if (ssml !== '') {
        const bad = checkSsml(ssml, v.name);
        if (bad) return fail(bad);
      }
      const encoding = audioConfig?.audioEncoding ?? 'AUDIO_ENCODING_UNSPECIFIED';
      if (encoding === 'AUDIO_ENCODING_UNSPECIFIED')
        return fail(grpcError(grpc.status.INVALID_ARGUMENT, 'Audio encoding must be specified.'));
      if (encoding !== 'MULAW' && encoding !== 'LINEAR16' && encoding !== 'PCM')
        return fail(
          grpcError(
            grpc.status.INVALID_ARGUMENT,
            `Unsupported audio encoding in this emulator: ${encoding}.`,
          ),
        );
      const rate = audioConfig?.sampleRateHertz || v.naturalSampleRateHertz;
      // Drawn and started at once: the local synthesis runs during the profile's delay.
      const firstAudioMs = firstAudio();
      let pcm: Int16Array;
      try {
        pcm = await synthesize(v.name, text, rate, audioConfig?.speakingRate || 1, audioConfig?.pitch ?? 0);
      } catch (e) {
        return fail(grpcError(grpc.status.INTERNAL, `synthesis failed: ${String(e)}`));
      }
      const body = encode(pcm, encoding)!;
      // Unary: the whole sentence must be made before anything is returned.
      const audioMs = (pcm.length / rate) * 1000;
      const dueAt =
        arrivedAt + firstAudioMs + (latency.realtimeFactor > 0 ? audioMs / latency.realtimeFactor : 0);
      noteReady(dueAt, performance.now());
      await sleep(dueAt - performance.now());
      if (record.cancelled) return;
      const header = buildWavHeader({
        format: encoding === 'MULAW' ? 'mulaw' : 'pcm16',
        sampleRate: rate,
        dataLength: body.length,
      });
      callback(null, { audioContent: Buffer.concat([header, body]) });
      noteServed(planArrival);
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
    /** Texts in arrival order, each synthesising from the moment it arrived. */
    const inputs: Array<{ arrivedAt: number; firstAudioMs: number; pcm: Promise<Int16Array> }> = [];
    const texts: string[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    const streamArrivedAt = planNow();
    const errorFault = takeErrorFault();
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
        if (text.trim() === '' || errorFault) return;
        const pcm = synthesize(config.voice.name, text, config.rate, config.speakingRate, 0);
        pcm.catch(() => undefined); // handled when its turn to be sent comes
        inputs.push({ arrivedAt: performance.now(), firstAudioMs: firstAudio(), pcm });
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
      /** When the audio sent so far would have been produced at the profile's realtime factor. */
      let producedUntil = 0;
      for (;;) {
        if (failed || record.cancelled) return;
        const input = inputs.shift();
        if (input === undefined) {
          if (ended) break;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        if (!config) continue;
        // This text's first audio: its arrival plus the drawn delay, never before the audio
        // already streamed would have been produced.
        let dueAt = Math.max(input.arrivedAt + input.firstAudioMs, producedUntil);
        let pcm: Int16Array;
        try {
          pcm = await input.pcm;
        } catch (e) {
          return fail(grpcError(grpc.status.INTERNAL, `synthesis failed: ${String(e)}`));
        }
        noteReady(dueAt, performance.now());
        const audio = encode(pcm, config.encoding)!;
        const bytesPerMs = (config.rate * (config.encoding === 'MULAW' ? 1 : 2)) / 1000;
        const step = Math.max(1, Math.round(chunkMs * bytesPerMs));
        for (let at = 0; at < audio.length; at += step) {
          await sleep(dueAt - performance.now());
          if (failed || record.cancelled) return;
          const piece = audio.subarray(at, Math.min(audio.length, at + step));
          call.write({ audioContent: piece });
          // The next chunk is due once this one's audio is produced; scheduled from the due
          // times, not from when the timer fired, so timer lateness does not accumulate.
          if (latency.realtimeFactor > 0) dueAt += piece.length / bytesPerMs / latency.realtimeFactor;
          producedUntil = dueAt;
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
      if (!failed && !record.cancelled) {
        call.end();
        noteServed(streamArrivedAt);
      }
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
    stats: () => ({ ...stats, overrunMs: [...stats.overrunMs] }),
    async close() {
      server.forceShutdown();
      if (ownSynth) await synth.close();
    },
  };
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
function checkSsml(ssml: string, voice: string): grpc.ServiceError | undefined {
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
