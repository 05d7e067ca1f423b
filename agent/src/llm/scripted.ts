// The offline responder: no model, just a predictable Hebrew conversation so an offline call is
// a real exchange (the session plays the greeting). It repeats what it heard, and says goodbye
// when the caller does. Tokens stream word by word, like a model's would.
import type { Responder, RespondRequest } from './types.ts';
import { DTMF_PREFIX } from './history.ts';
import { llmFirstToken, llmRequests } from './metrics.ts';

const GOODBYE_WORDS = ['להתראות', 'ביי', 'שלום ותודה', 'תודה', 'יום טוב', 'לילה טוב', 'סיימתי', 'bye'];

export const SCRIPTED_GOODBYE = 'תודה שהתקשרתם, להתראות!';
export const SCRIPTED_NOT_HEARD = 'סליחה, לא שמעתי. אפשר לחזור על זה?';
export const SCRIPTED_FOLLOW_UP = 'במה עוד אפשר לעזור?';

/** True when the caller is saying goodbye (whole words; punctuation ignored). */
export function isGoodbye(text: string): boolean {
  const words = ` ${text
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()} `;
  return GOODBYE_WORDS.some((w) => words.includes(` ${w} `));
}

/** The scripted answer to the caller's latest message. Pure. */
export function scriptedAnswer(lastUser: string): string {
  const text = lastUser.trim();
  if (text === '') return SCRIPTED_NOT_HEARD;
  if (text.startsWith(DTMF_PREFIX))
    return `הקשת ${text.slice(DTMF_PREFIX.length).trim()}. ${SCRIPTED_FOLLOW_UP}`;
  if (isGoodbye(text)) return SCRIPTED_GOODBYE;
  const heard = text.replace(/[.?!…]+$/u, '');
  return `שמעתי: ${heard}. ${SCRIPTED_FOLLOW_UP}`;
}

/** Splits an answer into word tokens that keep their leading space, as model tokens do. */
export function wordTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export interface ScriptedResponderOptions {
  /** Delay before the first token and between tokens (ms). Default 20. */
  readonly tokenDelayMs?: number;
}

export class ScriptedResponder implements Responder {
  readonly name = 'scripted';
  private readonly tokenDelayMs: number;

  constructor(options: ScriptedResponderOptions = {}) {
    this.tokenDelayMs = options.tokenDelayMs ?? 20;
  }

  async *respond(request: RespondRequest): AsyncIterable<string> {
    const started = performance.now();
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    let first = true;
    for (const token of wordTokens(scriptedAnswer(lastUser))) {
      await delay(this.tokenDelayMs, request.signal);
      if (request.signal.aborted) {
        llmRequests.inc({ provider: this.name, outcome: 'aborted' });
        return;
      }
      if (first) {
        first = false;
        llmFirstToken.observe({ provider: this.name }, (performance.now() - started) / 1000);
      }
      yield token;
    }
    llmRequests.inc({ provider: this.name, outcome: 'ok' });
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
