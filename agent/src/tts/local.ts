// The offline Hebrew synthesiser: espeak-ng (WebAssembly, in a worker thread) -> libsamplerate to
// 8 kHz -> G.711 mu-law. If the wasm engine cannot load or lacks the Hebrew voice, the Debian
// `espeak-ng` binary is used instead, and the boot log says so.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import type { SynthesizeRequest, Synthesizer } from './types.ts';
import { binaryEspeak, type EspeakEngine } from './espeak.ts';
import type { WorkerReply, WorkerRequest } from './local-worker.ts';
import { resampleToRate } from '../audio/resample.ts';
import { encodeMulaw } from '../audio/mulaw.ts';
import { SynthesizerError } from './errors.ts';
import { ttsFirstAudio, ttsRequests } from './metrics.ts';

/** The worker beside this module: .ts when run from source (type stripping), .js from dist. */
const LOCAL_WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './local-worker.ts' : './local-worker.js',
  import.meta.url,
);

export interface LocalSynthesizerOptions {
  /** espeak-ng voice; 'he' is the Hebrew voice. */
  readonly voice?: string;
  readonly speakingRate?: number;
  readonly pitch?: number;
  /** 'auto': wasm worker, falling back to the binary. */
  readonly engine?: 'auto' | 'wasm' | 'binary';
  /** Bytes per yielded chunk of mu-law (8 bytes = 1 ms). Default 1600 (200 ms). */
  readonly chunkBytes?: number;
  readonly logger?: Logger;
}

export interface PcmSynthesisOptions {
  readonly sampleRate: number;
  readonly speakingRate?: number;
  readonly pitch?: number;
  readonly signal?: AbortSignal;
}

type Pending = { resolve: (s: Int16Array) => void; reject: (e: Error) => void };

export class LocalSynthesizer implements Synthesizer {
  readonly name = 'local';
  private readonly voice: string;
  private readonly speakingRate: number;
  private readonly pitch: number;
  private readonly engineChoice: 'auto' | 'wasm' | 'binary';
  private readonly chunkBytes: number;
  private readonly logger: Logger;
  private worker: Worker | undefined;
  private binary: EspeakEngine | undefined;
  private readyPromise: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Which engine is in use once ready: 'wasm-worker' or 'binary'. */
  engine: 'wasm-worker' | 'binary' | undefined;
  /** Milliseconds the engine spent on the most recent sentence (synthesis + resampling). */
  lastSynthMs = 0;

  constructor(options: LocalSynthesizerOptions = {}) {
    this.voice = options.voice ?? 'he';
    this.speakingRate = options.speakingRate ?? 1;
    this.pitch = options.pitch ?? 0;
    this.engineChoice = options.engine ?? 'auto';
    this.chunkBytes = options.chunkBytes ?? 1600;
    this.logger = options.logger ?? silentLogger;
  }

  ready(): Promise<void> {
    this.readyPromise ??= this.start();
    return this.readyPromise;
  }

  private async start(): Promise<void> {
    if (this.engineChoice !== 'binary') {
      try {
        await this.startWorker();
        this.engine = 'wasm-worker';
        this.logger.info(
          { tts: 'local', engine: 'espeak-ng wasm (worker thread)', voice: this.voice },
          'local synthesiser ready',
        );
        return;
      } catch (e) {
        if (this.engineChoice === 'wasm') throw e;
        this.logger.warn(
          { tts: 'local', err: e instanceof Error ? e.message : String(e) },
          'espeak-ng WebAssembly engine unavailable; falling back to the espeak-ng binary',
        );
      }
    }
    this.binary = binaryEspeak(this.voice);
    await this.binary.synthesize('א', { speakingRate: 1, pitch: 0 }); // fails here, at boot, if missing
    this.engine = 'binary';
    this.logger.info(
      { tts: 'local', engine: 'espeak-ng binary (child process)', voice: this.voice },
      'local synthesiser ready',
    );
  }

  private startWorker(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(LOCAL_WORKER_URL, {
        workerData: { voice: this.voice },
      });
      this.worker = worker;
      let started = false;
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') {
          started = true;
          this.refWorker();
          resolve();
        } else if (msg.type === 'init-error') {
          void worker.terminate();
          reject(new Error(msg.message));
        } else {
          const p = this.pending.get(msg.id);
          if (!p) return; // cancelled
          this.pending.delete(msg.id);
          this.refWorker();
          if (msg.type === 'audio') {
            this.lastSynthMs = msg.synthMs;
            p.resolve(msg.samples);
          } else p.reject(new SynthesizerError('local', 'engine', msg.message));
        }
      });
      worker.on('error', (e) => {
        if (!started) reject(e);
        this.failAll(
          new SynthesizerError('local', 'engine', `local synthesis worker crashed: ${e.message}`, {
            cause: e,
          }),
        );
      });
      worker.on('exit', (code) => {
        if (!started) reject(new Error(`local synthesis worker exited with ${code}`));
        this.failAll(new SynthesizerError('local', 'engine', `local synthesis worker exited with ${code}`));
        this.worker = undefined;
      });
    });
  }

  /** The worker keeps the process alive only while it has work. */
  private refWorker(): void {
    if (!this.worker) return;
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Synthesises `text` to PCM16 at `sampleRate` (used by the TTS emulator and by synthesize()). */
  async synthesizePcm(text: string, options: PcmSynthesisOptions): Promise<Int16Array> {
    if (this.closed) throw new SynthesizerError('local', 'unavailable', 'local synthesiser is closed');
    await this.ready();
    const speakingRate = options.speakingRate ?? this.speakingRate;
    const pitch = options.pitch ?? this.pitch;
    if (this.binary) {
      const started = performance.now();
      const pcm = await this.binary.synthesize(text, { speakingRate, pitch });
      const out = resampleToRate(pcm.samples, pcm.sampleRate, options.sampleRate);
      this.lastSynthMs = performance.now() - started;
      return out;
    }
    const worker = this.worker;
    if (!worker) throw new SynthesizerError('local', 'unavailable', 'local synthesis worker is not running');
    const id = this.nextId++;
    return new Promise<Int16Array>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => {
        // The worker may still be busy with it; the reply is dropped when it arrives.
        this.pending.delete(id);
        this.refWorker();
        reject(signal?.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      this.refWorker();
      const msg: WorkerRequest = {
        type: 'synth',
        id,
        text,
        speakingRate,
        pitch,
        sampleRate: options.sampleRate,
      };
      worker.postMessage(msg);
    });
  }

  async *synthesize(request: SynthesizeRequest): AsyncIterable<Buffer> {
    const started = performance.now();
    if (request.signal.aborted) return;
    let pcm: Int16Array;
    try {
      pcm = await this.synthesizePcm(request.text, { sampleRate: 8000, signal: request.signal });
    } catch (e) {
      if (request.signal.aborted) {
        ttsRequests.inc({ provider: this.name, outcome: 'aborted' });
        return;
      }
      ttsRequests.inc({ provider: this.name, outcome: 'error' });
      throw e instanceof SynthesizerError
        ? e
        : new SynthesizerError('local', 'engine', String(e), { cause: e });
    }
    ttsFirstAudio.observe({ provider: this.name }, (performance.now() - started) / 1000);
    const mulaw = encodeMulaw(pcm);
    for (let at = 0; at < mulaw.length; at += this.chunkBytes) {
      if (request.signal.aborted) {
        ttsRequests.inc({ provider: this.name, outcome: 'aborted' });
        return;
      }
      yield mulaw.subarray(at, Math.min(mulaw.length, at + this.chunkBytes));
    }
    ttsRequests.inc({ provider: this.name, outcome: 'ok' });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new SynthesizerError('local', 'unavailable', 'local synthesiser closed'));
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
