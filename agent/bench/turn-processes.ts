// bench:turn with the agent, the emulators and the callers in three processes, through the
// capacity benchmark's harness (agent/bench/capacity/harness.ts): the agent process runs the
// production entry point and logs one [LATENCY] turn record per turn, which is what is measured
// here. Used for the 50-call runs: in one process, 50 callers and three emulators saturated the
// event loop the agent shares with them (LLM first-token timeouts that were the bench's own).
// The agent's log carries no transcripts, so wrong words and false cuts need the in-process run.
import { performance } from 'node:perf_hooks';
import {
  AGENT_SRC_ENTRY,
  callersTarget,
  runCallers,
  startAgentProcess,
  startEmulators,
} from './capacity/harness.ts';
import { byLabel } from './capacity/prom.ts';
import type { TurnSample } from './turn-report.ts';

export interface ProcessRunOptions {
  readonly profile: string;
  readonly calls: number;
  readonly concurrency: number;
  /** Fixture names, each played once per call, in order, waiting for each answer. */
  readonly utterances: readonly string[];
  /** Under agent/test/fixtures/audio ('pauses' for the pause set). */
  readonly subdir?: string;
  /** Agent settings (schema env names) on top of the harness's production defaults. */
  readonly env: Readonly<Record<string, string>>;
  /** Spread the callers' first calls over this long (capacity/conversation.ts slotStartMs); 0: in step. */
  readonly rampMs: number;
  /** The TTS emulator's audio store across runs (sim/tts/synthesis.ts directoryStore). */
  readonly audioStoreDir?: string;
  readonly log: (line: string) => void;
}

export interface ProcessRunResult {
  readonly samples: TurnSample[];
  readonly callSids: string[];
  readonly callerGapsS: number[];
  readonly failed: number;
  readonly wallS: number;
  readonly notes: string[];
}

export async function runInProcesses(o: ProcessRunOptions): Promise<ProcessRunResult> {
  const emulators = await startEmulators({
    profile: o.profile,
    seed: 17,
    options: o.audioStoreDir ? { tts: { audioStoreDir: o.audioStoreDir } } : {},
  });
  try {
    // The source entry (Node strips the types) instead of agent/dist: no build step for a bench run.
    const agent = await startAgentProcess({
      emulators: emulators.endpoints,
      maxCalls: Math.max(100, 2 * o.concurrency),
      entry: AGENT_SRC_ENTRY,
      env: o.env,
    });
    // A scrape resets the agent's event-loop delay histogram (server/metrics.ts): the next is this run's.
    await agent.scrape();
    const started = performance.now();
    const callers = runCallers(
      {
        ...callersTarget(agent, emulators.endpoints),
        runId: `turn${Date.now().toString(16)}`,
        slots: Math.min(o.concurrency, o.calls),
        // 0: all callers start together, as in the in-process run (every turn of every call at once).
        rampMs: o.rampMs,
        stopAtMs: Date.now() + 60 * 60_000,
        maxCalls: o.calls,
        utterances: { names: o.utterances, ...(o.subdir ? { subdir: o.subdir } : {}) },
      },
      (c) => o.log(`call ${c.index + 1}/${o.calls}: ${c.outcome}`),
    );
    const done = await callers.done;
    const wallS = (performance.now() - started) / 1000;
    const stats = await emulators.stats();
    const agentLag = byLabel(await agent.scrape(), 'hva_event_loop_lag_seconds', 'quantile');
    const agentCpuS = agent.procStat().cpuMs / 1000;
    // SIGTERM drains: every call has ended, so every [LATENCY] line is in.
    await agent.stop();
    const sids = done.calls.map((c) => c.callSid);
    const mine = new Set(sids);
    const samples = agent.turns
      .filter((t) => mine.has(t.callSid))
      .map((t): TurnSample => ({ callSid: t.callSid, fields: t.fields }));
    const callerGapsS = done.calls.flatMap((c) =>
      c.turns.flatMap((t) => (t.gapMs === undefined ? [] : [t.gapMs / 1000])),
    );
    const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
    const emuLag = (stats.openai['eventLoopDelayMs'] ?? {}) as Record<string, unknown>;
    const ms = (s: number | undefined): string => (s === undefined ? '-' : (s * 1000).toFixed(0));
    const notes = [
      `three processes: agent pid ${agent.pid} (CPU ${agentCpuS.toFixed(1)} s), emulators (CPU ${(stats.cpuMs / 1000).toFixed(1)} s), callers (CPU ${(done.cpuMs / 1000).toFixed(1)} s, event-loop lag p99 ${done.lagP99Ms.toFixed(0)} ms)`,
      `Speech emulator: ${n(stats.speech['interimsSent'])} interim responses, ${n(stats.speech['finalsSent'])} finals (${n(stats.speech['midUtteranceFinals'])} inside mid-utterance pauses)`,
      `TTS emulator: ${n(stats.tts['syntheses'])} syntheses (cache hits ${n(stats.tts['cacheHits'])}, audio from the store of earlier runs ${n(stats.tts['storeHits'])}); answers late because local synthesis was not done: ${n(stats.tts['overruns'])} (${lateness(n(stats.tts['overruns']), n(stats.tts['overrunMsTotal']), n(stats.tts['overrunMsMax']))})`,
      `OpenAI emulator: ${n(stats.openai['streams'])} streams over ${n(stats.openai['connections'])} TCP connections (${(n(stats.openai['connections']) / Math.max(1, n(stats.openai['streams']))).toFixed(2)} per stream), ${n(stats.openai['modelRequests'])} warm-ups, ${n(stats.openai['coldRequests'])} requests waited for a connection set-up (${n(stats.openai['coldChats'])} of them chat requests); first tokens > 2 ms late: ${n(stats.openai['lateFirstTokens'])} (max ${n(stats.openai['firstTokenLateMsMax']).toFixed(0)} ms)`,
      `event-loop delay over the run (ms, p50 / p99 / max): agent ${ms(agentLag['0.5'])} / ${ms(agentLag['0.99'])} / ${ms(agentLag['max'])}, emulators ${n(emuLag['p50']).toFixed(0)} / ${n(emuLag['p99']).toFixed(0)} / ${n(emuLag['max']).toFixed(0)} (a request or an audio frame waits that long before it is read)`,
      `agent log: ${[...agent.logLevels].map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ];
    return {
      samples,
      callSids: sids,
      callerGapsS,
      failed: done.calls.filter((c) => c.outcome === 'error').length,
      wallS,
      notes,
    };
  } finally {
    await emulators.close();
  }
}

/** How late an emulator's answers were beyond the profile's draw: mean and max (ms). */
function lateness(count: number, totalMs: number, maxMs: number): string {
  return count === 0 ? 'none' : `mean ${(totalMs / count).toFixed(0)} ms, max ${maxMs.toFixed(0)} ms`;
}
