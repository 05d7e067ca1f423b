// Latency profile for the emulated Speech API: each latency is log-normal, given by its p50 and
// p95 (ms), read from the shared reference profile unless another file or object is given.
import { readFileSync } from 'node:fs';
import {
  EMBEDDED_REFERENCE_PROFILE,
  loadReferenceProfile,
  type Percentiles,
  type ReferenceProfile,
} from '../profile.ts';
import { parseBehaviour, type SpeechBehaviour } from './behaviour.ts';

/** The latencies plus how results are shaped (absent: the tidy shape). */
export type SpeechLatencyProfile = ReferenceProfile['stt'] & { readonly behaviour?: SpeechBehaviour };

const KEYS: readonly (keyof SpeechLatencyProfile)[] = [
  'firstPartialAfterSpeechStartMs',
  'interimIntervalMs',
  'interimLagBehindAudioMs',
  'finalAfterSpeechEndMs',
  'oneShotRecognizeMs',
  'streamOpenMs',
];

/** The reference values (used where the shared file is absent). */
export const BUILTIN_PROFILE: SpeechLatencyProfile = EMBEDDED_REFERENCE_PROFILE.stt;

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
  const behaviour = stt['behaviour'] === undefined ? undefined : parseBehaviour(stt['behaviour']);
  return { ...(out as unknown as SpeechLatencyProfile), ...(behaviour ? { behaviour } : {}) };
}

/** Reads a profile file; without a path, the shared reference profile (or its embedded copy). */
export function loadProfile(path?: string): SpeechLatencyProfile {
  if (path !== undefined) return parseProfile(JSON.parse(readFileSync(path, 'utf8')));
  return parseProfile(loadReferenceProfile());
}
