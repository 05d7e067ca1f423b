// bench:edge's report: one row per run (frames, lag, CPU, memory, jitter) and the load during
// its window, written between the results markers of docs/bench/edge.md.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';

export interface RunResult {
  calls: number;
  durationS: number;
  windowS: number;
  framesInPerS: number;
  framesOutPerS: number;
  /** The agent's own counters (hva_frames_in_total / hva_frames_out_total) over the window. */
  agentFramesInPerS: number;
  agentFramesOutPerS: number;
  agentLagP50Ms: number;
  agentLagP99Ms: number;
  agentLagMaxMs: number;
  agentCpuPct: number;
  /** Of agentCpuPct: kernel time (socket reads and writes). */
  agentCpuSysPct: number;
  /** Garbage-collection pauses in the agent over the window. */
  agentGcCount: number;
  agentGcTotalMs: number;
  agentGcMaxMs: number;
  agentRssIdleMb: number;
  agentRssMb: number;
  rssPerCallKb: number;
  agentLateFrames: number;
  agentDroppedFrames: number;
  agentMalformed: number;
  callerLateEchoes: number;
  echoJitterP50Ms: number;
  echoJitterP99Ms: number;
  echoJitterMaxMs: number;
  /** Frame sent -> its echo back (agent processing + loopback + both event loops). */
  echoRttP50Ms: number;
  echoRttP99Ms: number;
  echoRttMaxMs: number;
  senderLagP99Ms: number;
  senderLagMaxMs: number;
  benchLagP99Ms: number;
  benchCpuPct: number;
  otherCpuPct: number;
  loadAvg1: number;
  outcomes: Record<string, number>;
  protocolErrors: number;
  marksPlayed: number;
}

function fmt(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

export function table(runs: RunResult[]): string {
  const rows = [
    '| calls | frames/s in (callers / agent) | frames/s out (agent / callers) | agent lag p50 / p99 / max (ms) | agent CPU (sys) | agent RSS (idle -> loaded) | RSS/call | late frames agent / caller | echo jitter p50 / p99 / max (ms) | echo RTT p50 / p99 / max (ms) | outcomes |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of runs) {
    rows.push(
      `| ${r.calls} | ${fmt(r.framesInPerS, 0)} / ${fmt(r.agentFramesInPerS, 0)} | ${fmt(r.agentFramesOutPerS, 0)} / ${fmt(r.framesOutPerS, 0)} | ${fmt(r.agentLagP50Ms, 2)} / ${fmt(r.agentLagP99Ms, 2)} / ${fmt(r.agentLagMaxMs)} |` +
        ` ${fmt(r.agentCpuPct, 0)} % (${fmt(r.agentCpuSysPct, 0)} %) | ${fmt(r.agentRssIdleMb, 0)} -> ${fmt(r.agentRssMb, 0)} MB | ${fmt(r.rssPerCallKb, 0)} KB |` +
        ` ${r.agentLateFrames} / ${r.callerLateEchoes} | ${fmt(r.echoJitterP50Ms)} / ${fmt(r.echoJitterP99Ms)} / ${fmt(r.echoJitterMaxMs)} |` +
        ` ${fmt(r.echoRttP50Ms)} / ${fmt(r.echoRttP99Ms)} / ${fmt(r.echoRttMaxMs)} |` +
        ` ${Object.entries(r.outcomes)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}${r.protocolErrors ? `, ${r.protocolErrors} protocol errors` : ''} |`,
    );
  }
  return rows.join('\n');
}

export function loadTable(runs: RunResult[]): string {
  const rows = [
    '| calls | window (s) | agent GC pauses: n / total / max (ms) | bench process CPU | bench lag p99 (ms) | caller send lag p99 / max (ms) | other processes CPU | load avg (1 min) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of runs) {
    rows.push(
      `| ${r.calls} | ${fmt(r.windowS)} | ${r.agentGcCount} / ${fmt(r.agentGcTotalMs, 0)} / ${fmt(r.agentGcMaxMs)} | ${fmt(r.benchCpuPct, 0)} % | ${fmt(r.benchLagP99Ms, 2)} | ${fmt(r.senderLagP99Ms)} / ${fmt(r.senderLagMaxMs)} |` +
        ` ${fmt(r.otherCpuPct, 0)} % | ${fmt(r.loadAvg1, 2)} |`,
    );
  }
  return rows.join('\n');
}

export function machineFacts(): string {
  const c = cpus();
  let model = c[0]?.model ?? 'unknown';
  if (existsSync('/proc/cpuinfo') && model === 'unknown') model = 'see /proc/cpuinfo';
  return [
    `- CPU: ${c.length} x ${model}`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, Linux ${release()}`,
  ].join('\n');
}

/** Replaces what lies between the results markers of `path` (created when missing) with `section`. */
export async function writeDoc(path: string, section: string): Promise<void> {
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  let doc = existsSync(path) ? await readFile(path, 'utf8') : `# Edge benchmark\n\n${start}\n${end}\n`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) doc = `${doc.trimEnd()}\n\n${start}\n${end}\n`;
  const i = doc.indexOf(start) + start.length;
  const j = doc.indexOf(end);
  doc = `${doc.slice(0, i)}\n${section}\n${doc.slice(j)}`;
  await writeFile(path, doc);
}
