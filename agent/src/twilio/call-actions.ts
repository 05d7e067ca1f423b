// What the built-in actions do to a live Twilio call. Ending: the media stream is closed through
// the sink, and the edge completes the call over REST first when it has credentials (so Twilio
// does not run the fallback TwiML after <Connect>). Transferring: the call's TwiML is replaced
// with a <Dial> of the target over REST; Twilio then leaves <Connect>, which ends this stream.
// DTMF: in-band tones on the stream (tools/dtmf-tones.ts).
import type { CallStartInfo, MediaSink } from '../call/types.ts';
import { transferTwiml, type TwilioRest } from './rest.ts';
import { dtmfAudio } from '../tools/dtmf-tones.ts';
import { callActions } from '../tools/metrics.ts';
import type { TransferTarget } from '../tools/types.ts';

export interface TwilioCallActionsOptions {
  readonly sink: Pick<MediaSink, 'hangup' | 'sendMedia'>;
  readonly info: Pick<CallStartInfo, 'accountSid' | 'callSid'>;
  /** Absent or without credentials: transfers fail with a clear reason (the session says so). */
  readonly rest: Pick<TwilioRest, 'configured' | 'redirectCall'> | undefined;
  readonly targets: readonly TransferTarget[];
}

export interface TwilioCallActions {
  endCall(reason: string): void;
  /** Rejects with the reason when the redirect was not accepted. */
  transfer(targetName: string): Promise<void>;
  sendDtmf(digits: string): Promise<void>;
}

export function twilioCallActions(o: TwilioCallActionsOptions): TwilioCallActions {
  const count = (action: string, ok: boolean): void =>
    callActions.inc({ action, result: ok ? 'ok' : 'failed' });
  return {
    endCall(reason) {
      count('end_call', true);
      o.sink.hangup(reason);
    },
    async transfer(targetName) {
      const target = o.targets.find((t) => t.name === targetName);
      try {
        if (target === undefined) throw new Error(`no transfer target named ${targetName}`);
        if (o.rest === undefined || !o.rest.configured)
          throw new Error(
            'transfers need Twilio REST credentials (TWILIO_API_KEY_SID + TWILIO_API_KEY_SECRET, or TWILIO_AUTH_TOKEN)',
          );
        const r = await o.rest.redirectCall(o.info.accountSid, o.info.callSid, transferTwiml(target));
        if (!r.ok) throw new Error(`Twilio refused the transfer: ${r.detail}`);
        count('transfer', true);
      } catch (e) {
        count('transfer', false);
        throw e;
      }
    },
    async sendDtmf(digits) {
      try {
        o.sink.sendMedia(dtmfAudio(digits));
        count('send_dtmf', true);
      } catch (e) {
        count('send_dtmf', false);
        throw e;
      }
    },
  };
}
