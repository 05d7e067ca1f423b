// Twilio's REST API for the calls the agent controls, through the `twilio` package: completing a
// call it ends itself (a plain socket close would make Twilio continue with the fallback TwiML
// after <Connect>), and redirecting a live call to new TwiML (a transfer's <Dial>). Credentials:
// an API key (SK… + secret, preferred) or the auth token, for the account in config or in the
// stream's start message. The base URL is configurable so tests reach the local emulator with
// the unmodified client.
import { Counter } from 'prom-client';
import twilio from 'twilio';
import { registry } from '../telemetry/metrics.ts';
import type { Config } from '../config/schema.ts';
import type { TransferTarget } from '../tools/types.ts';

export const twilioRestRequests = new Counter({
  name: 'hva_twilio_rest_requests_total',
  help: 'Twilio REST requests by operation (complete, redirect) and result (ok, http_error, network).',
  labelNames: ['operation', 'result'] as const,
  registers: [registry],
});

const TWILIO_API = 'https://api.twilio.com';
/** Twilio refuses a Twiml parameter longer than this (error 21219 family: too long). */
export const MAX_TWIML_CHARS = 4000;

export interface TwilioRestOptions {
  /** TWILIO_API_BASE_URL: https://api.twilio.com, or an emulator. */
  readonly baseUrl: string;
  /** Fixed account (TWILIO_ACCOUNT_SID); empty: the account of each call. */
  readonly accountSid: string;
  readonly apiKeySid: string;
  readonly apiKeySecret: string;
  /** Used when no API key is set. */
  readonly authToken: string;
  readonly timeoutMs?: number;
}

export interface RestResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** Sends the client's requests to `baseUrl` instead of api.twilio.com (same paths). */
function rebasedClient(baseUrl: string, timeoutMs: number): twilio.RequestClient {
  const base = baseUrl.replace(/\/+$/, '');
  const client = new twilio.RequestClient({ timeout: timeoutMs });
  const request = client.request.bind(client);
  client.request = ((opts: Parameters<typeof request>[0]) =>
    request({
      ...opts,
      uri: opts.uri.startsWith(TWILIO_API) ? base + opts.uri.slice(TWILIO_API.length) : opts.uri,
    })) as typeof client.request;
  return client;
}

/** `<Dial>` of a transfer target: a number (with optional sendDigits) or a SIP address. */
export function transferTwiml(target: TransferTarget, callerId?: string): string {
  const response = new twilio.twiml.VoiceResponse();
  const dial = response.dial(callerId === undefined ? {} : { callerId });
  if (target.sip !== undefined) dial.sip(target.sip);
  else
    dial.number(
      target.sendDigits === undefined ? {} : { sendDigits: target.sendDigits },
      target.number ?? '',
    );
  return response.toString();
}

export class TwilioRest {
  private readonly options: TwilioRestOptions;
  private readonly clients = new Map<string, twilio.Twilio>();

  constructor(options: TwilioRestOptions) {
    this.options = options;
  }

  /** Whether REST calls can be made at all (some credential is configured). */
  get configured(): boolean {
    return (
      this.options.authToken !== '' || (this.options.apiKeySid !== '' && this.options.apiKeySecret !== '')
    );
  }

  private client(callAccountSid: string): twilio.Twilio {
    const o = this.options;
    const accountSid = o.accountSid || callAccountSid;
    let c = this.clients.get(accountSid);
    if (c === undefined) {
      const httpClient = rebasedClient(o.baseUrl, o.timeoutMs ?? 5000);
      c =
        o.apiKeySid !== '' && o.apiKeySecret !== ''
          ? twilio(o.apiKeySid, o.apiKeySecret, { accountSid, httpClient })
          : twilio(accountSid, o.authToken, { httpClient });
      this.clients.set(accountSid, c);
    }
    return c;
  }

  /** Status=completed: hangs up the call. Never throws. */
  completeCall(accountSid: string, callSid: string): Promise<RestResult> {
    return this.update('complete', accountSid, callSid, { status: 'completed' });
  }

  /** Replaces the call's TwiML (this ends its media stream). Never throws. */
  redirectCall(accountSid: string, callSid: string, twiml: string): Promise<RestResult> {
    if (twiml.length > MAX_TWIML_CHARS)
      return Promise.resolve({
        ok: false,
        detail: `TwiML of ${twiml.length} characters (max ${MAX_TWIML_CHARS})`,
      });
    return this.update('redirect', accountSid, callSid, { twiml });
  }

  private async update(
    operation: 'complete' | 'redirect',
    accountSid: string,
    callSid: string,
    params: { status?: 'completed'; twiml?: string },
  ): Promise<RestResult> {
    try {
      const call = await this.client(accountSid).calls(callSid).update(params);
      twilioRestRequests.inc({ operation, result: 'ok' });
      return { ok: true, detail: `call ${call.sid} ${call.status}` };
    } catch (err) {
      const e = err as { status?: unknown; code?: unknown; message?: string };
      if (typeof e.status === 'number') {
        twilioRestRequests.inc({ operation, result: 'http_error' });
        return {
          ok: false,
          detail: `HTTP ${e.status}${typeof e.code === 'number' ? ` (code ${e.code})` : ''}: ${e.message ?? ''}`,
        };
      }
      twilioRestRequests.inc({ operation, result: 'network' });
      return { ok: false, detail: e.message ?? String(err) };
    }
  }
}

/**
 * The client for the configured account. `authToken` is the one requests are checked with; with
 * only the development token (`loopbackOnly`) it is not passed on: it cannot talk to Twilio.
 */
export function twilioRestFromConfig(
  config: Pick<Config, 'twilioApiBaseUrl' | 'twilioAccountSid' | 'twilioApiKeySid' | 'twilioApiKeySecret'>,
  auth: { readonly authToken: string; readonly loopbackOnly: boolean },
): TwilioRest {
  return new TwilioRest({
    baseUrl: config.twilioApiBaseUrl,
    accountSid: config.twilioAccountSid,
    apiKeySid: config.twilioApiKeySid,
    apiKeySecret: config.twilioApiKeySecret,
    authToken: auth.loopbackOnly ? '' : auth.authToken,
  });
}
