// TwiML for the voice webhook: the bidirectional <Connect><Stream> form, built with the twilio
// package. Per the reference: no track attribute (inbound is the only track <Connect> streams),
// no statusCallbackEvent (not a <Stream> attribute), no query string in the URL (data travels as
// <Parameter>s and arrives in start.customParameters).
import twilio from 'twilio';
import { STREAM_STATUS_PATH, mediaStreamUrl, webhookUrl } from './signature.ts';

/** <Parameter> name+value must stay under 500 characters (Twilio limit). */
const MAX_PARAMETER_CHARS = 499;

/**
 * What a caller hears when the stream is refused (capacity, draining, start-up failure): Twilio
 * runs the TwiML after <Connect> once the server closes the socket. Empty fields are left out.
 */
export interface VoiceFallback {
  /** A recorded apology (<Play>), played first. */
  readonly playUrl: string;
  /** Spoken in Hebrew by Twilio (<Say language="he-IL">) when there is no recording. */
  readonly sayText: string;
  /** Then transfer the caller to this number (<Dial>)... */
  readonly dialNumber: string;
  /** ...or hand the call to this TwiML URL (<Redirect>); exclusive with dialNumber. */
  readonly redirectUrl: string;
}

export interface VoiceTwimlInput {
  readonly publicHost: string;
  /** Passed to the call session in start.customParameters. Empty values are left out. */
  readonly parameters: Readonly<Record<string, string | undefined>>;
  readonly fallback?: VoiceFallback;
}

export function buildVoiceTwiml(input: VoiceTwimlInput): string {
  const response = new twilio.twiml.VoiceResponse();
  const connect = response.connect();
  const stream = connect.stream({
    url: mediaStreamUrl(input.publicHost),
    statusCallback: webhookUrl(input.publicHost, STREAM_STATUS_PATH),
    statusCallbackMethod: 'POST',
  });
  for (const [name, value] of Object.entries(input.parameters)) {
    if (value === undefined || value === '') continue;
    const room = MAX_PARAMETER_CHARS - name.length;
    if (room <= 0) continue;
    stream.parameter({ name, value: value.slice(0, room) });
  }
  if (input.fallback !== undefined) appendFallback(response, input.fallback);
  return response.toString();
}

/** The webhook form fields forwarded to the session as stream parameters (name in TwiML <- form field). */
export const FORWARDED_CALL_FIELDS: Readonly<Record<string, string>> = {
  callSid: 'CallSid',
  from: 'From',
  to: 'To',
  direction: 'Direction',
  callerCountry: 'FromCountry',
};

function appendFallback(response: twilio.twiml.VoiceResponse, f: VoiceFallback): void {
  if (f.playUrl !== '') response.play(f.playUrl);
  else if (f.sayText !== '') response.say({ language: 'he-IL' }, f.sayText);
  if (f.redirectUrl !== '') response.redirect({ method: 'POST' }, f.redirectUrl);
  else if (f.dialNumber !== '') response.dial(f.dialNumber);
}
