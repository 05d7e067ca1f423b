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
import type { CallHandlerFactory } from './call/types.ts';
import { MediaConnection } from './twilio/connection.ts';
import { buildHttpApp, type Readiness } from './server/http.ts';
import { DrainController } from './server/drain.ts';
import { MEDIA_STREAM_PATH, effectiveAuthToken, isValidUpgradeSignature } from './server/signature.ts';
import {
  acquireEventLoopMonitor,
  activeCalls as activeCallsGauge,
  refusedStreams,
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
  /** SIGTERM/SIGINT: first drains, second ends remaining calls now. Default false (tests). */
  readonly installSignalHandlers?: boolean;
  /** A socket without a valid `start` by then is closed (1008). Default START_TIMEOUT_MS (15 s). */
  readonly startTimeoutMs?: number;
  /** Tracing for the voice webhook (the call session continues its trace). */
  readonly tracing?: Pick<Tracing, 'webhookSpan'>;
  /** Test hook: the deletion-cost updater to use instead of the in-cluster one. */
  readonly deletionCost?: DeletionCostUpdater;
  /** The browser playground (PLAYGROUND_ENABLED): its routes, and its ticket-authorised media upgrades. */
  readonly playground?: Playground;
}

export interface RunningAgent {
  /** http://host:port of the listener. */
  readonly url: string;
  readonly port: number;
  /** The host used in TwiML URLs and signature checks (PUBLIC_HOST, or localhost:PORT). */
  readonly publicHost: string;
  /** Starts a drain (same as SIGTERM / POST /drain); resolves once it completed and onExit(0) ran. */
  drain(): Promise<void>;
  /** Ends every call now and closes the listeners (no onExit). Idempotent. */
  close(): Promise<void>;
  /** Accepted media sockets that have not ended (calls in progress, including ones awaiting start). */
  activeCalls(): number;
  readonly draining: boolean;
}

/** Max bytes ws buffers for one message; protocol.ts rejects anything over 64 KiB with a counted error. */
const WS_MAX_PAYLOAD = 1024 * 1024;

function rejectUpgrade(socket: Duplex, status: 403 | 404 | 503, text: string): void {
  const body = `${text}\n`;
  const reason = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once('finish', () => socket.destroy());
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { config, logger } = options;
  const authToken = effectiveAuthToken(config.twilioAuthToken);
  if (config.twilioAuthToken === '') {
    logger.warn(
      'TWILIO_AUTH_TOKEN is empty: signatures are checked with the local development token; only the local caller simulator can sign with it',
    );
  }
  if (!config.twilioSignatureValidation) {
    logger.warn(
      'TWILIO_SIGNATURE_VALIDATION=false: webhooks and media streams are accepted without X-Twilio-Signature checks',
    );
  }
  const onExit = options.onExit ?? ((code: number) => process.exit(code));
  const releaseMonitor = acquireEventLoopMonitor();
  const connections = new Set<MediaConnection>();
  let connectionSeq = 0;
  let publicHost = config.publicHost;
  let closing: Promise<void> | undefined;
  const deletionCost = options.deletionCost ?? inClusterDeletionCost(config, logger);

  const countChanged = (): void => {
    activeCallsGauge.set(connections.size);
    deletionCost?.update(connections.size);
  };

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

  const app = await buildHttpApp({
    config,
    logger,
    authToken,
    publicHost: () => publicHost,
    readiness: options.readiness,
    isDraining: () => drain.draining,
    activeCalls: () => connections.size,
    requestDrain: (reason) => void drain.start(reason),
    ...(options.tracing ? { tracing: options.tracing } : {}),
    ...(options.playground ? { playground: options.playground } : {}),
  });

  const refuse = (ws: WebSocket, reason: 'draining' | 'max_calls'): void => {
    refusedStreams.inc({ reason });
    logger.warn({ reason, activeCalls: connections.size, maxCalls: config.maxCalls }, 'media stream refused');
    // 1013 Try Again Later; Twilio then continues with the next TwiML verb.
    ws.close(1013, reason);
  };

  const onConnection = (ws: WebSocket, handlerFactory: CallHandlerFactory): void => {
    if (drain.draining || closing !== undefined) return refuse(ws, 'draining');
    if (connections.size >= config.maxCalls) return refuse(ws, 'max_calls');
    connectionSeq += 1;
    const conn = new MediaConnection({
      socket: ws,
      logger,
      handlerFactory,
      connectionId: `ws-${connectionSeq}`,
      startTimeoutMs: options.startTimeoutMs,
      onFinished: (c) => {
        connections.delete(c);
        countChanged();
        drain.callEnded();
      },
    });
    connections.add(conn);
    countChanged();
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => logger.debug({ err: { message: err.message } }, 'upgrade socket error'));
    const path = (req.url ?? '').split('?')[0];
    if (path !== MEDIA_STREAM_PATH && path !== `${MEDIA_STREAM_PATH}/`) {
      refusedStreams.inc({ reason: 'not_found' });
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
      if (!isValidUpgradeSignature(authToken, signature, publicHost)) {
        refusedStreams.inc({ reason: 'signature' });
        signatureRejections.inc({ route: 'media_stream' });
        logger.warn(
          { hasSignature: signature !== undefined, remote: req.socket.remoteAddress },
          'media stream upgrade rejected: invalid X-Twilio-Signature',
        );
        return rejectUpgrade(socket, 403, 'invalid signature');
      }
    }
    const factory = playground?.ok ? playground.bind(options.handlerFactory) : options.handlerFactory;
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, factory));
  };
  app.server.on('upgrade', onUpgrade);

  const onSignal = (signal: NodeJS.Signals): void => {
    if (!drain.draining) {
      logger.info({ signal }, 'signal received: draining');
      void drain.start(signal);
    } else {
      logger.warn({ signal }, 'second signal: ending remaining calls now');
      void drain.force(`second ${signal}`);
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

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  if (publicHost === '') {
    publicHost = `localhost:${port}`;
    logger.warn(
      { publicHost },
      'PUBLIC_HOST is empty: using localhost (local use only; Twilio cannot reach it)',
    );
  }
  const listenHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`;
  logger.info(
    { url, publicHost, maxCalls: config.maxCalls, drainSeconds: config.drainSeconds },
    'agent listening',
  );

  return {
    url,
    port,
    publicHost,
    drain: () => drain.start('drain()'),
    close,
    activeCalls: () => connections.size,
    get draining() {
      return drain.draining;
    },
  };
}
