// Small helpers every test environment needs: a free port for a process to listen on, and
// polling real state (an API server, a process) until it says what the test waits for.
import { createServer } from 'node:net';

/** A free loopback TCP port (closed again before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port')),
      );
    });
  });
}

/**
 * Polls `probe` until it returns something other than undefined/false (the state decides, not a
 * sleep); after `timeoutMs` throws, naming what was awaited and the last error (`describe`d).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  describe: (err: unknown) => string = String,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${describe(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
