import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from '../../../src/tools/signature.ts';

describe('tool request signature (HMAC-SHA256 over "<timestamp>.<body>")', () => {
  const body = JSON.stringify({ tool: 'check_availability', arguments: { date: '2026-12-02' } });

  it('is the hex HMAC a backend recomputes with any HMAC library', () => {
    const expected = createHmac('sha256', 's3cret').update(`1764590000.${body}`).digest('hex');
    expect(signBody('s3cret', 1764590000, body)).toBe(`v1=${expected}`);
  });

  it('verifies the genuine request and refuses a changed body, another secret, a replay, a missing header', () => {
    const signature = signBody('s3cret', 1764590000, body);
    const base = { secret: 's3cret', body, signature, timestamp: '1764590000', nowSeconds: 1764590010 };
    expect(verifySignature(base)).toEqual({ ok: true });
    expect(verifySignature({ ...base, body: body.replace('02', '03') })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature({ ...base, secret: 'other' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature({ ...base, nowSeconds: 1764590000 + 301 })).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verifySignature({ ...base, timestamp: '1764590001' })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature({ ...base, signature: undefined })).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature({ ...base, timestamp: 'yesterday' })).toEqual({ ok: false, reason: 'missing' });
  });
});
