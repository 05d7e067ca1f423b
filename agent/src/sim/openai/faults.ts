// Faults of the OpenAI emulator: the one set by setFault() (used up per matching request), and
// the error responses of the faults that answer at once (429 with Retry-After, 5xx). The faults
// that shape a stream (stall, slow first token) are played by completion.ts.
import type { ServerResponse } from 'node:http';
import { sendError } from './http.ts';
import type { ChatMessageIn, OpenAiFault, RecordedRequest } from './types.ts';

export class FaultQueue {
  private fault: (OpenAiFault & { remaining: number }) | null = null;

  set(next: OpenAiFault | null): void {
    this.fault = next ? { ...next, remaining: next.times ?? Number.POSITIVE_INFINITY } : null;
  }

  /** The fault for this request, if it applies (using up one of its `times`). */
  take(messages: readonly ChatMessageIn[]): OpenAiFault | null {
    const fault = this.fault;
    if (!fault || (fault.when && !fault.when(messages))) return null;
    if (--fault.remaining <= 0) this.fault = null;
    return fault;
  }
}

/** Answers the request with the fault's error when the fault is one; false when it is not. */
export function sendFaultResponse(
  res: ServerResponse,
  f: OpenAiFault | null,
  record: RecordedRequest,
): boolean {
  if (f?.type === 'rate_limit') {
    record.status = 429;
    sendError(res, 429, 'Rate limit reached for requests (emulator).', 'requests', 'rate_limit_exceeded', {
      'retry-after': String(f.retryAfterSeconds ?? 0),
      // What OpenAI sends beside it (headers of the exhausted limit).
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': `${f.retryAfterSeconds ?? 0}s`,
    });
    return true;
  }
  if (f?.type === 'server_error') {
    record.status = f.status ?? 500;
    sendError(
      res,
      record.status,
      'The server had an error while processing your request (emulator).',
      'server_error',
      null,
    );
    return true;
  }
  return false;
}
