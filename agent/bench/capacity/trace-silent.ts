// `node agent/bench/capacity/trace-silent.ts <dump dir>`: every caller turn of a dumped run
// (HVA_BENCH_DUMP_DIR) that heard no reply, beside what the agent logged for that call around it,
// so each silent turn can be explained (the agent's doing, the fault's, or the harness's count).
// Prints a per-cause summary from the agent's own words, then the first few traces in full.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chaosCalls } from './chaos.ts';
import type { CallSummary } from './protocol.ts';
import { heardReply } from '../../src/sim/faults/report.ts';

interface Dump {
  readonly runId: string;
  readonly agentPid: number;
  readonly calls: CallSummary[];
}

interface LogLine {
  readonly t: number;
  readonly msg: string;
  readonly o: Record<string, unknown>;
}

/** What the agent did about a silent turn, from the log lines between its start and the next turn. */
export function classifySilence(lines: readonly LogLine[]): string {
  const msgs = lines.map((l) => l.msg);
  const has = (re: RegExp): boolean => msgs.some((m) => re.test(m));
  const outcomes = lines.flatMap((l) => {
    const turn = l.o['turn'] as Record<string, unknown> | undefined;
    return turn && typeof turn['outcome'] === 'string' ? [turn['outcome']] : [];
  });
  if (has(/below barge-in threshold/)) return 'agent: ignored as a backchannel';
  if (has(/without a transcript/)) return 'agent: no transcript';
  if (has(/taken back/)) return 'agent: taken back';
  if (outcomes.includes('superseded')) return 'agent: answer superseded';
  if (outcomes.includes('apology')) return 'agent: apology sent late';
  if (outcomes.includes('interrupted')) return 'agent: answer interrupted';
  if (outcomes.length > 0) return `agent: ${outcomes.join('+')}`;
  if (lines.some((l) => /turn ended|caller turn/i.test(l.msg))) return 'agent: turn seen, no record';
  return 'agent: nothing logged (turn not seen)';
}

function main(dir: string): void {
  const files = readdirSync(dir);
  for (const f of files.filter((n) => n.startsWith('calls-'))) {
    const dump = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Dump;
    const logFile = join(dir, `agent-${dump.agentPid}.log`);
    const byCall = new Map<string, LogLine[]>();
    for (const raw of readFileSync(logFile, 'utf8').split('\n')) {
      if (!raw.startsWith('{')) continue;
      const o = JSON.parse(raw) as Record<string, unknown>;
      const sid = o['callSid'];
      if (typeof sid !== 'string') continue;
      const t = typeof o['time'] === 'number' ? o['time'] : Date.parse(String(o['time']));
      const list = byCall.get(sid) ?? [];
      list.push({ t, msg: String(o['msg'] ?? ''), o });
      byCall.set(sid, list);
    }
    const causes = new Map<string, number>();
    const samples: string[] = [];
    let silent = 0;
    const chaos = chaosCalls(dump.calls);
    for (const [ci, call] of dump.calls.entries()) {
      for (const [i, t] of call.turns.entries()) {
        const heard = heardReply(chaos[ci]!, i);
        if (heard !== 'silence' && t.gapMs !== undefined) continue;
        if (heard === 'cut') continue;
        silent++;
        const from = (t.speechStartAtMs ?? t.speechEndAtMs) - 500;
        const next = call.turns[i + 1];
        const until = next ? (next.speechStartAtMs ?? next.speechEndAtMs) + 2000 : call.endedAtMs + 1000;
        const lines = (byCall.get(call.callSid) ?? []).filter((l) => l.t >= from && l.t <= until);
        const cause = `${t.label}: ${classifySilence(lines)} [heard ${heard}, gap ${t.gapMs === undefined ? 'none' : 'yes'}]`;
        causes.set(cause, (causes.get(cause) ?? 0) + 1);
        if (samples.length < 12) {
          const open = call.openAtMs ?? call.placedAtMs;
          const rel = (x: number | undefined): string =>
            x === undefined ? '-' : `${((x - open) / 1000).toFixed(2)}s`;
          samples.push(
            [
              `${call.callSid} ${t.label} (${call.outcome}): speech ${rel(t.speechStartAtMs)}..${rel(t.speechEndAtMs)} next ${rel(next?.speechStartAtMs)} played ${JSON.stringify(t.marksPlayed ?? [])} cleared ${JSON.stringify(t.marksCleared ?? [])}`,
              ...lines.map((l) => {
                const turn = l.o['turn'] as Record<string, unknown> | undefined;
                const extra = turn
                  ? ` turn=${String(turn['turnId'])} utt=${String(turn['utteranceId'])} outcome=${String(turn['outcome'])} transcript=${String(turn['transcript'])}`
                  : ['utteranceId', 'turnId', 'reason', 'kind', 'outcome', 'wasSpeaking', 'rule']
                      .filter((k) => l.o[k] !== undefined)
                      .map((k) => ` ${k}=${String(l.o[k])}`)
                      .join('');
                return `    ${rel(l.t)} ${l.msg}${extra}`;
              }),
            ].join('\n'),
          );
        }
      }
    }
    console.log(`# ${f}: ${silent} turns without a reply`);
    for (const [c, n] of [...causes].sort((a, b) => b[1] - a[1]))
      console.log(`${String(n).padStart(4)}  ${c}`);
    console.log('');
    for (const s of samples) console.log(s);
    console.log('');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv[2] ?? '.');
