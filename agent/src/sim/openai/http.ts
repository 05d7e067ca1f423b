// Small HTTP pieces of the OpenAI emulator: OpenAI's error body, a bounded body read, and a wait
// that ends early when the client goes away.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error the way OpenAI shapes it ({ error: { message, type, param, code } }). */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, param: null, code } }));
}

export function sendJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The largest request body the emulator reads (bytes); larger ones are answered 413. */
export const MAX_BODY_BYTES = 1_000_000;

/** A request body over the limit: declared by Content-Length or found while reading. */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`Request body too large: the maximum is ${limit} bytes.`);
    this.limit = limit;
  }
}

/**
 * The body as text, or BodyTooLargeError as soon as it is known to be over `limit` (a declared
 * Content-Length over it is refused before a byte is read). From then on nothing more is kept:
 * the caller answers with refuseTooLarge, which ends the connection.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    const onData = (b: Buffer): void => {
      size += b.length;
      if (size <= limit) {
        parts.push(b);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      parts.length = 0;
      reject(new BodyTooLargeError(limit));
    };
    const onEnd = (): void => resolve(Buffer.concat(parts).toString('utf8'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/**
 * 413 with Connection: close. Node's server then ends the connection once the answer is written
 * (a FIN, then the socket is destroyed), so the rest of the body is never read; what arrives
 * until then is dropped unbuffered.
 */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, err: BodyTooLargeError): void {
  req.resume();
  sendError(res, 413, err.message, 'invalid_request_error', 'request_too_large', { connection: 'close' });
}

/** Waits `ms`, or less if the client goes away (so an aborted request frees the server at once). */
export function wait(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0 || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}
