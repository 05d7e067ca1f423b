// What one StreamingRecognizeResponse means, and how stability is read. Pure.
//
// A response holds zero or one final result (the newly settled audio) followed by zero or more
// interim results for consecutive audio after it: typically a stable head (stability 0.9) and an
// unstable tail (0.01). The interim transcript is all of them concatenated in order, never only
// the last one (../shared/reference/google-speech.md; google-like-profile.json "sources").
import type { RawResult } from './raw.ts';

/** 0 is "unset" (proto3 default; v2 chirp models never set it). */
export const STABILITY_UNSET = 0;

/**
 * The one stability rule every consumer uses: a reported stability must reach `min`; an unset
 * one is accepted, so the decision rests on the rule's other evidence (debounce, agreement of
 * consecutive interims, the local VAD) and works the same for providers that never report it.
 */
export function stabilityAccepts(stability: number, min: number): boolean {
  return stability <= STABILITY_UNSET || stability >= min;
}

/** Joined text is only as stable as its least stable reported part; unset when none reports one. */
export function combinedStability(stabilities: readonly number[]): number {
  let min = Infinity;
  for (const s of stabilities) if (s > STABILITY_UNSET && s < min) min = s;
  return min === Infinity ? STABILITY_UNSET : min;
}

/** Concatenates result transcripts in order, adding a space only where neither side has one. */
export function concatTranscripts(parts: readonly string[]): string {
  let out = '';
  for (const p of parts) {
    if (p === '') continue;
    out += out !== '' && !/\s$/u.test(out) && !/^\s/u.test(p) ? ` ${p}` : p;
  }
  return out.trim();
}

/** The results of one response as the agent consumes them: each final, then one joined interim. */
export function responseResults(results: readonly RawResult[]): RawResult[] {
  const out: RawResult[] = results.filter((r) => r.isFinal);
  const interims = results.filter((r) => !r.isFinal);
  if (interims.length === 1) out.push(interims[0]!);
  else if (interims.length > 1) {
    const ends = interims.map((r) => r.endOffsetMs).filter((v): v is number => v !== undefined);
    out.push({
      text: concatTranscripts(interims.map((r) => r.text)),
      isFinal: false,
      stability: combinedStability(interims.map((r) => r.stability)),
      confidence: 0,
      endOffsetMs: ends.length > 0 ? Math.max(...ends) : undefined,
    });
  }
  return out;
}
