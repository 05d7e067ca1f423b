// The pure turn-taking parts a session composes, behind small factories so tests can swap any
// of them. Defaults are the real modules (turn/, audio/batcher.ts, tts/splitter.ts); the
// interfaces here are the structural subsets the session uses.
import type { Config } from '../config/schema.ts';
import type { AudioChunk } from '../audio/types.ts';
import type { Endpointer, Vad, VadFrame } from '../turn/types.ts';
import type { PhraseEndCues } from '../turn/prosody.ts';
import { createBatcher } from '../audio/batcher.ts';
import { createSentenceSplitter } from '../tts/splitter.ts';
import { createBargeInDetector } from '../turn/barge-in.ts';
import { createEndpointer } from '../turn/endpointer.ts';
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
  /** The VAD's raw decision for the frame at atMs, after its audio was pushed (idle batching). */
  noteVoice?(voiced: boolean, atMs: number): void;
  /** A partial arrived (true) or a final did (false) (idle batching). */
  noteRecognizing?(recognizing: boolean): void;
}

/** Decides, frame by frame, whether caller speech is long enough to interrupt the agent. */
export interface BargeInDetector {
  /**
   * Returns true once per speech segment, on the frame where it qualifies while the agent speaks.
   * `agentSpeaking` is looked up only inside a speech segment (`frame.speech`); outside one it is
   * false (the session skips the playback lookup on the frames where the caller is silent).
   */
  process(frame: VadFrame, frameMs: number, agentSpeaking: boolean): boolean;
}

export interface TurnComponents {
  createVad(config: Config): Vad;
  /** `cues`: the call's prosody tracker (turn/prosody.ts), fed the caller's frames. */
  createEndpointer(config: Config, cues?: PhraseEndCues): Endpointer;
  createBatcher(config: Config, sink: (chunk: AudioChunk) => void): AudioBatcher;
  createSplitter(): SentenceSplitter;
  createBargeInDetector(config: Config): BargeInDetector;
}

/**
 * Characters the first chunk of an answer needs before it may end at a comma or dash: 5 lets a
 * one-word opening clause ("הבנתי," "בסדר,") be synthesised and played on its own while the
 * rest is made (measured in docs/bench/turn.md with the silence it leaves inside answers).
 */
export const FIRST_CHUNK_MIN_CHARS = 5;

export const defaultTurnComponents: TurnComponents = {
  createVad: (config) => createVad({ vadHangoverMs: config.vadHangoverMs }),
  createEndpointer: (config, cues) => createEndpointer(config, cues),
  createBatcher: (config, sink) => createBatcher(config, sink),
  // A short first clause: with one-shot voices (Wavenet) the first audio waits for the whole
  // first chunk to be synthesised, so a shorter first chunk is the largest single latency lever.
  createSplitter: () => createSentenceSplitter({ firstChunkMinChars: FIRST_CHUNK_MIN_CHARS }),
  createBargeInDetector: (config) => createBargeInDetector(config),
};
