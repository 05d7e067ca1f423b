// What a chaos run did to the callers, per fault: the calls it touched, what those callers heard
// in reply to the touched turns, the turns lost that the fault did not make impossible, damage
// outside the touched calls, and recovery times. Pure: the fault events (every process's hook
// log) and the caller simulator's results in, figures and Markdown out.
import type { FaultEvent } from './log.ts';
import { formatFaultSpec, type FaultPlan, type FaultSpec } from './plan.ts';

/** The part of a CallResult (sim/caller/call.ts) the report reads. */
export interface ChaosCall {
  readonly callSid: string;
  readonly outcome: string;
  readonly startedAtEpochMs?: number;
  readonly durationMs: number;
  readonly turns: ReadonlyArray<{
    /** The caller's label of the utterance (e.g. `thanks (barge-in)`), for the silence breakdown. */
    readonly label?: string;
    readonly speechStartMs: number;
    readonly speechEndMs: number;
    readonly agentAudioStartMs?: number;
    readonly marksPlayed?: readonly string[];
    readonly firstMarkPlayedMs?: number;
    readonly marksCleared?: readonly string[];
  }>;
}

/** What the caller heard in reply to one utterance. */
export type Heard = 'answer' | 'apology' | 'silence' | 'cut';

export interface FaultReport {
  /** Canonical spec. */
  readonly fault: string;
  readonly kind: FaultSpec['kind'];
  /** Failures sent (streams failed, requests refused or stalled, syntheses refused, sockets cut). */
  readonly injected: number;
  /**
   * Calls the fault reached: the ones it hit (stt-stream-fail, ws-drop), or for a window fault
   * those with a turn in progress during the window.
   */
  readonly callsExposed: number;
  /**
   * Calls it touched: those it hit, or for a window fault the exposed calls where a touched turn
   * heard something other than an answer (apology, silence, cut).
   */
  readonly callsAffected: number;
  readonly turnsTouched: number;
  readonly heard: Record<Heard, number>;
  /** Touched turns with no reply at all, which the fault did not make impossible (cut turns excluded). */
  readonly turnsLost: number;
  /**
   * Calls no fault of the run reached that still had a turn without an answer (an apology or
   * silence: the load's doing, or the agent's) or did not complete.
   */
  readonly collateral: { readonly calls: number; readonly turnsNotAnswered: number };
  /** Turns of exposed calls that began after the fault had passed, and how many heard an answer. */
  readonly after: { readonly turns: number; readonly answered: number };
  /** Fault to service again (reconnect, first normal answer after the window), ms. */
  readonly recoveryMs: { readonly count: number; readonly p50?: number; readonly max?: number };
  /**
   * Silent turns by the caller's utterance: the touched ones (the turns lost) and, for comparison,
   * those of the calls the fault never reached. A silence that falls on the same utterance in both
   * (e.g. the barge-in) is the load's or the session's, not the fault's.
   */
  readonly silentByTurn: {
    readonly touched: Readonly<Record<string, number>>;
    readonly untouched: Readonly<Record<string, number>>;
  };
  readonly notes: readonly string[];
}

export interface ChaosReportInput {
  readonly plan: FaultPlan;
  /** Wall time of the run's start (the injectors' epoch). */
  readonly epochMs: number;
  readonly events: readonly FaultEvent[];
  readonly calls: readonly ChaosCall[];
  /** hva_calls_lost_total gained during the run, read from the agent's /metrics. */
  readonly agentLostCalls?: number;
}

/** Outcomes that end a call in the middle of its script (the benchmark's own hang-up is 'hung-up'). */
const ENDED_EARLY = new Set(['dropped', 'hung-up']);
/** Outcomes of a call that went as its caller meant. */
const ENDED_WELL = new Set(['completed', 'hung-up']);

const SEGMENT_KIND = /^(answer|apology|greeting|goodbye|filler|prompt)-/;

/**
 * The reply to turn `i` of a call, from the agent's marks (<kind>-<turn>-<segment>) played or
 * talked over after it: an apology, else an answer (or goodbye); a silence re-prompt or a filler
 * alone is no reply. Without marks, audible agent audio counts as an answer.
 */
export function heardReply(call: ChaosCall, i: number): Heard {
  const t = call.turns[i]!;
  // Cleared segments count too: the caller talked over a reply that had started playing.
  const names = [...(t.marksPlayed ?? []), ...(t.marksCleared ?? [])];
  const kinds = names.map((m) => SEGMENT_KIND.exec(m)?.[1] ?? 'other');
  if (kinds.includes('apology')) return 'apology';
  if (kinds.some((k) => k === 'answer' || k === 'goodbye' || k === 'other')) return 'answer';
  if (names.length === 0 && t.agentAudioStartMs !== undefined) return 'answer';
  const last = i === call.turns.length - 1;
  // A call cut by the network, or hung up by the harness at the end of a run, had no time to hear it.
  return last && ENDED_EARLY.has(call.outcome) ? 'cut' : 'silence';
}

interface AbsTurn {
  readonly call: ChaosCall;
  readonly index: number;
  readonly start: number;
  /** Until the first reply segment was heard, else the next utterance, else the call's end. */
  readonly until: number;
}

function absTurns(call: ChaosCall): AbsTurn[] {
  const t0 = call.startedAtEpochMs;
  if (t0 === undefined) return [];
  return call.turns.map((t, index) => {
    const next = call.turns[index + 1];
    const until =
      t.firstMarkPlayedMs ?? (next ? next.speechStartMs : Math.max(call.durationMs, t.speechEndMs || 0));
    return { call, index, start: t0 + t.speechStartMs, until: t0 + until };
  });
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The turn of a call in progress at wall time `at` (the last one begun by then). */
function turnAt(turns: readonly AbsTurn[], at: number): AbsTurn | undefined {
  let found: AbsTurn | undefined;
  for (const t of turns) if (t.start <= at) found = t;
  return found;
}

/** One report per fault of the plan (in plan order). */
export function chaosReport(input: ChaosReportInput): FaultReport[] {
  const turnsByCall = new Map(input.calls.map((c) => [c.callSid, absTurns(c)]));
  const exposures = input.plan.faults.map((f, index) => exposureOf(input, turnsByCall, f, index));
  // Collateral is counted in calls no fault of the run reached: another fault's apologies are its own.
  const reachedByAny = new Set(exposures.flatMap((x) => [...x.exposed]));
  return exposures.map(({ f, injected, touched, exposed, passedAt, events, notes }) => {
    const heard: Record<Heard, number> = { answer: 0, apology: 0, silence: 0, cut: 0 };
    const hurt = new Set<ChaosCall>();
    const silentTouched: Record<string, number> = {};
    const labelOf = (call: ChaosCall, i: number): string => call.turns[i]?.label ?? `turn ${i + 1}`;
    for (const t of touched) {
      const h = heardReply(t.call, t.index);
      heard[h]++;
      if (h !== 'answer') hurt.add(t.call);
      if (h === 'silence') bump(silentTouched, labelOf(t.call, t.index));
    }
    const perCall = f.kind === 'stt-stream-fail' || f.kind === 'ws-drop';
    const affected = perCall ? exposed : hurt;
    let afterTurns = 0;
    let afterAnswered = 0;
    for (const call of exposed) {
      for (const t of turnsByCall.get(call.callSid) ?? []) {
        if (touched.has(t) || t.start < passedAt(call)) continue;
        afterTurns++;
        if (heardReply(call, t.index) === 'answer') afterAnswered++;
      }
    }
    let collateralCalls = 0;
    let collateralTurns = 0;
    const silentUntouched: Record<string, number> = {};
    for (const call of input.calls) {
      if (reachedByAny.has(call)) continue;
      const lost = call.turns.filter((_, i) => {
        const h = heardReply(call, i);
        if (h === 'silence') bump(silentUntouched, labelOf(call, i));
        return h === 'silence' || h === 'apology';
      }).length;
      if (lost > 0 || !ENDED_WELL.has(call.outcome)) collateralCalls++;
      collateralTurns += lost;
    }
    const recoveries = events
      .filter((e) => e.type === 'recovered' && e.afterMs !== undefined)
      .map((e) => e.afterMs!)
      .sort((a, b) => a - b);
    const p50 = percentile(recoveries, 50);
    const max = recoveries.at(-1);
    return {
      fault: formatFaultSpec(f),
      kind: f.kind,
      injected: injected.length,
      callsExposed: exposed.size,
      callsAffected: affected.size,
      turnsTouched: touched.size,
      heard,
      turnsLost: heard.silence,
      collateral: { calls: collateralCalls, turnsNotAnswered: collateralTurns },
      after: { turns: afterTurns, answered: afterAnswered },
      recoveryMs: {
        count: recoveries.length,
        ...(p50 !== undefined ? { p50: Math.round(p50) } : {}),
        ...(max !== undefined ? { max: Math.round(max) } : {}),
      },
      silentByTurn: { touched: silentTouched, untouched: silentUntouched },
      notes,
    };
  });
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** `thanks (barge-in) 3, p450 1` (most first), or `none`. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** One line per fault: which utterances went silent, touched vs untouched calls. */
export function formatSilenceNotes(reports: readonly FaultReport[]): string[] {
  return reports.map(
    (r) =>
      `\`${r.fault}\`: silent turns by utterance: touched ${formatCounts(r.silentByTurn.touched)}; in calls it never reached ${formatCounts(r.silentByTurn.untouched)}`,
  );
}

/** A Markdown table of the reports, one row per fault. */
export function formatChaosTable(reports: readonly FaultReport[]): string {
  const rows = reports.map((r) => {
    const rec =
      r.kind === 'ws-drop'
        ? 'n/a (call over)'
        : r.recoveryMs.count === 0
          ? '-'
          : `${r.recoveryMs.p50} / ${r.recoveryMs.max} ms (${r.recoveryMs.count})`;
    return `| \`${r.fault}\` | ${r.injected} | ${r.callsExposed} | ${r.callsAffected} | ${r.turnsTouched} | ${r.heard.answer} / ${r.heard.apology} / ${r.heard.silence} / ${r.heard.cut} | ${r.turnsLost} | ${r.collateral.calls} / ${r.collateral.turnsNotAnswered} | ${r.after.answered}/${r.after.turns} | ${rec} |`;
  });
  return [
    '| fault | injected | calls exposed | calls affected | turns touched | heard: answer / apology / silence / cut | turns lost | collateral: calls / turns not answered | answered after | recovery p50 / max |',
    '|---|---:|---:|---:|---:|---|---:|---|---:|---|',
    ...rows,
  ].join('\n');
}

interface Exposure {
  readonly f: FaultSpec;
  readonly events: readonly FaultEvent[];
  readonly injected: readonly FaultEvent[];
  readonly touched: ReadonlySet<AbsTurn>;
  readonly exposed: ReadonlySet<ChaosCall>;
  readonly passedAt: (call: ChaosCall) => number;
  readonly notes: string[];
}

/** Which calls and turns fault `f` (position `index` of the plan) reached, and when it had passed. */
function exposureOf(
  input: ChaosReportInput,
  turnsByCall: ReadonlyMap<string, AbsTurn[]>,
  f: FaultSpec,
  index: number,
): Exposure {
  // Events name their fault's position in the plan; older logs only its kind.
  const events = input.events.filter((e) => e.fault === f.kind && (e.index ?? index) === index);
  const injected = events.filter((e) => e.type === 'injected');
  const touched = new Set<AbsTurn>();
  /** Calls a per-call fault hit (also before their first utterance, e.g. a stream failing at open). */
  const hit = new Set<ChaosCall>();
  const byId = new Map(input.calls.map((c) => [c.callSid, c]));
  let passedAt: (call: ChaosCall) => number;
  const notes: string[] = [];
  if (f.kind === 'stt-stream-fail' || f.kind === 'ws-drop') {
    const lastHit = new Map<string, number>();
    for (const e of injected) {
      if (e.callId === undefined) continue;
      const c = byId.get(e.callId);
      if (c) hit.add(c);
      const t = turnAt(turnsByCall.get(e.callId) ?? [], e.atEpochMs);
      if (t) touched.add(t);
      lastHit.set(e.callId, Math.max(lastHit.get(e.callId) ?? 0, e.atEpochMs));
    }
    passedAt = (call) => lastHit.get(call.callSid) ?? Infinity;
    if (f.kind === 'ws-drop') {
      const drops = injected.length;
      if (input.agentLostCalls !== undefined)
        notes.push(
          `agent counted ${input.agentLostCalls} of ${drops} dropped calls as lost (hva_calls_lost_total)`,
        );
    }
  } else {
    const start = input.epochMs + f.atMs;
    const end = start + f.forMs;
    for (const turns of turnsByCall.values())
      for (const t of turns) if (t.start < end && t.until >= start) touched.add(t);
    passedAt = () => end;
  }
  const exposed = new Set([...hit, ...[...touched].map((t) => t.call)]);
  return { f, events, injected, touched, exposed, passedAt, notes };
}
