// Admission of a media stream WebSocket upgrade, answered on the raw socket before any 101: the
// path, a playground ticket or the X-Twilio-Signature (against PUBLIC_HOST), each refusal counted
// and logged at a limited rate. An admitted upgrade is handed on with the handler factory to use.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config/schema.ts';
import type { CallHandlerFactory } from '../call/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Playground } from '../playground/routes.ts';
import { isLoopbackAddress } from './http.ts';
import { refusedStreams, rejectedRequests, signatureRejections } from './metrics.ts';
import type { RateLimitedLog } from './rate-limited-log.ts';
import { MEDIA_STREAM_PATH, isValidUpgradeSignature, type TwilioAuth } from './signature.ts';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface MediaUpgradeDeps {
  readonly config: Pick<Config, 'twilioSignatureValidation'>;
  readonly auth: TwilioAuth;
  /** The host Twilio signed for (read per upgrade: it is only known once the port is bound). */
  readonly publicHost: () => string;
  readonly logger: Logger;
  readonly rejectLog: RateLimitedLog;
  readonly wss: WebSocketServer;
  readonly handlerFactory: CallHandlerFactory;
  readonly playground?: Playground;
  /** An upgraded socket with the factory its calls use (the playground binds its own). */
  readonly onSocket: (ws: WebSocket, factory: CallHandlerFactory) => void;
}

export function rejectUpgrade(socket: Duplex, status: 403 | 404 | 503, text: string): void {
  const body = `${text}\n`;
  const reason = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once('finish', () => socket.destroy());
}

/** True when the upgrade carries a valid Twilio signature from a peer allowed to use this token. */
function signatureAdmits(d: MediaUpgradeDeps, req: IncomingMessage, socket: Duplex): boolean {
  const header = req.headers['x-twilio-signature'];
  const signature = Array.isArray(header) ? header[0] : header;
  const remote = req.socket.remoteAddress;
  const remoteOk = !d.auth.loopbackOnly || isLoopbackAddress(remote);
  if (remoteOk && isValidUpgradeSignature(d.auth.authToken, signature, d.publicHost())) return true;
  refusedStreams.inc({ reason: 'signature' });
  signatureRejections.inc({ route: 'media_stream' });
  rejectedRequests.inc({ route: 'media_stream', reason: remoteOk ? 'signature' : 'dev_token_remote' });
  d.rejectLog.warn(
    'media_stream:signature',
    { hasSignature: signature !== undefined, remote },
    remoteOk
      ? 'media stream upgrade rejected: invalid X-Twilio-Signature'
      : 'media stream upgrade rejected: no TWILIO_AUTH_TOKEN configured, the development token is accepted only from loopback',
  );
  rejectUpgrade(socket, 403, 'invalid signature');
  return false;
}

export function createMediaUpgradeHandler(d: MediaUpgradeDeps): UpgradeHandler {
  return (req, socket, head) => {
    socket.on('error', (err) => d.logger.debug({ err: { message: err.message } }, 'upgrade socket error'));
    const path = (req.url ?? '').split('?')[0];
    if (path !== MEDIA_STREAM_PATH && path !== `${MEDIA_STREAM_PATH}/`) {
      refusedStreams.inc({ reason: 'not_found' });
      rejectedRequests.inc({ route: 'media_stream', reason: 'not_found' });
      return rejectUpgrade(socket, 404, 'not found');
    }
    // A playground upgrade carries a server-issued ticket instead of a Twilio signature (playground/access.ts).
    const playground = d.playground?.admitUpgrade(req);
    if (playground?.ok === false) {
      refusedStreams.inc({ reason: 'playground_ticket' });
      return rejectUpgrade(socket, 403, playground.reason);
    }
    if (playground === undefined && d.config.twilioSignatureValidation && !signatureAdmits(d, req, socket))
      return;
    const factory = playground?.ok ? playground.bind(d.handlerFactory) : d.handlerFactory;
    d.wss.handleUpgrade(req, socket, head, (ws) => d.onSocket(ws, factory));
  };
}
