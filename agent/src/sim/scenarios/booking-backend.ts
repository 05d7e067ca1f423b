// A small business backend for the booking scenario (tests and `npm run demo -- --scenario
// booking`): POST /availability and POST /book, each refusing a request whose HMAC signature does
// not verify (401), as docs/tools.md tells a real backend to. Deterministic answers; an optional
// delay on a route exercises the spoken filler.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
  type VerifyResult,
} from '../../tools/signature.ts';

export interface BackendRequest {
  readonly path: string;
  readonly body: unknown;
  readonly verified: VerifyResult;
}

export interface BookingBackend {
  readonly url: string;
  requests(): readonly BackendRequest[];
  close(): Promise<void>;
}

export interface BookingBackendOptions {
  readonly secret: string;
  /** Extra wait before answering, per path (e.g. { '/availability': 900 }). */
  readonly delayMs?: Readonly<Record<string, number>>;
}

export const AVAILABLE_SLOTS = ['10:00', '11:30'] as const;
export const CONFIRMATION = '417';

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startBookingBackend(options: BookingBackendOptions): Promise<BookingBackend> {
  const log: BackendRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const text = await read(req);
      const header = (name: string): string | undefined => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const verified = verifySignature({
        secret: options.secret,
        body: text,
        signature: header(SIGNATURE_HEADER),
        timestamp: header(TIMESTAMP_HEADER),
        nowSeconds: Date.now() / 1000,
      });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const path = req.url ?? '';
      log.push({ path, body, verified });
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (!verified.ok) return send(401, { error: `signature ${verified.reason}` });
      const delay = options.delayMs?.[path] ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const args = (body as { arguments?: Record<string, string> }).arguments ?? {};
      if (path === '/availability') return send(200, { day: args['day'], free: AVAILABLE_SLOTS });
      if (path === '/book')
        return send(200, { booked: true, day: args['day'], time: args['time'], confirmation: CONFIRMATION });
      send(404, { error: 'no such route' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...log],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
