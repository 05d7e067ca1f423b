// Test harness: runs audio through the real VAD and the endpointer, interleaving scripted STT
// events by time, and collects every output with the time it came out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { createEndpointer, type EndpointerConfig } from '../../../src/turn/endpointer.ts';
import {
  FRAME_MS,
  concat,
  frames,
  parsePcm16Wav,
  pcm16ToFloat,
  silence,
  speechLabels,
  toPcm16,
  type Signal,
} from '../../../src/sim/synthetic-audio.ts';
import type { EndpointerOutput, TurnEnd, VadFrame } from '../../../src/turn/types.ts';
import { createVad } from '../../../src/turn/vad.ts';
import { createPhraseEndTracker, type FinalPitch, type PhraseEndCues } from '../../../src/turn/prosody.ts';

export type SttScript =
  | {
      readonly atMs: number;
      readonly kind: 'partial';
      readonly text: string;
      readonly stability?: number;
      readonly audioTimeMs?: number;
    }
  | {
      readonly atMs: number;
      readonly kind: 'final';
      readonly text: string;
      readonly audioStartMs?: number;
      readonly audioEndMs?: number;
    };

export interface TimelineResult {
  readonly outputs: readonly (EndpointerOutput & { readonly outAtMs: number })[];
  readonly turns: readonly TurnEnd[];
  readonly lateFinals: readonly Extract<EndpointerOutput, { type: 'lateFinal' }>[];
  readonly partials: readonly Extract<EndpointerOutput, { type: 'partial' }>[];
  readonly takenBack: readonly Extract<EndpointerOutput, { type: 'turnTakenBack' }>[];
  readonly speechStarts: readonly Extract<EndpointerOutput, { type: 'speechStarted' }>[];
  /** VAD frames, for checking where speech really ended. */
  readonly vadFrames: readonly (VadFrame & { readonly atMs: number })[];
}

/**
 * The agent's defaults, except STT_INTERIM_SETTLE_MS off: these timelines script when each
 * recognizer response comes, and a long gap between two scripted responses would otherwise
 * confirm the earlier one by the recognizer's quiet. That rule has its own tests, on the
 * production default (confirmed-words.test.ts).
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return defaultConfig({ sttInterimSettleMs: 0, ...overrides });
}

export function runTimeline(
  signal: Signal,
  script: readonly SttScript[],
  config: EndpointerConfig & Pick<Config, 'vadHangoverMs'> = testConfig(),
  tailMs = 4000,
  opts: {
    takeBack?: boolean;
    /** Prosody cues for the endpointer: a fixed reading, or 'tracker' (the real one, fed the frames). */
    prosody?: FinalPitch | 'tracker';
  } = {},
): TimelineResult {
  const vad = createVad({ vadHangoverMs: config.vadHangoverMs });
  const tracker = opts.prosody === 'tracker' ? createPhraseEndTracker() : undefined;
  const fixed = opts.prosody === 'tracker' ? undefined : opts.prosody;
  // A fixed reading is given once the caller has been silent for 100 ms, as the tracker would.
  let silentFrames = 0;
  const cues: PhraseEndCues | undefined =
    tracker ?? (fixed ? { finalPitch: () => (silentFrames >= 5 ? fixed : undefined) } : undefined);
  const ep = createEndpointer(config, cues);
  const events = [...script].sort((a, b) => a.atMs - b.atMs);
  const outputs: (EndpointerOutput & { outAtMs: number })[] = [];
  const vadFrames: (VadFrame & { atMs: number })[] = [];
  let next = 0;
  let lastTurn: TurnEnd | undefined;
  const collect = (outs: readonly EndpointerOutput[], at: number): void => {
    for (const o of outs) {
      outputs.push({ ...o, outAtMs: at });
      if (o.type === 'turnEnded') lastTurn = o.turn;
      // As the session does when no answer audio was sent yet: the caller resumed, take it back.
      if (o.type === 'speechStarted' && opts.takeBack && lastTurn) {
        const id = lastTurn.utteranceId;
        lastTurn = undefined;
        collect(ep.handle({ type: 'takeBack', utteranceId: id, atMs: at }), at);
      }
    }
  };
  frames(toPcm16(concat(signal, silence(tailMs)))).forEach((pcm, i) => {
    const atMs = i * FRAME_MS;
    // A frame is complete (and handled) at its end; STT events up to then come first.
    for (; next < events.length && (events[next]?.atMs ?? Infinity) <= atMs + FRAME_MS; next++) {
      const e = events[next];
      if (!e) continue;
      if (e.kind === 'partial') {
        const partial = {
          text: e.text,
          stability: e.stability ?? 0,
          audioTimeMs: e.audioTimeMs ?? e.atMs,
          receivedAtMs: e.atMs,
        };
        collect(ep.handle({ type: 'partial', partial }), e.atMs);
      } else {
        const final = {
          text: e.text,
          confidence: 0.9,
          audioStartMs: e.audioStartMs ?? 0,
          audioEndMs: e.audioEndMs ?? e.atMs,
          receivedAtMs: e.atMs,
        };
        collect(ep.handle({ type: 'final', final }), e.atMs);
      }
    }
    const frame = vad.process(pcm, atMs);
    tracker?.push(pcm, frame.voiced);
    silentFrames = frame.voiced ? 0 : silentFrames + 1;
    vadFrames.push({ ...frame, atMs });
    collect(ep.handle({ type: 'vad', atMs, frame, frameMs: FRAME_MS }), atMs + FRAME_MS);
  });
  const pick = <T extends EndpointerOutput['type']>(t: T): Extract<EndpointerOutput, { type: T }>[] =>
    outputs.filter((o) => o.type === t) as unknown as Extract<EndpointerOutput, { type: T }>[];
  return {
    outputs,
    turns: pick('turnEnded').map((o) => o.turn),
    lateFinals: pick('lateFinal'),
    partials: pick('partial'),
    takenBack: pick('turnTakenBack'),
    speechStarts: pick('speechStarted'),
    vadFrames,
  };
}

const FIXTURES = join(import.meta.dirname, '../../fixtures/audio');

export const FIXTURE_TEXT: Record<string, string> = Object.fromEntries(
  readFileSync(join(FIXTURES, 'transcripts.tsv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t') as [string, string]),
);

export function fixture(name: string): Signal {
  return pcm16ToFloat(parsePcm16Wav(readFileSync(join(FIXTURES, `${name}.wav`))));
}

/** First and last labelled speech frame times (ms) of a signal, from the clean-audio labels. */
export function speechSpan(clean: Signal): { startMs: number; endMs: number } {
  const labels = speechLabels(clean);
  return { startMs: labels.indexOf(true) * FRAME_MS, endMs: (labels.lastIndexOf(true) + 1) * FRAME_MS };
}

/**
 * A plausible streaming-STT script for a fixture utterance: growing prefixes every 250 ms while
 * the caller speaks, the punctuated full text shortly after speech ends, a final later.
 */
export function sttScriptFor(
  text: string,
  span: { startMs: number; endMs: number },
  options: { fullPartialDelayMs?: number; finalDelayMs?: number; stability?: number } = {},
): SttScript[] {
  const words = text.replace(/[.?!,]/g, '').split(' ');
  const script: SttScript[] = [];
  const dur = span.endMs - span.startMs;
  const steps = Math.max(1, Math.floor(dur / 250));
  for (let k = 1; k < steps; k++) {
    const atMs = span.startMs + k * 250 + 150;
    const n = Math.max(1, Math.floor((words.length * k) / steps));
    script.push({
      atMs,
      kind: 'partial',
      text: words.slice(0, n).join(' '),
      stability: 0.6,
      audioTimeMs: atMs - 150,
    });
  }
  const fullAt = span.endMs + (options.fullPartialDelayMs ?? 120);
  script.push({
    atMs: fullAt,
    kind: 'partial',
    text,
    stability: options.stability ?? 0.9,
    audioTimeMs: span.endMs,
  });
  if (options.finalDelayMs !== undefined) {
    script.push({
      atMs: span.endMs + options.finalDelayMs,
      kind: 'final',
      text,
      audioStartMs: span.startMs,
      audioEndMs: span.endMs,
    });
  }
  return script;
}
