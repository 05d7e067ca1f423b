// stt-stream-fail for the Speech emulator: which streams fail, when and with which status. The
// emulator asks once per stream (SpeechEmulatorOptions.streamFaults) and reports back when it
// failed one; the next stream of that call is the agent's reconnect, whose delay is the
// recovery time. Kept apart from sim/speech/emulator.ts, which only applies the decision.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { FaultLog, ShareSelector, faultRandom, type FaultClock } from './log.ts';
import type { FaultPlan, SttFailCode, SttStreamFailFault } from './plan.ts';
import { STT_FAIL_CODES } from './plan.ts';

/** What the emulator does to one stream; mirrors sim/speech/emulator.ts PlannedStreamFailure. */
export interface PlannedStreamFailure {
  /** Fail this long after the stream opened. */
  readonly afterMs?: number;
  /** Fail this long after the first speech start the stream hears (mid-utterance). */
  readonly afterSpeechMs?: number;
  readonly code: GrpcStatus;
  readonly details: string;
  /** The emulator failed the stream now. */
  fired(): void;
}

export type SpeechStreamFaultHook = (callId: string) => PlannedStreamFailure | undefined;

/** The texts Google's front end sends with these statuses. */
const DETAILS: Record<SttFailCode, string> = {
  UNAVAILABLE: 'The service is currently unavailable.',
  ABORTED: 'The operation was aborted.',
  RESOURCE_EXHAUSTED: 'Resource has been exhausted (e.g. check quota).',
};

interface CallState {
  readonly chosen: boolean;
  failuresLeft: number;
  /** Wall time the last failure fired, until the next stream (the reconnect) opens. */
  failedAt: number | undefined;
}

export function createSpeechFaultHook(
  plan: FaultPlan,
  clock: FaultClock,
  log: FaultLog,
): SpeechStreamFaultHook | undefined {
  const specs = plan.faults
    .map((f, index) => ({ f, index }))
    .filter((x): x is { f: SttStreamFailFault; index: number } => x.f.kind === 'stt-stream-fail');
  if (specs.length === 0) return undefined;
  const rules = specs.map(({ f, index }) => {
    const random = faultRandom(plan.seed, index, 'stt-stream-fail');
    return {
      f,
      index,
      random,
      selector: new ShareSelector(f.callShare, random),
      calls: new Map<string, CallState>(),
    };
  });
  return (callId) => {
    let decision: PlannedStreamFailure | undefined;
    for (const rule of rules) {
      let state = rule.calls.get(callId);
      if (!state) {
        state = { chosen: rule.selector.next(), failuresLeft: rule.f.streams, failedAt: undefined };
        rule.calls.set(callId, state);
      }
      const s = state;
      if (s.failedAt !== undefined) {
        const now = clock.now();
        log.add({
          fault: 'stt-stream-fail',
          index: rule.index,
          type: 'recovered',
          atEpochMs: now,
          callId,
          afterMs: now - s.failedAt,
        });
        s.failedAt = undefined;
      }
      if (decision || !s.chosen || s.failuresLeft <= 0) continue;
      s.failuresLeft--;
      const f = rule.f;
      const name =
        f.code === 'mix' ? STT_FAIL_CODES[Math.floor(rule.random() * STT_FAIL_CODES.length)]! : f.code;
      const when =
        f.at.kind === 'mid'
          ? { afterSpeechMs: 300 + Math.round(rule.random() * 600) }
          : f.at.kind === 'open'
            ? { afterMs: 0 }
            : { afterMs: f.at.fromMs + Math.round(rule.random() * (f.at.toMs - f.at.fromMs)) };
      decision = {
        ...when,
        code: GrpcStatus[name],
        details: DETAILS[name],
        fired() {
          const now = clock.now();
          s.failedAt = now;
          log.add({
            fault: 'stt-stream-fail',
            index: rule.index,
            type: 'injected',
            atEpochMs: now,
            callId,
            detail: name,
          });
        },
      };
    }
    return decision;
  };
}
