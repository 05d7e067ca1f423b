// Fault injection for chaos runs: a plan (plan.ts) applied by small hooks in the Speech, OpenAI and
// TTS emulators and in the caller simulator, all on one wall-clock epoch and one seed so a run
// repeats. Each process makes its own injector from the same plan, epoch and seed:
//
//   const plan = parseFaultPlan(['stt-stream-fail:20%@mid', 'tts-outage:at=60s,for=10s'], seed);
//   const faults = createFaultInjector(plan, { epochMs });
//   await startSpeechEmulator({ ...faults.emulatorOptions.speech });
//   await startOpenAiEmulator({ ...faults.emulatorOptions.openai });
//   await startTtsEmulator({ ...faults.emulatorOptions.tts });
//   await placeCalls({ ..., faults: faults.caller }, 100);   // ws-drop
//   faults.stop(); report(faults.log.events(), ...)
import type { OpenAiEmulatorOptions } from '../openai/server.ts';
import type { SpeechEmulatorOptions } from '../speech/emulator.ts';
import type { TtsEmulatorOptions } from '../tts/server.ts';
import { WsDropper } from './caller-hook.ts';
import { FaultLog, systemFaultClock, systemFaultTimers, type FaultClock, type FaultTimers } from './log.ts';
import type { FaultPlan } from './plan.ts';
import { createSpeechFaultHook } from './speech-hook.ts';
import { createLlmFaultHook, createTtsFaultHook } from './window-hooks.ts';

export * from './plan.ts';
export { FaultLog, ShareSelector, faultRandom, systemFaultClock, systemFaultTimers } from './log.ts';
export type { FaultClock, FaultEvent, FaultTimers } from './log.ts';
export { createSpeechFaultHook } from './speech-hook.ts';
export type { PlannedStreamFailure, SpeechStreamFaultHook } from './speech-hook.ts';
export { createLlmFaultHook, createTtsFaultHook } from './window-hooks.ts';
export type { LlmFaultHook, PlannedLlmFault, TtsFaultHook } from './window-hooks.ts';
export { WsDropper } from './caller-hook.ts';
export type { CallFaultHook, DroppableCall } from './caller-hook.ts';

export interface FaultInjectorOptions {
  /** Wall time (Date.now) the run started: windows and drop times count from it. Default: now. */
  readonly epochMs?: number;
  readonly clock?: FaultClock;
  readonly timers?: FaultTimers;
}

export interface FaultInjector {
  readonly plan: FaultPlan;
  readonly epochMs: number;
  readonly log: FaultLog;
  /** Spread into each emulator's options (empty when the plan has nothing for it). */
  readonly emulatorOptions: {
    readonly speech: Pick<SpeechEmulatorOptions, 'streamFaults'>;
    readonly openai: Pick<OpenAiEmulatorOptions, 'faultHook'>;
    readonly tts: Pick<TtsEmulatorOptions, 'faultHook'>;
  };
  /** CallOptions.faults for the caller simulator (undefined without ws-drop). */
  readonly caller: WsDropper | undefined;
  /** Stops scheduled faults (the ws-drop timer). */
  stop(): void;
}

export function createFaultInjector(plan: FaultPlan, options: FaultInjectorOptions = {}): FaultInjector {
  const clock = options.clock ?? systemFaultClock;
  const epochMs = options.epochMs ?? clock.now();
  const log = new FaultLog();
  const speech = createSpeechFaultHook(plan, clock, log);
  const llm = createLlmFaultHook(plan, epochMs, clock, log);
  const tts = createTtsFaultHook(plan, epochMs, clock, log);
  const caller = plan.faults.some((f) => f.kind === 'ws-drop')
    ? new WsDropper(plan, { epochMs, clock, log, timers: options.timers ?? systemFaultTimers })
    : undefined;
  return {
    plan,
    epochMs,
    log,
    emulatorOptions: {
      speech: speech ? { streamFaults: speech } : {},
      openai: llm ? { faultHook: llm } : {},
      tts: tts ? { faultHook: tts } : {},
    },
    caller,
    stop: () => caller?.stop(),
  };
}
export { chaosReport, formatChaosTable, formatSilenceNotes, heardReply } from './report.ts';
export type { ChaosCall, ChaosReportInput, FaultReport, Heard } from './report.ts';
export { createSwitchableFaults } from './switchable.ts';
export type { SwitchableFaults } from './switchable.ts';
