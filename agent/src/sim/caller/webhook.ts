// What Twilio does before a stream exists: POST the voice webhook (signed), read the TwiML, then
// open the <Stream> it names with its <Parameter>s. The caller simulator does the same, so a
// stream token the agent issues per call reaches `start` exactly as it would from Twilio, and the
// verbs after <Connect> (what a refused caller hears) are visible to tests.
import { twilioSignature } from './signature.ts';

export const VOICE_WEBHOOK_PATH = '/webhook/voice';

/** One TwiML verb after </Connect>: the fallback Twilio runs when the stream is refused or ends. */
export interface TwimlVerb {
  readonly verb: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface ConnectTwiml {
  readonly streamUrl: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly after: readonly TwimlVerb[];
}

export interface VoiceWebhookOptions {
  /** http(s)://host:port the agent listens on (where to POST). */
  readonly baseUrl: string;
  /** Host the agent validates signatures against (its PUBLIC_HOST). */
  readonly publicHost: string;
  readonly authToken: string;
  readonly callSid: string;
  readonly accountSid: string;
  readonly from?: string;
  readonly to?: string;
  readonly timeoutMs?: number;
}

export type WebhookResult =
  | { readonly ok: true; readonly twiml: ConnectTwiml }
  | { readonly ok: false; readonly status?: number; readonly error: string };

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

function attributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_:][\w:.-]*)="([^"]*)"/g)) out[m[1]!] = unescapeXml(m[2]!);
  return out;
}

/** Reads the <Connect><Stream> TwiML the agent returns (the shapes twilio.twiml writes). */
export function parseConnectTwiml(xml: string): ConnectTwiml | undefined {
  const connect = /<Connect(?:\s[^>]*)?>([\s\S]*?)<\/Connect>/.exec(xml);
  if (connect === null) return undefined;
  const stream = /<Stream\s([^>]*?)\/?>/.exec(connect[1]!);
  if (stream === null) return undefined;
  const streamUrl = attributes(stream[1]!)['url'];
  if (streamUrl === undefined) return undefined;
  const parameters: Record<string, string> = {};
  for (const p of connect[1]!.matchAll(/<Parameter\s([^>]*?)\/>/g)) {
    const a = attributes(p[1]!);
    if (a['name'] !== undefined) parameters[a['name']] = a['value'] ?? '';
  }
  const rest = xml.slice(connect.index + connect[0].length).replace(/<\/Response>[\s\S]*$/, '');
  const after: TwimlVerb[] = [];
  for (const v of rest.matchAll(/<([A-Z][A-Za-z]*)((?:\s[^>]*?)?)(?:\/>|>([\s\S]*?)<\/\1>)/g)) {
    after.push({ verb: v[1]!, attributes: attributes(v[2] ?? ''), text: unescapeXml((v[3] ?? '').trim()) });
  }
  return { streamUrl, parameters, after };
}

/** POSTs the signed voice webhook the way Twilio does for an incoming call. */
export async function postVoiceWebhook(o: VoiceWebhookOptions): Promise<WebhookResult> {
  const params: Record<string, string> = {
    AccountSid: o.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: o.callSid,
    CallStatus: 'ringing',
    Direction: 'inbound',
    From: o.from ?? '+972500000001',
    To: o.to ?? '+97230000001',
  };
  const signature = twilioSignature(o.authToken, `https://${o.publicHost}${VOICE_WEBHOOK_PATH}`, params);
  let res: Response;
  try {
    res = await fetch(new URL(VOICE_WEBHOOK_PATH, o.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
  } catch (err) {
    return { ok: false, error: `voice webhook failed: ${(err as Error).message}` };
  }
  const text = await res.text();
  if (res.status !== 200)
    return { ok: false, status: res.status, error: `voice webhook refused: HTTP ${res.status}` };
  const twiml = parseConnectTwiml(text);
  if (twiml === undefined)
    return { ok: false, status: res.status, error: 'voice webhook returned no <Connect><Stream>' };
  return { ok: true, twiml };
}
