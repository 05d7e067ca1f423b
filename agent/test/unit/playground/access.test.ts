import { describe, expect, it } from 'vitest';
import {
  PLAYGROUND_PROTOCOL,
  bearerToken,
  decideAccess,
  isLoopbackHost,
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

  it('recognises Host headers that name this machine, with or without a port', () => {
    for (const host of ['localhost', 'localhost:8080', '127.0.0.1:1234', '127.1.2.3', '[::1]:8080', '[::1]'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      undefined,
      '',
      'agent.example.com',
      'localhost.evil.test',
      '127.0.0.1.nip.io:80',
      '[::2]:80',
      '10.0.0.1',
    ])
      expect(isLoopbackHost(host), String(host)).toBe(false);
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
