// The response of dispatch-fetch.ts: what the openai SDK reads of a fetch Response (status,
// statusText, ok, url, headers, body, text(), json()), over the Node body of undici's
// `Dispatcher.request`, with the errors and the content decoding of undici's fetch. The body is
// read either as Node chunks (feed(): body-feed.ts, no web stream per chunk) or, when someone asks
// for `body` or text(), through a web ReadableStream or a whole read, never both.
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Dispatcher } from 'undici';

/** Statuses whose response has no body (fetch's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
/** fetch refuses more content codings than this (undici's limit). */
const MAX_CODINGS = 5;

/** Who reads a body chunk by chunk (completion-body.ts). */
export interface BodyListener {
  data(chunk: Uint8Array): void;
  end(): void;
  /** The error a fetch body's reader would reject with. */
  error(e: unknown): void;
}

/** Flow control of a body being fed: pause/resume the reads, or cancel the rest. */
export interface BodyFeed {
  pause(): void;
  resume(): void;
  /** Stops the body where it is (aborts the request when not at its end). Idempotent. */
  cancel(): void;
}

function noop(): void {}

/** The decoders fetch puts after the body for its Content-Encoding, or an error for too many. */
function decoders(
  contentEncoding: string | null,
): (zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | zlib.ZstdDecompress)[] | Error {
  const codings = contentEncoding ? contentEncoding.toLowerCase().split(',') : [];
  if (codings.length > MAX_CODINGS)
    return new Error(
      `too many content-encodings in response: ${codings.length}, maximum allowed is ${MAX_CODINGS}`,
    );
  const out: ReturnType<typeof decoders> = [];
  const zflush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]!.trim();
    if (coding === 'gzip' || coding === 'x-gzip') out.push(zlib.createGunzip(zflush));
    else if (coding === 'deflate') out.push(zlib.createInflate(zflush));
    else if (coding === 'br')
      out.push(
        zlib.createBrotliDecompress({
          flush: zlib.constants.BROTLI_OPERATION_FLUSH,
          finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        }),
      );
    else if (coding === 'zstd')
      out.push(
        zlib.createZstdDecompress({
          flush: zlib.constants.ZSTD_e_continue,
          finishFlush: zlib.constants.ZSTD_e_end,
          params: { [zlib.constants.ZSTD_d_windowLogMax]: 23 },
        }),
      );
    else return []; // an unknown coding: fetch hands the body over as it came
  }
  return out;
}

function headersOf(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}

export class DispatchedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly headers: Headers;
  readonly redirected = false;
  readonly type = 'basic';
  private readonly signal: AbortSignal | undefined;
  /** The (decoded) body, or null for a null-body status or a HEAD. */
  private node: Readable | null;
  private taken = false;
  private web: ReadableStream<Uint8Array> | null | undefined;

  constructor(url: string, method: string, data: Dispatcher.ResponseData, signal: AbortSignal | undefined) {
    this.url = url;
    this.status = data.statusCode;
    this.statusText = data.statusText;
    this.ok = data.statusCode >= 200 && data.statusCode <= 299;
    this.headers = headersOf(data.headers);
    this.signal = signal;
    const raw = data.body;
    if (method === 'HEAD' || method === 'CONNECT' || NULL_BODY_STATUSES.has(data.statusCode)) {
      raw.on('error', noop).resume(); // nothing to read; lets the connection go back to the pool
      this.node = null;
      return;
    }
    const chain = decoders(this.headers.get('content-encoding'));
    if (chain instanceof Error) {
      raw.on('error', noop).destroy(chain);
      this.node = raw; // errored: a read fails with TypeError('terminated', { cause })
      return;
    }
    this.node = chain.length === 0 ? raw : (pipeline([raw, ...chain], noop) as unknown as Readable);
  }

  /** The error a fetch body reports for a failure of the Node body. */
  private bodyError(e: unknown): unknown {
    if (this.signal?.aborted) return this.signal.reason;
    return new TypeError('terminated', { cause: e });
  }

  private take(): Readable | null {
    if (this.taken) throw new TypeError('Body is unusable: Body has already been read');
    this.taken = true;
    return this.node;
  }

  get bodyUsed(): boolean {
    return this.taken;
  }

  /** Feeds the body to `listener` as Node chunks (undefined: no body). */
  feed(listener: BodyListener): BodyFeed | undefined {
    const node = this.take();
    if (node === null) return undefined;
    let done = false;
    const onData = (chunk: Uint8Array): void => listener.data(chunk);
    const onEnd = (): void => {
      done = true;
      listener.end();
    };
    const onError = (e: unknown): void => {
      done = true;
      listener.error(this.bodyError(e));
    };
    // Closed without an end or an error event of its own (destroyed before we listened).
    const onClose = (): void => {
      if (!done) onError(node.errored ?? new Error('the response body closed before its end'));
    };
    node.on('data', onData).once('end', onEnd).on('error', onError).once('close', onClose);
    if (node.destroyed) queueMicrotask(onClose);
    return {
      pause: () => node.pause(),
      resume: () => node.resume(),
      cancel: () => {
        node.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
        node.on('error', noop);
        if (!done) node.destroy();
        done = true;
      },
    };
  }

  /**
   * The body as a web stream (as fetch's `body`). Made on demand and bound to the Node body only
   * at its first pull: looking at `body` does not use it, as with fetch.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.web !== undefined) return this.web;
    if (this.node === null) return (this.web = null);
    let feed: BodyFeed | undefined;
    this.web = new ReadableStream<Uint8Array>(
      {
        pull: (c) => {
          if (feed !== undefined) return feed.resume();
          feed = this.feed({
            data: (chunk) => {
              c.enqueue(chunk);
              if ((c.desiredSize ?? 0) <= 0) feed?.pause();
            },
            end: () => c.close(),
            error: (e) => c.error(e),
          });
        },
        cancel: () => {
          if (feed === undefined && !this.taken) feed = this.feed({ data: noop, end: noop, error: noop });
          feed?.cancel();
        },
      },
      { highWaterMark: 0 },
    );
    return this.web;
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    const chunks: Uint8Array[] = [];
    await new Promise<void>((resolve, reject) => {
      const feed = this.feed({ data: (c) => chunks.push(c), end: resolve, error: reject });
      if (feed === undefined) resolve();
    });
    return new Uint8Array(Buffer.concat(chunks));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.bytes()).buffer;
  }

  /** UTF-8 without a BOM, as fetch's text(). */
  async text(): Promise<string> {
    return new TextDecoder().decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async blob(): Promise<Blob> {
    const type = this.headers.get('content-type') ?? '';
    return new Blob([await this.bytes()], { type });
  }
}
