// The plumbing floor: a minimal agent process that does only what the libraries must do for a
// Twilio call (fastify/ws edge, @google-cloud/speech streaming, openai streaming,
// @google-cloud/text-to-speech, mu-law out, clear on barge-in) and nothing else, so the capacity
// harness can measure what a call costs below the real agent (docs/bench/cost.md, "the plumbing
// floor"). Same environment as the real agent (agent/src/config/schema.ts); run it with
//   npm run bench -- --agent-entry floor --profile reference --steps 50,100,200 --beyond 0
// Never part of the product: it has no VAD, endpointer, metrics, tracing, drain or limits.
import { loadConfig } from '../../src/config/load.ts';
import { startFloorAgent } from './server.ts';

const agent = await startFloorAgent(loadConfig(process.env));
process.stdout.write(
  `${JSON.stringify({ level: 'info', msg: `floor agent on ${agent.url}, admin ${agent.adminUrl}` })}\n`,
);
const stop = (): void => {
  agent.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
