// Two fastify apps. The public one (PORT) is what Twilio reaches: the signed webhooks and, through
// app.ts, the media WebSocket, plus a bare /healthz for load balancers. The admin one (ADMIN_PORT)
// is for the platform: probes, /metrics and POST /drain; the Service and ingress never expose it.
// The media WebSocket is not a fastify route: app.ts handles the server's 'upgrade' event itself
// so a bad signature is answered with 403 before any 101 Switching Protocols.
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawServerDefault,
} from 'fastify';
import formbody from '@fastify/formbody';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/schema.ts';
import { maskPhone, type Logger } from '../telemetry/logger.ts';
import { registry } from '../telemetry/metrics.ts';
import { rejectedRequests, signatureRejections, streamStatusEvents } from './metrics.ts';
import type { RateLimitedLog } from './rate-limited-log.ts';
import type { DrainToken } from './drain-token.ts';
import { STREAM_TOKEN_PARAMETER, type StreamTokens } from './stream-token.ts';
import { STREAM_STATUS_PATH, VOICE_WEBHOOK_PATH, isValidWebhookSignature, webhookUrl } from './signature.ts';
import { FORWARDED_CALL_FIELDS, buildVoiceTwiml, type VoiceFallback } from './twiml.ts';
import { TRACEPARENT_PARAMETER, type Tracing } from '../telemetry/tracing.ts';
import type { Playground } from '../playground/routes.ts';

export interface Readiness {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

export interface HttpAppOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The token signatures are checked with (LOCAL_DEV_AUTH_TOKEN when none is configured). */
  readonly authToken: string;
  /** Only the local development token is configured: signed requests count only from loopback. */
  readonly loopbackOnly: boolean;
  /** PUBLIC_HOST (or localhost:PORT once listening); never the request's Host header. */
  readonly publicHost: () => string;
  /** Issues the per-call stream token (absent when signature validation is off). */
  readonly streamTokens?: StreamTokens;
  /** What follows <Connect> in the TwiML, heard by callers whose stream is refused. */
  readonly fallback?: VoiceFallback;
  /** Rate-limited warnings for rejected requests. */
  readonly rejectLog: RateLimitedLog;
  /** Starts the trace a call continues (its traceparent travels as a TwiML <Parameter>). */
  readonly tracing?: Pick<Tracing, 'webhookSpan'>;
  /** The browser playground's routes (PLAYGROUND_ENABLED); absent: every /playground path is 404. */
  readonly playground?: Pick<Playground, 'register'>;
}

export interface AdminAppOptions {
  readonly logger: Logger;
  readonly readiness?: () => Readiness;
  readonly isDraining: () => boolean;
  readonly activeCalls: () => number;
  readonly requestDrain: (reason: string) => void;
  /** The drain token (created once the admin port is known). */
  readonly drainToken: () => DrainToken | undefined;
  readonly rejectLog: RateLimitedLog;
}

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const KNOWN_STREAM_EVENTS = new Set(['stream-started', 'stream-stopped', 'stream-error']);

/** Loopback peers: the only ones whose requests count when just the development token is configured. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

type FormBody = Record<string, string | string[] | undefined>;

function field(body: FormBody, name: string): string | undefined {
  const v = body[name];
  return Array.isArray(v) ? v[0] : v;
}

export type HttpApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>;

function newApp(logger: Logger): HttpApp {
  const app = Fastify({
    loggerInstance: logger,
    // Probes and scrapes would drown the request log; webhooks and errors are still logged.
    logController: new LogController({ disableRequestLogging: (request) => QUIET_PATHS.has(request.url) }),
    // Twilio's headers and our own bodies are small.
    bodyLimit: 64 * 1024,
    // Keep-alive HTTP connections must not hold close() open (tests, drain).
    forceCloseConnections: true,
  });
  return app as unknown as HttpApp;
}

/** A preHandler that answers 403 to a request without a valid X-Twilio-Signature for `path`. */
function signatureCheck(
  options: HttpAppOptions,
  route: string,
  path: string,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const { config } = options;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!config.twilioSignatureValidation) return;
    const remote = request.socket.remoteAddress;
    if (options.loopbackOnly && !isLoopbackAddress(remote)) {
      signatureRejections.inc({ route });
      rejectedRequests.inc({ route, reason: 'dev_token_remote' });
      options.rejectLog.warn(
        `${route}:remote`,
        { route, remote },
        'rejected webhook: no TWILIO_AUTH_TOKEN configured, the development token is accepted only from loopback',
      );
      await reply.code(403).type('text/plain').send('invalid signature');
      return;
    }
    const header = request.headers['x-twilio-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    const params = (request.body ?? {}) as FormBody;
    if (
      !isValidWebhookSignature(options.authToken, signature, webhookUrl(options.publicHost(), path), params)
    ) {
      signatureRejections.inc({ route });
      rejectedRequests.inc({ route, reason: 'signature' });
      options.rejectLog.warn(
        `${route}:signature`,
        { route, hasSignature: signature !== undefined, remote },
        'rejected webhook: invalid X-Twilio-Signature',
      );
      await reply.code(403).type('text/plain').send('invalid signature');
    }
  };
}

/** The voice webhook: TwiML that connects the call's media stream, with its per-call parameters. */
function voiceWebhook(options: HttpAppOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = (request.body ?? {}) as FormBody;
    const parameters: Record<string, string | undefined> = {};
    for (const [name, formField] of Object.entries(FORWARDED_CALL_FIELDS))
      parameters[name] = field(body, formField);
    const header = request.headers['traceparent'];
    const span = options.tracing?.webhookSpan({
      route: VOICE_WEBHOOK_PATH,
      ...(parameters['callSid'] ? { callSid: parameters['callSid'] } : {}),
      ...(typeof header === 'string' ? { traceparent: header } : {}),
    });
    parameters[TRACEPARENT_PARAMETER] = span?.traceparent;
    const callSid = parameters['callSid'];
    if (options.streamTokens !== undefined && callSid !== undefined && callSid !== '')
      parameters[STREAM_TOKEN_PARAMETER] = options.streamTokens.issue(callSid);
    request.log.info(
      {
        callId: callSid,
        callSid,
        from: maskPhone(parameters['from']),
        to: maskPhone(parameters['to']),
        direction: parameters['direction'],
      },
      'voice webhook: connecting media stream',
    );
    const twiml = buildVoiceTwiml({
      publicHost: options.publicHost(),
      parameters,
      ...(options.fallback ? { fallback: options.fallback } : {}),
    });
    span?.end(200);
    return reply.type('text/xml').send(twiml);
  };
}

/** Media Stream status callbacks: counted and logged. */
async function streamStatus(request: FastifyRequest, reply: FastifyReply) {
  const body = (request.body ?? {}) as FormBody;
  const event = field(body, 'StreamEvent') ?? '';
  streamStatusEvents.inc({ event: KNOWN_STREAM_EVENTS.has(event) ? event : 'unknown' });
  const fields = {
    callId: field(body, 'CallSid'),
    callSid: field(body, 'CallSid'),
    streamSid: field(body, 'StreamSid'),
    streamName: field(body, 'StreamName'),
    streamEvent: event,
    timestamp: field(body, 'Timestamp'),
  };
  if (event === 'stream-error')
    request.log.warn({ ...fields, streamError: field(body, 'StreamError') }, 'stream status: error');
  else request.log.info(fields, `stream status: ${event || 'missing StreamEvent'}`);
  return reply.code(204).send();
}

export async function buildHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const app = newApp(options.logger);
  await app.register(formbody);
  app.post(
    VOICE_WEBHOOK_PATH,
    { preHandler: signatureCheck(options, 'voice', VOICE_WEBHOOK_PATH) },
    voiceWebhook(options),
  );
  app.post(
    STREAM_STATUS_PATH,
    { preHandler: signatureCheck(options, 'stream_status', STREAM_STATUS_PATH) },
    streamStatus,
  );

  // Load balancers in front of the public port may need a health path of their own; it says nothing else.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // A playground session plays the voice webhook's role, so it issues the same per-call stream token.
  const streamTokens = options.streamTokens;
  if (options.playground !== undefined)
    await options.playground.register(app as unknown as FastifyInstance, {
      ...(streamTokens
        ? {
            extraStreamParameters: (callSid: string) => ({
              [STREAM_TOKEN_PARAMETER]: streamTokens.issue(callSid),
            }),
          }
        : {}),
    });
  return app;
}

/**
 * The admin listener. POST /drain trusts no source address: it needs the token from the file only
 * processes inside this container can read (drain-token.ts); see docs/operations.md.
 */
export async function buildAdminApp(options: AdminAppOptions): Promise<HttpApp> {
  const app = newApp(options.logger);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const reasons: string[] = [];
    // Busy is not unready: MAX_CALLS refusals do not appear here on purpose.
    if (options.isDraining()) reasons.push('draining');
    if (options.readiness !== undefined) {
      try {
        const r = options.readiness();
        if (!r.ready) reasons.push(...(r.reasons.length > 0 ? r.reasons : ['providers not ready']));
      } catch (err) {
        reasons.push(`readiness check failed: ${(err as Error).message}`);
      }
    }
    const ready = reasons.length === 0;
    return reply.code(ready ? 200 : 503).send({ ready, reasons, activeCalls: options.activeCalls() });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });

  app.post('/drain', async (request, reply) => {
    const header = request.headers.authorization;
    const token = options.drainToken();
    if (token === undefined || !token.matches(typeof header === 'string' ? header : undefined)) {
      rejectedRequests.inc({ route: 'drain', reason: 'token' });
      options.rejectLog.warn(
        'drain:token',
        { remote: request.socket.remoteAddress, hasToken: header !== undefined },
        'POST /drain refused: missing or wrong drain token',
      );
      return reply.code(403).send({
        error: `drain needs "Authorization: Bearer <token>" with the token in ${token?.path ?? 'the drain token file'}`,
      });
    }
    options.requestDrain('POST /drain');
    return reply.code(202).send({ draining: true, activeCalls: options.activeCalls() });
  });

  return app;
}
