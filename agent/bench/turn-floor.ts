// The profile's own floor for bench:turn: the least total (caller's speech end -> first agent
// audio frame sent) that an oracle agent could reach under a latency profile and the Speech
// emulator's rules. Whatever bench:turn measures above it is the agent's (or the machine's), not
// the profile's. Pure: a seeded Monte Carlo over the profile's own log-normal distributions.
//
// One turn, on the audio clock, 0 = the end of the caller's last voiced frame:
//   - the emulator's interims tick from its VAD start (firstPartialAfterSpeechStartMs, then
//     interimIntervalMs draws); each covers the audio received (whole frames) minus a fresh
//     interimLagBehindAudioMs draw, never going back (sim/speech/stream.ts recognizerPosition);
//   - the last word is shown by the first tick at which the caller had been silent for
//     WORDS_FINISHED_SILENCE_MS and the covered audio reached the speech end, or once the
//     emulator's VAD ended the utterance (its hangover); the final comes at
//     max(hangover, finalAfterSpeechEndMs) (sim/speech/stream.ts endUtterance);
//   - the oracle decides on whichever of the two comes first, with no wait of its own, sends the
//     LLM request at once (timeToFirstTokenMs), the first token is its first chunk, whose
//     synthesis is requested at once (timeToFirstAudioMs, plus the chunk's audio / realtime
//     factor on a one-shot voice), and its first frame leaves on the next tick of the 20 ms
//     media clock.
// Not in the floor: the agent's STT batching (it sends 20 ms frames at once here), its VAD's
// view of the speech end (taken to be the emulator's), network and event-loop time.
import { DEFAULT_SEGMENTER } from '../src/sim/speech/vad.ts';
import { WORDS_FINISHED_SILENCE_MS } from '../src/sim/speech/stream.ts';
import { sampleLogNormal, seededRandom, type ReferenceProfile } from '../src/sim/profile.ts';
import { fmt, pct } from './turn-report.ts';

/** Twilio media frames (and the emulator's VAD frames) are 20 ms of audio. */
const FRAME_MS = 20;

export interface FloorOptions {
  /** Simulated turns. Default 20 000. */
  readonly turns?: number;
  readonly seed?: number;
  /** The caller's speech before its end (sets the interim ticks' phase). Default 2500 (the fixtures' lines). */
  readonly speechMs?: number;
  /** Audio of the first chunk on a one-shot voice (its synthesis is paced by the realtime factor); 0: streaming. */
  readonly firstChunkAudioMs?: number;
}

/** One simulated turn's stages, ms after the caller's speech end. */
export interface FloorTurn {
  /** The interim showing the last word, or the final if sooner: the earliest a correct decision can be. */
  readonly decidedMs: number;
  readonly firstTokenMs: number;
  readonly firstAudioMs: number;
  readonly totalMs: number;
}

/** Percentiles of the floor's stages, in seconds. */
export interface FloorSummary {
  readonly turns: number;
  readonly stages: ReadonlyArray<{
    readonly name: string;
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
  }>;
}

/** When the emulator first shows every word of a line that ended at 0 (or sends its final). */
export function lastWordShownMs(profile: ReferenceProfile, speechMs: number, random: () => number): number {
  const stt = profile.stt;
  const draw = (p: { p50: number; p95: number }): number => sampleLogNormal(p, random);
  const hangover = DEFAULT_SEGMENTER.hangoverMs;
  // The final: queued at the VAD's end (hangover), due finalAfterSpeechEndMs after the speech end.
  const finalMs = Math.max(hangover, draw(stt.finalAfterSpeechEndMs));
  let tick = -speechMs + DEFAULT_SEGMENTER.minSpeechMs + draw(stt.firstPartialAfterSpeechStartMs);
  let covered = -Infinity;
  for (;;) {
    if (tick >= finalMs) return finalMs;
    const received = Math.floor(tick / FRAME_MS) * FRAME_MS;
    covered = Math.max(covered, received - draw(stt.interimLagBehindAudioMs));
    const partEnded = received >= WORDS_FINISHED_SILENCE_MS && covered >= 0;
    if (partEnded || received >= hangover) return tick;
    tick += draw(stt.interimIntervalMs);
  }
}

export function simulateFloorTurn(
  profile: ReferenceProfile,
  options: FloorOptions,
  random: () => number,
): FloorTurn {
  const decidedMs = lastWordShownMs(profile, options.speechMs ?? 2500, random);
  const firstTokenMs = decidedMs + sampleLogNormal(profile.llm.timeToFirstTokenMs, random);
  const rtf = profile.tts.realtimeFactor;
  const paced = rtf > 0 ? (options.firstChunkAudioMs ?? 0) / rtf : 0;
  const firstAudioMs = firstTokenMs + sampleLogNormal(profile.tts.timeToFirstAudioMs, random) + paced;
  const totalMs = firstAudioMs + random() * FRAME_MS;
  return { decidedMs, firstTokenMs, firstAudioMs, totalMs };
}

/** The floor's stage percentiles over `turns` seeded turns. */
export function profileFloor(profile: ReferenceProfile, options: FloorOptions = {}): FloorSummary {
  const random = seededRandom(options.seed ?? 1);
  const n = options.turns ?? 20_000;
  const turns = Array.from({ length: n }, () => simulateFloorTurn(profile, options, random));
  const stage = (name: string, key: keyof FloorTurn): FloorSummary['stages'][number] => {
    const v = turns.map((t) => t[key] / 1000);
    return { name, p50: pct(v, 50)!, p95: pct(v, 95)!, p99: pct(v, 99)! };
  };
  return {
    turns: n,
    stages: [
      stage('decided (last word shown)', 'decidedMs'),
      stage('LLM first token', 'firstTokenMs'),
      stage('TTS first audio', 'firstAudioMs'),
      stage('total', 'totalMs'),
    ],
  };
}

/**
 * The measured percentiles beside the floor's: one row per stage the floor has, with the
 * measured figure (seconds after the speech end, from bench:turn's samples) and how far above
 * the floor it is.
 */
export function floorTable(floor: FloorSummary, measured: ReadonlyMap<string, readonly number[]>): string[] {
  const above = (m: number | undefined, f: number): string =>
    m === undefined ? '-' : `${m >= f ? '+' : ''}${fmt(m - f)}`;
  return [
    `| stage (s from caller speech end) | measured p50 / p95 / p99 | profile floor p50 / p95 / p99 | above floor p50 / p95 / p99 |`,
    '|---|---|---|---|',
    ...floor.stages.map((s) => {
      const v = measured.get(s.name) ?? [];
      const [m50, m95, m99] = [pct(v, 50), pct(v, 95), pct(v, 99)];
      return `| ${s.name} | ${fmt(m50)} / ${fmt(m95)} / ${fmt(m99)} | ${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)} | ${above(m50, s.p50)} / ${above(m95, s.p95)} / ${above(m99, s.p99)} |`;
    }),
  ];
}
