// The whole calls of the capacity benchmark, as pure data: which fixtures call i says, in what
// order, with what pauses, where the caller barges in, and what the Speech emulator must "hear"
// for it. Deterministic from the call's index, so a run repeats and the callers' process and the
// report agree without sharing state.
import type { CallStepSpec } from '../../src/sim/caller/script.ts';

/** One recorded caller utterance: its WAV (relative to the fixtures root) and what it says. */
export interface Fixture {
  readonly name: string;
  readonly file: string;
  /** The transcript; `|` marks a mid-sentence pause (agent/test/fixtures/audio/pauses). */
  readonly line: string;
}

export interface PlannedCall {
  readonly index: number;
  readonly callSid: string;
  /** Labels of the caller's turns in order, as the caller simulator reports them. */
  readonly turns: readonly string[];
  /** The Speech emulator's script for this call: one line per caller utterance. */
  readonly lines: readonly string[];
  /** Index (in turns) of the utterance spoken over the agent's answer. */
  readonly bargeInTurn: number;
  readonly script: readonly CallStepSpec[];
}

export interface ConversationFixtures {
  /** Opening request, a question and an address (agent/test/fixtures/audio). */
  readonly hello: Fixture;
  readonly question: Fixture;
  readonly address: Fixture;
  /** Spoken over the agent's answer (long enough to pass BARGE_IN_MIN_MS). */
  readonly bargeIn: Fixture;
  /** Utterances with one mid-sentence pause of 300-900 ms (fixtures/audio/pauses). */
  readonly paused: readonly Fixture[];
}

/** How long the caller waits for each answer before giving up on it (ms). */
export const ANSWER_TIMEOUT_MS = 15_000;
/** Agent silence that ends an answer for the caller (ms). */
export const ANSWER_QUIET_MS = 600;
/** The barge-in starts this long after the agent's answer started playing (ms). */
export const BARGE_IN_AFTER_MS = 700;

/** The call sid of call `index` of run `runId` (34 characters like Twilio's: CA + 32 hex). */
export function callSidFor(runId: string, index: number): string {
  const run = runId.replace(/[^0-9a-f]/gi, '').toLowerCase();
  const body = `${run.slice(0, 16).padEnd(16, '0')}${index.toString(16).padStart(16, '0')}`;
  return `CA${body}`;
}

/** The caller's think time after answer `turn` of call `index`: 0.4-1.6 s, spread deterministically. */
export function thinkTimeMs(index: number, turn: number): number {
  return 400 + ((index * 7919 + turn * 104_729) % 1200);
}

/**
 * Call `index`: greeting; hello; a sentence with a mid-sentence pause (rotating through the pause
 * set); a question the caller interrupts BARGE_IN_AFTER_MS into its answer with the barge-in
 * fixture; the address; hang-up. Think times between turns, silence streamed throughout.
 */
export function planCall(
  runId: string,
  index: number,
  fixtures: ConversationFixtures,
  fixturesDir: string,
): PlannedCall {
  if (fixtures.paused.length === 0) throw new Error('planCall: the pause set is empty');
  const paused = fixtures.paused[index % fixtures.paused.length]!;
  const path = (f: Fixture): string => `${fixturesDir.replace(/\/$/, '')}/${f.file}`;
  const script: CallStepSpec[] = [];
  const wait = (until: 'start' | 'end'): CallStepSpec => ({
    kind: 'waitForAgent',
    until,
    timeoutMs: ANSWER_TIMEOUT_MS,
    quietMs: ANSWER_QUIET_MS,
  });
  const turns: string[] = [];
  const lines: string[] = [];
  const say = (f: Fixture, label = f.name): void => {
    script.push({ kind: 'play', file: path(f), label });
    turns.push(label);
    lines.push(f.line);
  };
  script.push(wait('end'));
  script.push({ kind: 'silence', ms: thinkTimeMs(index, 0) });
  say(fixtures.hello);
  script.push(wait('end'), { kind: 'silence', ms: thinkTimeMs(index, 1) });
  say(paused);
  script.push(wait('end'), { kind: 'silence', ms: thinkTimeMs(index, 2) });
  say(fixtures.question);
  script.push(wait('start'), { kind: 'silence', ms: BARGE_IN_AFTER_MS });
  const bargeInTurn = turns.length;
  say(fixtures.bargeIn, `${fixtures.bargeIn.name} (barge-in)`);
  script.push(wait('end'), { kind: 'silence', ms: thinkTimeMs(index, 3) });
  say(fixtures.address);
  script.push(wait('end'), { kind: 'silence', ms: 300 }, { kind: 'stop' });
  return { index, callSid: callSidFor(runId, index), turns, lines, bargeInTurn, script };
}

/**
 * Call `index` of bench:turn: the greeting, then each fixture in order, each followed by the
 * agent's whole answer (as src/sim/conversation.ts plays them in-process), then hang-up.
 */
export function planUtterances(
  runId: string,
  index: number,
  fixtures: readonly Fixture[],
  fixturesDir: string,
): PlannedCall {
  const wait: CallStepSpec = {
    kind: 'waitForAgent',
    until: 'end',
    timeoutMs: ANSWER_TIMEOUT_MS,
    quietMs: ANSWER_QUIET_MS,
  };
  const script: CallStepSpec[] = [wait];
  for (const f of fixtures)
    script.push({ kind: 'play', file: `${fixturesDir.replace(/\/$/, '')}/${f.file}`, label: f.name }, wait);
  script.push({ kind: 'silence', ms: 200 }, { kind: 'stop' });
  return {
    index,
    callSid: callSidFor(runId, index),
    turns: fixtures.map((f) => f.name),
    lines: fixtures.map((f) => f.line),
    bargeInTurn: -1,
    script,
  };
}

/** Parses a transcripts.tsv (name<TAB>text per line) into fixtures under `subdir`. */
export function parseTranscripts(tsv: string, subdir = ''): Fixture[] {
  const out: Fixture[] = [];
  for (const raw of tsv.split('\n')) {
    const [name, text] = raw.split('\t');
    if (!name?.trim() || !text?.trim()) continue;
    out.push({
      name: name.trim(),
      file: `${subdir === '' ? '' : `${subdir}/`}${name.trim()}.wav`,
      line: text.trim(),
    });
  }
  return out;
}

/** The benchmark's fixture choice from the two transcript lists (top level and pauses/). */
export function selectFixtures(top: readonly Fixture[], pauses: readonly Fixture[]): ConversationFixtures {
  const pick = (name: string): Fixture => {
    const f = top.find((x) => x.name === name);
    if (!f) throw new Error(`fixture '${name}' missing from transcripts.tsv`);
    return f;
  };
  return {
    hello: pick('hello'),
    question: pick('question'),
    address: pick('address'),
    bargeIn: pick('thanks'),
    paused: pauses,
  };
}

/**
 * When caller slot `slot` of `slots` places its first call (ms after the run starts): spread over
 * the ramp and, by the golden ratio, over the 20 ms frame cycle, so the callers' frames do not
 * leave in bursts (real calls start at independent times).
 */
export function slotStartMs(slot: number, slots: number, rampMs: number): number {
  const golden = (Math.sqrt(5) - 1) / 2;
  return (rampMs * slot) / Math.max(1, slots) + ((slot * golden) % 1) * 20;
}

/** Calls of a step start one every this long until the ramp is RAMP_SPREAD_MS long. */
const RAMP_MS_PER_CALL = 600;
/**
 * The longest ramp of a step under 1 200 calls: about two-thirds of a whole call (some 50 s with
 * the answers), so the measurement window sees calls at every point of their conversations, as a
 * pod whose calls arrive independently does, not all of them turning in the same second.
 */
export const RAMP_SPREAD_MS = 30_000;

/**
 * The ramp for N concurrent calls (`--ramp <s>` overrides it): one call every 600 ms up to 30 s
 * (50 calls and more spread over 30 s), at least 1 s, and beyond 1 200 calls 25 ms per call (40 new
 * calls a second). Before 2026-12-02 it was 25 ms per call at every N (100 calls in 2.5 s): their
 * identical conversations then turned within about a second of each other, a burst no pod sees
 * from independent callers (docs/bench/capacity.md).
 */
export function rampMsFor(calls: number, overrideS?: number): number {
  if (overrideS !== undefined) return overrideS * 1000;
  return Math.max(1000, Math.min(RAMP_SPREAD_MS, calls * RAMP_MS_PER_CALL), calls * 25);
}
