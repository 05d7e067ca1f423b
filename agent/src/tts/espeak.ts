// The two ways to run espeak-ng: the WebAssembly build from npm (in-process, used inside a worker
// thread) and the Debian binary (a child process). Both return PCM16 at espeak's native rate.
import { spawn } from 'node:child_process';
import { parseWavHeader } from './wav-header.ts';

export interface EspeakParams {
  /** Google-style speaking rate, 1.0 = normal. */
  readonly speakingRate: number;
  /** Google-style pitch in semitones, 0 = normal. */
  readonly pitch: number;
}

export interface PcmAudio {
  readonly samples: Int16Array;
  readonly sampleRate: number;
}

/** espeak words per minute for a Google speaking rate (espeak's normal is 175 wpm). */
export function espeakRate(speakingRate: number): number {
  return Math.round(Math.min(450, Math.max(80, 175 * speakingRate)));
}

/** espeak pitch (0-99, normal 50) for a pitch in semitones; roughly 2.5 steps per semitone. */
export function espeakPitch(semitones: number): number {
  return Math.round(Math.min(99, Math.max(0, 50 + semitones * 2.5)));
}

export interface EspeakEngine {
  readonly kind: 'wasm' | 'binary';
  synthesize(text: string, params: EspeakParams): Promise<PcmAudio>;
}

/** Loads the WebAssembly espeak-ng and selects the voice; throws if the voice is missing. */
export async function loadWasmEspeak(
  voice: string,
): Promise<EspeakEngine & { synthesizeSync(text: string, params: EspeakParams): PcmAudio }> {
  const { default: init } = await import('@echogarden/espeak-ng-emscripten');
  const module = await init();
  const worker = new module.eSpeakNGWorker();
  const known = worker
    .list_voices()
    .some((v) => v.identifier.endsWith(`/${voice}`) || v.languages.some((l) => l.name === voice));
  if (!known) throw new Error(`espeak-ng (wasm) has no voice '${voice}'`);
  const rc = worker.set_voice(voice);
  if (rc !== 0) throw new Error(`espeak-ng (wasm) could not select voice '${voice}' (code ${rc})`);
  const sampleRate = worker.samplerate;
  const synthesizeSync = (text: string, params: EspeakParams): PcmAudio => {
    worker.rate = espeakRate(params.speakingRate);
    worker.pitch = espeakPitch(params.pitch);
    const parts: Int16Array[] = [];
    let total = 0;
    worker.synthesize(text, (samples) => {
      parts.push(samples);
      total += samples.length;
      return 0;
    });
    const out = new Int16Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return { samples: out, sampleRate };
  };
  return { kind: 'wasm', synthesizeSync, synthesize: async (text, params) => synthesizeSync(text, params) };
}

/** The Debian `espeak-ng` binary; text goes through stdin so nothing in it is read as an option. */
export function binaryEspeak(voice: string, command = 'espeak-ng'): EspeakEngine {
  return {
    kind: 'binary',
    synthesize: (text, params) =>
      new Promise<PcmAudio>((resolve, reject) => {
        const child = spawn(
          command,
          [
            '-v',
            voice,
            '-s',
            String(espeakRate(params.speakingRate)),
            '-p',
            String(espeakPitch(params.pitch)),
            '--stdout',
          ],
          { stdio: ['pipe', 'pipe', 'pipe'] },
        );
        const out: Buffer[] = [];
        let err = '';
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => (err += b.toString()));
        child.on('error', reject);
        child.on('close', (code) => {
          if (code !== 0) return reject(new Error(`${command} exited with ${code}: ${err.trim()}`));
          try {
            const wav = Buffer.concat(out);
            const info = parseWavHeader(wav);
            const bytes = wav.subarray(
              info.dataOffset,
              info.dataOffset + info.dataLength - (info.dataLength % 2),
            );
            const samples = new Int16Array(bytes.length / 2);
            for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
            resolve({ samples, sampleRate: info.sampleRate });
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
        child.stdin.end(text);
      }),
  };
}
