// One finished turn record, three views: the [LATENCY] log line, the latency metrics and the
// turn span; plus the demo/bench hook and the playground observer.
import type { Logger } from '../telemetry/logger.ts';
import type { CallTrace } from '../telemetry/tracing.ts';
import { turnLatency, turnOutcomes } from './metrics.ts';
import type { CallObserver } from './observer.ts';
import {
  formatLatencyLine,
  latencyStages,
  toTraceRecord,
  turnLogFields,
  type TurnRecord,
} from './turn-record.ts';

export interface TurnReporterDeps {
  readonly callId: string;
  readonly logger: Logger;
  readonly callTrace: CallTrace | undefined;
  readonly observer: CallObserver | undefined;
  readonly onTurn: ((record: Readonly<TurnRecord>, callSid: string) => void) | undefined;
}

export function createTurnReporter(deps: TurnReporterDeps): (record: TurnRecord) => void {
  const { callId, logger, callTrace, observer, onTurn } = deps;
  return (r) => {
    turnOutcomes.inc({ outcome: r.outcome ?? 'answered' });
    const stages = latencyStages(r);
    for (const [stage, seconds] of Object.entries(stages))
      turnLatency.observe({ stage }, Math.max(0, seconds));
    logger.info({ turn: turnLogFields(r) }, formatLatencyLine(r));
    if (callTrace) callTrace.recordTurn(toTraceRecord(r));
    onTurn?.(r, callId);
    observer?.turnRecord?.(r, callTrace?.traceId);
  };
}
