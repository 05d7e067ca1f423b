// Worker thread for the local synthesiser: espeak-ng (wasm) runs synchronously for ~60 ms per
// sentence, so it lives here, off the event loop that carries every call's audio.
import { parentPort, workerData } from 'node:worker_threads';
import { loadWasmEspeak } from './espeak.ts';
import { resampleToRate } from '../audio/resample.ts';

export type WorkerRequest = {
  type: 'synth';
  id: number;
  text: string;
  speakingRate: number;
  pitch: number;
  sampleRate: number;
};
export type WorkerReply =
  | { type: 'ready'; voice: string }
  | { type: 'init-error'; message: string }
  | { type: 'audio'; id: number; samples: Int16Array; synthMs: number }
  | { type: 'error'; id: number; message: string };

const port = parentPort;
if (!port) throw new Error('local-worker.ts must run as a worker thread');
const voice = (workerData as { voice: string }).voice;

try {
  const engine = await loadWasmEspeak(voice);
  // Warm the JIT (the first sentence is otherwise ~10x slower) before declaring ready.
  const warm = engine.synthesizeSync('שלום, מה שלומך?', { speakingRate: 1, pitch: 0 });
  resampleToRate(warm.samples, warm.sampleRate, 8000);
  port.on('message', (msg: WorkerRequest) => {
    const started = performance.now();
    try {
      const pcm = engine.synthesizeSync(msg.text, { speakingRate: msg.speakingRate, pitch: msg.pitch });
      const samples = resampleToRate(pcm.samples, pcm.sampleRate, msg.sampleRate);
      const reply: WorkerReply = { type: 'audio', id: msg.id, samples, synthMs: performance.now() - started };
      port.postMessage(reply, [samples.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({
        type: 'error',
        id: msg.id,
        message: e instanceof Error ? e.message : String(e),
      } satisfies WorkerReply);
    }
  });
  port.postMessage({ type: 'ready', voice } satisfies WorkerReply);
} catch (e) {
  port.postMessage({
    type: 'init-error',
    message: e instanceof Error ? e.message : String(e),
  } satisfies WorkerReply);
}
