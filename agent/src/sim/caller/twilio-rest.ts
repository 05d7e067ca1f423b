// A Twilio REST API emulator for the one request the agent makes: completing a call it ended
// itself (POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json, Status=completed, HTTP
// basic auth AccountSid:AuthToken). Unkind like Twilio: wrong credentials get 401 (code 20003),
// a wrong path 404. The caller simulator asks it whether a call was completed, to know whether
// Twilio would go on to the TwiML after <Connect> when the stream closes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface TwilioRestEmulator {
  /** Base URL for TWILIO_API_BASE_URL. */
  readonly url: string;
  completed(callSid: string): boolean;
  /** Every request: method, path, HTTP status answered. */
  requests(): readonly { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

const CALL_PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Calls\/(CA[0-9a-f]{32})\.json$/;

export async function startTwilioRestEmulator(options: { authToken: string }): Promise<TwilioRestEmulator> {
  const completed = new Set<string>();
  const log: { method: string; path: string; status: number }[] = [];
  const answer = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void => {
    log.push({ method: req.method ?? '', path: req.url ?? '', status });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const m = CALL_PATH.exec(req.url ?? '');
      if (req.method !== 'POST' || m === null)
        return answer(req, res, 404, {
          code: 20404,
          message: 'The requested resource was not found',
          status: 404,
        });
      const [, accountSid, callSid] = m as unknown as [string, string, string];
      const expected = `Basic ${Buffer.from(`${accountSid}:${options.authToken}`).toString('base64')}`;
      if (req.headers.authorization !== expected)
        return answer(req, res, 401, { code: 20003, message: 'Authenticate', status: 401 });
      const status = new URLSearchParams(body).get('Status');
      if (status !== 'completed' && status !== 'canceled')
        return answer(req, res, 400, { code: 21218, message: 'Invalid Status', status: 400 });
      completed.add(callSid);
      answer(req, res, 200, { sid: callSid, account_sid: accountSid, status: 'completed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    completed: (callSid) => completed.has(callSid),
    requests: () => [...log],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
