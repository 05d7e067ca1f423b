// Barge-in rule: while the agent speaks, caller voice of at least BARGE_IN_MIN_MS within one VAD
// speech segment interrupts it; clicks, coughs and short noises do not. Pure and per-frame.
// Counts raw voiced frames (not the hangover-smoothed decision), so a short noise plus its
// hangover never adds up to an interruption; only time while the agent speaks counts.
import type { Config } from '../config/schema.ts';
import type { VadFrame } from './types.ts';

export interface BargeInDetector {
  /** True exactly once per speech segment: on the frame where it qualifies while the agent speaks. */
  process(frame: VadFrame, frameMs: number, agentSpeaking: boolean): boolean;
  reset(): void;
}

export function createBargeInDetector(config: Pick<Config, 'bargeInMinMs'>): BargeInDetector {
  const minMs = config.bargeInMinMs;
  if (!Number.isFinite(minMs) || minMs < 0) throw new RangeError(`bargeInMinMs must be >= 0, got ${minMs}`);
  let voicedMs = 0;
  let fired = false;
  return {
    process(frame, frameMs, agentSpeaking) {
      if (!frame.speech) {
        // Segment over (hangover expired): the next one starts from zero.
        voicedMs = 0;
        fired = false;
        return false;
      }
      if (!agentSpeaking || fired) return false;
      if (frame.voiced) voicedMs += frameMs;
      // At least one voiced frame, even with a threshold of 0.
      if (voicedMs > 0 && voicedMs >= minMs) {
        fired = true;
        return true;
      }
      return false;
    },
    reset() {
      voicedMs = 0;
      fired = false;
    },
  };
}
