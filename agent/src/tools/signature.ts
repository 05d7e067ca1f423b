// The signature on every HTTP tool request, so the business backend can trust it came from this
// agent and was not replayed: HMAC-SHA256 over "<timestamp>.<raw body>" with the tool's secret,
// hex, in `X-HVA-Signature: v1=<hex>`, the Unix timestamp (seconds) in `X-HVA-Timestamp`.
// docs/tools.md shows a backend verifying it. Pure (the caller passes the time).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-hva-signature';
export const TIMESTAMP_HEADER = 'x-hva-timestamp';
/** A backend should refuse a timestamp further than this from its own clock (replay window). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signBody(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
  return `v1=${mac}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

/** What a backend does with a request: recompute, compare in constant time, check the window. */
export function verifySignature(input: {
  readonly secret: string;
  readonly body: string;
  readonly signature: string | undefined;
  readonly timestamp: string | undefined;
  readonly nowSeconds: number;
  readonly toleranceSeconds?: number;
}): VerifyResult {
  const { signature, timestamp } = input;
  if (signature === undefined || timestamp === undefined || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'missing' };
  const ts = Number(timestamp);
  if (Math.abs(input.nowSeconds - ts) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS))
    return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signBody(input.secret, ts, input.body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, reason: 'mismatch' };
  return { ok: true };
}
