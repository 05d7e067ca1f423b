// Turns caller audio files into what Twilio streams: raw mu-law 8 kHz. WAV files of any rate,
// sample format and channel count are decoded, mixed to mono, resampled and encoded; files
// named .ulaw/.mulaw/.ul/.raw are taken as raw mu-law 8 kHz already.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { encodeMulaw } from '../../audio/mulaw.ts';
import { resampleToRate } from '../../audio/resample.ts';
import { parseWav, type WavAudio } from '../../audio/wav.ts';
import type { CallStep, CallStepSpec } from './script.ts';

const RAW_MULAW_EXTENSIONS = new Set(['.ulaw', '.mulaw', '.ul', '.raw', '.mu']);

/** mu-law 8 kHz for decoded WAV audio (resampled when the file is not 8 kHz). */
export function wavToMulaw8k(wav: WavAudio): Buffer {
  const pcm = wav.sampleRate === 8000 ? wav.samples : resampleToRate(wav.samples, wav.sampleRate, 8000);
  return Buffer.from(encodeMulaw(pcm));
}

/** Loads a WAV or raw mu-law file as mu-law 8 kHz. */
export async function loadCallerAudio(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  const isRiff = bytes.length >= 12 && bytes.toString('ascii', 0, 4) === 'RIFF';
  if (RAW_MULAW_EXTENSIONS.has(extname(path).toLowerCase()) && !isRiff) return bytes;
  if (!isRiff) throw new Error(`${path}: not a WAV file (use a .ulaw extension for raw mu-law 8 kHz)`);
  try {
    return wavToMulaw8k(parseWav(bytes));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Loads the files a script names (each file once, however many steps or calls use it: pass the
 * same cache to share it across calls).
 */
export async function resolveScript(
  specs: readonly CallStepSpec[],
  cache: Map<string, Promise<Buffer>> = new Map(),
): Promise<CallStep[]> {
  return Promise.all(
    specs.map(async (s): Promise<CallStep> => {
      if (s.kind !== 'play' || !('file' in s)) return s;
      let audio = cache.get(s.file);
      if (!audio) {
        audio = loadCallerAudio(s.file);
        cache.set(s.file, audio);
      }
      return { kind: 'play', audio: await audio, label: s.label ?? basename(s.file) };
    }),
  );
}
