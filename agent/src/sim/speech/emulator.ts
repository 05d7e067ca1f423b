// A local Speech-to-Text API for tests, demos and offline mode: google.cloud.speech v1 and v2
// StreamingRecognize + Recognize over plaintext gRPC, loaded from the .proto files shipped with
// the client library so the real clients talk to it unmodified. It "hears" speech with its own
// energy VAD, answers interim results during speech and a final after it, with latencies from a
// log-normal profile, and takes the words from a per-call script (x-hva-call-id metadata).
// It rejects what Google rejects, enforces the stream duration limit and the audio timeout,
// and injects faults on demand. The parts: wire.ts (protos, validation), stream.ts (one
// StreamingRecognize), recognize.ts (one Recognize), utterance.ts (the words an utterance
// reveals), scripts.ts, faults.ts, vad.ts.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../telemetry/logger.ts';
import type { SpeechStreamFaultHook } from '../faults/speech-hook.ts';
import { silentLogger } from '../../telemetry/logger.ts';
import { referenceProfilePath, sampleLogNormal, seededRandom, type Percentiles } from '../profile.ts';
import { TIDY_BEHAVIOUR } from './behaviour.ts';
import {
  CALL_ID_METADATA,
  newStats,
  type EmulatorContext,
  type EmulatorResponseInfo,
  type SpeechEmulatorStats,
} from './context.ts';
import { FaultBook, type SpeechFault } from './faults.ts';
import { loadProfile, type SpeechLatencyProfile } from './profile.ts';
import { handleRecognize } from './recognize.ts';
import { DEFAULT_SCRIPT, ScriptBook } from './scripts.ts';
import { handleStream } from './stream.ts';
import { DEFAULT_SEGMENTER, type SegmenterOptions } from './vad.ts';
import { loadServices } from './wire.ts';

export { CALL_ID_METADATA, STREAM_BASE_METADATA } from './context.ts';
export type { EmulatorResponseInfo, SpeechEmulatorStats } from './context.ts';
export type { SpeechFault } from './faults.ts';
export { DEFAULT_SCRIPT } from './scripts.ts';

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

type DuplexCall = grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>;
type UnaryCall = grpc.ServerUnaryCall<Record<string, unknown>, Record<string, unknown>>;

function contextFor(options: SpeechEmulatorOptions): EmulatorContext {
  const profile: SpeechLatencyProfile =
    typeof options.profile === 'object' ? options.profile : loadProfile(options.profile);
  const scale = options.latencyScale ?? 1;
  const seed = options.seed ?? 0x5eed;
  const rng = seededRandom(seed);
  const stats = newStats();
  const seenCalls = new Set<string>();
  return {
    profile,
    behaviour: profile.behaviour ?? TIDY_BEHAVIOUR,
    seed,
    scale,
    streamLimitMs: (options.streamLimitSeconds ?? 305) * 1000,
    audioTimeoutMs: options.audioTimeoutMs ?? 10_000,
    segmenter: { ...DEFAULT_SEGMENTER, ...options.segmenter },
    v2Location: options.v2Location,
    scripts: new ScriptBook(options.defaultScript ?? DEFAULT_SCRIPT),
    faults: new FaultBook(),
    stats,
    activeCalls: new Set(),
    recognizeInFlight: 0,
    logger: options.logger ?? silentLogger,
    onResponse: options.onResponse,
    streamFaults: options.streamFaults,
    latency: (p: Percentiles) => (scale === 0 ? 0 : sampleLogNormal(p, rng) * scale),
    callIdOf(metadata) {
      const v = metadata.get(CALL_ID_METADATA)[0];
      const id = typeof v === 'string' && v !== '' ? v : 'unknown';
      if (!seenCalls.has(id)) {
        seenCalls.add(id);
        stats.callIds.push(id);
      }
      return id;
    },
    countError(code) {
      const name = grpc.status[code] ?? String(code);
      stats.errorsSent[name] = (stats.errorsSent[name] ?? 0) + 1;
    },
  };
}

export async function startSpeechEmulator(options: SpeechEmulatorOptions = {}): Promise<SpeechEmulator> {
  const services = loadServices();
  const ctx = contextFor(options);
  const server = new grpc.Server();
  const impl = (v: 'v1' | 'v2'): grpc.UntypedServiceImplementation => ({
    StreamingRecognize: (call: DuplexCall) => handleStream(ctx, v, call),
    Recognize: (call: UnaryCall, cb: grpc.sendUnaryData<Record<string, unknown>>) =>
      handleRecognize(ctx, v, call, cb),
  });
  server.addService(services.v1, impl('v1'));
  server.addService(services.v2, impl('v2'));
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  ctx.logger.info(
    {
      host,
      port,
      profile:
        typeof options.profile === 'object' ? 'given object' : (options.profile ?? referenceProfilePath()),
      shape: ctx.profile.behaviour ? 'profile behaviour (Google-like results)' : 'tidy',
    },
    'speech emulator listening',
  );

  return {
    port,
    address: `${host}:${port}`,
    setScript: (callId, lines) => ctx.scripts.set(callId, lines),
    finalsFor: (callId) => ctx.scripts.used(callId),
    injectFault: (fault) => ctx.faults.inject(fault),
    clearFaults: () => ctx.faults.clear(),
    stats() {
      const s = ctx.stats;
      return {
        ...s,
        faultsApplied: ctx.faults.applied,
        errorsSent: { ...s.errorsSent },
        callIds: [...s.callIds],
      };
    },
    async close() {
      for (const call of ctx.activeCalls)
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
