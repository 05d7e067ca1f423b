// The caller's side of a call (call/user-turns.ts: mu-law decode, VAD, prosody, barge-in rule,
// endpointer fed frames, STT results and ticks, batcher) run over fixture audio with a scripted
// recognizer, on fake time, and everything it decides written down with the clock time it came
// out: every VAD frame, every endpointer output, every event the session gets, every batch sent
// to STT (start, length, checksum) and every utterance mark. user-turns-golden.test.ts compares
// it with agent/test/fixtures/user-turns/golden.json, recorded from the code before the per-frame
// work was trimmed (docs/bench/cost.md): a speed change must not move a single line.
//
//   npx node agent/test/unit/call/user-turns-golden.ts --write   (re-records the expected file)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMulaw } from '../../../src/audio/mulaw.ts';
import { defaultTurnComponents, type TurnComponents } from '../../../src/call/components.ts';
import { createUserTurns, type UserTurnEvents } from '../../../src/call/user-turns.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import {
  concat,
  dbToAmplitude,
  mixAt,
  pinkNoise,
  silence,
  toPcm16,
  whiteNoise,
  type Signal,
} from '../../../src/sim/synthetic-audio.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import type { Endpointer, Vad } from '../../../src/turn/types.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeStt } from './fakes.ts';
import { FIXTURE_TEXT, fixture, speechSpan, sttScriptFor, type SttScript } from '../turn/timeline.ts';

export const GOLDEN_FILE = join(import.meta.dirname, '..', '..', 'fixtures', 'user-turns', 'golden.json');

export interface GoldenCase {
  readonly name: string;
  readonly names: readonly string[];
  readonly gapMs: number;
  readonly finalDelayMs: number;
  /** The call clock runs this far ahead of audio time (a frame is delivered after its end). */
  readonly aheadMs: number;
  /** Bytes per media message (160 = one 20 ms frame, as Twilio sends). */
  readonly chunkBytes: number;
  /** Background under the whole call: none (digital silence), pink or white noise at this RMS (dBFS). */
  readonly noise?: { readonly kind: 'pink' | 'white'; readonly db: number };
  /** The session takes a turn back when the caller resumes within this long of its end. */
  readonly takeBackWithinMs?: number;
  /**
   * Interims without punctuation, as Google sends them, each sent twice 200 ms apart (two
   * responses agreeing): the silence, settled-partial and level-pitch rules decide, not the
   * early final. `cut` ends one fixture's interims on a word that needs a continuation.
   */
  readonly google?: { readonly cut?: string };
  readonly config?: Partial<Config>;
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  {
    name: 'six fixtures, digital silence between, finals late, clock 13 ms ahead',
    names: ['hello', 'question', 'address', 'thanks', 'long', 'short'],
    gapMs: 2500,
    finalDelayMs: 900,
    aheadMs: 13,
    chunkBytes: 160,
  },
  {
    name: 'short gaps over pink noise (take-backs), two frames per message, clock 3 ms ahead',
    names: ['hello', 'address', 'question', 'short'],
    gapMs: 700,
    finalDelayMs: 1500,
    aheadMs: 3,
    chunkBytes: 320,
    noise: { kind: 'pink', db: -38 },
    takeBackWithinMs: 1500,
    config: { sttInterimSettleMs: 0 },
  },
  {
    name: 'white noise bed, finals early, no idle batches, clock 35 ms ahead',
    names: ['thanks', 'long', 'hello', 'short'],
    gapMs: 1800,
    finalDelayMs: 300,
    aheadMs: 35,
    chunkBytes: 160,
    noise: { kind: 'white', db: -45 },
    config: { sttIdleBatchMs: 0, bargeInMinMs: 120 },
  },
  {
    name: 'unpunctuated agreeing interims, a dangling word, pink noise, clock 7 ms ahead',
    names: ['address', 'hello', 'long', 'question', 'thanks'],
    gapMs: 2200,
    finalDelayMs: 1300,
    aheadMs: 7,
    chunkBytes: 160,
    noise: { kind: 'pink', db: -50 },
    google: { cut: 'hello' },
  },
];

/** What Google's interims would say: no punctuation, each sent twice; `cut`: up to a dangling word. */
function googleLike(script: readonly SttScript[], cut: boolean): SttScript[] {
  const out: SttScript[] = [];
  for (const e of script) {
    if (e.kind === 'final') {
      out.push(e);
      continue;
    }
    let text = e.text.replace(/[.?!,]/gu, '');
    if (cut) {
      const words = text.split(' ');
      const at = words.indexOf('את');
      if (at > 0) text = words.slice(0, at + 1).join(' ');
    }
    out.push({ ...e, text }, { ...e, text, atMs: e.atMs + 200 });
  }
  return out;
}

/** Fixture utterances with pauses between them, and what a streaming recognizer would send. */
function conversation(c: GoldenCase): { signal: Signal; script: SttScript[] } {
  const parts: Signal[] = [silence(600)];
  const script: SttScript[] = [];
  let offsetMs = 600;
  for (const name of c.names) {
    const clip = fixture(name);
    let clipScript = sttScriptFor(FIXTURE_TEXT[name] ?? name, speechSpan(clip), {
      finalDelayMs: c.finalDelayMs,
      stability: 0.8,
    });
    if (c.google) clipScript = googleLike(clipScript, c.google.cut === name);
    for (const e of clipScript) {
      script.push(
        e.kind === 'partial'
          ? { ...e, atMs: e.atMs + offsetMs, audioTimeMs: (e.audioTimeMs ?? e.atMs) + offsetMs }
          : {
              ...e,
              atMs: e.atMs + offsetMs,
              audioStartMs: (e.audioStartMs ?? 0) + offsetMs,
              audioEndMs: (e.audioEndMs ?? e.atMs) + offsetMs,
            },
      );
    }
    parts.push(clip, silence(c.gapMs));
    offsetMs += clip.length / 8 + c.gapMs;
  }
  parts.push(silence(3000));
  let signal = concat(...parts);
  if (c.noise) {
    const ms = signal.length / 8;
    const rms = dbToAmplitude(c.noise.db);
    signal = mixAt(signal, c.noise.kind === 'pink' ? pinkNoise(ms, rms, 7) : whiteNoise(ms, rms, 8));
  }
  return { signal, script };
}

const fnv = (b: Uint8Array): string => {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h.toString(16);
};

/** One call of the case; returns its trace, one line per decision. */
export function goldenTrace(c: GoldenCase, components: TurnComponents = defaultTurnComponents): string[] {
  const config = defaultConfig(c.config ?? {});
  const clock = new FakeClock(0);
  const stt = new FakeStt();
  const lines: string[] = [];
  const log = (what: string): number => lines.push(`${clock.now()} ${what}`);
  // The VAD's frames, run-length coded (v/- voiced, S/_ speech), events with their times.
  const vadParts: string[] = [];
  let vadLast = '';
  let vadRun = 0;
  const endRun = (): void => {
    if (vadRun > 0) vadParts.push(`${vadLast}${vadRun}`);
    vadRun = 0;
    vadLast = '';
  };
  const recording: TurnComponents = {
    ...components,
    createVad(cfg): Vad {
      const vad = components.createVad(cfg);
      return {
        process(pcm, atMs) {
          const f = vad.process(pcm, atMs);
          const code = (f.voiced ? 'v' : '-') + (f.speech ? 'S' : '_');
          if (f.event !== undefined) {
            endRun();
            vadParts.push(`${f.event}@${f.eventTimeMs}`);
          }
          if (code === vadLast) vadRun++;
          else {
            endRun();
            vadLast = code;
            vadRun = 1;
          }
          return f;
        },
        reset: () => vad.reset(),
      };
    },
    createEndpointer(cfg, cues): Endpointer {
      const ep = components.createEndpointer(cfg, cues);
      return {
        handle(input) {
          const outs = ep.handle(input);
          for (const o of outs) log(`ep ${JSON.stringify(o)}`);
          return outs;
        },
        reset: () => ep.reset(),
        get needsTicks() {
          return ep.needsTicks;
        },
      };
    },
  };
  // The agent talks in fixed windows of call time, some of them over the caller (barge-ins).
  const agentSpeaking = (): boolean => clock.now() % 7000 >= 2000 && clock.now() % 7000 < 5600;
  let lastTurn: { id: number; endedAtMs: number } | undefined;
  const events: UserTurnEvents = {
    speechStarted(id, atMs) {
      log(`speechStarted ${id} ${atMs}`);
      if (
        lastTurn &&
        c.takeBackWithinMs !== undefined &&
        clock.now() - lastTurn.endedAtMs <= c.takeBackWithinMs
      ) {
        const back = lastTurn.id;
        lastTurn = undefined;
        // As the session does, outside the endpointer's own call.
        clock.setTimeout(() => turns.takeBack(back), 0);
      }
    },
    partial: (p) => log(`partial ${JSON.stringify(p)}`),
    turnEnded(turn) {
      log(`turnEnded ${JSON.stringify(turn)}`);
      lastTurn = { id: turn.utteranceId, endedAtMs: clock.now() };
    },
    lateFinal: (id, text, atMs) => log(`lateFinal ${id} ${text} ${atMs}`),
    bargeIn: (atMs) => log(`bargeIn ${atMs}`),
  };
  const turns = createUserTurns(
    {
      config,
      components: recording,
      stt,
      clock,
      callId: 'golden',
      logger: silentLogger,
      observer: undefined,
      agentSpeaking,
      guard: (where, fn, arg) => fn(arg as never),
    },
    events,
  );
  const listener = stt.listener!;
  const { signal, script } = conversation(c);
  const mulaw = encodeMulaw(toPcm16(signal));
  type Step = { atMs: number; order: number; run: () => void };
  const steps: Step[] = [];
  const chunkMs = c.chunkBytes / 8;
  for (let off = 0; off + c.chunkBytes <= mulaw.length; off += c.chunkBytes) {
    const audioTimeMs = off / 8;
    const bytes = Buffer.from(mulaw.subarray(off, off + c.chunkBytes));
    steps.push({
      atMs: audioTimeMs + chunkMs + c.aheadMs,
      order: steps.length,
      run: () => turns.onAudio({ mulaw: bytes, audioTimeMs }),
    });
  }
  for (const e of script) {
    steps.push({
      atMs: e.atMs,
      order: steps.length,
      run: () =>
        e.kind === 'partial'
          ? listener.onPartial({
              text: e.text,
              stability: e.stability ?? 0,
              audioTimeMs: e.audioTimeMs ?? e.atMs,
              receivedAtMs: clock.now(),
            })
          : listener.onFinal({
              text: e.text,
              confidence: 0.9,
              audioStartMs: e.audioStartMs ?? 0,
              audioEndMs: e.audioEndMs ?? e.atMs,
              receivedAtMs: clock.now(),
            }),
    });
  }
  steps.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  let written = 0;
  let marked = 0;
  const drainStt = (): void => {
    for (; written < stt.writes.length; written++) {
      const w = stt.writes[written]!;
      log(`stt ${w.audioTimeMs} ${w.mulaw.length} ${fnv(w.mulaw)}`);
    }
    for (; marked < stt.utterances.length; marked++) log(`mark ${stt.utterances[marked]!.join(' ')}`);
  };
  for (const s of steps) {
    clock.advance(s.atMs - clock.now());
    s.run();
    drainStt();
  }
  clock.advance(500);
  void turns.close();
  drainStt();
  endRun();
  return [`vad ${vadParts.join(' ')}`, ...lines];
}

if (process.argv.includes('--write')) {
  const golden = Object.fromEntries(GOLDEN_CASES.map((c) => [c.name, goldenTrace(c)]));
  writeFileSync(GOLDEN_FILE, `${JSON.stringify(golden, null, 2)}\n`);
  for (const [name, lines] of Object.entries(golden))
    process.stdout.write(`${name}: ${lines.length} lines\n`);
}
