// GET /playground/calls/<callSid>/events: one call's events as Server-Sent Events, for the
// holder of that call's events key (a bearer token; EventSource cannot send headers, so the
// page reads the stream with fetch). Backlog first, then live; the feed ends with the call.
import type { FastifyInstance } from 'fastify';
import { bearerToken } from './access.ts';
import type { PlaygroundCalls, SequencedEvent } from './calls.ts';

const SSE_HEARTBEAT_MS = 15_000;

export const eventFeedPath = (callSid: string): string => `/playground/calls/${callSid}/events`;

export function registerEventFeed(app: FastifyInstance, calls: PlaygroundCalls): void {
  app.get<{ Params: { callSid: string } }>('/playground/calls/:callSid/events', async (request, reply) => {
    const raw = reply.raw;
    const write = (e: SequencedEvent): void => {
      raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      if (e.type === 'ended') raw.end();
    };
    const sub = calls.subscribe(request.params.callSid, bearerToken(request.headers.authorization), write);
    if (sub === 'not_found') return reply.code(404).send({ error: 'no such playground call' });
    if (sub === 'forbidden') return reply.code(403).send({ error: 'wrong events key for this call' });
    if (sub === 'busy') return reply.code(429).send({ error: 'too many event feeds for this call' });
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    raw.write(': playground events\n\n');
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    raw.on('close', () => {
      clearInterval(heartbeat);
      sub.unsubscribe();
    });
    for (const e of sub.backlog) write(e);
  });
}
