// The capacity benchmark's third process: the simulated Twilio callers. Keeps `slots` whole
// calls running (each slot places its next call as soon as the previous one ends), registers each
// call's script with the Speech emulator first, reports every finished call over IPC, and at
// `stopAtMs` hangs up whatever still runs. Started by harness.ts (runCallers); exits after `done`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { resolveScript, SimulatedCall, type CallResult } from '../../src/sim/caller/index.ts';
import { createFaultInjector, parseFaultPlan } from '../../src/sim/faults/index.ts';
import {
  parseTranscripts,
  planCall,
  planUtterances,
  selectFixtures,
  slotStartMs,
  type ConversationFixtures,
  type Fixture,
  type PlannedCall,
} from './conversation.ts';
import type { CallSummary, CallersCommand, CallersMessage, CallersSpec } from './protocol.ts';
import { readProcStat } from './prom.ts';

if (!process.send) throw new Error('callers-process.ts is started by harness.ts over IPC');
const send = (m: CallersMessage): void => void process.send!(m);
const epochNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

process.once('message', (m: CallersCommand) => {
  if (m.type !== 'run') return;
  run(m.spec).then(
    () => process.exit(0),
    (err: unknown) => {
      send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));

/** The benchmark's fixtures: the caller lines and the mid-sentence pause set. */
function loadFixtures(dir: string): ConversationFixtures {
  return selectFixtures(
    parseTranscripts(readFileSync(join(dir, 'transcripts.tsv'), 'utf8')),
    parseTranscripts(readFileSync(join(dir, 'pauses', 'transcripts.tsv'), 'utf8'), 'pauses'),
  );
}

/** One simulated Twilio call to the agent, signed like Twilio's, with the run's faults. */
function simulatedCall(
  spec: CallersSpec,
  callSid: string,
  script: ConstructorParameters<typeof SimulatedCall>[0]['script'],
  faults: ReturnType<typeof createFaultInjector> | undefined,
  onOpen: () => void,
): SimulatedCall {
  return new SimulatedCall({
    url: spec.agentUrl.replace(/^http/, 'ws'),
    callSid,
    script,
    signature: { authToken: spec.authToken, publicUrl: spec.publicHost },
    customParameters: { bench: 'capacity' },
    connectTimeoutMs: 30_000,
    cheapFraming: true,
    ...(faults?.caller ? { faults: faults.caller } : {}),
    onEvent: (e) => {
      if (e.type === 'open') onOpen();
    },
  });
}

async function run(spec: CallersSpec): Promise<void> {
  const fixtures = loadFixtures(spec.fixturesDir);
  const named = spec.utterances ? namedFixtures(spec.fixturesDir, spec.utterances) : [];
  const audioCache = new Map<string, Promise<Buffer>>();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = process.cpuUsage();
  const firstIndex = spec.firstIndex ?? 0;
  const maxCalls = spec.maxCalls ?? Infinity;
  let nextIndex = firstIndex;
  const running = new Set<SimulatedCall>();
  const hungUp = new Set<SimulatedCall>();
  let stopped = false;
  const t0 = epochNow();
  // ws-drop cuts one of the connected calls on the plan's schedule.
  const faults = spec.faults
    ? createFaultInjector(parseFaultPlan(spec.faults.specs, spec.faults.seed), {
        epochMs: spec.faults.epochMs,
      })
    : undefined;
  const mayPlace = (): boolean => !stopped && epochNow() < spec.stopAtMs && nextIndex - firstIndex < maxCalls;

  async function placeOne(): Promise<void> {
    const plan = spec.utterances
      ? planUtterances(spec.runId, nextIndex++, named, spec.fixturesDir)
      : planCall(spec.runId, nextIndex++, fixtures, spec.fixturesDir);
    const placedAt = epochNow();
    try {
      await registerScript(spec.control, plan);
      const script = await resolveScript(plan.script, audioCache);
      if (stopped) return;
      let openAt: number | undefined;
      const call = simulatedCall(spec, plan.callSid, script, faults, () => (openAt = epochNow()));
      running.add(call);
      const result = await call.run();
      running.delete(call);
      send({ type: 'call', call: summarize(plan, result, hungUp.has(call), placedAt, openAt) });
    } catch (err) {
      send({ type: 'call', call: failedCall(plan, placedAt, err) });
    }
  }

  async function slot(s: number): Promise<void> {
    await sleep(t0 + slotStartMs(s, spec.slots, spec.rampMs) - epochNow());
    while (mayPlace()) await placeOne();
  }

  const slots = Array.from({ length: spec.slots }, (_, s) => slot(s));
  const stopTimer = setTimeout(
    () => {
      stopped = true;
      for (const c of running) {
        hungUp.add(c);
        c.hangup();
      }
    },
    Math.max(0, spec.stopAtMs - epochNow()),
  );
  await Promise.all(slots);
  clearTimeout(stopTimer);
  faults?.stop();
  lag.disable();
  const used = process.cpuUsage(cpu0);
  send({
    type: 'done',
    cpuMs: (used.user + used.system) / 1000,
    rssBytes: readProcStat(process.pid).rssBytes,
    lagP99Ms: Math.max(0, lag.percentile(99) / 1e6 - 10),
    placed: nextIndex - firstIndex,
    ...(faults ? { faultEvents: faults.log.events() } : {}),
  });
}

/** bench:turn's utterances (CallersSpec.utterances) from their transcripts.tsv. */
function namedFixtures(dir: string, u: NonNullable<CallersSpec['utterances']>): Fixture[] {
  const sub = u.subdir ?? '';
  const list = parseTranscripts(readFileSync(join(dir, sub, 'transcripts.tsv'), 'utf8'), sub);
  return u.names.map((n) => {
    const f = list.find((x) => x.name === n);
    if (!f) throw new Error(`utterance '${n}' missing from ${join(dir, sub, 'transcripts.tsv')}`);
    return f;
  });
}

async function registerScript(control: string, plan: PlannedCall): Promise<void> {
  const res = await fetch(`${control}/scripts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ callSid: plan.callSid, lines: plan.lines }),
  });
  if (res.status !== 204) throw new Error(`emulator control: POST /scripts -> HTTP ${res.status}`);
}

function summarize(
  plan: PlannedCall,
  r: CallResult,
  hungUp: boolean,
  placedAtMs: number,
  openAtMs: number | undefined,
): CallSummary {
  const base = openAtMs ?? placedAtMs;
  return {
    index: plan.index,
    callSid: plan.callSid,
    placedAtMs,
    openAtMs,
    endedAtMs: epochNow(),
    // Ended by the harness at stopAtMs, not by the agent or the network.
    outcome: hungUp && r.outcome === 'completed' ? 'hung-up' : r.outcome,
    ...(r.error !== undefined ? { error: r.error } : {}),
    turns: r.turns.map((t) => ({
      label: t.label,
      speechEndAtMs: base + t.speechEndMs,
      gapMs: t.latencyMs,
      speechStartAtMs: base + t.speechStartMs,
      ...(t.marksPlayed ? { marksPlayed: t.marksPlayed } : {}),
      ...(t.marksCleared ? { marksCleared: t.marksCleared } : {}),
      ...(t.firstMarkPlayedMs !== undefined ? { firstMarkPlayedAtMs: base + t.firstMarkPlayedMs } : {}),
      answerWait: t.answerWait ?? 'call-ended',
    })),
    turnsMissing: Math.max(0, plan.turns.length - r.turns.length),
    waitTimeouts: r.waitTimeouts,
    clears: r.agent.clears,
    protocolErrors: r.protocolErrors.total,
    lateEchoes: r.jitter.late,
    sendLagP99Ms: r.sendLag.p99Ms,
  };
}

function failedCall(plan: PlannedCall, placedAtMs: number, err: unknown): CallSummary {
  return {
    index: plan.index,
    callSid: plan.callSid,
    placedAtMs,
    openAtMs: undefined,
    endedAtMs: epochNow(),
    outcome: 'error',
    error: err instanceof Error ? err.message : String(err),
    turns: [],
    turnsMissing: plan.turns.length,
    waitTimeouts: 0,
    clears: 0,
    protocolErrors: 0,
    lateEchoes: 0,
    sendLagP99Ms: 0,
  };
}
