// A raw HTTP/1.1 server for the LLM client's tests: each response's bytes are written by the
// test itself, so an exchange can stop, close or misbehave anywhere (dispatch-fetch.test.ts).
import net from 'node:net';

export type Respond = (socket: net.Socket, request: string, index: number) => void;

/** A raw HTTP/1.1 server: the test writes each response's bytes itself. */
export interface RawServer {
  readonly url: string;
  readonly requests: string[];
  /** Resolves when the n-th accepted connection (0-based) is closed. */
  closed(n: number): Promise<void>;
  readonly connections: () => number;
  respond: Respond;
  close(): Promise<void>;
}

export async function startRaw(): Promise<RawServer> {
  const closes: Promise<void>[] = [];
  const sockets = new Set<net.Socket>();
  const raw: RawServer = {
    url: '',
    requests: [],
    closed: (n) => closes[n] ?? Promise.reject(new Error(`no connection ${n}`)),
    connections: () => closes.length,
    respond: () => undefined,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    closes.push(new Promise((r) => socket.once('close', () => r())));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const head = buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(/\r\ncontent-length: (\d+)/iu.exec(buf.slice(0, head))?.[1] ?? 0);
        if (buf.length < head + 4 + length) return;
        const request = buf.slice(0, head + 4 + length);
        buf = buf.slice(head + 4 + length);
        raw.requests.push(request);
        raw.respond(socket, request, raw.requests.length - 1);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return Object.assign(raw, { url: `http://127.0.0.1:${port}` });
}

export function head(status: string, headers: readonly string[]): string {
  return `HTTP/1.1 ${status}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
}
export const chunk = (s: string): string => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
export const event = (text: string): string =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
export const SSE_HEAD = head('200 OK', ['content-type: text/event-stream', 'transfer-encoding: chunked']);

/** The rejection of `p` (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
