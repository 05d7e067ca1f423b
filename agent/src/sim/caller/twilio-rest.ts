// A Twilio REST API emulator for the requests the agent makes on a live call: POST
// /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json with Status=completed (hang up) or
// Twiml / Url (redirect: a transfer's <Dial>). Unkind like Twilio: HTTP basic auth with the
// account SID + auth token or an API key SID + secret of that account (else 401, code 20003), a
// form-encoded body only, Status only completed/canceled (21218), Url absolute http(s) (21205),
// Twiml well-formed with a <Response> root and at most 4000 characters (12100 / 21219), no update
// of a call already completed (21220), a wrong path 404. It records every request with its form
// fields. A redirect replaces the call's TwiML, which ends its <Connect><Stream>: subscribers (the
// caller simulator) are told, to stop the stream as Twilio does.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { validationOptions, ValidationError } from 'fast-xml-parser';

export interface RestRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Twilio error code of a refusal. */
  readonly code?: number;
  /** The form fields as sent. */
  readonly params: Readonly<Record<string, string>>;
  /** Basic-auth user name (AC… or SK…). */
  readonly username: string;
  readonly callSid?: string;
  /** Date.now() on arrival. */
  readonly at: number;
}

export type CallUpdate =
  | { readonly type: 'completed' }
  | { readonly type: 'redirect'; readonly twiml?: string; readonly url?: string };

export interface TwilioRestEmulator {
  /** Base URL for TWILIO_API_BASE_URL. */
  readonly url: string;
  completed(callSid: string): boolean;
  /** Accepted updates of one call, in order. */
  updates(callSid: string): readonly CallUpdate[];
  /** Every request: method, path, HTTP status answered, form fields. */
  requests(): readonly RestRequestRecord[];
  /** Called for every accepted update (the caller simulator stops the stream on a redirect). */
  onUpdate(callSid: string, listener: (update: CallUpdate) => void): () => void;
  close(): Promise<void>;
}

export interface TwilioRestEmulatorOptions {
  readonly authToken: string;
  /** API keys (SK… -> secret) accepted for any account. */
  readonly apiKeys?: Readonly<Record<string, string>>;
}

const CALL_PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Calls\/(CA[0-9a-f]{32})\.json$/;
const MAX_TWIML = 4000;

type XmlValidate = (xml: string, options?: validationOptions) => true | ValidationError;

/** fast-xml-parser is a dev dependency: loaded only when the emulator starts (never in production). */
async function loadXmlValidate(): Promise<XmlValidate> {
  const { XMLValidator } = await import('fast-xml-parser');
  return (xml, options) => XMLValidator.validate(xml, options);
}

/** Twilio's own checks of a calls-update form. Returns [status, code, message] of a refusal. */
export function checkCallUpdate(
  params: Readonly<Record<string, string>>,
  validateXml: XmlValidate,
): [number, number, string] | undefined {
  const { Status: status, Url: url, Twiml: twiml } = params;
  if (status === undefined && url === undefined && twiml === undefined)
    return [400, 20001, 'Missing required parameter: one of Status, Url or Twiml'];
  if (status !== undefined && status !== 'completed' && status !== 'canceled')
    return [400, 21218, `Invalid Status: ${status}`];
  if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url))
    return [400, 21205, `Url is not a valid URL: ${url}`];
  if (twiml !== undefined) {
    if (twiml.length > MAX_TWIML)
      return [400, 21219, `Twiml is ${twiml.length} characters; the limit is ${MAX_TWIML}`];
    const valid = validateXml(twiml);
    if (valid !== true) return [400, 12100, `Document parse failure: ${valid.err.msg}`];
    if (!/^\s*(<\?xml[^>]*\?>\s*)?<Response[\s/>]/.test(twiml))
      return [400, 12100, 'Document parse failure: the root element must be <Response>'];
  }
  return undefined;
}

function basicUser(header: string | undefined): { user: string; pass: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (m === null) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { user: text.slice(0, i), pass: text.slice(i + 1) };
}

/** The account's auth token, or an API key (SK...) with its secret. */
function authorised(
  auth: { user: string; pass: string } | undefined,
  accountSid: string,
  options: TwilioRestEmulatorOptions,
): boolean {
  if (auth === undefined) return false;
  const byToken = auth.user === accountSid && auth.pass === options.authToken && options.authToken !== '';
  return byToken || (auth.user.startsWith('SK') && options.apiKeys?.[auth.user] === auth.pass);
}

/** A checked update (checkCallUpdate): Status=completed ends the call, Twiml or Url redirects it. */
function callUpdateOf(params: Record<string, string>): CallUpdate {
  if (params['Status'] !== undefined) return { type: 'completed' };
  return {
    type: 'redirect',
    ...(params['Twiml'] !== undefined ? { twiml: params['Twiml'] } : {}),
    ...(params['Url'] !== undefined ? { url: params['Url'] } : {}),
  };
}

/** Answers a request with JSON, as Twilio does, and records it; `refuse` in Twilio's error shape. */
function replies(
  req: IncomingMessage,
  res: ServerResponse,
  log: RestRequestRecord[],
  params: Record<string, string>,
  username: string,
  callSid: string | undefined,
) {
  const answer = (status: number, payload: Record<string, unknown>): void => {
    log.push({
      method: req.method ?? '',
      path: req.url ?? '',
      status,
      ...(typeof payload['code'] === 'number' ? { code: payload['code'] } : {}),
      params,
      username,
      ...(callSid !== undefined ? { callSid } : {}),
      at: Date.now(),
    });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  };
  const refuse = (status: number, code: number, message: string): void =>
    answer(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
  return { answer, refuse };
}

export async function startTwilioRestEmulator(
  options: TwilioRestEmulatorOptions,
): Promise<TwilioRestEmulator> {
  const validateXml = await loadXmlValidate();
  const completed = new Set<string>();
  const updates = new Map<string, CallUpdate[]>();
  const listeners = new Map<string, Set<(u: CallUpdate) => void>>();
  const log: RestRequestRecord[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const m = CALL_PATH.exec(req.url ?? '');
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const params =
      contentType === 'application/x-www-form-urlencoded'
        ? Object.fromEntries(new URLSearchParams(body))
        : {};
    const auth = basicUser(req.headers.authorization);
    const { answer, refuse } = replies(req, res, log, params, auth?.user ?? '', m?.[2]);
    if (req.method !== 'POST' || m === null)
      return refuse(404, 20404, 'The requested resource was not found');
    const [, accountSid, callSid] = m as unknown as [string, string, string];
    if (!authorised(auth, accountSid, options)) return refuse(401, 20003, 'Authenticate');
    if (contentType !== 'application/x-www-form-urlencoded')
      return refuse(400, 20001, `Unsupported content type ${contentType || '(none)'}: send a form`);
    const problem = checkCallUpdate(params, validateXml);
    if (problem) return refuse(...problem);
    if (completed.has(callSid)) return refuse(400, 21220, 'Call is not in-progress. Cannot redirect.');
    const update = callUpdateOf(params);
    if (update.type === 'completed') completed.add(callSid);
    let list = updates.get(callSid);
    if (list === undefined) updates.set(callSid, (list = []));
    list.push(update);
    answer(200, {
      sid: callSid,
      account_sid: accountSid,
      status: update.type === 'completed' ? 'completed' : 'in-progress',
      api_version: '2010-04-01',
      uri: `/2010-04-01/Accounts/${accountSid}/Calls/${callSid}.json`,
    });
    for (const l of listeners.get(callSid) ?? []) l(update);
  };

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    completed: (callSid) => completed.has(callSid),
    updates: (callSid) => [...(updates.get(callSid) ?? [])],
    requests: () => [...log],
    onUpdate(callSid, listener) {
      let set = listeners.get(callSid);
      if (set === undefined) listeners.set(callSid, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
