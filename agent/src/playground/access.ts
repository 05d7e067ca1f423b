// Who may use the playground, and how its media WebSocket is authorised. Pure.
//
// Twilio proves itself on the media upgrade with X-Twilio-Signature, which a browser cannot send.
// The playground goes through the same kind of server-issued path instead: POST /playground/session
// (loopback, or the PLAYGROUND_TOKEN as a bearer token) issues a single-use stream ticket bound to
// one callSid/streamSid, valid for a few seconds, plus the start parameters the voice webhook would
// have put into TwiML. The browser offers the ticket as a WebSocket subprotocol
// (`hva-playground-ticket.<ticket>`, the way Kubernetes passes bearer tokens to browsers'
// WebSockets), so nothing secret travels in a URL. Without a ticket the upgrade is a Twilio
// upgrade and needs a valid signature, exactly as before.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The subprotocol the server selects (the browser requires the server to pick one it offered). */
export const PLAYGROUND_PROTOCOL = 'hva-playground.v1';
/** Prefix of the subprotocol entry that carries the ticket. */
export const TICKET_PROTOCOL_PREFIX = 'hva-playground-ticket.';
/** A ticket is usable this long after it was issued (the page connects at once). */
export const TICKET_TTL_MS = 30_000;

export type AccessDecision =
  | { readonly ok: true; readonly via: 'loopback' | 'token' }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

/**
 * True for a Host header naming this machine (localhost, 127.x, [::1], with any port). The
 * loopback exemption needs both a loopback peer and such a Host: a proxy in the pod (a service
 * mesh sidecar) also connects from loopback but forwards the public Host, and a DNS-rebinding
 * page in a local browser sends its own name.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The bearer token from an Authorization header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return m?.[1];
}

/** Compares secrets in time independent of where they differ (hashes first: equal lengths). */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Loopback clients (a browser on the same machine, kubectl port-forward into the pod) need no
 * token; anyone else must present PLAYGROUND_TOKEN, and with no token configured nobody else
 * gets in.
 */
export function decideAccess(input: {
  readonly loopback: boolean;
  readonly configuredToken: string;
  readonly presentedToken: string | undefined;
}): AccessDecision {
  if (input.loopback) return { ok: true, via: 'loopback' };
  if (input.configuredToken === '')
    return {
      ok: false,
      status: 403,
      reason:
        'the playground is only open to loopback clients: set PLAYGROUND_TOKEN to use it from elsewhere, or use kubectl port-forward',
    };
  if (input.presentedToken === undefined)
    return { ok: false, status: 401, reason: 'a playground token is required (Authorization: Bearer)' };
  if (!secretsEqual(input.presentedToken, input.configuredToken))
    return { ok: false, status: 403, reason: 'wrong playground token' };
  return { ok: true, via: 'token' };
}

/**
 * The ticket offered in a Sec-WebSocket-Protocol header, if any. Undefined: not a playground
 * upgrade. An empty string: a ticket entry with nothing usable in it (rejected by the caller).
 */
export function ticketFromProtocols(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined) return undefined;
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (!entry.startsWith(TICKET_PROTOCOL_PREFIX)) continue;
    const ticket = entry.slice(TICKET_PROTOCOL_PREFIX.length);
    return /^[A-Za-z0-9_-]{16,128}$/.test(ticket) ? ticket : '';
  }
  return undefined;
}

/** Key under which an issued ticket is kept (the ticket itself is never stored). */
export function ticketKey(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}
