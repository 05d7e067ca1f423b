// The playground's HTTP side (only registered when PLAYGROUND_ENABLED): the page and its static
// assets, POST /playground/session (issues what the voice webhook would, plus a stream ticket),
// and the per-call event feed (Server-Sent Events). The media itself goes over the production
// Media Streams WebSocket; see access.ts for how that upgrade is authorised.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallHandlerFactory } from '../call/types.ts';
import type { Config } from '../config/schema.ts';
import type { LiveProviders } from '../config/providers.ts';
import { isLoopbackAddress } from '../server/http.ts';
import { MEDIA_STREAM_PATH } from '../server/signature.ts';
import type { Logger } from '../telemetry/logger.ts';
import { TRACEPARENT_PARAMETER, type Tracing } from '../telemetry/tracing.ts';
import {
  PLAYGROUND_PROTOCOL,
  TICKET_PROTOCOL_PREFIX,
  bearerToken,
  decideAccess,
  isLoopbackHost,
  ticketFromProtocols,
} from './access.ts';
import { PlaygroundCalls, type IssuedSession } from './calls.ts';
import { eventFeedPath, registerEventFeed } from './event-feed.ts';
import { playgroundRejections, playgroundSessions } from './metrics.ts';

export const PLAYGROUND_PATH = '/playground';
export const PLAYGROUND_SESSION_PATH = '/playground/session';

/** The page and its modules: a fixed list, read once (nothing else under /playground is a file). */
const ASSETS: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'playground.css': 'text/css; charset=utf-8',
  'playground.js': 'text/javascript; charset=utf-8',
  'render.js': 'text/javascript; charset=utf-8',
  'codec.js': 'text/javascript; charset=utf-8',
  'capture-worklet.js': 'text/javascript; charset=utf-8',
  'player-worklet.js': 'text/javascript; charset=utf-8',
};

/** Copied next to the compiled module by `npm run build` (see agent/package.json). */
export const ASSET_DIR = new URL('./static/', import.meta.url);

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface PlaygroundOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly live: LiveProviders;
  /** Offline STT: the lines the Speech emulator will "hear", set for each playground call. */
  readonly emulatedScript?: {
    readonly lines: readonly string[];
    setScript(callSid: string, lines: readonly string[]): void;
  };
  readonly tracing?: Pick<Tracing, 'enabled' | 'webhookSpan'>;
  /** Monotonic ms; default performance.now. */
  readonly now?: () => number;
}

export type UpgradeAdmission =
  | { readonly ok: true; bind(factory: CallHandlerFactory): CallHandlerFactory }
  | { readonly ok: false; readonly reason: string };

/**
 * Start parameters the voice webhook adds for a call besides the call's own fields (e.g. a
 * per-call stream token that `start` must carry): a playground session gets the same.
 */
export type StreamParameterIssuer = (callSid: string) => Readonly<Record<string, string>>;

export interface PlaygroundRouteOptions {
  readonly extraStreamParameters?: StreamParameterIssuer;
}

export interface Playground {
  readonly calls: PlaygroundCalls;
  /** Registers the routes on the agent's fastify app. */
  register(app: FastifyInstance, options?: PlaygroundRouteOptions): Promise<void>;
  /** Undefined: not a playground upgrade (Twilio rules apply). Otherwise the ticket's verdict. */
  admitUpgrade(req: IncomingMessage): UpgradeAdmission | undefined;
}

/** What the session endpoint answers: everything the page needs to speak as Twilio would. */
export interface PlaygroundSessionResponse {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  readonly customParameters: Readonly<Record<string, string>>;
  readonly wsPath: string;
  readonly protocols: readonly string[];
  readonly eventsPath: string;
  readonly eventsKey: string;
  readonly expiresInMs: number;
  readonly providers: LiveProviders;
  readonly recognition: 'emulated' | 'google';
  readonly script: readonly string[];
  readonly greeting: string;
  readonly tracing: boolean;
}

/** Reads the page's files once at start-up: a missing asset fails the boot, not the first visitor. */
function loadAssets(): Map<string, Buffer> {
  const assets = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) assets.set(name, readFileSync(new URL(name, ASSET_DIR)));
  return assets;
}

function sendAsset(reply: FastifyReply, assets: ReadonlyMap<string, Buffer>, name: string) {
  const body = assets.get(name);
  const type = ASSETS[name];
  if (body === undefined || type === undefined) return reply.code(404).send({ error: 'not found' });
  return reply.headers(SECURITY_HEADERS).type(type).send(body);
}

/** The start.customParameters the voice webhook would have put into TwiML for this call. */
function streamParameters(
  session: IssuedSession,
  traceparent: string | undefined,
  extra: StreamParameterIssuer | undefined,
): Record<string, string> {
  const parameters: Record<string, string> = {
    ...extra?.(session.callSid),
    callSid: session.callSid,
    from: 'playground',
    to: 'agent',
    direction: 'inbound',
    playground: '1',
  };
  if (traceparent !== undefined) parameters[TRACEPARENT_PARAMETER] = traceparent;
  return parameters;
}

/** Loopback (peer and Host) or the configured token; otherwise answers 401/403 and returns false. */
async function authorize(config: Config, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  const decision = decideAccess({
    loopback: isLoopbackAddress(request.socket.remoteAddress) && isLoopbackHost(request.headers.host),
    configuredToken: config.playgroundToken,
    presentedToken: bearerToken(request.headers.authorization),
  });
  if (decision.ok) return true;
  playgroundRejections.inc({ reason: decision.status === 401 ? 'unauthorized' : 'forbidden' });
  request.log.warn({ remote: request.socket.remoteAddress, reason: decision.reason }, 'playground refused');
  await reply.code(decision.status).send({ error: decision.reason });
  return false;
}

export function createPlayground(options: PlaygroundOptions): Playground {
  const { config, logger } = options;
  const now = options.now ?? (() => performance.now());
  const calls = new PlaygroundCalls({ now, traceUrlTemplate: config.traceUiUrl });
  const assets = loadAssets();

  /** POST /playground/session: what the voice webhook would issue, plus the stream ticket. */
  const issueSession = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: StreamParameterIssuer | undefined,
  ) => {
    if (!(await authorize(config, request, reply))) return reply;
    const session = calls.issue();
    if (session === undefined) {
      playgroundRejections.inc({ reason: 'busy' });
      return reply.code(429).send({ error: 'too many playground sessions waiting to connect' });
    }
    const span = options.tracing?.webhookSpan({ route: PLAYGROUND_SESSION_PATH, callSid: session.callSid });
    const script = options.emulatedScript;
    script?.setScript(session.callSid, script.lines);
    playgroundSessions.inc();
    request.log.info(
      { callId: session.callSid, callSid: session.callSid, remote: request.socket.remoteAddress },
      'playground session issued',
    );
    const body: PlaygroundSessionResponse = {
      callSid: session.callSid,
      streamSid: session.streamSid,
      accountSid: session.accountSid,
      customParameters: streamParameters(session, span?.traceparent, extra),
      wsPath: MEDIA_STREAM_PATH,
      protocols: [PLAYGROUND_PROTOCOL, `${TICKET_PROTOCOL_PREFIX}${session.ticket}`],
      eventsPath: eventFeedPath(session.callSid),
      eventsKey: session.eventsKey,
      expiresInMs: session.expiresInMs,
      providers: options.live,
      recognition: options.live.stt === 'emulator' ? 'emulated' : 'google',
      script: script?.lines ?? [],
      greeting: config.greetingText,
      tracing: options.tracing?.enabled ?? false,
    };
    span?.end(200);
    return reply.headers({ 'cache-control': 'no-store' }).send(body);
  };

  async function register(app: FastifyInstance, routeOptions: PlaygroundRouteOptions = {}): Promise<void> {
    app.get(PLAYGROUND_PATH, async (_request, reply) => sendAsset(reply, assets, 'index.html'));
    app.get<{ Params: { file: string } }>(`${PLAYGROUND_PATH}/static/:file`, async (request, reply) =>
      sendAsset(reply, assets, request.params.file),
    );
    app.post(PLAYGROUND_SESSION_PATH, async (request, reply) =>
      issueSession(request, reply, routeOptions.extraStreamParameters),
    );
    registerEventFeed(app, calls);
  }

  function admitUpgrade(req: IncomingMessage): UpgradeAdmission | undefined {
    const header = req.headers['sec-websocket-protocol'];
    const ticket = ticketFromProtocols(header);
    if (ticket === undefined) return undefined;
    const first = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')[0]?.trim();
    const admitted = ticket !== '' && first === PLAYGROUND_PROTOCOL ? calls.redeem(ticket) : undefined;
    if (admitted === undefined) {
      playgroundRejections.inc({ reason: 'bad_ticket' });
      logger.warn(
        { remote: req.socket.remoteAddress },
        'playground media upgrade rejected: unknown, expired or reused ticket',
      );
      return { ok: false, reason: 'invalid playground ticket' };
    }
    return { ok: true, bind: (factory) => calls.bind(admitted, factory) };
  }

  return { calls, register, admitUpgrade };
}
