// `npm run bench -- --chaos`: chaos under load. Each scenario (a set of faults run together) is a
// fresh agent carrying 100 whole calls through the capacity harness (three processes) while the
// emulators and the callers inject the faults (src/sim/faults/); per fault, the calls it touched,
// what their callers heard, turns lost, collateral damage and recovery times. Writes
// docs/bench/chaos/chaos.json and the results block of docs/bench/chaos.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  chaosReport,
  formatChaosTable,
  formatFaultSpec,
  formatSilenceNotes,
  parseFaultPlan,
  type ChaosCall,
  type FaultReport,
} from '../../src/sim/faults/index.ts';
import type { CallSummary } from './protocol.ts';
import { loadLabel, replaceBetweenMarkers, stepTable, type MachineFacts } from './report.ts';
import { runStep, type StepFaults, type StepOptions } from './step.ts';
import type { StepResult } from './summary.ts';
import type { FaultPlan } from '../../src/sim/faults/index.ts';

/** The issue's set: 20 % of STT streams failing mid-call, a burst of LLM 429s and stalls, a 10 s TTS outage, a WebSocket drop per minute. */
export const CHAOS_SCENARIOS: readonly (readonly string[])[] = [
  ['stt-stream-fail:20%@mid'],
  // A stall before the first token (the first-token deadline) and one mid-answer (the stall timeout).
  ['llm-429-burst:at=30s,for=10s', 'llm-stall:at=60s,for=10s', 'llm-stall:at=90s,for=10s,after-tokens=3'],
  ['tts-outage:at=30s,for=10s'],
  ['ws-drop:every=60s'],
];

export interface ChaosRun {
  readonly faults: readonly string[];
  readonly seed: number;
  readonly step: StepResult;
  readonly reports: readonly FaultReport[];
}

export interface ChaosReport {
  readonly kind: 'chaos';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: MachineFacts;
  readonly profile: string;
  readonly calls: number;
  readonly durationS: number;
  readonly runs: readonly ChaosRun[];
}

/** The callers' summaries as the fault report reads them (times relative to each stream's open). */
export function chaosCalls(calls: readonly CallSummary[]): ChaosCall[] {
  return calls.map((c) => {
    const t0 = c.openAtMs ?? c.placedAtMs;
    return {
      callSid: c.callSid,
      outcome: c.outcome,
      startedAtEpochMs: t0,
      durationMs: c.endedAtMs - t0,
      turns: c.turns.map((t) => ({
        label: t.label,
        speechStartMs: (t.speechStartAtMs ?? t.speechEndAtMs) - t0,
        speechEndMs: t.speechEndAtMs - t0,
        ...(t.gapMs !== undefined ? { agentAudioStartMs: t.speechEndAtMs - t0 + t.gapMs } : {}),
        ...(t.marksPlayed ? { marksPlayed: t.marksPlayed } : {}),
        ...(t.marksCleared ? { marksCleared: t.marksCleared } : {}),
        ...(t.firstMarkPlayedAtMs !== undefined ? { firstMarkPlayedMs: t.firstMarkPlayedAtMs - t0 } : {}),
      })),
    };
  });
}

/** The per-fault report of a step that ran with faults. */
export function chaosReportOf(data: StepFaults, seed: number): FaultReport[] {
  return chaosReport({
    plan: parseFaultPlan(data.specs, seed),
    epochMs: data.epochMs,
    events: data.events,
    calls: chaosCalls(data.calls),
    agentLostCalls: data.agentLostCalls,
  });
}

export function renderChaosMarkdown(r: ChaosReport): string {
  const out: string[] = [
    `Measured ${r.startedAt.slice(0, 16)} UTC with \`${r.command}\`: ${r.calls} concurrent whole calls per run on the ${r.profile} profile, ${r.durationS} s measured per run (faults count from its start), ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}. The machine is shared: each run's 1-minute load average is given at its start and end.`,
    '',
  ];
  for (const run of r.runs) {
    out.push(
      `### ${run.faults.map((f) => `\`${f}\``).join(' + ')}`,
      '',
      `Seed ${run.seed}; load ${loadLabel(run.step.loadAvgStart, run.step.loadAvgEnd)}.`,
      '',
      formatChaosTable(run.reports),
      '',
      'The whole run (turns ending inside the window):',
      '',
      stepTable([run.step]),
      '',
    );
    const notes = [...formatSilenceNotes(run.reports), ...run.reports.flatMap((x) => x.notes)];
    if (notes.length > 0) out.push(...notes.map((n) => `- ${n}`), '');
  }
  return out.join('\n').trimEnd();
}

export interface ChaosOptions extends Omit<StepOptions, 'runId' | 'faults'> {
  readonly scenarios: readonly (readonly string[])[];
  readonly seed: number;
  readonly newRunId: () => string;
}

/** A window fault must end inside the measurement window, or its recovery is never seen. */
export function checkFitsWindow(plan: FaultPlan, durationS: number): void {
  for (const f of plan.faults) {
    if ('forMs' in f && f.atMs + f.forMs > durationS * 1000)
      throw new Error(`${formatFaultSpec(f)} ends after the ${durationS} s window: lengthen --duration`);
    if (f.kind === 'ws-drop' && f.startMs > durationS * 1000)
      throw new Error(`${formatFaultSpec(f)} never fires inside the ${durationS} s window`);
  }
}

export async function runChaos(o: ChaosOptions): Promise<ChaosRun[]> {
  const log = o.log ?? console.error;
  const runs: ChaosRun[] = [];
  const plans = o.scenarios.map((faults) => parseFaultPlan(faults, o.seed));
  for (const plan of plans) checkFitsWindow(plan, o.durationS);
  for (const [i, faults] of o.scenarios.entries()) {
    const plan = plans[i]!;
    const specs = plan.faults.map(formatFaultSpec);
    log(`bench: chaos, ${o.calls} calls with ${specs.join(' + ')}`);
    const step = await runStep({ ...o, runId: o.newRunId(), faults: { specs: [...faults], seed: o.seed } });
    const { faults: data, ...stepOnly } = step;
    if (!data) throw new Error('the step ran without its faults');
    const reports = chaosReportOf(data, o.seed);
    runs.push({ faults: specs, seed: o.seed, step: stepOnly, reports });
    log(formatChaosTable(reports));
    for (const line of formatSilenceNotes(reports)) log(line);
  }
  return runs;
}

export function writeChaos(report: ChaosReport, outDir: string): void {
  const assetDir = join(outDir, 'chaos');
  mkdirSync(assetDir, { recursive: true });
  writeFileSync(join(assetDir, 'chaos.json'), `${JSON.stringify(report, null, 1)}\n`);
  const mdPath = join(outDir, 'chaos.md');
  const doc = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '# Chaos under load\n';
  writeFileSync(mdPath, replaceBetweenMarkers(doc, 'chaos', renderChaosMarkdown(report)));
}
