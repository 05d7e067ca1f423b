// A `fetch` for the openai SDK on undici's dispatcher API (`Dispatcher.request`) instead of
// undici's WHATWG fetch, which builds a Request, two header lists, a fetch controller, a Node
// Readable and a web byte stream per request and hops through both streams per chunk (about a
// third of the LLM client's CPU per answer, docs/bench/cost.md). It keeps what the SDK and
// completion-body.ts rely on, as undici's fetch does it:
// - the same request on the wire: the SDK's headers in the order fetch sends them, then fetch's
//   defaults (accept, accept-language, sec-fetch-mode, user-agent, accept-encoding) when absent;
// - a compressed response decoded as fetch decodes it (gzip, deflate, br, zstd);
// - status, statusText, ok, url and a real Headers (retry-policy.ts reads Retry-After from it);
// - errors: an abort rejects (or errors the body) with the signal's reason, any other failure
//   before the response with TypeError('fetch failed', { cause }), and one during the body with
//   TypeError('terminated', { cause }) (the SDK maps the first to APIConnectionError, and its
//   timeout detection reads the cause);
// - a body not read to its end is cancelled by aborting the request (the connection is closed).
// The response is not a WHATWG Response: `body` (a web ReadableStream) and text()/json()/... are
// made on demand; body-feed.ts reads the body as Node chunks. Anything else (a Request object, a
// streamed or form body, a redirect mode other than the default, a non-http scheme) goes to
// undici's fetch unchanged. Not reproduced: following redirects (the OpenAI API sends none).
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { DispatchedResponse } from './dispatched-response.ts';

/** fetch's user-agent when the caller sends none (undici's own fetch, not Node's bundled one). */
const FETCH_USER_AGENT = 'undici';
const NORMALIZED_METHODS = /^(?:delete|get|head|options|post|put)$/iu;

type FetchInit = Omit<RequestInit, 'dispatcher'> & { dispatcher?: Dispatcher };

/** The body kinds sent as they are; anything else is left to undici's fetch. */
function plainBody(body: unknown): string | Uint8Array | undefined | false {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return false;
}

/** The request's header lines as fetch sends them: the caller's (sorted, combined), then fetch's. */
function fetchRequestHeaders(init: RequestInit['headers'], https: boolean): string[] {
  const headers = init instanceof Headers ? init : new Headers(init);
  const lines: string[] = [];
  for (const [name, value] of headers) lines.push(name, value);
  if (!headers.has('accept')) lines.push('accept', '*/*');
  if (!headers.has('accept-language')) lines.push('accept-language', '*');
  lines.push('sec-fetch-mode', 'cors');
  if (!headers.has('user-agent')) lines.push('user-agent', FETCH_USER_AGENT);
  if (!headers.has('accept-encoding'))
    lines.push('accept-encoding', https ? 'br, gzip, deflate, zstd' : 'gzip, deflate');
  return lines;
}

function usableHere(input: unknown, init: FetchInit): URL | undefined {
  if (typeof input !== 'string' && !(input instanceof URL)) return undefined;
  if (init.redirect !== undefined && init.redirect !== 'follow') return undefined;
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined; // fetch refuses these
  return url;
}

/**
 * A fetch whose requests go through `dispatcher` (a `dispatcher` in the init, as the SDK's
 * fetchOptions pass it, takes precedence, as with undici's fetch).
 */
export function createDispatchFetch(dispatcher: Dispatcher): typeof fetch {
  return async function dispatchFetch(input: unknown, options?: RequestInit): Promise<Response> {
    const init = (options ?? {}) as FetchInit;
    const via = init.dispatcher ?? dispatcher;
    const url = usableHere(input, init);
    const body = plainBody(init.body);
    let method = init.method ?? 'GET';
    if (NORMALIZED_METHODS.test(method)) method = method.toUpperCase();
    const noBodyMethod = method === 'GET' || method === 'HEAD';
    if (url === undefined || body === false || (body !== undefined && noBodyMethod))
      return undiciFetch(input as string, { ...init, dispatcher: via } as never) as unknown as Response;
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    try {
      const data = await via.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: method as Dispatcher.HttpMethod,
        headers: fetchRequestHeaders(init.headers, url.protocol === 'https:'),
        body: body ?? (method === 'POST' || method === 'PUT' ? '' : undefined),
        ...(signal === undefined ? {} : { signal }),
      });
      url.hash = ''; // a response's url has no fragment
      return new DispatchedResponse(url.href, method, data, signal) as unknown as Response;
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new TypeError('fetch failed', { cause: e });
    }
  } as typeof fetch;
}
