// Latency profile for the emulated Speech API: each latency is log-normal, given by its p50 and
// p95 (ms), read from the shared reference profile unless another file or object is given.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
}

export interface SpeechLatencyProfile {
  readonly firstPartialAfterSpeechStartMs: Percentiles;
  readonly interimIntervalMs: Percentiles;
  readonly interimLagBehindAudioMs: Percentiles;
  readonly finalAfterSpeechEndMs: Percentiles;
  readonly oneShotRecognizeMs: Percentiles;
  readonly streamOpenMs: Percentiles;
}

export const REFERENCE_PROFILE_PATH = fileURLToPath(
  new URL('../../../../../shared/bench/reference-profile.json', import.meta.url),
);

const KEYS: readonly (keyof SpeechLatencyProfile)[] = [
  'firstPartialAfterSpeechStartMs',
  'interimIntervalMs',
  'interimLagBehindAudioMs',
  'finalAfterSpeechEndMs',
  'oneShotRecognizeMs',
  'streamOpenMs',
];

/** Used when no profile file can be read: the reference values. */
export const BUILTIN_PROFILE: SpeechLatencyProfile = {
  firstPartialAfterSpeechStartMs: { p50: 450, p95: 700 },
  interimIntervalMs: { p50: 200, p95: 300 },
  interimLagBehindAudioMs: { p50: 300, p95: 500 },
  finalAfterSpeechEndMs: { p50: 600, p95: 1200 },
  oneShotRecognizeMs: { p50: 900, p95: 1800 },
  streamOpenMs: { p50: 80, p95: 200 },
};

export function parseProfile(json: unknown): SpeechLatencyProfile {
  const stt = (json as { stt?: Record<string, unknown> } | null)?.stt;
  if (stt === undefined || stt === null || typeof stt !== 'object')
    throw new Error('latency profile has no "stt" section');
  const out: Record<string, Percentiles> = {};
  for (const key of KEYS) {
    const v = stt[key] as Partial<Percentiles> | undefined;
    if (typeof v?.p50 !== 'number' || typeof v.p95 !== 'number' || v.p50 < 0 || v.p95 < v.p50) {
      throw new Error(`latency profile stt.${key} must have numbers p50 <= p95`);
    }
    out[key] = { p50: v.p50, p95: v.p95 };
  }
  return out as unknown as SpeechLatencyProfile;
}

/** Reads a profile file; without a path, the shared reference profile (or the built-in copy of its values). */
export function loadProfile(path?: string): SpeechLatencyProfile {
  if (path !== undefined) return parseProfile(JSON.parse(readFileSync(path, 'utf8')));
  try {
    return parseProfile(JSON.parse(readFileSync(REFERENCE_PROFILE_PATH, 'utf8')));
  } catch {
    // Outside the development tree (e.g. a container image) the shared file is absent.
    return BUILTIN_PROFILE;
  }
}

/** Small deterministic PRNG (mulberry32) so a seeded emulator run is reproducible. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const Z95 = 1.6448536269514722;

/** Draws from the log-normal distribution with the given p50 and p95. */
export function sampleLogNormal(p: Percentiles, rng: () => number): number {
  if (p.p50 <= 0) return 0;
  const mu = Math.log(p.p50);
  const sigma = p.p95 > p.p50 ? (Math.log(p.p95) - mu) / Z95 : 0;
  // Box-Muller
  const u1 = Math.max(rng(), 1e-12);
  const u2 = rng();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.exp(mu + sigma * z);
}
