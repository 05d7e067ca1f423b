import { describe, expect, it } from 'vitest';
import { twilioCallActions } from '../../../src/twilio/call-actions.ts';
import { dtmfAudio } from '../../../src/tools/dtmf-tones.ts';

const info = { accountSid: `AC${'1'.repeat(32)}`, callSid: `CA${'2'.repeat(32)}` };
const targets = [{ name: 'reception', description: 'front desk', number: '+97231234567' }];

function setup(rest: { configured: boolean; ok?: boolean } | undefined) {
  const hangups: string[] = [];
  const media: Buffer[] = [];
  const redirects: [string, string, string][] = [];
  const actions = twilioCallActions({
    sink: { hangup: (r) => hangups.push(r), sendMedia: (b) => media.push(b) },
    info,
    targets,
    rest: rest && {
      configured: rest.configured,
      redirectCall: async (a: string, c: string, t: string) => {
        redirects.push([a, c, t]);
        return { ok: rest.ok ?? true, detail: rest.ok === false ? 'HTTP 400 (code 21220)' : 'ok' };
      },
    },
  });
  return { actions, hangups, media, redirects };
}

describe('twilioCallActions', () => {
  it('a transfer redirects this call to the target’s <Dial>', async () => {
    const t = setup({ configured: true });
    await t.actions.transfer('reception');
    expect(t.redirects).toEqual([
      [
        info.accountSid,
        info.callSid,
        expect.stringContaining('<Dial><Number>+97231234567</Number></Dial>') as string,
      ],
    ]);
    expect(t.hangups).toEqual([]);
  });

  it('a transfer fails with a reason: unknown target, no credentials, Twilio refusing', async () => {
    await expect(setup({ configured: true }).actions.transfer('sales')).rejects.toThrow(
      /no transfer target named sales/,
    );
    await expect(setup(undefined).actions.transfer('reception')).rejects.toThrow(
      /need Twilio REST credentials/,
    );
    await expect(setup({ configured: true, ok: false }).actions.transfer('reception')).rejects.toThrow(
      /code 21220/,
    );
  });

  it('ending closes the stream (the edge completes the call); DTMF plays the tones', async () => {
    const t = setup({ configured: true });
    t.actions.endCall('goodbye');
    await t.actions.sendDtmf('12#');
    expect(t.hangups).toEqual(['goodbye']);
    expect(t.media).toEqual([dtmfAudio('12#')]);
  });
});
