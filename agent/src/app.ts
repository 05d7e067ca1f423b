// startAgent: the fastify HTTP app plus the Media Streams WebSocket endpoint, MAX_CALLS, drain,
// signal handling and the pod deletion-cost annotation. main.ts calls this with providers wired
// into a CallHandlerFactory; tests call it with port 0 and their own factories.
//
// WebSocket choice: `ws` with `noServer: true`, attached to fastify's HTTP server 'upgrade'
// event by hand. That lets the signature check answer 403 on the raw socket before any 101, and
// keeps MAX_CALLS/drain refusals in one place; @fastify/websocket validates in a preValidation
// hook too, but ties the socket lifetime to fastify's request lifecycle, which buys us nothing here.
import type { Tracing } from './telemetry/tracing.ts';
import { WebSocketServer } from 'ws';
import type { Config } from './config/schema.ts';
import type { Logger } from './telemetry/logger.ts';
import type { CallHandlerFactory, CallStartInfo } from './call/types.ts';
import { twilioRestFromConfig, type TwilioRest } from './twilio/rest.ts';
import { buildAdminApp, buildHttpApp, type HttpApp, type Readiness } from './server/http.ts';
import { DrainController } from './server/drain.ts';
import { createDrainToken, type DrainToken } from './server/drain-token.ts';
import { MediaConnections } from './server/media-connections.ts';
import { installDrainSignals } from './server/drain-signals.ts';
import { createMediaUpgradeHandler } from './server/media-upgrade.ts';
import { RateLimitedLog } from './server/rate-limited-log.ts';
import { StreamTokens } from './server/stream-token.ts';
import { StreamGate } from './server/stream-gate.ts';
import { resolveTwilioAuth, type TwilioAuth } from './server/signature.ts';
import { acquireEventLoopMonitor, activeCalls as activeCallsGauge } from './server/metrics.ts';
import { inClusterDeletionCost, type DeletionCostUpdater } from './server/deletion-cost.ts';
import type { Playground } from './playground/routes.ts';

export { LOCAL_DEV_AUTH_TOKEN } from './server/signature.ts';
export type { Readiness } from './server/http.ts';

export interface AgentOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly handlerFactory: CallHandlerFactory;
  /** Provider readiness: not ready before providers are up or on fatal misconfiguration. */
  readonly readiness?: () => Readiness;
  /** Called with 0 when a drain completes. Default: process.exit. */
  readonly onExit?: (code: number) => void;
  /**
   * SIGTERM/SIGINT: the first starts a drain; SIGTERM during a drain continues it (Kubernetes sends
   * one after the preStop hook); a SIGINT during a drain ends the remaining calls now. Default false.
   */
  readonly installSignalHandlers?: boolean;
  /** A socket without a valid `start` by then is closed (1008). Default config.startTimeoutMs. */
  readonly startTimeoutMs?: number;
  /** Tracing for the voice webhook (the call session continues its trace). */
  readonly tracing?: Pick<Tracing, 'webhookSpan'>;
  /** Test hook: the deletion-cost updater to use instead of the in-cluster one. */
  readonly deletionCost?: DeletionCostUpdater;
  /** Directory of the drain token file. Default: the OS temp directory (the pod's /tmp). */
  readonly drainTokenDir?: string;
  /** Wall clock for stream token expiry (tests). Default Date.now. */
  readonly wallClock?: () => number;
  /** The browser playground (PLAYGROUND_ENABLED): its routes, and its ticket-authorised media upgrades. */
  readonly playground?: Playground;
  /** Twilio REST client shared with the call sessions (transfers); default: one from config. */
  readonly twilioRest?: TwilioRest;
}

export interface RunningAgent {
  /** http://host:port of the Twilio-facing listener (webhooks, media stream). */
  readonly url: string;
  readonly port: number;
  /** http://host:port of the admin listener (probes, metrics, drain). */
  readonly adminUrl: string;
  readonly adminPort: number;
  /** The file holding the token POST /drain needs. */
  readonly drainTokenPath: string;
  /** The host used in TwiML URLs and signature checks (PUBLIC_HOST, or localhost:PORT). */
  readonly publicHost: string;
  /** Starts a drain (same as SIGTERM / POST /drain); resolves once it completed and onExit(0) ran. */
  drain(): Promise<void>;
  /** Ends every call now and closes the listeners (no onExit). Idempotent. */
  close(): Promise<void>;
  /** Accepted media sockets that have not ended (calls in progress, including ones awaiting start). */
  activeCalls(): number;
  /** Sockets that have not sent `start` yet. */
  pendingStreams(): number;
  /** Calls whose `start` was admitted and that have not ended. */
  startedCalls(): number;
  readonly draining: boolean;
}

/** Max bytes ws buffers for one message; protocol.ts rejects anything over 64 KiB with a counted error. */
const WS_MAX_PAYLOAD = 1024 * 1024;

function listenUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

function boundPort(app: HttpApp, fallback: number): number {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : fallback;
}

/** Listens on the Twilio-facing port, then builds and listens the admin app; closes both on a failure. */
async function listenBoth(
  app: HttpApp,
  config: Pick<Config, 'port' | 'adminPort' | 'host'>,
  buildAdmin: () => Promise<HttpApp>,
): Promise<HttpApp> {
  let admin: HttpApp | undefined;
  try {
    await app.listen({ port: config.port, host: config.host });
    admin = await buildAdmin();
    await admin.listen({ port: config.adminPort, host: config.host });
    return admin;
  } catch (err) {
    await app.close();
    await admin?.close();
    throw err;
  }
}

/** Says at boot when requests are not authenticated, or only loopback peers can be. */
function warnAboutAuth(config: Config, auth: TwilioAuth, logger: Logger): void {
  if (!config.twilioSignatureValidation) {
    logger.warn(
      'TWILIO_SIGNATURE_VALIDATION=false: webhooks and media streams are accepted without X-Twilio-Signature or stream token checks',
    );
  } else if (auth.loopbackOnly) {
    logger.warn(
      'TWILIO_AUTH_TOKEN is empty: signatures are checked with the local development token and accepted only from loopback; only the local caller simulator can sign with it',
    );
  }
}

/**
 * Ends a call at Twilio after the agent's goodbye, so the caller does not hear the fallback TwiML.
 * Only with a real account: the development token cannot talk to Twilio.
 */
function twilioCallCompleter(
  options: AgentOptions,
  auth: TwilioAuth,
  rejectLog: RateLimitedLog,
): ((info: CallStartInfo) => Promise<void>) | undefined {
  const twilioRest = options.twilioRest ?? twilioRestFromConfig(options.config, auth);
  if (!twilioRest.configured) return undefined;
  return async (info) => {
    const r = await twilioRest.completeCall(info.accountSid, info.callSid);
    if (!r.ok)
      rejectLog.warn(
        'twilio_rest',
        { callSid: info.callSid, detail: r.detail },
        'could not complete the call at Twilio: the caller may hear the fallback TwiML after the goodbye',
      );
  };
}

function streamTokensFor(options: AgentOptions, auth: TwilioAuth): StreamTokens | undefined {
  const { config } = options;
  if (!config.twilioSignatureValidation) return undefined;
  return new StreamTokens({
    authToken: auth.authToken,
    ttlSeconds: config.streamTokenTtlSeconds,
    ...(options.wallClock ? { now: options.wallClock } : {}),
  });
}

/** The Twilio-facing app: voice webhook (with the fallback TwiML), playground routes, health. */
function buildTwilioApp(
  options: AgentOptions,
  auth: TwilioAuth,
  rejectLog: RateLimitedLog,
  publicHost: () => string,
  streamTokens: StreamTokens | undefined,
): Promise<HttpApp> {
  const { config, logger } = options;
  return buildHttpApp({
    config,
    logger,
    authToken: auth.authToken,
    loopbackOnly: auth.loopbackOnly,
    publicHost,
    rejectLog,
    fallback: {
      playUrl: config.fallbackPlayUrl,
      sayText: config.fallbackSayText,
      dialNumber: config.fallbackDialNumber,
      redirectUrl: config.fallbackRedirectUrl,
    },
    ...(streamTokens ? { streamTokens } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
    ...(options.playground ? { playground: options.playground } : {}),
  });
}

/** Where the agent listens, and the public host (localhost:PORT when PUBLIC_HOST is empty); logged. */
function announce(
  config: Config,
  logger: Logger,
  app: HttpApp,
  admin: HttpApp,
): Pick<RunningAgent, 'url' | 'port' | 'adminUrl' | 'adminPort' | 'publicHost'> {
  const port = boundPort(app, config.port);
  const adminPort = boundPort(admin, config.adminPort);
  let publicHost = config.publicHost;
  if (publicHost === '') {
    publicHost = `localhost:${port}`;
    logger.warn(
      { publicHost },
      'PUBLIC_HOST is empty: using localhost (local use only; Twilio cannot reach it)',
    );
  }
  const url = listenUrl(config.host, port);
  const adminUrl = listenUrl(config.host, adminPort);
  logger.info(
    { url, adminUrl, publicHost, maxCalls: config.maxCalls, drainSeconds: config.drainSeconds },
    'agent listening',
  );
  return { url, port, adminUrl, adminPort, publicHost };
}

interface IntakeParts {
  readonly auth: TwilioAuth;
  readonly rejectLog: RateLimitedLog;
  readonly streamTokens: StreamTokens | undefined;
  readonly wss: WebSocketServer;
  readonly publicHost: () => string;
  /** Draining or closed: new streams are refused. */
  readonly closing: () => boolean;
  readonly onCallsChanged: (calls: number) => void;
  readonly onFinished: () => void;
}

/**
 * The media side: the upgrade handler (signature, playground ticket) hands sockets to the
 * connections, whose `start` the gate admits (MAX_CALLS, stream token, readiness, drain).
 */
function mediaIntake(
  options: AgentOptions,
  parts: IntakeParts,
): {
  gate: StreamGate;
  connections: MediaConnections;
  onUpgrade: ReturnType<typeof createMediaUpgradeHandler>;
} {
  const { config, logger } = options;
  const { auth, rejectLog } = parts;
  const gate = new StreamGate({
    config,
    streamTokens: parts.streamTokens,
    closing: parts.closing,
    ...(options.readiness ? { readiness: options.readiness } : {}),
    rejectLog,
    onCallsChanged: (calls) => {
      activeCallsGauge.set(calls);
      parts.onCallsChanged(calls);
    },
  });
  const completeCall = twilioCallCompleter(options, auth, rejectLog);
  const connections = new MediaConnections({
    config,
    logger,
    gate,
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    ...(completeCall ? { completeCall } : {}),
    onFinished: parts.onFinished,
  });
  const onUpgrade = createMediaUpgradeHandler({
    config,
    auth,
    publicHost: parts.publicHost,
    logger,
    rejectLog,
    wss: parts.wss,
    handlerFactory: options.handlerFactory,
    ...(options.playground ? { playground: options.playground } : {}),
    onSocket: (ws, factory) => connections.accept(ws, factory),
  });
  return { gate, connections, onUpgrade };
}

/** What close() tears down, in this order. */
interface AgentParts {
  readonly drain: DrainController;
  readonly removeSignalHandlers: () => void;
  readonly app: HttpApp;
  readonly onUpgrade: ReturnType<typeof mediaIntake>['onUpgrade'];
  readonly connections: MediaConnections;
  readonly wss: WebSocketServer;
  /** Read when their turn comes: close() may start before the admin port is listening. */
  readonly admin: () => HttpApp | undefined;
  readonly drainToken: () => DrainToken | undefined;
  readonly deletionCost: DeletionCostUpdater | undefined;
  readonly releaseMonitor: () => void;
  readonly logger: Logger;
}

/** Stops taking calls, ends the open ones, closes both servers, removes the drain token. */
async function shutDown(p: AgentParts): Promise<void> {
  p.drain.cancel();
  p.removeSignalHandlers();
  p.app.server.off('upgrade', p.onUpgrade);
  await p.connections.endAll('shutdown');
  await new Promise<void>((resolve) => p.wss.close(() => resolve()));
  await p.app.close();
  await p.admin()?.close();
  p.drainToken()?.remove();
  await p.deletionCost?.stop();
  p.releaseMonitor();
  p.logger.info('agent closed');
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { config, logger } = options;
  // Throws (a clear error, before anything listens) on a public host without an auth token.
  const auth = resolveTwilioAuth(config);
  warnAboutAuth(config, auth, logger);
  const rejectLog = new RateLimitedLog({ logger });
  const streamTokens = streamTokensFor(options, auth);
  const releaseMonitor = acquireEventLoopMonitor();
  let publicHost = config.publicHost;
  let closing: Promise<void> | undefined;
  /** Set once both ports listen (close() may run before that). */
  const late: { admin?: HttpApp; drainToken?: DrainToken } = {};
  const deletionCost = options.deletionCost ?? inClusterDeletionCost(config, logger);

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });

  const close = (): Promise<void> =>
    (closing ??= shutDown({
      drain,
      removeSignalHandlers,
      app,
      onUpgrade,
      connections,
      wss,
      admin: () => late.admin,
      drainToken: () => late.drainToken,
      deletionCost,
      releaseMonitor,
      logger,
    }));

  const drain: DrainController = new DrainController({
    drainSeconds: config.drainSeconds,
    logger,
    activeCalls: (): number => connections.size,
    endAllCalls: (reason) => connections.endAll(reason),
    shutdown: close,
    onExit: options.onExit ?? ((code: number) => process.exit(code)),
  });

  const app = await buildTwilioApp(options, auth, rejectLog, () => publicHost, streamTokens);

  const { gate, connections, onUpgrade } = mediaIntake(options, {
    auth,
    rejectLog,
    streamTokens,
    wss,
    publicHost: () => publicHost,
    closing: () => drain.draining || closing !== undefined,
    onCallsChanged: (calls) => deletionCost?.update(calls),
    onFinished: () => drain.callEnded(),
  });
  app.server.on('upgrade', onUpgrade);

  const removeSignalHandlers =
    options.installSignalHandlers === true
      ? installDrainSignals(drain, logger, () => connections.size)
      : () => undefined;

  const buildAdmin = (): Promise<HttpApp> =>
    buildAdminApp({
      logger,
      readiness: options.readiness,
      isDraining: () => drain.draining,
      activeCalls: (): number => connections.size,
      requestDrain: (reason) => void drain.start(reason),
      drainToken: () => late.drainToken,
      rejectLog,
    });
  const admin = await listenBoth(app, config, buildAdmin).catch((err: unknown) => {
    removeSignalHandlers();
    releaseMonitor();
    throw err;
  });
  late.admin = admin;
  const listening = announce(config, logger, app, admin);
  publicHost = listening.publicHost;
  const drainToken = createDrainToken(listening.adminPort, options.drainTokenDir);
  late.drainToken = drainToken;
  return runningAgent(listening, drainToken, drain, close, connections, gate);
}

function runningAgent(
  listening: ReturnType<typeof announce>,
  drainToken: DrainToken,
  drain: DrainController,
  close: () => Promise<void>,
  connections: MediaConnections,
  gate: StreamGate,
): RunningAgent {
  return {
    ...listening,
    drainTokenPath: drainToken.path,
    drain: () => drain.start('drain()'),
    close,
    activeCalls: (): number => connections.size,
    pendingStreams: () => gate.pendingCount,
    startedCalls: () => gate.callCount,
    get draining() {
      return drain.draining;
    },
  };
}
