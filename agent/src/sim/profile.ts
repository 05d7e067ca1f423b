// The latency profile every emulator draws from (Speech, OpenAI, TTS): log-normal distributions
// given by p50/p95 in ms, in the format of shared/bench/reference-profile.json, sampled from a
// seeded generator so runs repeat. Benchmarks read the shared file unmodified; the embedded copy
// (tested equal to it) is used only where the file is absent, e.g. in a container image.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
}

export interface ReferenceProfile {
  readonly stt: {
    readonly firstPartialAfterSpeechStartMs: Percentiles;
    readonly interimIntervalMs: Percentiles;
    readonly interimLagBehindAudioMs: Percentiles;
    readonly finalAfterSpeechEndMs: Percentiles;
    readonly oneShotRecognizeMs: Percentiles;
    readonly streamOpenMs: Percentiles;
  };
  readonly llm: { readonly timeToFirstTokenMs: Percentiles; readonly tokensPerSecond: number };
  readonly tts: { readonly timeToFirstAudioMs: Percentiles; readonly realtimeFactor: number };
}

/** The reference figures, for where the shared file is not present. */
export const EMBEDDED_REFERENCE_PROFILE: ReferenceProfile = {
  stt: {
    firstPartialAfterSpeechStartMs: { p50: 450, p95: 700 },
    interimIntervalMs: { p50: 200, p95: 300 },
    interimLagBehindAudioMs: { p50: 300, p95: 500 },
    finalAfterSpeechEndMs: { p50: 600, p95: 1200 },
    oneShotRecognizeMs: { p50: 900, p95: 1800 },
    streamOpenMs: { p50: 80, p95: 200 },
  },
  llm: { timeToFirstTokenMs: { p50: 350, p95: 700 }, tokensPerSecond: 80 },
  tts: { timeToFirstAudioMs: { p50: 200, p95: 400 }, realtimeFactor: 5 },
};

/** $HVA_REFERENCE_PROFILE, else shared/bench/reference-profile.json beside the repository. */
export function referenceProfilePath(): string {
  const chosen = process.env['HVA_REFERENCE_PROFILE'];
  if (chosen === undefined || chosen === '') {
    return fileURLToPath(new URL('../../../../shared/bench/reference-profile.json', import.meta.url));
  }
  return resolveUserPath(chosen);
}

/**
 * A path the user typed, relative to where they typed it: `npm run <script> -w agent` runs in
 * agent/, so a relative path is resolved against npm's INIT_CWD (the directory npm was started
 * from), not the workspace's directory.
 */
export function resolveUserPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return isAbsolute(path) ? path : resolve(env['INIT_CWD'] ?? process.cwd(), path);
}

/**
 * A CLI's --profile flag: when given, it becomes $HVA_REFERENCE_PROFILE so every emulator of the
 * process (Speech, OpenAI, TTS) reads the same file. Returns the profile path in use.
 */
export function selectProfile(flag: string | undefined): string {
  if (flag !== undefined && flag !== '') process.env['HVA_REFERENCE_PROFILE'] = resolveUserPath(flag);
  return referenceProfilePath();
}

/** Reads a profile file (default: the reference); the embedded copy only when the default file is absent. */
export function loadReferenceProfile(path?: string): ReferenceProfile {
  try {
    return JSON.parse(readFileSync(path ?? referenceProfilePath(), 'utf8')) as ReferenceProfile;
  } catch (e) {
    if (path === undefined && (e as { code?: unknown }).code === 'ENOENT') return EMBEDDED_REFERENCE_PROFILE;
    throw e;
  }
}

/** mulberry32: small, fast, deterministic; good enough for latency jitter and test signals. */
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

const Z95 = 1.6448536269514722;

/** One draw from the log-normal distribution with the given median and 95th percentile. */
export function sampleLogNormal(p: Percentiles, random: () => number): number {
  if (p.p50 <= 0) return 0;
  const mu = Math.log(p.p50);
  const sigma = p.p95 > p.p50 ? (Math.log(p.p95) - mu) / Z95 : 0;
  // Box-Muller
  const u = Math.max(random(), 1e-12);
  const v = random();
  return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

export function logNormalSampler(p: Percentiles, random: () => number): () => number {
  return () => sampleLogNormal(p, random);
}
