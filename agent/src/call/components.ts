// The pure turn-taking parts a session composes, behind small factories so tests can swap any
// of them. Defaults are the real modules (turn/, audio/batcher.ts, tts/splitter.ts).
import type { Config } from '../config/schema.ts';
import type { AudioChunk } from '../stt/types.ts';
import type { Endpointer, Vad, VadFrame } from '../turn/types.ts';
import { createVad } from '../turn/vad.ts';

export interface SentenceSplitter {
  /** Feeds a text delta; returns the sentences (or first clause) completed by it. */
  push(delta: string): string[];
  /** The rest of the text, at the end of the answer. */
  flush(): string[];
}

export interface AudioBatcher {
  /** Caller audio in; whole batches go to the sink given at creation. */
  push(chunk: AudioChunk): void;
  /** Sends whatever is buffered (call end). */
  flush(): void;
}

/** Decides, frame by frame, whether caller speech is long enough to interrupt the agent. */
export interface BargeInDetector {
  /** Returns true once per speech segment, on the frame where it qualifies while the agent speaks. */
  process(frame: VadFrame, frameMs: number, agentSpeaking: boolean): boolean;
}

export interface TurnComponents {
  createVad(config: Config): Vad;
  createEndpointer(config: Config): Endpointer;
  createBatcher(config: Config, sink: (chunk: AudioChunk) => void): AudioBatcher;
  createSplitter(): SentenceSplitter;
  createBargeInDetector(config: Config): BargeInDetector;
}

/**
 * Barge-in: voiced caller audio (raw VAD decisions, not the hangover-smoothed ones) accumulated
 * within one speech segment while the agent speaks, compared with BARGE_IN_MIN_MS. A click plus
 * its hangover never qualifies; sustained speech does.
 */
export function createVoicedDurationBargeIn(minMs: number): BargeInDetector {
  let voicedMs = 0;
  let fired = false;
  return {
    process(frame, frameMs, agentSpeaking) {
      if (!frame.speech) {
        voicedMs = 0;
        fired = false;
        return false;
      }
      if (frame.voiced && agentSpeaking) voicedMs += frameMs;
      if (!fired && agentSpeaking && voicedMs >= Math.max(frameMs, minMs)) {
        fired = true;
        return true;
      }
      return false;
    },
  };
}

const notYet = (what: string): never => {
  throw new Error(`${what} is not available yet`);
};

export const defaultTurnComponents: TurnComponents = {
  createVad: (config) => createVad({ vadHangoverMs: config.vadHangoverMs }),
  createEndpointer: () => notYet('endpointer'),
  createBatcher: () => notYet('batcher'),
  createSplitter: () => notYet('splitter'),
  createBargeInDetector: (config) => createVoicedDurationBargeIn(config.bargeInMinMs),
};
