// Boots a complete agent from a config: providers, the boot log lines, tracing, the call
// session factory and the Twilio edge. main.ts, the demo, the benchmark and integration tests
// all go through here, so what they run is what production runs.
import { startAgent, type RunningAgent } from '../app.ts';
import { describeConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createProviders, describeLiveProviders, type ProviderOptions, type Providers } from './providers.ts';
import { describeSttTarget } from '../stt/index.ts';
import { resolveTwilioAuth } from '../server/signature.ts';
import type { Logger } from '../telemetry/logger.ts';
import { initTracing, type Tracing, type TracingOptions } from '../telemetry/tracing.ts';
import type { CallObserverFactory } from '../call/observer.ts';
import { createCallHandlerFactory, type SessionDeps } from '../call/session.ts';
import { createPlayground, type Playground } from '../playground/routes.ts';
import { DEFAULT_SCRIPT } from '../sim/speech/emulator.ts';
import { twilioCallActions } from '../twilio/call-actions.ts';
import { loadToolConfig, type ToolConfig } from '../tools/config.ts';
import { twilioRestFromConfig, type TwilioRest } from '../twilio/rest.ts';

export interface BootOptions extends ProviderOptions {
  /** Install SIGTERM/SIGINT drain handlers (main only). */
  readonly installSignalHandlers?: boolean;
  /** Called when a drain completes (default: close everything, then process.exit). */
  readonly onExit?: (code: number) => void;
  /** Wait for the providers (synthesiser, cached phrases) before listening. Default true. */
  readonly waitForProviders?: boolean;
  readonly tracingOptions?: TracingOptions;
  /** Observes every finished turn record (demo table, benchmark). */
  readonly onTurn?: SessionDeps['onTurn'];
  /** Watches calls (benchmark dumps); the playground's observer takes precedence when it is on. */
  readonly observe?: CallObserverFactory;
  /** Where tools' `secretEnv` variables are read. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface BootedAgent {
  readonly agent: RunningAgent;
  readonly providers: Providers;
  readonly tracing: Tracing;
  /** Ends every call, stops the listener, closes providers and tracing. Idempotent. */
  close(): Promise<void>;
}

/** What the model may do on calls: the HTTP tools, transfer targets, and whether REST works. */
function logToolsBootLine(tools: ToolConfig, rest: TwilioRest, logger: Logger): void {
  logger.info(
    {
      tools: tools.tools.map((t) => ({ name: t.spec.name, url: t.spec.url, signed: t.spec.secret !== '' })),
      transferTargets: tools.transferTargets.map((t) => t.name),
      twilioRest: rest.configured,
    },
    `Tools: ${tools.tools.length} HTTP, ${tools.transferTargets.length} transfer targets; Twilio REST ${rest.configured ? 'configured' : 'not configured (transfers fail; hang-ups close the stream only)'}`,
  );
}

/** The one structured line operators grep for: `Streaming STT enabled: true|false` with the target. */
export function logSttBootLine(config: Config, sttChoice: 'google' | 'emulator', logger: Logger): void {
  const d = describeSttTarget(config);
  logger.info(
    {
      stt: {
        streaming: d.streaming,
        provider: sttChoice,
        apiVersion: d.apiVersion,
        model: d.model,
        language: d.language,
        endpoint: d.endpoint,
        region: d.region,
        location: d.location,
        locationSource: d.locationSource,
        ...(d.recognizer !== undefined ? { recognizer: d.recognizer } : {}),
        encoding: d.encoding,
        ...(sttChoice === 'emulator'
          ? { note: 'embedded Speech API emulator: NOT real speech recognition' }
          : {}),
      },
    },
    `Streaming STT enabled: ${d.streaming}`,
  );
}

/** Which providers are live, with a warning when any is an offline stand-in. */
function logProvidersLive(live: Providers['live'], logger: Logger): void {
  logger.info(
    { providers: describeLiveProviders(live), live },
    `Providers live: stt=${live.stt} llm=${live.llm} tts=${live.tts}`,
  );
  const offline = Object.entries(live).filter(
    ([, v]) => v === 'emulator' || v === 'scripted' || v === 'local',
  );
  if (offline.length > 0) {
    logger.warn(
      { offline: offline.map(([k]) => k) },
      'Offline providers in use: not real speech recognition / language model / Google voices (set Google and OpenAI credentials for production)',
    );
  }
}

export async function bootAgent(
  config: Config,
  logger: Logger,
  options: BootOptions = {},
): Promise<BootedAgent> {
  logger.info({ config: describeConfig(config) }, 'effective configuration');
  // Refuse an open door before starting anything (startAgent checks again).
  const auth = resolveTwilioAuth(config);
  // Tools and transfer targets are checked before anything starts: a bad entry stops the boot.
  const tools = loadToolConfig(config, options.env ?? process.env);
  const twilioRest = twilioRestFromConfig(config, auth);
  logToolsBootLine(tools, twilioRest, logger);
  const providers = await createProviders(config, logger, options);
  let tracing: Tracing | undefined;
  try {
    logSttBootLine(providers.effectiveConfig, providers.live.stt, logger);
    logProvidersLive(providers.live, logger);
    tracing = await initTracing(config, logger, options.tracingOptions);
    if (options.waitForProviders ?? true) await providers.whenReady();
  } catch (err) {
    await providers.close();
    await tracing?.shutdown();
    throw err;
  }
  const playground = config.playgroundEnabled
    ? bootPlayground(config, logger, providers, tracing)
    : undefined;
  const handlerFactory = createCallHandlerFactory({
    config: providers.effectiveConfig,
    stt: providers.stt,
    responder: providers.responder,
    synthesizer: providers.synthesizer,
    phrases: providers.phrases,
    tracing,
    logger,
    ...(options.onTurn ? { onTurn: options.onTurn } : {}),
    ...(playground
      ? { observe: playground.calls.observe }
      : options.observe
        ? { observe: options.observe }
        : {}),
    // end_call is always offered to a model that can call tools; HTTP tools and transfers as configured.
    tools,
    actions: (ctx) =>
      twilioCallActions({ sink: ctx.sink, info: ctx.info, rest: twilioRest, targets: tools.transferTargets }),
  });
  const tracingRef = tracing;
  let closing: Promise<void> | undefined;
  const closeRest = async (): Promise<void> => {
    await providers.close();
    await tracingRef.shutdown();
  };
  const agent = await startAgent({
    config,
    logger,
    handlerFactory,
    twilioRest,
    readiness: () => providers.readiness(),
    tracing,
    ...(playground ? { playground } : {}),
    installSignalHandlers: options.installSignalHandlers ?? false,
    onExit:
      options.onExit ??
      ((code) => {
        void closeRest().finally(() => process.exit(code));
      }),
  });
  return {
    agent,
    providers,
    tracing,
    close() {
      closing ??= (async () => {
        await agent.close();
        await closeRest();
      })();
      return closing;
    },
  };
}

/** The browser playground (PLAYGROUND_ENABLED): offline, each call "hears" the emulator's default script. */
function bootPlayground(config: Config, logger: Logger, providers: Providers, tracing: Tracing): Playground {
  const emulator = providers.speechEmulator;
  const playground = createPlayground({
    config,
    logger: logger.child({ component: 'playground' }),
    live: providers.live,
    tracing,
    ...(emulator
      ? {
          emulatedScript: {
            lines: DEFAULT_SCRIPT,
            setScript: (callSid, lines) => emulator.setScript(callSid, lines),
          },
        }
      : {}),
  });
  logger.warn(
    {
      path: '/playground',
      token: config.playgroundToken === '' ? 'none (loopback clients only)' : 'required off loopback',
    },
    'browser playground enabled',
  );
  return playground;
}
