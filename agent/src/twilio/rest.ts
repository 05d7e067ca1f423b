// Ending a call through Twilio's REST API. When the agent itself ends a call (the goodbye), a
// plain socket close would make Twilio continue with the TwiML after <Connect>: the fallback
// meant for callers who could not be served. Completing the call first ends it for real.
import { Counter } from 'prom-client';
import { registry } from '../telemetry/metrics.ts';

export const twilioRestRequests = new Counter({
  name: 'hva_twilio_rest_requests_total',
  help: 'Twilio REST requests to complete a call the agent ended, by result (ok, http_error, network).',
  labelNames: ['result'] as const,
  registers: [registry],
});

export interface CompleteCallRequest {
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly callSid: string;
  readonly timeoutMs?: number;
}

/** POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json Status=completed. Never throws. */
export async function completeCall(r: CompleteCallRequest): Promise<{ ok: boolean; detail: string }> {
  const url = new URL(
    `/2010-04-01/Accounts/${encodeURIComponent(r.accountSid)}/Calls/${encodeURIComponent(r.callSid)}.json`,
    r.baseUrl,
  );
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${r.accountSid}:${r.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Status=completed',
      signal: AbortSignal.timeout(r.timeoutMs ?? 3000),
    });
    await res.arrayBuffer();
    if (res.ok) {
      twilioRestRequests.inc({ result: 'ok' });
      return { ok: true, detail: `HTTP ${res.status}` };
    }
    twilioRestRequests.inc({ result: 'http_error' });
    return { ok: false, detail: `HTTP ${res.status}` };
  } catch (err) {
    twilioRestRequests.inc({ result: 'network' });
    return { ok: false, detail: (err as Error).message };
  }
}
