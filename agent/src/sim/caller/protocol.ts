// Twilio Media Streams messages as Twilio sends them (connected, start, media, dtmf, mark,
// stop) and a classifier for what a server sends back (media, mark, clear). Counters travel as
// strings, like Twilio's. Media frames are built with a template: JSON.stringify per frame is
// the largest per-call cost in a load test and the shape is fixed.

export interface StartFields {
  readonly accountSid: string;
  readonly callSid: string;
  readonly streamSid: string;
  readonly customParameters: Readonly<Record<string, string>>;
}

export function connectedMessage(): string {
  return JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });
}

export function startMessage(seq: number, f: StartFields): string {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: String(seq),
    start: {
      accountSid: f.accountSid,
      streamSid: f.streamSid,
      callSid: f.callSid,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: f.customParameters,
    },
    streamSid: f.streamSid,
  });
}

/** `chunk` counts media frames from 1; `timestampMs` is the frame's place on the stream clock. */
export function mediaMessage(
  seq: number,
  streamSid: string,
  chunk: number,
  timestampMs: number,
  payloadBase64: string,
): string {
  return `{"event":"media","sequenceNumber":"${seq}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${timestampMs}","payload":"${payloadBase64}"},"streamSid":"${streamSid}"}`;
}

export function dtmfMessage(seq: number, streamSid: string, digit: string): string {
  return JSON.stringify({
    event: 'dtmf',
    streamSid,
    sequenceNumber: String(seq),
    dtmf: { track: 'inbound_track', digit },
  });
}

export function markEchoMessage(seq: number, streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', sequenceNumber: String(seq), streamSid, mark: { name } });
}

export function stopMessage(
  seq: number,
  f: Pick<StartFields, 'accountSid' | 'callSid' | 'streamSid'>,
): string {
  return JSON.stringify({
    event: 'stop',
    sequenceNumber: String(seq),
    streamSid: f.streamSid,
    stop: { accountSid: f.accountSid, callSid: f.callSid },
  });
}

export const DTMF_DIGITS = '0123456789*#ABCD';

/** Protocol errors Twilio would log for server traffic (31950 binary, 31951 invalid message). */
export type ProtocolErrorKind =
  'binaryFrame' | 'invalidJson' | 'unknownEvent' | 'wrongStreamSid' | 'badMessage';

export type ServerMessage =
  | { readonly kind: 'media'; readonly payload: Buffer }
  | { readonly kind: 'mark'; readonly name: string }
  | { readonly kind: 'clear' }
  | { readonly kind: 'error'; readonly error: ProtocolErrorKind; readonly detail: string };

function fail(error: ProtocolErrorKind, detail: string): ServerMessage {
  return { kind: 'error', error, detail };
}

/** Classifies one text frame from the server against the stream it belongs to. */
export function parseServerMessage(text: string, streamSid: string): ServerMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return fail('invalidJson', text.slice(0, 80));
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    return fail('invalidJson', 'not a JSON object');
  const m = msg as Record<string, unknown>;
  const event = m.event;
  if (event !== 'media' && event !== 'mark' && event !== 'clear') {
    return fail('unknownEvent', typeof event === 'string' ? event.slice(0, 40) : 'missing event');
  }
  if (m.streamSid !== streamSid) {
    return fail('wrongStreamSid', `${event} for ${String(m.streamSid).slice(0, 40)}`);
  }
  if (event === 'clear') return { kind: 'clear' };
  if (event === 'mark') {
    const mark = m.mark as Record<string, unknown> | undefined;
    const name = typeof mark === 'object' && mark !== null ? mark.name : undefined;
    if (typeof name !== 'string' || name === '') return fail('badMessage', 'mark without a name');
    return { kind: 'mark', name };
  }
  const media = m.media as Record<string, unknown> | undefined;
  const payload = typeof media === 'object' && media !== null ? media.payload : undefined;
  if (typeof payload !== 'string' || payload.length === 0 || payload.length % 4 !== 0) {
    return fail('badMessage', 'media payload is not base64');
  }
  // Node skips characters outside the alphabet instead of failing: a short result means bad input
  // (cheaper than a regular expression over every payload).
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length !== (payload.length / 4) * 3 - padding)
    return fail('badMessage', 'media payload is not base64');
  return { kind: 'media', payload: bytes };
}
