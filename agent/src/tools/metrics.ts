// Tool-call metrics on the shared registry: how often the model acts, how it goes, how long it takes.
import { Counter, Histogram } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

export const toolCalls = new Counter({
  name: 'hva_tool_calls_total',
  help: 'Tool calls the model made, by tool and outcome (ok, action, or the error reason: unknown_tool, invalid_arguments, timeout, http_error, network, bad_response, action_failed, too_many_calls).',
  labelNames: ['tool', 'outcome'] as const,
  registers: [registry],
});

export const toolErrors = new Counter({
  name: 'hva_tool_errors_total',
  help: 'Tool calls that failed, by tool and reason (also counted in hva_tool_calls_total).',
  labelNames: ['tool', 'reason'] as const,
  registers: [registry],
});

export const toolLatency = new Histogram({
  name: 'hva_tool_duration_seconds',
  help: 'Time from the tool call to its result (HTTP tools: the whole request).',
  labelNames: ['tool'] as const,
  buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10],
  registers: [registry],
});

export const toolFillers = new Counter({
  name: 'hva_tool_fillers_total',
  help: 'Spoken fillers because tools took longer than TOOL_FILLER_AFTER_MS.',
  registers: [registry],
});

export const toolRoundsExhausted = new Counter({
  name: 'hva_tool_rounds_exhausted_total',
  help: 'Answers whose model kept calling tools past LLM_TOOL_MAX_ROUNDS (the last round was text only).',
  registers: [registry],
});

export const callActions = new Counter({
  name: 'hva_call_actions_total',
  help: 'Built-in actions performed on calls, by action (end_call, transfer, send_dtmf) and result (ok, failed).',
  labelNames: ['action', 'result'] as const,
  registers: [registry],
});
