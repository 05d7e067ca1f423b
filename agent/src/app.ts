// startAgent: the fastify HTTP app plus the Media Streams WebSocket endpoint, MAX_CALLS, drain,
// signal handling and the pod deletion-cost annotation. main.ts calls this with providers wired
// into a CallHandlerFactory; tests call it with port 0 and their own factories.
//
// WebSocket choice: `ws` with `noServer: true`, attached to fastify's HTTP server 'upgrade'
// event by hand. That lets the signature check answer 403 on the raw socket before any 101, and
// keeps MAX_CALLS/drain refusals in one place; @fastify/websocket validates in a preValidation
// hook too, but ties the socket lifetime to fastify's request lifecycle, which buys us nothing here.
import type { Tracing } from './telemetry/tracing.ts';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from './config/schema.ts';
import type { Logger } from './telemetry/logger.ts';
import type { CallHandlerFactory, CallStartInfo } from './call/types.ts';
import { MediaConnection } from './twilio/connection.ts';
import { TwilioRest } from './twilio/rest.ts';
import {
  buildAdminApp,
  buildHttpApp,
  isLoopbackAddress,
  type HttpApp,
  type Readiness,
} from './server/http.ts';
import { DrainController } from './server/drain.ts';
import { createDrainToken, type DrainToken } from './server/drain-token.ts';
import { signalAction } from './server/signals.ts';
import { RateLimitedLog } from './server/rate-limited-log.ts';
import { StreamTokens } from './server/stream-token.ts';
import { StreamGate } from './server/stream-gate.ts';
import { MEDIA_STREAM_PATH, isValidUpgradeSignature, resolveTwilioAuth } from './server/signature.ts';
import {
  acquireEventLoopMonitor,
  activeCalls as activeCallsGauge,
  refusedStreams,
  rejectedRequests,
  signatureRejections,
} from './server/metrics.ts';
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
/** Base64 JSON media messages take about 1.4 bytes per mu-law byte on the wire. */
const WIRE_BYTES_PER_AUDIO_SECOND = 8000 * 1.4;

function rejectUpgrade(socket: Duplex, status: 403 | 404 | 503, text: string): void {
  const body = `${text}\n`;
  const reason = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once('finish', () => socket.destroy());
}

function listenUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

function boundPort(app: HttpApp, fallback: number): number {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : fallback;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { config, logger } = options;
  // Throws (a clear error, before anything listens) on a public host without an auth token.
  const auth = resolveTwilioAuth(config);
  if (!config.twilioSignatureValidation) {
    logger.warn(
      'TWILIO_SIGNATURE_VALIDATION=false: webhooks and media streams are accepted without X-Twilio-Signature or stream token checks',
    );
  } else if (auth.loopbackOnly) {
    logger.warn(
      'TWILIO_AUTH_TOKEN is empty: signatures are checked with the local development token and accepted only from loopback; only the local caller simulator can sign with it',
    );
  }
  const onExit = options.onExit ?? ((code: number) => process.exit(code));
  const rejectLog = new RateLimitedLog({ logger });
  const streamTokens = config.twilioSignatureValidation
    ? new StreamTokens({
        authToken: auth.authToken,
        ttlSeconds: config.streamTokenTtlSeconds,
        ...(options.wallClock ? { now: options.wallClock } : {}),
      })
    : undefined;
  const releaseMonitor = acquireEventLoopMonitor();
  /** Every accepted socket, started or not (StreamGate tells them apart). */
  const connections = new Set<MediaConnection>();
  let connectionSeq = 0;
  let publicHost = config.publicHost;
  let closing: Promise<void> | undefined;
  /** Written once the admin port is known. */
  const drainTokenHolder: { current?: DrainToken } = {};
  const deletionCost = options.deletionCost ?? inClusterDeletionCost(config, logger);

  const endAllCalls = async (reason: string): Promise<void> => {
    await Promise.all([...connections].map((c) => c.end(reason, 1001)));
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });

  const close = (): Promise<void> => {
    if (closing !== undefined) return closing;
    closing = (async () => {
      drain.cancel();
      removeSignalHandlers();
      app.server.off('upgrade', onUpgrade);
      await endAllCalls('shutdown');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await app.close();
      await admin?.close();
      drainTokenHolder.current?.remove();
      await deletionCost?.stop();
      releaseMonitor();
      logger.info('agent closed');
    })();
    return closing;
  };

  const drain = new DrainController({
    drainSeconds: config.drainSeconds,
    logger,
    activeCalls: () => connections.size,
    endAllCalls,
    shutdown: close,
    onExit,
  });

  const fallback = {
    playUrl: config.fallbackPlayUrl,
    sayText: config.fallbackSayText,
    dialNumber: config.fallbackDialNumber,
    redirectUrl: config.fallbackRedirectUrl,
  };
  const app = await buildHttpApp({
    config,
    logger,
    authToken: auth.authToken,
    loopbackOnly: auth.loopbackOnly,
    publicHost: () => publicHost,
    rejectLog,
    fallback,
    ...(streamTokens ? { streamTokens } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
    ...(options.playground ? { playground: options.playground } : {}),
  });
  let admin: HttpApp | undefined;

  const gate = new StreamGate({
    config,
    streamTokens,
    closing: () => drain.draining || closing !== undefined,
    ...(options.readiness ? { readiness: options.readiness } : {}),
    rejectLog,
    onCallsChanged: (calls) => {
      activeCallsGauge.set(calls);
      deletionCost?.update(calls);
    },
  });

  const twilioRest =
    options.twilioRest ??
    new TwilioRest({
      baseUrl: config.twilioApiBaseUrl,
      accountSid: config.twilioAccountSid,
      apiKeySid: config.twilioApiKeySid,
      apiKeySecret: config.twilioApiKeySecret,
      authToken: auth.loopbackOnly ? '' : auth.authToken,
    });
  const completeCallAtTwilio = async (info: CallStartInfo): Promise<void> => {
    const r = await twilioRest.completeCall(info.accountSid, info.callSid);
    if (!r.ok)
      rejectLog.warn(
        'twilio_rest',
        { callSid: info.callSid, detail: r.detail },
        'could not complete the call at Twilio: the caller may hear the fallback TwiML after the goodbye',
      );
  };

  const onConnection = (ws: WebSocket, handlerFactory: CallHandlerFactory): void => {
    const refusal = gate.refuseSocket();
    // 1013 Try Again Later; Twilio then continues with the TwiML after <Connect> (the fallback).
    if (refusal !== undefined) return ws.close(1013, refusal);
    connectionSeq += 1;
    const conn = new MediaConnection({
      socket: ws,
      logger,
      handlerFactory,
      connectionId: `ws-${connectionSeq}`,
      startTimeoutMs: options.startTimeoutMs ?? config.startTimeoutMs,
      mediaTimeoutMs: config.mediaTimeoutMs,
      outboundBufferBytes: Math.round(config.outboundBufferSeconds * WIRE_BYTES_PER_AUDIO_SECOND),
      admitStart: gate.admitStart,
      // Only with a real account: the development token cannot talk to Twilio.
      ...(twilioRest.configured ? { completeCall: completeCallAtTwilio } : {}),
      onStarted: (c) => gate.started(c),
      onFinished: (c) => {
        connections.delete(c);
        gate.finished(c);
        drain.callEnded();
      },
    });
    connections.add(conn);
    gate.addPending(conn);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => logger.debug({ err: { message: err.message } }, 'upgrade socket error'));
    const path = (req.url ?? '').split('?')[0];
    if (path !== MEDIA_STREAM_PATH && path !== `${MEDIA_STREAM_PATH}/`) {
      refusedStreams.inc({ reason: 'not_found' });
      rejectedRequests.inc({ route: 'media_stream', reason: 'not_found' });
      return rejectUpgrade(socket, 404, 'not found');
    }
    // A playground upgrade carries a server-issued ticket instead of a Twilio signature (playground/access.ts).
    const playground = options.playground?.admitUpgrade(req);
    if (playground?.ok === false) {
      refusedStreams.inc({ reason: 'playground_ticket' });
      return rejectUpgrade(socket, 403, playground.reason);
    }
    if (playground === undefined && config.twilioSignatureValidation) {
      const header = req.headers['x-twilio-signature'];
      const signature = Array.isArray(header) ? header[0] : header;
      const remote = req.socket.remoteAddress;
      const remoteOk = !auth.loopbackOnly || isLoopbackAddress(remote);
      if (!remoteOk || !isValidUpgradeSignature(auth.authToken, signature, publicHost)) {
        refusedStreams.inc({ reason: 'signature' });
        signatureRejections.inc({ route: 'media_stream' });
        rejectedRequests.inc({ route: 'media_stream', reason: remoteOk ? 'signature' : 'dev_token_remote' });
        rejectLog.warn(
          'media_stream:signature',
          { hasSignature: signature !== undefined, remote },
          remoteOk
            ? 'media stream upgrade rejected: invalid X-Twilio-Signature'
            : 'media stream upgrade rejected: no TWILIO_AUTH_TOKEN configured, the development token is accepted only from loopback',
        );
        return rejectUpgrade(socket, 403, 'invalid signature');
      }
    }
    const factory = playground?.ok ? playground.bind(options.handlerFactory) : options.handlerFactory;
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, factory));
  };
  app.server.on('upgrade', onUpgrade);

  const onSignal = (signal: NodeJS.Signals): void => {
    switch (signalAction(signal, drain.phase)) {
      case 'start_drain':
        logger.info({ signal }, 'signal received: draining');
        void drain.start(signal);
        return;
      case 'continue_drain':
        logger.info(
          { signal, activeCalls: connections.size },
          'signal received during a drain: the drain continues, calls keep running',
        );
        return;
      case 'end_calls_now':
        logger.warn({ signal }, 'second SIGINT: ending remaining calls now');
        void drain.force(`second ${signal}`);
        return;
    }
  };
  const removeSignalHandlers = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  if (options.installSignalHandlers === true) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  try {
    await app.listen({ port: config.port, host: config.host });
    admin = await buildAdminApp({
      logger,
      readiness: options.readiness,
      isDraining: () => drain.draining,
      activeCalls: () => connections.size,
      requestDrain: (reason) => void drain.start(reason),
      drainToken: () => drainTokenHolder.current,
      rejectLog,
    });
    await admin.listen({ port: config.adminPort, host: config.host });
  } catch (err) {
    removeSignalHandlers();
    await app.close();
    await admin?.close();
    releaseMonitor();
    throw err;
  }
  const port = boundPort(app, config.port);
  const adminPort = boundPort(admin, config.adminPort);
  const drainToken = createDrainToken(adminPort, options.drainTokenDir);
  drainTokenHolder.current = drainToken;
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

  return {
    url,
    port,
    adminUrl,
    adminPort,
    drainTokenPath: drainToken.path,
    publicHost,
    drain: () => drain.start('drain()'),
    close,
    activeCalls: () => connections.size,
    pendingStreams: () => gate.pendingCount,
    startedCalls: () => gate.callCount,
    get draining() {
      return drain.draining;
    },
  };
}
