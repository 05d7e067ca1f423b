// What the session asks of the call itself, beyond speaking: end it, hand it to a person, send
// tones to a downstream IVR. The session decides when (e.g. only after the goodbye was heard);
// an implementation decides how. Without Twilio REST credentials the call ends by closing the
// media stream (Twilio then runs the next TwiML verb, the fallback after <Connect>).
import type { MediaSink } from './types.ts';

export interface CallActions {
  /** Ends the call; the session calls it once the caller heard the closing sentence. */
  endCall(reason: string): void;
  /** Redirects the live call to a person (a number or SIP address); absent when not configured. */
  transfer?(target: string): Promise<void>;
  /** Plays DTMF tones into the call (a downstream IVR); absent when not configured. */
  sendDtmf?(digits: string): Promise<void>;
}

/** Ends the call by closing the media stream, as the scripted goodbye always has. */
export function streamActions(sink: MediaSink): CallActions {
  return { endCall: (reason) => sink.hangup(reason) };
}
