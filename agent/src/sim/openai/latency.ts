// Latency sampling for the emulators: log-normal distributions given by p50/p95 (the format of
// /work/shared/bench/reference-profile.json), drawn from a seeded generator so runs repeat.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
}

export interface ReferenceProfile {
  readonly llm: { readonly timeToFirstTokenMs: Percentiles; readonly tokensPerSecond: number };
  readonly tts: { readonly timeToFirstAudioMs: Percentiles; readonly realtimeFactor: number };
}

const Z95 = 1.6448536269514722;

/** mulberry32: small, fast, good enough for jitter. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sampler for a log-normal distribution with the given median and 95th percentile. */
export function logNormalSampler(p: Percentiles, random: () => number): () => number {
  if (p.p50 <= 0) return () => 0;
  const mu = Math.log(p.p50);
  const sigma = p.p95 > p.p50 ? (Math.log(p.p95) - mu) / Z95 : 0;
  return () => {
    // Box-Muller
    const u = Math.max(random(), 1e-12);
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.exp(mu + sigma * z);
  };
}

/** Path of the shared reference profile: $HVA_REFERENCE_PROFILE, else /work/shared/bench/reference-profile.json. */
export function referenceProfilePath(): string {
  return (
    process.env['HVA_REFERENCE_PROFILE'] ??
    fileURLToPath(new URL('../../../../../shared/bench/reference-profile.json', import.meta.url))
  );
}

/** The figures of the reference profile, for images where the shared file is not present. */
export const REFERENCE_PROFILE_FALLBACK: ReferenceProfile = {
  llm: { timeToFirstTokenMs: { p50: 350, p95: 700 }, tokensPerSecond: 80 },
  tts: { timeToFirstAudioMs: { p50: 200, p95: 400 }, realtimeFactor: 5 },
};

/** The reference profile, read unmodified; the embedded copy when the file is absent. */
export function loadReferenceProfile(path = referenceProfilePath()): ReferenceProfile {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ReferenceProfile;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return REFERENCE_PROFILE_FALLBACK;
    throw e;
  }
}
