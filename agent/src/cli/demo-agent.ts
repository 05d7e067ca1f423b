// The agent as the offline demos run it: in-process on loopback, any free port, the embedded
// Speech emulator and local espeak-ng whatever the environment says (a demo must work on any
// laptop), no tracing, logs on stderr so stdout is the table, every finished turn record kept.
import type { TurnRecord } from '../call/turn-record.ts';
import { loadConfig } from '../config/load.ts';
import { bootAgent, type BootedAgent } from '../runtime/boot.ts';
import { createLogger } from '../telemetry/logger.ts';

export interface DemoAgentOptions {
  /** Settings on top of the offline ones (e.g. the LLM provider, tools, Twilio REST). */
  readonly settings: Readonly<Record<string, string>>;
  readonly verbose: boolean;
  /** Where tools' `secretEnv` variables are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface DemoAgent {
  readonly booted: BootedAgent;
  /** Every finished turn record, in order. */
  readonly records: TurnRecord[];
}

export async function bootDemoAgent(o: DemoAgentOptions): Promise<DemoAgent> {
  const config = Object.freeze({
    ...loadConfig({
      ...process.env,
      HOST: '127.0.0.1',
      PUBLIC_HOST: '',
      TWILIO_AUTH_TOKEN: '',
      TWILIO_SIGNATURE_VALIDATION: 'true',
      STT_PROVIDER: 'emulator',
      STT_ENDPOINT: '',
      TTS_PROVIDER: 'local',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      POD_DELETION_COST_ENABLED: 'false',
      LOG_LEVEL: o.verbose ? 'info' : 'warn',
      ...o.settings,
    }),
    // Any free port (the schema's PORT starts at 1; 0 is for in-process use only).
    port: 0,
    adminPort: 0,
  });
  const logger = createLogger(config.logLevel, process.stderr);
  const records: TurnRecord[] = [];
  const booted = await bootAgent(config, logger, {
    ...(o.env ? { env: o.env } : {}),
    onTurn: (r) => records.push(structuredClone(r)),
    onExit: () => undefined,
  });
  return { booted, records };
}
