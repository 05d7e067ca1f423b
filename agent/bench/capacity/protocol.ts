// Messages between the capacity benchmark's orchestrator and its child processes (Node IPC), and
// the emulator options a user passes through `--emulator-options`. Types only.
import type { FaultEvent } from '../../src/sim/faults/log.ts';

/**
 * A fault plan for one run (src/sim/faults/, `--fault`): every process builds its injector from
 * the same specs, seed and epoch, so windows and picks agree across processes.
 */
export interface FaultsSpec {
  readonly specs: readonly string[];
  readonly seed: number;
  /** Epoch ms the plan's times count from: the start of the step's measurement window. */
  readonly epochMs: number;
}

/**
 * JSON-serialisable options for the three emulators, spread into their start options
 * (src/sim/speech/emulator.ts SpeechEmulatorOptions, src/sim/openai/server.ts
 * OpenAiEmulatorOptions, src/sim/tts/server.ts TtsEmulatorOptions). The profile is set by
 * --profile; host and port are the harness's. Example:
 *   --emulator-options '{"speech":{"streamLimitSeconds":60},"tts":{"cacheEntries":0}}'
 */
export interface EmulatorPassThrough {
  readonly speech?: Readonly<Record<string, unknown>>;
  readonly openai?: Readonly<Record<string, unknown>>;
  readonly tts?: Readonly<Record<string, unknown>>;
}

export interface EmulatorsConfig {
  /** Latency profile file (../shared/bench/*.json); every emulator of the process reads it. */
  readonly profile: string;
  readonly seed: number;
  readonly options: EmulatorPassThrough;
}

export interface EmulatorEndpoints {
  /** host:port of the Speech API emulator (STT_ENDPOINT). */
  readonly speech: string;
  /** Base URL with /v1 of the OpenAI emulator (OPENAI_BASE_URL). */
  readonly openaiUrl: string;
  /** host:port of the Text-to-Speech emulator (TTS_ENDPOINT). */
  readonly tts: string;
  /**
   * http://host:port of the emulators' control server: POST /scripts {callSid, lines} tells the
   * Speech emulator what a call's caller says; GET /stats returns EmulatorStats.
   */
  readonly control: string;
  readonly pid: number;
}

export interface EmulatorStats {
  readonly speech: Record<string, unknown>;
  readonly openai: Record<string, unknown>;
  readonly tts: Record<string, unknown>;
  /** CPU ms and RSS of the emulators' process (it shares the machine with the agent). */
  readonly cpuMs: number;
  readonly rssBytes: number;
}

export type EmulatorsMessage =
  | { readonly type: 'ready'; readonly endpoints: EmulatorEndpoints }
  | { readonly type: 'failed'; readonly error: string };

/** What the callers' process is asked to do: keep `slots` whole calls running until `stopAtMs`. */
export interface CallersSpec {
  /** ws://host:port or http://host:port of the agent's Twilio-facing listener. */
  readonly agentUrl: string;
  /** The host the agent validates X-Twilio-Signature against (PUBLIC_HOST). */
  readonly publicHost: string;
  readonly authToken: string;
  /** The emulators' control server (scripts for the Speech emulator). */
  readonly control: string;
  /** agent/test/fixtures/audio. */
  readonly fixturesDir: string;
  /** Unique per run: the call sids are derived from it (conversation.ts callSidFor). */
  readonly runId: string;
  /** Concurrent calls to keep up (each slot places its next call when the previous one ends). */
  readonly slots: number;
  /** Slot s places its first call at slotStartMs(s, slots, rampMs) after the start. */
  readonly rampMs: number;
  /**
   * Epoch ms: no call is placed from then on, and every call still running is hung up (a `stop`
   * like a caller hanging up; reported as outcome 'hung-up'). Measure windows end at least
   * ANSWER_TIMEOUT_MS before it, so every measured turn had its full chance of an answer.
   */
  readonly stopAtMs: number;
  /** Place at most this many calls in all (e.g. 1 for a warm-up call). Default: no limit. */
  readonly maxCalls?: number;
  /** First call index (a warm-up run and the run proper do not share sids). */
  readonly firstIndex?: number;
  /** Faults the callers inject (ws-drop); the emulators get the same plan through the control server. */
  readonly faults?: FaultsSpec;
  /**
   * Instead of the capacity conversation (conversation.ts planCall): these fixtures in order, each
   * answered before the next (bench:turn, planUtterances), from fixturesDir or its `subdir`.
   */
  readonly utterances?: { readonly names: readonly string[]; readonly subdir?: string };
}

/** One finished call as the callers' process reports it. */
export interface CallSummary {
  readonly index: number;
  readonly callSid: string;
  /** Epoch ms: placed, stream open (start sent), ended. */
  readonly placedAtMs: number;
  readonly openAtMs: number | undefined;
  readonly endedAtMs: number;
  readonly outcome: 'completed' | 'server-closed' | 'dropped' | 'error' | 'hung-up';
  readonly error?: string;
  readonly turns: ReadonlyArray<{
    readonly label: string;
    /** Epoch ms of the caller's speech end. */
    readonly speechEndAtMs: number;
    /** Caller gap: speech end -> agent audio playing (ms); undefined: no answer heard. */
    readonly gapMs: number | undefined;
    /** Epoch ms of the caller's speech start. */
    readonly speechStartAtMs?: number;
    /** The agent's marks echoed as played / cleared after this utterance: what the caller heard. */
    readonly marksPlayed?: readonly string[];
    readonly marksCleared?: readonly string[];
    /** Epoch ms the first reply mark was echoed as played. */
    readonly firstMarkPlayedAtMs?: number;
    /**
     * How the caller's wait for the answer after this utterance ended: it heard agent audio
     * ('heard'), gave up after the answer timeout ('timed-out'), or the call ended first
     * ('call-ended'). Absent in results from before this field.
     */
    readonly answerWait?: 'heard' | 'timed-out' | 'call-ended';
  }>;
  /** Scripted turns never reached (the call ended early or was hung up). */
  readonly turnsMissing: number;
  readonly waitTimeouts: number;
  readonly clears: number;
  readonly protocolErrors: number;
  /** Agent audio that arrived later than a steady stream would (the caller's view of lag). */
  readonly lateEchoes: number;
  readonly sendLagP99Ms: number;
}

export type CallersMessage =
  | { readonly type: 'call'; readonly call: CallSummary }
  | {
      readonly type: 'done';
      readonly cpuMs: number;
      readonly rssBytes: number;
      readonly lagP99Ms: number;
      readonly placed: number;
      /** What the callers' fault hook did (ws-drop), when a plan was given. */
      readonly faultEvents?: readonly FaultEvent[];
    }
  | { readonly type: 'failed'; readonly error: string };

export type CallersCommand = { readonly type: 'run'; readonly spec: CallersSpec };
