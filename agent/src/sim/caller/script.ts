// What a simulated caller does, as a list of steps, and the text form the CLI accepts.
// Time-consuming steps (play, silence, waitForAgent) fill the 20 ms media frames; dtmf, stop and
// drop happen between frames. Twilio streams continuously, so every gap is sent as silence.
import { DTMF_DIGITS } from './protocol.ts';

export interface PlayStep {
  readonly kind: 'play';
  /** Raw mu-law 8 kHz audio (see loadCallerAudio). */
  readonly audio: Uint8Array;
  /** Shown in the timeline; defaults to the file name or `play#n`. */
  readonly label?: string;
}
export interface SilenceStep {
  readonly kind: 'silence';
  readonly ms: number;
}
export interface DtmfStep {
  readonly kind: 'dtmf';
  readonly digit: string;
}
/**
 * Streams silence until the agent's audio is playing ('start') or until the agent has played
 * something and then been quiet for quietMs ('end', the default), or timeoutMs passes (counted
 * in CallResult.waitTimeouts; the script continues). Agent audio that is all digital silence
 * (mu-law 0xFF/0x7F) counts as quiet.
 */
export interface WaitForAgentStep {
  readonly kind: 'waitForAgent';
  readonly until?: 'start' | 'end';
  /** Default 15000. */
  readonly timeoutMs?: number;
  /** Default 700. */
  readonly quietMs?: number;
}
/** Sends `stop` and closes the socket, like Twilio when the caller hangs up. Ends the script. */
export interface StopStep {
  readonly kind: 'stop';
}
/** Drops the connection without `stop` (network loss). Ends the script. */
export interface DropStep {
  readonly kind: 'drop';
}

export type CallStep = PlayStep | SilenceStep | DtmfStep | WaitForAgentStep | StopStep | DropStep;

/** A play step that names a file instead of carrying audio; resolved by resolveScript. */
export interface PlayFileStep {
  readonly kind: 'play';
  readonly file: string;
  readonly label?: string;
}
export type CallStepSpec = Exclude<CallStep, PlayStep> | PlayStep | PlayFileStep;

export class ScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptError';
  }
}

function positiveInt(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text))
    throw new ScriptError(`${what} must be a whole number of ms, got '${text ?? ''}'`);
  return Number(text);
}

/**
 * Parses the CLI script form: steps separated by ';' or new lines, e.g.
 * `play:hello.wav; wait; silence:500; dtmf:5; play:question.wav; wait:end:20000; stop`.
 * Forms: play:<file>, silence:<ms>, dtmf:<digits>, wait[:start|end[:<timeoutMs>[:<quietMs>]]],
 * stop, drop. Lines starting with # are comments.
 */
export function parseScript(text: string): CallStepSpec[] {
  const steps: CallStepSpec[] = [];
  for (const raw of text.split(/[;\n]/)) {
    const item = raw.trim();
    if (item === '' || item.startsWith('#')) continue;
    const colon = item.indexOf(':');
    const verb = (colon < 0 ? item : item.slice(0, colon)).toLowerCase();
    const arg = colon < 0 ? undefined : item.slice(colon + 1);
    switch (verb) {
      case 'play':
        if (!arg) throw new ScriptError('play needs a file: play:<file>');
        steps.push({ kind: 'play', file: arg });
        break;
      case 'silence':
        steps.push({ kind: 'silence', ms: positiveInt(arg, 'silence') });
        break;
      case 'dtmf':
        if (!arg) throw new ScriptError('dtmf needs digits: dtmf:<digits>');
        for (const digit of arg) {
          if (!DTMF_DIGITS.includes(digit))
            throw new ScriptError(`'${digit}' is not a DTMF digit (${DTMF_DIGITS})`);
          steps.push({ kind: 'dtmf', digit });
        }
        break;
      case 'wait': {
        const [until = 'end', timeout, quiet] = arg === undefined ? [] : arg.split(':');
        if (until !== 'start' && until !== 'end')
          throw new ScriptError(`wait:${until}: expected start or end`);
        steps.push({
          kind: 'waitForAgent',
          until,
          ...(timeout !== undefined ? { timeoutMs: positiveInt(timeout, 'wait timeout') } : {}),
          ...(quiet !== undefined ? { quietMs: positiveInt(quiet, 'wait quiet time') } : {}),
        });
        break;
      }
      case 'stop':
        steps.push({ kind: 'stop' });
        break;
      case 'drop':
        steps.push({ kind: 'drop' });
        break;
      default:
        throw new ScriptError(`unknown step '${item}' (play, silence, dtmf, wait, stop, drop)`);
    }
  }
  return steps;
}

/** Checks a resolved script; throws ScriptError naming the bad step. */
export function validateScript(steps: readonly CallStep[]): void {
  steps.forEach((s, i) => {
    const where = `step ${i + 1} (${s.kind})`;
    if (s.kind === 'silence' && !(Number.isFinite(s.ms) && s.ms >= 0))
      throw new ScriptError(`${where}: bad duration`);
    if (s.kind === 'dtmf' && (s.digit.length !== 1 || !DTMF_DIGITS.includes(s.digit))) {
      throw new ScriptError(`${where}: '${s.digit}' is not a DTMF digit`);
    }
    if (s.kind === 'waitForAgent') {
      if (s.until !== undefined && s.until !== 'start' && s.until !== 'end')
        throw new ScriptError(`${where}: bad 'until'`);
      for (const v of [s.timeoutMs, s.quietMs]) {
        if (v !== undefined && !(Number.isFinite(v) && v >= 0))
          throw new ScriptError(`${where}: bad duration`);
      }
    }
  });
}
