// Per-call stream tokens. The WebSocket upgrade signature covers a fixed URL, so a leaked one
// would start any number of calls; the voice webhook therefore hands its stream a token bound to
// the CallSid (a TwiML <Parameter>, arriving in start.customParameters) and `start` must carry a
// valid, unexpired one. Tokens are an HMAC keyed from the Twilio auth token: any replica can check
// one another replica issued, with no shared state. A replica refuses a token it has already
// accepted (replay); the memory of accepted tokens lives only as long as the tokens do.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const STREAM_TOKEN_PARAMETER = 'streamToken';
const VERSION = 'v1';

export type StreamTokenProblem = 'missing' | 'malformed' | 'expired' | 'wrong_call' | 'reused';

export interface StreamTokenOptions {
  readonly authToken: string;
  readonly ttlSeconds: number;
  /** Wall clock in ms (injected in tests). */
  readonly now?: () => number;
}

export class StreamTokens {
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** Accepted token -> its expiry (ms). Insertion order is expiry order (one TTL for all). */
  private readonly used = new Map<string, number>();

  constructor(options: StreamTokenOptions) {
    // A key of its own, so the token never reveals anything reusable as a Twilio signature.
    this.key = createHmac('sha256', options.authToken).update('hva stream token key').digest();
    this.ttlMs = options.ttlSeconds * 1000;
    this.now = options.now ?? Date.now;
  }

  issue(callSid: string): string {
    const expires = Math.ceil((this.now() + this.ttlMs) / 1000);
    return `${VERSION}.${expires}.${this.mac(callSid, expires)}`;
  }

  /** Checks `token` for `callSid` and, when valid, remembers it so it cannot start a second stream here. */
  accept(callSid: string, token: string | undefined): StreamTokenProblem | undefined {
    if (token === undefined || token === '') return 'missing';
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION || !/^\d{1,12}$/.test(parts[1]!)) return 'malformed';
    const expires = Number(parts[1]);
    const given = Buffer.from(parts[2]!);
    const expected = Buffer.from(this.mac(callSid, expires));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'wrong_call';
    const now = this.now();
    if (expires * 1000 <= now) return 'expired';
    this.prune(now);
    if (this.used.has(token)) return 'reused';
    this.used.set(token, expires * 1000);
    return undefined;
  }

  /** Tokens remembered for replay protection (bounded by the issue rate times the TTL). */
  get remembered(): number {
    return this.used.size;
  }

  private prune(now: number): void {
    for (const [token, expiresMs] of this.used) {
      if (expiresMs > now) break;
      this.used.delete(token);
    }
  }

  private mac(callSid: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${VERSION}|${callSid}|${expires}`).digest('base64url');
  }
}
