// The plumbing-floor agent's process wiring: the Twilio edge (fastify for the voice webhook, ws for
// the Media Stream, both signed like Twilio's), the three provider clients configured exactly as
// the real agent configures them (the production code reused where it IS the client config: the
// Speech stream wrapper stt/google.ts, the OpenAI client of llm/openai.ts, the TTS client options
// of tts/google.ts), and an admin listener with /readyz and /metrics for the capacity harness.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import formbody from '@fastify/formbody';
import { TextToSpeechClient } from '@google-cloud/text-to-speech';
import Fastify from 'fastify';
import type OpenAI from 'openai';
import { WebSocketServer } from 'ws';
import type { Config } from '../../src/config/schema.ts';
import { openAiResponderFrom } from '../../src/llm/index.ts';
import {
  MEDIA_STREAM_PATH,
  VOICE_WEBHOOK_PATH,
  effectiveAuthToken,
  isValidUpgradeSignature,
  isValidWebhookSignature,
  webhookUrl,
} from '../../src/server/signature.ts';
import { buildVoiceTwiml } from '../../src/server/twiml.ts';
import { createRawGoogleProvider } from '../../src/stt/index.ts';
import { emulatorClientOptions, voiceLanguage } from '../../src/tts/google.ts';
import { stripWavHeader } from '../../src/tts/wav-header.ts';
import { FloorCall, type ChatTurn, type FloorProviders } from './call.ts';
import { FloorCounts, metricsText } from './plumbing.ts';

export interface FloorAgent {
  readonly url: string;
  readonly adminUrl: string;
  readonly publicHost: string;
  readonly counts: FloorCounts;
  close(): Promise<void>;
}

/** The same deadline the real agent gives one unary synthesis (tts/google.ts). */
const TTS_TIMEOUT_MS = 10_000;

/** One error line in the shape the harness counts (pino's JSON with a level label). */
function logError(counts: FloorCounts, what: string, err: unknown): void {
  counts.errors++;
  const detail = err instanceof Error ? err.message : String(err);
  process.stdout.write(`${JSON.stringify({ level: 'error', msg: `floor: ${what}: ${detail}` })}\n`);
}

async function* llmDeltas(
  client: OpenAI,
  config: Config,
  counts: FloorCounts,
  history: readonly ChatTurn[],
  signal: AbortSignal,
): AsyncIterable<string> {
  counts.llmRequests++;
  const stream = await client.chat.completions.create(
    {
      model: config.llmModel,
      messages: [{ role: 'system', content: config.llmSystemPrompt }, ...history],
      temperature: config.llmTemperature,
      max_tokens: config.llmMaxTokens,
      stream: true,
    },
    { signal, maxRetries: 0 },
  );
  try {
    for await (const chunk of stream) {
      counts.llmChunks++;
      const text = chunk.choices[0]?.delta?.content;
      if (text) yield text;
    }
  } catch (err) {
    // The SDK throws APIUserAbortError when we abort (barge-in, hang-up): not a failure.
    if (!signal.aborted) throw err;
  }
}

async function synthesize(
  client: TextToSpeechClient,
  config: Config,
  counts: FloorCounts,
  text: string,
  signal: AbortSignal | undefined,
): Promise<Buffer | undefined> {
  if (signal?.aborted) return undefined;
  counts.ttsRequests++;
  const call = client.synthesizeSpeech(
    {
      input: { text },
      voice: { name: config.ttsVoice, languageCode: voiceLanguage(config.ttsVoice) },
      audioConfig: {
        audioEncoding: 'MULAW',
        sampleRateHertz: 8000,
        speakingRate: config.ttsSpeakingRate,
        pitch: config.ttsPitch,
      },
    },
    { retry: null, timeout: TTS_TIMEOUT_MS },
  );
  const cancel = (): void => (call as unknown as { cancel?: () => void }).cancel?.();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const [response] = await call;
    const c = response.audioContent ?? new Uint8Array();
    return stripWavHeader(
      typeof c === 'string' ? Buffer.from(c, 'base64') : Buffer.from(c.buffer, c.byteOffset, c.byteLength),
    );
  } catch (err) {
    if (signal?.aborted) return undefined;
    throw err;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

/** The real clients, configured from the agent's own settings. */
function providersFrom(config: Config, counts: FloorCounts): FloorProviders & { close(): Promise<void> } {
  const stt = createRawGoogleProvider(config);
  const responder = openAiResponderFrom(config);
  const tts = new TextToSpeechClient(
    config.ttsEndpoint === '' ? {} : emulatorClientOptions(config.ttsEndpoint),
  );
  let greeting: Promise<Buffer | undefined> | undefined;
  return {
    stt,
    answer: (history, signal) => llmDeltas(responder.client, config, counts, history, signal),
    speak: (text, signal) => synthesize(tts, config, counts, text, signal),
    greeting: () => {
      if (config.greetingText === '') return Promise.resolve(undefined);
      // Synthesised once per process, as the real agent's phrase cache does.
      greeting ??= synthesize(tts, config, counts, config.greetingText, undefined);
      return greeting;
    },
    async close() {
      await Promise.allSettled([stt.close(), responder.close(), tts.close()]);
    },
  };
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

/** /readyz and /metrics for the capacity harness, on their own listener like the real agent's. */
async function startAdmin(
  counts: FloorCounts,
  port: number,
  host: string,
): Promise<{ readonly port: number; close(): Promise<void> }> {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const server = createServer((req, res) => {
    if (req.url === '/readyz' || req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (req.url === '/metrics') {
      // Each scrape reads and resets the lag histogram, like the real agent's (server/metrics.ts).
      const reading = {
        p50Seconds: lag.percentile(50) / 1e9,
        p99Seconds: lag.percentile(99) / 1e9,
        maxSeconds: lag.max / 1e9,
      };
      lag.reset();
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(metricsText(counts, reading, process.memoryUsage().heapUsed));
      return;
    }
    res.writeHead(404).end();
  });
  const bound = await listen(server, port, host);
  return {
    port: bound,
    async close() {
      lag.disable();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Starts the floor agent on config.port (Twilio side) and config.adminPort (probes, metrics). */
export async function startFloorAgent(config: Config): Promise<FloorAgent> {
  const counts = new FloorCounts();
  const providers = providersFrom(config, counts);
  const authToken = effectiveAuthToken(config.twilioAuthToken);
  const onError = (what: string, err: unknown): void => logError(counts, what, err);

  const app = Fastify({ logger: false });
  await app.register(formbody);
  let publicHost = config.publicHost;
  app.post(VOICE_WEBHOOK_PATH, async (req, reply) => {
    const ok = isValidWebhookSignature(
      authToken,
      req.headers['x-twilio-signature'] as string | undefined,
      webhookUrl(publicHost, VOICE_WEBHOOK_PATH),
      (req.body ?? {}) as Record<string, unknown>,
    );
    if (!ok) return reply.code(403).send('bad signature');
    return reply.type('text/xml').send(buildVoiceTwiml({ publicHost, parameters: {} }));
  });

  // The real agent's media socket options (app.ts): no deflate, 1 MiB messages at most.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== MEDIA_STREAM_PATH) return refuse(socket, 404, 'Not Found');
    const signature = req.headers['x-twilio-signature'] as string | undefined;
    if (!isValidUpgradeSignature(authToken, signature, publicHost)) return refuse(socket, 403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const call = new FloorCall({
        socket: { send: (t) => ws.send(t), close: (code) => ws.close(code) },
        providers,
        counts,
        batchMs: config.sttBatchMs,
        onError,
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        // ws hands over a Buffer (binaryType 'nodebuffer', fragments already joined).
        if (Buffer.isBuffer(data)) call.onMessage(data);
        else call.onMessage(Array.isArray(data) ? Buffer.concat(data) : new Uint8Array(data));
      });
      ws.on('close', () => call.end());
      ws.on('error', (err) => onError('socket', err));
    });
  });
  const port = await app.listen({ port: config.port, host: config.host });
  const boundPort = Number(new URL(port).port);
  if (publicHost === '') publicHost = `localhost:${boundPort}`;

  const admin = await startAdmin(counts, config.adminPort, config.host);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    url: `http://${host}:${boundPort}`,
    adminUrl: `http://${host}:${admin.port}`,
    publicHost,
    counts,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await app.close();
      await admin.close();
      await providers.close();
    },
  };
}
