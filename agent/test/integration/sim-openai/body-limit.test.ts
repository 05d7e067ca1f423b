// The OpenAI emulator's request body limit: a body over 1 MB is answered 413 (not 400) and the
// rest of it is not read: the connection ends, so a client streaming an endless body is cut off.
import { connect, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAiEmulator, type OpenAiEmulator } from '../../../src/sim/openai/server.ts';

/** The emulator's limit (src/sim/openai/http.ts MAX_BODY_BYTES), as OpenAI's is a fixed number too. */
const MAX_BODY_BYTES = 1_000_000;
/** Far more than the socket buffers of both ends hold: a server that reads it all is still reading. */
const ENDLESS_BYTES = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

interface RawExchange {
  /** Everything the server sent. */
  readonly response: string;
  /** Body bytes the client got to write before the connection ended (all of them if it did not). */
  readonly bodyBytesWritten: number;
  /** The server ended the connection before the client had written the whole body. */
  readonly cutOff: boolean;
}

/** A raw HTTP/1.1 request whose body (chunked, or with a Content-Length) is written as fast as the socket takes it. */
function sendBigBody(port: number, framing: 'chunked' | 'content-length'): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let written = 0;
    let settled = false;
    const settle = (cutOff: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ response: Buffer.concat(received).toString('utf8'), bodyBytesWritten: written, cutOff });
    };
    socket.on('data', (b) => received.push(b));
    socket.on('error', () => settle(true));
    socket.on('close', () => settle(written < ENDLESS_BYTES));
    const write = (b: Buffer | string): boolean => socket.write(b);
    const pump = (): void => {
      while (!socket.destroyed && written < ENDLESS_BYTES) {
        written += CHUNK.length;
        // Every piece is queued whatever write() says; false only asks to wait for 'drain'.
        if (framing === 'chunked') write(`${CHUNK.length.toString(16)}\r\n`);
        const more = write(CHUNK);
        const ok = framing === 'chunked' ? write('\r\n') && more : more;
        if (!ok) return void socket.once('drain', pump);
      }
      // The whole body went out without the server ending the connection: it read it all.
      if (written >= ENDLESS_BYTES) settle(false);
    };
    socket.once('connect', () => {
      const length =
        framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${ENDLESS_BYTES}`;
      write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${length}\r\n\r\n`,
      );
      pump();
    });
  });
}

describe('OpenAI emulator: request bodies over the limit', () => {
  let emu: OpenAiEmulator;
  beforeAll(async () => {
    emu = await startOpenAiEmulator({ latency: 'none' });
  });
  afterAll(async () => {
    await emu.close();
  });

  it.each(['chunked', 'content-length'] as const)(
    'a %s body over 1 MB gets 413 and the connection ends before the body does',
    async (framing) => {
      const r = await sendBigBody(emu.port, framing);
      expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
      expect(r.response.toLowerCase()).toContain('connection: close');
      // The JSON error (the body may come chunked: the object is the one brace-delimited span).
      const body = JSON.parse(/\{.*\}/s.exec(r.response)?.[0] ?? 'null') as {
        error: { type: string; code: string };
      };
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
      expect(r.cutOff).toBe(true);
      expect(r.bodyBytesWritten).toBeLessThan(ENDLESS_BYTES);
    },
  );

  it('the real openai client gets a 413 APIError, and the emulator still answers afterwards', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: emu.url, maxRetries: 0 });
    const big = 'א'.repeat(MAX_BODY_BYTES);
    const err = await client.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: big }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
    const ok = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'שלום' }],
    });
    expect(ok.choices[0]?.message.content).toBeTruthy();
  });

  it('a body just under the limit is read and answered', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: emu.url, maxRetries: 0 });
    const content = 'x'.repeat(MAX_BODY_BYTES - 200);
    const ok = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content }],
    });
    expect(ok.choices[0]?.message.content).toBeTruthy();
  });
});
