// Micro-benchmarks of the agent's per-frame and per-tick work, old tree against this one in one
// process (docs/bench/cost.md): the same inputs through both, best of N passes, CPU time from
// process.cpuUsage. `--old <tree>` is a checkout of an older commit (its agent/src is imported).
//
//   node agent/bench/hot-path.ts --old /tmp/old [--passes 15] [--only endpointer]
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

const cases: Case[] = [endpointer];
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
