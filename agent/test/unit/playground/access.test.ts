import { describe, expect, it } from 'vitest';
import {
  PLAYGROUND_PROTOCOL,
  bearerToken,
  decideAccess,
  secretsEqual,
  ticketFromProtocols,
} from '../../../src/playground/access.ts';

describe('playground access', () => {
  it('lets loopback clients in without a token', () => {
    expect(decideAccess({ loopback: true, configuredToken: '', presentedToken: undefined })).toEqual({
      ok: true,
      via: 'loopback',
    });
  });

  it('refuses everyone else when no token is configured, and says how to get in', () => {
    const d = decideAccess({ loopback: false, configuredToken: '', presentedToken: 'anything' });
    expect(d).toMatchObject({ ok: false, status: 403 });
    expect(!d.ok && d.reason).toMatch(/PLAYGROUND_TOKEN/);
  });

  it('requires the configured token off loopback: missing 401, wrong 403, right ok', () => {
    const base = { loopback: false, configuredToken: 's3cret-token' };
    expect(decideAccess({ ...base, presentedToken: undefined })).toMatchObject({ ok: false, status: 401 });
    expect(decideAccess({ ...base, presentedToken: 's3cret-tokeN' })).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(decideAccess({ ...base, presentedToken: 's3cret-token-longer' })).toMatchObject({ ok: false });
    expect(decideAccess({ ...base, presentedToken: 's3cret-token' })).toEqual({ ok: true, via: 'token' });
  });

  it('reads bearer tokens and compares secrets exactly', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   xyz  ')).toBe('xyz');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(secretsEqual('a', 'a')).toBe(true);
    expect(secretsEqual('a', 'b')).toBe(false);
    expect(secretsEqual('', 'a')).toBe(false);
  });

  it('finds the ticket among the offered subprotocols; malformed ones are empty, absent ones undefined', () => {
    const ticket = 'A'.repeat(43);
    expect(ticketFromProtocols(`${PLAYGROUND_PROTOCOL}, hva-playground-ticket.${ticket}`)).toBe(ticket);
    expect(ticketFromProtocols([PLAYGROUND_PROTOCOL, `hva-playground-ticket.${ticket}`])).toBe(ticket);
    expect(ticketFromProtocols('hva-playground-ticket.short')).toBe('');
    expect(ticketFromProtocols('hva-playground-ticket.' + 'x'.repeat(20) + '!')).toBe('');
    expect(ticketFromProtocols(PLAYGROUND_PROTOCOL)).toBeUndefined();
    expect(ticketFromProtocols(undefined)).toBeUndefined();
  });
});
