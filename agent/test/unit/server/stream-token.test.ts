import { describe, expect, it } from 'vitest';
import { StreamTokens } from '../../../src/server/stream-token.ts';

const CALL = `CA${'a'.repeat(32)}`;
const OTHER = `CA${'b'.repeat(32)}`;

function replicas(ttlSeconds = 30) {
  const clock = { now: 1_700_000_000_000 };
  const make = (authToken = 'secret') => new StreamTokens({ authToken, ttlSeconds, now: () => clock.now });
  return { clock, make };
}

describe('per-call stream tokens', () => {
  it('another replica accepts a token this one issued (derived from the auth token, no shared state)', () => {
    const { make } = replicas();
    const token = make().issue(CALL);
    expect(make().accept(CALL, token)).toBeUndefined();
  });

  it('is bound to its CallSid and to the auth token', () => {
    const { make } = replicas();
    const token = make().issue(CALL);
    expect(make().accept(OTHER, token)).toBe('wrong_call');
    expect(make('another-account').accept(CALL, token)).toBe('wrong_call');
  });

  it('expires after the TTL', () => {
    const { clock, make } = replicas(30);
    const issuer = make();
    const token = issuer.issue(CALL);
    clock.now += 29_000;
    expect(make().accept(CALL, token)).toBeUndefined();
    const late = issuer.issue(OTHER);
    clock.now += 31_000;
    expect(make().accept(OTHER, late)).toBe('expired');
  });

  it('is refused when reused on the same replica, and the memory of used tokens drains with expiry', () => {
    const { clock, make } = replicas(30);
    const replica = make();
    const token = replica.issue(CALL);
    expect(replica.accept(CALL, token)).toBeUndefined();
    expect(replica.accept(CALL, token)).toBe('reused');
    clock.now += 31_000;
    expect(replica.accept(OTHER, replica.issue(OTHER))).toBeUndefined();
    expect(replica.remembered).toBe(1);
  });

  it('rejects missing, malformed and tampered tokens', () => {
    const { make } = replicas();
    const replica = make();
    expect(replica.accept(CALL, undefined)).toBe('missing');
    expect(replica.accept(CALL, '')).toBe('missing');
    expect(replica.accept(CALL, 'v1.abc.def')).toBe('malformed');
    expect(replica.accept(CALL, 'v2.1.x')).toBe('malformed');
    const [v, exp, mac] = replica.issue(CALL).split('.');
    // Pushing the expiry out breaks the MAC.
    expect(replica.accept(CALL, `${v}.${Number(exp) + 3600}.${mac}`)).toBe('wrong_call');
  });
});
