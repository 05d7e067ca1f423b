// The actions every agent can take, declared to the model like any tool: end the call, transfer
// the caller to a person (only when the VoiceAgent names transfer targets), send DTMF tones (only
// when enabled). What they do happens in the session (tools/actions.ts), after the caller heard
// what was said before them.
import type { ToolDefinition } from '../llm/types.ts';
import type { TransferTarget } from './types.ts';

export const END_CALL = 'end_call';
export const TRANSFER_CALL = 'transfer_call';
export const SEND_DTMF = 'send_dtmf';
export const BUILTIN_NAMES: ReadonlySet<string> = new Set([END_CALL, TRANSFER_CALL, SEND_DTMF]);

/** Digits, * and #, and w (a half-second pause), as TwiML sendDigits takes them. */
export const DTMF_DIGITS_PATTERN = '^[0-9*#w]{1,32}$';

export function endCallDefinition(): ToolDefinition {
  return {
    name: END_CALL,
    description:
      'End the phone call. Use it when the caller says goodbye or the conversation is finished. Say your short goodbye sentence in the same message, before calling it; the line is closed once the caller has heard it.',
    parameters: { type: 'object', properties: {}, additionalProperties: false },
  };
}

export function transferDefinition(targets: readonly TransferTarget[]): ToolDefinition {
  return {
    name: TRANSFER_CALL,
    description: `Transfer the caller to a person. Use it when the caller asks for a human or you cannot help. Say one short sentence that you are transferring them, in the same message, before calling it. Targets: ${targets
      .map((t) => `${t.name} (${t.description})`)
      .join('; ')}.`,
    parameters: {
      type: 'object',
      properties: {
        target: { type: 'string', enum: targets.map((t) => t.name), description: 'Who to transfer to.' },
      },
      required: ['target'],
      additionalProperties: false,
    },
  };
}

export function sendDtmfDefinition(): ToolDefinition {
  return {
    name: SEND_DTMF,
    description:
      'Send DTMF key presses on the line, for an automated phone menu that needs them. Digits 0-9, * and #; w is a half-second pause.',
    parameters: {
      type: 'object',
      properties: { digits: { type: 'string', pattern: DTMF_DIGITS_PATTERN } },
      required: ['digits'],
      additionalProperties: false,
    },
  };
}
