// The agent's Twilio REST calls through the unmodified `twilio` package against the emulator,
// which checks what Twilio checks (credentials, form fields, TwiML).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioRestEmulator, type TwilioRestEmulator } from '../../../src/sim/caller/index.ts';
import { TwilioRest, transferTwiml } from '../../../src/twilio/rest.ts';

const ACCOUNT = `AC${'1'.repeat(32)}`;
const KEY = `SK${'2'.repeat(32)}`;
const sid = (n: number): string => `CA${String(n).padStart(32, '0')}`;

describe('TwilioRest against the Twilio REST emulator', () => {
  let emu: TwilioRestEmulator;
  beforeAll(async () => {
    emu = await startTwilioRestEmulator({ authToken: 'token', apiKeys: { [KEY]: 'key-secret' } });
  });
  afterAll(async () => emu.close());

  const rest = (over: Partial<ConstructorParameters<typeof TwilioRest>[0]> = {}): TwilioRest =>
    new TwilioRest({
      baseUrl: emu.url,
      accountSid: '',
      apiKeySid: '',
      apiKeySecret: '',
      authToken: 'token',
      ...over,
    });

  it('completes a call with the auth token of the call’s account', async () => {
    const r = await rest().completeCall(ACCOUNT, sid(1));
    expect(r.ok).toBe(true);
    expect(emu.completed(sid(1))).toBe(true);
    const req = emu.requests().at(-1)!;
    expect(req).toMatchObject({ status: 200, username: ACCOUNT, params: { Status: 'completed' } });
  });

  it('prefers the API key, for the configured account', async () => {
    const r = await rest({
      accountSid: ACCOUNT,
      apiKeySid: KEY,
      apiKeySecret: 'key-secret',
      authToken: '',
    }).completeCall(`AC${'9'.repeat(32)}`, sid(2));
    expect(r.ok).toBe(true);
    expect(emu.requests().at(-1)).toMatchObject({
      username: KEY,
      path: expect.stringContaining(ACCOUNT) as string,
    });
  });

  it('wrong credentials are refused (401, 20003) and reported, not thrown', async () => {
    const r = await rest({ authToken: 'wrong' }).completeCall(ACCOUNT, sid(3));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/HTTP 401 \(code 20003\)/);
    expect(emu.completed(sid(3))).toBe(false);
  });

  it('a transfer redirects the live call to a well-formed <Dial> of a number, with sendDigits', async () => {
    const twiml = transferTwiml({
      name: 'office',
      description: 'd',
      number: '+97231234567',
      sendDigits: 'ww12',
    });
    const seen: unknown[] = [];
    emu.onUpdate(sid(4), (u) => seen.push(u));
    const r = await rest().redirectCall(ACCOUNT, sid(4), twiml);
    expect(r.ok).toBe(true);
    expect(emu.updates(sid(4))).toEqual([{ type: 'redirect', twiml }]);
    expect(seen).toHaveLength(1);
    expect(twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number sendDigits="ww12">+97231234567</Number></Dial></Response>',
    );
  });

  it('a SIP target becomes <Dial><Sip>', () => {
    expect(transferTwiml({ name: 's', description: 'd', sip: 'sip:desk@pbx.example.com' })).toContain(
      '<Dial><Sip>sip:desk@pbx.example.com</Sip></Dial>',
    );
  });

  it('malformed TwiML is refused (12100), and a completed call cannot be redirected (21220)', async () => {
    const bad = await rest().redirectCall(ACCOUNT, sid(5), '<Response><Dial></Response>');
    expect(bad.detail).toMatch(/code 12100/);
    await rest().completeCall(ACCOUNT, sid(6));
    const late = await rest().redirectCall(
      ACCOUNT,
      sid(6),
      transferTwiml({ name: 'x', description: 'd', number: '+97231234567' }),
    );
    expect(late.detail).toMatch(/code 21220/);
  });
});
