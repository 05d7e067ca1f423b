// Micro-benchmarks of the agent's per-frame and per-tick work, old tree against this one in one
// process (docs/bench/cost.md): the same inputs through both, best of N passes, CPU time from
// process.cpuUsage. `--old <tree>` is a checkout of an older commit (its agent/src is imported).
//
//   node agent/bench/hot-path.ts --old /tmp/old [--passes 15] [--only endpointer|user-turns]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    passes: { type: 'string', default: '15' },
    only: { type: 'string' },
  },
});
const passes = Number(values.passes);
const { encodeMulaw } = await import('../src/audio/mulaw.ts');
const { parsePcm16Wav } = await import('../src/sim/synthetic-audio.ts');
const here = join(import.meta.dirname, '..', 'src');
const oldSrc = values.old ? join(values.old, 'agent', 'src') : undefined;

interface Case {
  readonly name: string;
  /** Builds one pass's work for the code under `src`; returns [run, units of work per run]. */
  prepare(src: string): Promise<[() => void, number, string]>;
}

/** us per unit of work, best of `passes` runs. */
function best(run: () => void, units: number): number {
  let min = Infinity;
  for (let p = 0; p < passes; p++) {
    const t0 = process.cpuUsage();
    run();
    const d = process.cpuUsage(t0);
    min = Math.min(min, (d.user + d.system) / units);
  }
  return min;
}

// ---------------- endpointer: a caller turn of 2.5 s, frames and ticks, a partial per 200 ms ----------------
const WORDS = ['אני', 'רוצה', 'לבדוק', 'את', 'ההזמנה', 'שלי', 'בבקשה', 'מחר', 'בבוקר', 'ו'];
/** 20 turns: 2.5 s speech (a partial per 200 ms, words growing), 1.5 s silence, a final; frames and ticks. */
function endpointerInputs(): unknown[] {
  const inputs: unknown[] = [];
  for (let turn = 0; turn < 20; turn++) {
    const t0 = turn * 6000;
    for (let f = 0; f < 300; f++) {
      const atMs = t0 + f * 20;
      const speaking = f < 125;
      const event = f === 0 ? 'speechStart' : f === 136 ? 'speechEnd' : undefined;
      const frame = { voiced: speaking, speech: f < 136, ...(event ? { event, eventTimeMs: atMs } : {}) };
      inputs.push({ type: 'vad', atMs, frame, frameMs: 20 }, { type: 'tick', atMs: atMs + 20 });
      if (speaking && f % 10 === 5) {
        const text = WORDS.slice(0, Math.min(1 + Math.floor(f / 15), WORDS.length)).join(' ');
        inputs.push({
          type: 'partial',
          partial: { text, stability: 0.9, audioTimeMs: atMs, receivedAtMs: atMs + 20 },
        });
      }
      if (f === 200) {
        inputs.push({
          type: 'final',
          final: {
            text: `${WORDS.join(' ')}.`,
            confidence: 0.9,
            audioStartMs: t0,
            audioEndMs: t0 + 2500,
            receivedAtMs: atMs,
          },
        });
      }
    }
  }
  return inputs;
}

const endpointer: Case = {
  name: 'endpointer: frames + ticks of calls with turns (us per input)',
  async prepare(src) {
    const { createEndpointer } = (await import(
      join(src, 'turn', 'endpointer.ts')
    )) as typeof import('../src/turn/endpointer.ts');
    const { defaultConfig } = (await import(
      join(src, 'config', 'load.ts')
    )) as typeof import('../src/config/load.ts');
    const config = defaultConfig();
    const inputs = endpointerInputs();
    const run = (): void => {
      const ep = createEndpointer(config);
      for (const input of inputs) ep.handle(input as never);
    };
    const units = inputs.length;
    return [run, units, ''];
  },
};

// ---------------- user-turns: whole calls, the caller's side per 20 ms frame ----------------
/**
 * CALLS calls interleaved frame by frame (as the agent runs them: the per-call memos must hold
 * across other calls' frames), each the cost.ts timeline: the six fixtures, each followed by
 * 5 s of digital silence while the agent answers, a recognizer script per fixture, the 20 ms
 * tick. Units: caller frames (the ticks and STT results of those frames included).
 */
const CALLS = 10;
const userTurns: Case = {
  name: 'user-turns: whole calls, 10 interleaved (us per caller frame)',
  async prepare(src) {
    const { createUserTurns } = (await import(
      join(src, 'call', 'user-turns.ts')
    )) as typeof import('../src/call/user-turns.ts');
    const { defaultTurnComponents } = (await import(
      join(src, 'call', 'components.ts')
    )) as typeof import('../src/call/components.ts');
    const { defaultConfig } = (await import(
      join(src, 'config', 'load.ts')
    )) as typeof import('../src/config/load.ts');
    const { silentLogger } = (await import(
      join(src, 'telemetry', 'logger.ts')
    )) as typeof import('../src/telemetry/logger.ts');
    const config = defaultConfig();
    const { mulaw, script } = callAudio();
    const frames = Math.floor(mulaw.length / 160);
    const run = (): void => {
      let now = 0;
      const ticks: Array<() => void> = [];
      const calls = Array.from({ length: CALLS }, (_, k) => {
        const offset = k * 37; // frames: the calls' turns fall at different moments
        let listener: import('../src/stt/types.ts').SttListener | undefined;
        const clock = {
          now: () => now,
          setTimeout: () => 0,
          clearTimeout: () => undefined,
          onTick: (fn: () => void) => (ticks.push(fn), () => undefined),
        };
        const turns = createUserTurns(
          {
            config,
            components: defaultTurnComponents,
            stt: {
              name: 'bench',
              open: (_ctx, l) => {
                listener = l;
                return { write: () => undefined, close: async () => undefined, state: 'streaming' as const };
              },
            },
            clock,
            callId: `bench-${k}`,
            logger: silentLogger,
            observer: undefined,
            agentSpeaking: () => now % 8000 >= 3000,
            guard: (_where, fn, arg) => fn(arg as never),
          },
          { speechStarted() {}, partial() {}, turnEnded() {}, lateFinal() {}, bargeIn() {} },
        );
        return { turns, offset, listener: listener!, next: 0 };
      });
      for (let f = 0; f < frames; f++) {
        now = f * 20 + 20;
        for (const c of calls) {
          const i = (f + c.offset) % frames;
          if (i === 0) c.next = 0;
          const audioTimeMs = i * 20;
          c.turns.onAudio({ mulaw: mulaw.subarray(i * 160, i * 160 + 160), audioTimeMs });
          for (; c.next < script.length && script[c.next]!.atMs <= audioTimeMs + 20; c.next++)
            deliver(c.listener, script[c.next]!, now + script[c.next]!.atMs - audioTimeMs - 20);
        }
        for (const t of ticks) t();
      }
      for (const c of calls) void c.turns.close();
    };
    return [run, frames * CALLS, ''];
  },
};

type ScriptEvent = { atMs: number; kind: 'partial' | 'final'; text: string; audioMs: number };

/** One recognizer script event to a call's STT listener, received at `atMs`. */
function deliver(listener: import('../src/stt/types.ts').SttListener, e: ScriptEvent, atMs: number): void {
  if (e.kind === 'partial')
    listener.onPartial({ text: e.text, stability: 0.8, audioTimeMs: e.audioMs, receivedAtMs: atMs });
  else
    listener.onFinal({
      text: e.text,
      confidence: 0.9,
      audioStartMs: e.audioMs - 2000,
      audioEndMs: e.audioMs,
      receivedAtMs: atMs,
    });
}
/** The cost.ts caller timeline as mu-law, and a recognizer script for it. */
function callAudio(): { mulaw: Buffer; script: ScriptEvent[] } {
  const dir = join(here, '..', 'test', 'fixtures', 'audio');
  const texts = new Map(
    readFileSync(join(dir, 'transcripts.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t') as [string, string]),
  );
  const parts: Int16Array[] = [new Int16Array(3 * 8000)];
  const script: ScriptEvent[] = [];
  let atMs = 3000;
  for (const name of ['hello', 'question', 'address', 'thanks', 'long', 'short']) {
    const pcm = parsePcm16Wav(readFileSync(join(dir, `${name}.wav`)));
    const words = (texts.get(name) ?? name).split(' ');
    const ms = pcm.length / 8;
    for (let t = 400; t < ms; t += 300) {
      const n = Math.max(1, Math.round((words.length * t) / ms));
      script.push({
        atMs: atMs + t,
        kind: 'partial',
        text: words.slice(0, n).join(' '),
        audioMs: atMs + t - 150,
      });
    }
    script.push({ atMs: atMs + ms + 150, kind: 'partial', text: words.join(' '), audioMs: atMs + ms });
    script.push({ atMs: atMs + ms + 700, kind: 'final', text: words.join(' '), audioMs: atMs + ms });
    parts.push(pcm, new Int16Array(5 * 8000));
    atMs += ms + 5000;
  }
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return { mulaw: encodeMulaw(all), script };
}

const cases: Case[] = [endpointer, userTurns];
console.log(
  `load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, best of ${passes} passes`,
);
for (const c of cases) {
  if (values.only && !c.name.startsWith(values.only)) continue;
  const [runNew, unitsNew] = await c.prepare(here);
  const newUs = best(runNew, unitsNew);
  let line = `${c.name}: this tree ${newUs.toFixed(3)}`;
  if (oldSrc) {
    const [runOld, unitsOld] = await c.prepare(oldSrc);
    const oldUs = best(runOld, unitsOld);
    line += `, old ${oldUs.toFixed(3)} (${(((newUs - oldUs) / oldUs) * 100).toFixed(1)} %)`;
  }
  console.log(line);
}
console.log(
  `load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
