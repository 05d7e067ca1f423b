// A minimal Twilio-like Media Streams client for the edge tests (the full caller simulator lives
// in agent/src/sim/caller). Real `ws` client, signed upgrade, raw frames when a test needs them.
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { LOCAL_DEV_AUTH_TOKEN, MEDIA_STREAM_PATH, signTwilioRequest } from '../../../src/server/signature.ts';
import { STREAM_TOKEN_PARAMETER, StreamTokens } from '../../../src/server/stream-token.ts';

export interface AgentAddress {
  readonly url: string;
  readonly publicHost: string;
  /** The admin listener (probes, metrics, drain); scrape() uses it. */
  readonly adminUrl?: string;
}

/** A stream token as the agent's voice webhook would issue it for `callSid`. */
export function streamTokenFor(callSid: string, authToken = LOCAL_DEV_AUTH_TOKEN, ttlSeconds = 30): string {
  return new StreamTokens({ authToken, ttlSeconds }).issue(callSid);
}

export interface ConnectOptions {
  /** 'plain' (default) signs wss://host/ws/twilio-media, 'slash' the trailing-slash form, 'none' sends no header. */
  readonly sign?: 'plain' | 'slash' | 'none';
  readonly token?: string;
  readonly signature?: string;
  readonly path?: string;
}

export interface ServerMessage {
  event: string;
  streamSid?: string;
  media?: { payload: string };
  mark?: { name: string };
}

let sidSeq = 0;
export function newSids(): { streamSid: string; callSid: string; accountSid: string } {
  sidSeq += 1;
  const hex = `${process.pid.toString(16)}${sidSeq.toString(16)}`.padStart(32, '0');
  return { streamSid: `MZ${hex}`, callSid: `CA${hex}`, accountSid: `AC${'0'.repeat(32)}` };
}

export function upgradeSignature(agent: AgentAddress, options: ConnectOptions = {}): string | undefined {
  if (options.signature !== undefined) return options.signature;
  const sign = options.sign ?? 'plain';
  if (sign === 'none') return undefined;
  const url = `wss://${agent.publicHost}${MEDIA_STREAM_PATH}${sign === 'slash' ? '/' : ''}`;
  return signTwilioRequest(options.token ?? LOCAL_DEV_AUTH_TOKEN, url);
}

/** Opens a raw WebSocket; resolves with the HTTP status if the upgrade is refused. */
export function tryUpgrade(
  agent: AgentAddress,
  options: ConnectOptions = {},
): Promise<{ ws: WebSocket } | { status: number; body: string }> {
  const signature = upgradeSignature(agent, options);
  const target = `${agent.url.replace(/^http/, 'ws')}${options.path ?? MEDIA_STREAM_PATH}`;
  const ws = new WebSocket(target, {
    headers: signature === undefined ? {} : { 'x-twilio-signature': signature },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', reject);
  });
}

export class TestTwilioClient {
  readonly ws: WebSocket;
  readonly sids = newSids();
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private chunk = 0;
  private waiters: (() => void)[] = [];
  private readonly authToken: string;

  constructor(ws: WebSocket, authToken = LOCAL_DEV_AUTH_TOKEN) {
    this.ws = ws;
    this.authToken = authToken;
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    void this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(agent: AgentAddress, options: ConnectOptions = {}): Promise<TestTwilioClient> {
    const r = await tryUpgrade(agent, options);
    if ('status' in r) throw new Error(`upgrade refused with HTTP ${r.status}`);
    return new TestTwilioClient(r.ws, options.token);
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  connected(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  /** Sends start with a valid stream token for this CallSid unless customParameters carries one ('' for none). */
  start(customParameters: Record<string, string> = {}): void {
    const { streamSid, callSid, accountSid } = this.sids;
    if (!(STREAM_TOKEN_PARAMETER in customParameters))
      customParameters = {
        ...customParameters,
        [STREAM_TOKEN_PARAMETER]: streamTokenFor(callSid, this.authToken),
      };
    this.send({
      event: 'start',
      sequenceNumber: '1',
      streamSid,
      start: {
        streamSid,
        accountSid,
        callSid,
        tracks: ['inbound'],
        customParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
  }

  /** Sends the next 20 ms frame (chunk numbers and timestamps advance by themselves unless given). */
  media(payload: Buffer = Buffer.alloc(160, 0xff), at?: { chunk: number; timestamp: number }): void {
    this.chunk = at?.chunk ?? this.chunk + 1;
    const timestamp = at?.timestamp ?? (this.chunk - 1) * 20;
    this.send({
      event: 'media',
      sequenceNumber: String(this.chunk + 1),
      streamSid: this.sids.streamSid,
      media: {
        track: 'inbound',
        chunk: String(this.chunk),
        timestamp: String(timestamp),
        payload: payload.toString('base64'),
      },
    });
  }

  markEcho(name: string): void {
    this.send({ event: 'mark', sequenceNumber: '0', streamSid: this.sids.streamSid, mark: { name } });
  }

  dtmf(digit: string): void {
    this.send({
      event: 'dtmf',
      sequenceNumber: '0',
      streamSid: this.sids.streamSid,
      dtmf: { track: 'inbound_track', digit },
    });
  }

  stop(): void {
    this.send({
      event: 'stop',
      sequenceNumber: '0',
      streamSid: this.sids.streamSid,
      stop: { accountSid: this.sids.accountSid, callSid: this.sids.callSid },
    });
  }

  /** Resolves once `predicate` holds over the received messages (or rejects after timeoutMs). */
  async waitFor(predicate: (messages: ServerMessage[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.messages.length} messages`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000, 'test done');
    else if (this.ws.readyState === this.ws.CONNECTING) this.ws.terminate();
    await this.closed;
  }
}

/** Reads one sample value from Prometheus text (0 if absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)) have[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return 0;
}

export async function scrape(agent: AgentAddress): Promise<string> {
  const res = await fetch(`${agent.adminUrl ?? agent.url}/metrics`);
  return res.text();
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** POST /drain on the admin port with the token from the agent's drain token file, as the preStop hook does. */
export async function postDrain(agent: { adminUrl: string; drainTokenPath: string }): Promise<Response> {
  const token = readFileSync(agent.drainTokenPath, 'utf8').trim();
  return fetch(`${agent.adminUrl}/drain`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
}
