// The OpenAI emulator's public shapes (options, faults, stats, the emulator handle) and its pure
// helpers (the default answer, the tokenizer); the server itself is in server.ts.
import type { LlmFaultHook } from '../faults/window-hooks.ts';
import type { Percentiles } from '../profile.ts';
import type { ScriptInput, ScriptedReply } from './tools.ts';

export interface ChatMessageIn {
  role: string;
  content: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
}

type OpenAiFaultKind =
  /** 429 with Retry-After (seconds) for the next `times` requests. */
  | { type: 'rate_limit'; times?: number; retryAfterSeconds?: number }
  /** A 5xx (default 500) for the next `times` requests. */
  | { type: 'server_error'; times?: number; status?: number }
  /** Sends `afterTokens` tokens, then nothing (connection held open) for the next `times` requests. */
  | { type: 'stall'; times?: number; afterTokens?: number }
  /** The first token waits `delayMs` for the next `times` requests. */
  | { type: 'slow_first_token'; times?: number; delayMs: number };

export type OpenAiFault = OpenAiFaultKind & {
  /** Only requests this accepts get the fault (and use up `times`); default: every request. */
  readonly when?: (messages: readonly ChatMessageIn[]) => boolean;
};

export interface OpenAiLatency {
  readonly timeToFirstTokenMs: Percentiles;
  readonly tokensPerSecond: number;
  /**
   * What a new connection costs before its first request is read (TCP + TLS set-up to a remote
   * API: 2-3 round trips). Absent (the shared profiles): free, as on loopback.
   */
  readonly connectionSetupMs?: Percentiles;
}

export interface OpenAiEmulatorOptions {
  readonly port?: number;
  readonly host?: string;
  /** 'reference' (default): the shared profile; 'none': no artificial delay; or explicit figures. */
  readonly latency?: 'reference' | 'none' | OpenAiLatency;
  readonly seed?: number;
  /** The answer text for a request; default: a deterministic echo of the last user message. */
  readonly answer?: (messages: readonly ChatMessageIn[]) => string;
  /**
   * A scripted model that may call tools (takes precedence over `answer`). Tool calls are only
   * sent when the request declared the tool and tool_choice is not "none", as with the real API.
   */
  readonly script?: (input: ScriptInput) => ScriptedReply;
  /** A fault plan's say on each chat request (sim/faults/window-hooks.ts); setFault() takes precedence. */
  readonly faultHook?: LlmFaultHook;
}

export interface RecordedRequest {
  readonly id: string;
  readonly body: Record<string, unknown>;
  readonly receivedAt: number;
  status: number;
  tokensSent: number;
  /** The response was completed ([DONE] or JSON body sent). */
  completed: boolean;
  /** The client closed the connection before the response was complete (abort). */
  clientClosed: boolean;
}

export interface OpenAiEmulator {
  readonly url: string; // base URL including /v1
  readonly port: number;
  setFault(fault: OpenAiFault | null): void;
  requests(): readonly RecordedRequest[];
  stats(): OpenAiEmulatorStats;
  close(): Promise<void>;
}

/** The emulator's own timing error on streamed answers (the profile's delay excluded). */
export interface OpenAiEmulatorStats {
  /** Streamed answers whose first token was sent. */
  readonly streams: number;
  /** First tokens sent more than 2 ms after their due time (arrival + drawn TTFT). */
  readonly lateFirstTokens: number;
  readonly firstTokenLateMsMax: number;
  readonly firstTokenLateMs: readonly number[];
  /** TCP connections accepted: one per request means the client keeps none warm. */
  readonly connections: number;
  /** GET /v1/models and /v1/models/{id} requests (boot checks and connection warm-ups). */
  readonly modelRequests: number;
  /** Requests that waited for their connection's set-up (connectionSetupMs). */
  readonly coldRequests: number;
  /** Of those, chat completions (the rest are warm-ups and boot checks). */
  readonly coldChats: number;
  /**
   * The event-loop delay of the process the emulator runs in, since it started (ms; p50, p99,
   * max): a request waits that long to be read before its drawn delay starts, which the late
   * first tokens above cannot see.
   */
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** The default answer: repeats the caller's last message in a short Hebrew reply. */
export function defaultAnswer(messages: readonly ChatMessageIn[]): string {
  const last =
    [...messages]
      .reverse()
      .find((m) => m.role === 'user')
      ?.content?.trim() ?? '';
  if (last === '') return 'שלום, במה אפשר לעזור?';
  return `הבנתי, אמרת: ${last.replace(/[.?!]+$/u, '')}. איך עוד אפשר לעזור?`;
}

/** Word tokens that keep their leading space (like BPE tokens of a model). */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}
