// bench:turn --dump-stt FILE: what the agent saw and decided on each call, on the call clock, to
// trace a turn answered on a word the caller did not say (which STT response, which rule).
//   npx node agent/bench/turn-dump.ts FILE [--all]   prints the wrong-word turns (or every turn)
import { readFileSync } from 'node:fs';
import type { CallObserver, CallObserverFactory } from '../src/call/observer.ts';
import { fixtureTranscripts, FIXTURE_AUDIO_DIR } from '../src/sim/conversation.ts';
import { normalizeHebrew } from '../src/text/compare.ts';
import { join } from 'node:path';

export interface DumpEvent {
  readonly atMs: number;
  readonly kind: 'interim' | 'final' | 'turnEnded' | 'record';
  readonly text: string;
  readonly stability?: number;
  readonly rule?: string;
  readonly utteranceId?: number;
  readonly speechEndMs?: number;
  readonly speechStartMs?: number;
  readonly candidate?: string;
  readonly preemptive?: string;
  readonly outcome?: string;
}

export interface CallDump {
  readonly callSid: string;
  readonly events: DumpEvent[];
}

export function dumpObserver(dump: Map<string, CallDump>): CallObserverFactory {
  return (info) => {
    const events: DumpEvent[] = [];
    dump.set(info.callSid, { callSid: info.callSid, events });
    const observer: CallObserver = {
      transcript: (t) =>
        events.push({
          atMs: t.atMs,
          kind: t.isFinal ? 'final' : 'interim',
          text: t.text,
          stability: t.stability,
        }),
      turnEnded: (t) =>
        events.push({
          atMs: t.atMs,
          kind: 'turnEnded',
          text: t.transcript,
          rule: t.rule,
          utteranceId: t.utteranceId,
        }),
      turnRecord: (r) =>
        events.push({
          atMs: r.finalMs,
          kind: 'record',
          text: r.transcript,
          rule: r.rule,
          utteranceId: r.utteranceId,
          speechStartMs: r.speechStartMs,
          speechEndMs: r.speechEndMs,
          ...(r.preemptiveCandidate !== undefined ? { candidate: r.preemptiveCandidate } : {}),
          ...(r.preemptive !== undefined ? { preemptive: r.preemptive } : {}),
          ...(r.outcome !== undefined ? { outcome: r.outcome } : {}),
        }),
    };
    return observer;
  };
}

/** Prints each turn whose transcript is in no line of the fixture set, with the STT responses around it. */
function main(): void {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) throw new Error('usage: turn-dump.ts FILE [--all] [--dir pauses]');
  const all = rest.includes('--all');
  const dirFlag = rest.indexOf('--dir');
  const dir = dirFlag >= 0 ? join(FIXTURE_AUDIO_DIR, rest[dirFlag + 1]!) : FIXTURE_AUDIO_DIR;
  const lines = [...fixtureTranscripts(dir).values()].map((l) =>
    normalizeHebrew(l.replace(/\s*\|\s*/g, ' ')),
  );
  const calls = JSON.parse(readFileSync(file, 'utf8')) as CallDump[];
  for (const c of calls) {
    const records = c.events.filter((e) => e.kind === 'record');
    for (const r of records) {
      const t = normalizeHebrew(r.text);
      const wrong = !lines.some((l) => l.includes(t));
      if (!wrong && !all) continue;
      const from = r.speechStartMs! - 200;
      const to = r.atMs + 1500;
      console.log(
        `\n${wrong ? 'WRONG ' : ''}${c.callSid.slice(-6)} u${r.utteranceId} rule ${r.rule} outcome ${r.outcome} preemptive ${r.preemptive ?? '-'} speech ${r.speechStartMs}-${r.speechEndMs} decided ${r.atMs}\n  transcript ${JSON.stringify(r.text)}\n  candidate  ${JSON.stringify(r.candidate ?? '')}`,
      );
      for (const e of c.events) {
        if (e.kind === 'record' || e.atMs < from || e.atMs > to) continue;
        const rel = r.speechEndMs !== undefined ? e.atMs - r.speechEndMs : 0;
        console.log(
          `  ${String(e.atMs).padStart(7)} (${rel >= 0 ? '+' : ''}${rel}) ${e.kind.padEnd(9)} ${e.stability !== undefined ? e.stability.toFixed(2) : '    '} ${e.rule ?? ''} ${JSON.stringify(e.text)}`,
        );
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
