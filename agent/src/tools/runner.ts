// The tools of one agent as the model sees them and as they run: the HTTP tools from config plus
// the built-in actions. Built-ins do not act here: end and transfer become an action outcome the
// session performs after the caller heard the sentence before it; DTMF is played through the
// call's `sendDtmf` (the session's actions seam) and its completion goes back to the model.
import type { ToolCall, ToolDefinition } from '../llm/types.ts';
import {
  BUILTIN_NAMES,
  END_CALL,
  SEND_DTMF,
  TRANSFER_CALL,
  endCallDefinition,
  sendDtmfDefinition,
  transferDefinition,
} from './builtins.ts';
import type { ToolConfig } from './config.ts';
import { runHttpTool, type HttpToolDeps } from './http-tool.ts';
import { compileArgumentCheck, type ArgumentCheck } from './validate.ts';
import type { ToolContext, ToolOutcome, ToolRunner } from './types.ts';

export interface RunnerOptions {
  readonly config: ToolConfig;
  readonly dtmfEnabled: boolean;
  /** Plays DTMF on this call; resolves when sent. Absent: send_dtmf is not offered. */
  readonly sendDtmf?: (digits: string, signal: AbortSignal) => Promise<void>;
  readonly http: HttpToolDeps;
}

export interface AgentToolRunner extends ToolRunner {
  /** Built-in actions: instant, never worth a filler. */
  isBuiltin(name: string): boolean;
}

export function createToolRunner(o: RunnerOptions): AgentToolRunner {
  const http = new Map(o.config.tools.map((t) => [t.spec.name, t]));
  const targets = o.config.transferTargets;
  const builtinDefs: ToolDefinition[] = [endCallDefinition()];
  if (targets.length > 0) builtinDefs.push(transferDefinition(targets));
  if (o.dtmfEnabled && o.sendDtmf !== undefined) builtinDefs.push(sendDtmfDefinition());
  const checks = new Map<string, ArgumentCheck>(
    builtinDefs.map((d) => [d.name, compileArgumentCheck(d.name, d.parameters)]),
  );
  const definitions: ToolDefinition[] = [
    ...o.config.tools.map(({ spec }) => ({
      name: spec.name,
      description: spec.description,
      parameters: spec.parameters,
    })),
    ...builtinDefs,
  ];
  const invalid = (message: string): ToolOutcome => ({
    kind: 'error',
    reason: 'invalid_arguments',
    content: `error: ${message}`,
    tellCaller: false,
  });

  async function runBuiltin(call: ToolCall, ctx: ToolContext): Promise<ToolOutcome> {
    const check = checks.get(call.name);
    if (check === undefined)
      return {
        kind: 'error',
        reason: 'unknown_tool',
        content: `error: there is no tool named ${call.name}`,
        tellCaller: false,
      };
    const args = check(call.arguments);
    if (!args.ok) return invalid(args.message);
    if (call.name === END_CALL)
      return { kind: 'action', action: { type: 'end_call' }, content: 'the call ends after your goodbye' };
    if (call.name === TRANSFER_CALL) {
      const name = (args.value as { target: string }).target;
      const target = targets.find((t) => t.name === name);
      if (target === undefined) return invalid(`unknown transfer target ${name}`);
      return {
        kind: 'action',
        action: { type: 'transfer', target },
        content: `the caller is transferred to ${name} after your sentence`,
      };
    }
    const digits = (args.value as { digits: string }).digits;
    try {
      await o.sendDtmf!(digits, ctx.signal);
      return { kind: 'result', content: `sent ${digits}` };
    } catch (e) {
      return {
        kind: 'error',
        reason: 'action_failed',
        content: `error: the key presses could not be sent (${(e as Error).message})`,
        tellCaller: false,
      };
    }
  }

  return {
    definitions,
    isBuiltin: (name) => BUILTIN_NAMES.has(name),
    async run(call, ctx) {
      const tool = http.get(call.name);
      if (tool !== undefined) return runHttpTool(tool.spec, tool.check, call, ctx, o.http);
      if (call.name === SEND_DTMF && !checks.has(SEND_DTMF))
        return {
          kind: 'error',
          reason: 'unknown_tool',
          content: `error: ${SEND_DTMF} is not enabled`,
          tellCaller: false,
        };
      return runBuiltin(call, ctx);
    },
  };
}
