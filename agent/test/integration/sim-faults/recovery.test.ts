// Each fault of a chaos plan, injected through the emulators' and the caller simulator's options
// against the real agent (edge, sessions, resilient STT against the Speech emulator, the openai
// client against the OpenAI emulator, the Google TTS client against the TTS emulator), gives the
// recovery a caller should get. The windows run on a fake plan clock moved by the caller's own
// events (into the window when the caller starts speaking, out of it once the reply is heard),
// so nothing here depends on how fast a loaded machine is.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEV_AUTH_TOKEN } from '../../../src/app.ts';
import { bootAgent, type BootedAgent } from '../../../src/runtime/boot.ts';
import { FIXTURE_AUDIO_DIR, fixtureTranscripts } from '../../../src/sim/conversation.ts';
import type { TurnRecord } from '../../../src/call/turn-record.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { normalizeHebrew } from '../../../src/llm/preemptive.ts';
import {
  createFaultInjector,
  createSwitchableFaults,
  parseFaultPlan,
  systemFaultClock,
  type CallFaultHook,
  type FaultClock,
  type FaultInjector,
  type FaultTimers,
} from '../../../src/sim/faults/index.ts';
import {
  placeCall,
  randomSid,
  type CallEvent,
  type CallResult,
  type CallStepSpec,
} from '../../../src/sim/caller/index.ts';
import { startOpenAiEmulator, type OpenAiEmulator } from '../../../src/sim/openai/server.ts';
import { startTtsEmulator, type TtsEmulator } from '../../../src/sim/tts/server.ts';
import { registry } from '../../../src/telemetry/metrics.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

const transcripts = fixtureTranscripts();
const same = (a: string | undefined, b: string | undefined): boolean =>
  normalizeHebrew(a ?? '') === normalizeHebrew(b ?? '');

/** The plan clock: stands still unless a test moves it. */
class PlanTime implements FaultClock, FaultTimers {
  t = 0;
  private due: Array<{ at: number; fn: () => void }> = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const entry = { at: this.t + ms, fn };
    this.due.push(entry);
    return entry;
  }
  clearTimeout(h: unknown): void {
    this.due = this.due.filter((d) => d !== h);
  }
  set(t: number): void {
    this.t = t;
    const ready = this.due.filter((d) => d.at <= t);
    this.due = this.due.filter((d) => d.at > t);
    for (const d of ready) d.fn();
  }
}

// The emulators are started once; each test swaps in its own plan.
const faults = createSwitchableFaults();
function usePlan(injector: FaultInjector): FaultInjector {
  faults.use(injector);
  return injector;
}

let openai: OpenAiEmulator;
let tts: TtsEmulator;
let booted: BootedAgent;
const records = new Map<string, TurnRecord[]>();

beforeAll(async () => {
  openai = await startOpenAiEmulator({
    latency: { timeToFirstTokenMs: { p50: 150, p95: 300 }, tokensPerSecond: 150 },
    ...faults.emulatorOptions.openai,
  });
  tts = await startTtsEmulator({
    latency: { timeToFirstAudioMs: { p50: 100, p95: 200 }, realtimeFactor: 8 },
    ...faults.emulatorOptions.tts,
  });
  const config = Object.freeze({
    ...loadConfig({
      HOST: '127.0.0.1',
      STT_PROVIDER: 'emulator',
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'sk-emulator-test',
      TTS_PROVIDER: 'google',
      TTS_ENDPOINT: tts.endpoint,
      POD_DELETION_COST_ENABLED: 'false',
      // What the caller hears after each utterance is the reply alone, never a re-prompt.
      SILENCE_REPROMPT_SECONDS: '0',
    }),
    port: 0,
    adminPort: 0,
  });
  booted = await bootAgent(config, silentLogger, {
    speechEmulator: { latencyScale: 0.5, ...faults.emulatorOptions.speech },
    onExit: () => undefined,
    onTurn: (r, callSid) => {
      const list = records.get(callSid) ?? [];
      list.push(structuredClone(r));
      records.set(callSid, list);
    },
  });
}, 90_000);

afterAll(async () => {
  await booted?.close();
  await tts?.close();
  await openai?.close();
});

interface Converse {
  readonly utterances: readonly string[];
  readonly faults?: CallFaultHook;
  readonly onEvent?: (e: CallEvent, callSid: string) => void;
  readonly callSid?: string;
}

/** Greeting, then each utterance followed by the agent's reply; then hang up. */
async function converse(o: Converse): Promise<CallResult> {
  const callSid = o.callSid ?? randomSid('CA');
  booted.providers.speechEmulator!.setScript(
    callSid,
    o.utterances.map((u) => transcripts.get(u)!),
  );
  const wait = { kind: 'waitForAgent', until: 'end', timeoutMs: 15_000, quietMs: 600 } as const;
  const script: CallStepSpec[] = [wait];
  for (const u of o.utterances)
    script.push({ kind: 'play', file: join(FIXTURE_AUDIO_DIR, `${u}.wav`), label: u }, wait);
  script.push({ kind: 'silence', ms: 200 }, { kind: 'stop' });
  return placeCall({
    url: booted.agent.url.replace(/^http/, 'ws'),
    callSid,
    script,
    signature: { authToken: LOCAL_DEV_AUTH_TOKEN, publicUrl: booted.agent.publicHost },
    ...(o.faults ? { faults: o.faults } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
}

/** What the caller heard after each of its utterances: the kinds of the agent's played marks. */
function heard(call: CallResult): string[][] {
  return call.turns.map((t) => [...new Set((t.marksPlayed ?? []).map((m) => m.split('-')[0]!))]);
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

/**
 * A window fault over the caller's first utterance: the plan clock enters the window when the
 * caller starts speaking and leaves it once the caller has heard the reply to it.
 */
async function overFirstTurn(spec: string): Promise<{ call: CallResult; injector: FaultInjector }> {
  const time = new PlanTime();
  const injector = usePlan(createFaultInjector(parseFaultPlan([spec]), { clock: time, epochMs: 0 }));
  const call = await converse({
    utterances: ['hello', 'question'],
    onEvent: (e) => {
      if (e.type === 'speech-start' && e.turn === 0) time.set(10_000);
      // The reply has played (it may start before the caller's recording ends: no agent-audio then).
      if (e.type === 'mark-echo' && e.outcome === 'played' && time.t === 10_000) time.set(30_000);
    },
  });
  return { call, injector };
}

describe('chaos faults against the real agent', () => {
  it('stt-stream-fail mid-utterance: the resilient STT reconnects and every turn is answered', async () => {
    const injector = usePlan(
      createFaultInjector(parseFaultPlan(['stt-stream-fail:calls=100%,at=mid,code=RESOURCE_EXHAUSTED']), {
        clock: systemFaultClock,
      }),
    );
    const call = await converse({ utterances: ['hello', 'question'] });
    expect(call.outcome).toBe('completed');
    const events = injector.log.events().filter((e) => e.callId === call.callSid);
    expect(events.map((e) => [e.type, e.detail])).toEqual([
      ['injected', 'RESOURCE_EXHAUSTED'],
      ['recovered', undefined],
    ]);
    // Reconnected (first retry is immediate), not left to the one-shot fallback's slow re-probe.
    expect(events[1]!.afterMs!).toBeLessThan(5000);
    const turns = records.get(call.callSid) ?? [];
    expect(turns.map((r) => r.outcome)).toEqual(['answered', 'answered']);
    expect(same(turns[0]?.transcript, transcripts.get('hello'))).toBe(true);
    expect(same(turns[1]?.transcript, transcripts.get('question'))).toBe(true);
    expect(heard(call)).toEqual([['answer'], ['answer']]);
  });

  it('llm-429-burst: the caller hears the apology, then the next turn is answered', async () => {
    const before = openai.requests().length;
    const { call, injector } = await overFirstTurn('llm-429-burst:at=10s,for=10s,retry-after=1');
    expect(call.outcome).toBe('completed');
    const limited = openai
      .requests()
      .slice(before)
      .filter((r) => r.status === 429);
    // The agent honoured Retry-After and tried again before giving up (LLM_RETRY_ATTEMPTS=2).
    expect(limited.length).toBeGreaterThanOrEqual(3);
    const turns = records.get(call.callSid) ?? [];
    expect(turns.map((r) => r.outcome)).toEqual(['apology', 'answered']);
    expect(heard(call)).toEqual([['apology'], ['answer']]);
    expect(
      injector.log
        .events()
        .filter((e) => e.type === 'recovered')
        .map((e) => e.fault),
    ).toEqual(['llm-429-burst']);
  });

  it('llm-stall before the first token: the caller hears the apology, then the next turn is answered', async () => {
    const { call } = await overFirstTurn('llm-stall:at=10s,for=10s,after-tokens=0');
    expect(call.outcome).toBe('completed');
    const turns = records.get(call.callSid) ?? [];
    expect(turns.map((r) => r.outcome)).toEqual(['apology', 'answered']);
    expect(heard(call)).toEqual([['apology'], ['answer']]);
  });

  it('tts-outage: the caller hears the cached apology, not silence, and answers resume after it', async () => {
    const { call, injector } = await overFirstTurn('tts-outage:at=10s,for=10s');
    expect(call.outcome).toBe('completed');
    const turns = records.get(call.callSid) ?? [];
    expect(turns.map((r) => r.outcome)).toEqual(['apology', 'answered']);
    expect(heard(call)).toEqual([['apology'], ['answer']]);
    expect(injector.log.events().some((e) => e.fault === 'tts-outage' && e.type === 'injected')).toBe(true);
    expect(injector.log.events().some((e) => e.fault === 'tts-outage' && e.type === 'recovered')).toBe(true);
  });

  it('ws-drop: only the dropped call ends; the agent counts it lost and the other call is untouched', async () => {
    usePlan(createFaultInjector(parseFaultPlan([])));
    const lostBefore = await counter('hva_calls_lost_total', { reason: 'socket_closed' });
    const time = new PlanTime();
    const injector = createFaultInjector(parseFaultPlan(['ws-drop:every=1s,count=1'], 4), {
      clock: time,
      timers: time,
      epochMs: 0,
    });
    // Drop when both calls are hearing their first answer (both registered, one mid-reply).
    const answering = new Set<string>();
    const onEvent = (e: CallEvent, callSid: string): void => {
      if (e.type !== 'agent-audio' || e.turn !== 0) return;
      answering.add(callSid);
      if (answering.size === 2) time.set(1000);
    };
    const [a, b] = await Promise.all([
      converse({ utterances: ['hello', 'question'], faults: injector.caller!, onEvent }),
      converse({ utterances: ['question', 'hello'], faults: injector.caller!, onEvent }),
    ]);
    const calls = [a, b];
    const dropped = calls.filter((c) => c.outcome === 'dropped');
    const kept = calls.filter((c) => c.outcome !== 'dropped');
    expect(dropped).toHaveLength(1);
    expect(injector.log.events().map((e) => e.callId)).toEqual([dropped[0]!.callSid]);
    // The other call: every turn answered and heard.
    expect(kept[0]!.outcome).toBe('completed');
    expect((records.get(kept[0]!.callSid) ?? []).map((r) => r.outcome)).toEqual(['answered', 'answered']);
    expect(heard(kept[0]!)).toEqual([['answer'], ['answer']]);
    // The agent ended the lost call (its answer in flight recorded as ended) and counted it.
    await expect.poll(() => booted.agent.activeCalls(), { timeout: 10_000 }).toBe(0);
    expect(await counter('hva_calls_lost_total', { reason: 'socket_closed' })).toBe(lostBefore + 1);
    const lostTurns = records.get(dropped[0]!.callSid) ?? [];
    expect(lostTurns.length).toBeLessThanOrEqual(1);
    expect(lostTurns.every((r) => r.outcome === 'ended' || r.outcome === 'answered')).toBe(true);
  });
});
