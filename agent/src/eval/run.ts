// Runs a corpus through one or two STT configurations, file after file (one call at a time, so
// latencies are not inflated by the evaluation itself), and scores every file.
import type { Config } from '../config/schema.ts';
import { createSttProvider, describeSttTarget } from '../stt/index.ts';
import type { StreamingStt } from '../stt/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import { silentLogger } from '../telemetry/logger.ts';
import type { TranscriptNormalization } from '../text/compare.ts';
import { loadRecordingAudio, type Recording } from './corpus.ts';
import { scoreFile, type ConfigRun, type FileOutcome } from './report.ts';
import { streamFile, type EvalClock } from './stream-file.ts';

export interface EvalConfig {
  /** Short key used in call ids (a, b). */
  readonly key: string;
  readonly label: string;
  readonly config: Config;
}

export interface EvalOptions {
  readonly recordings: readonly Recording[];
  readonly configs: readonly EvalConfig[];
  readonly normalization: TranscriptNormalization;
  readonly fast?: boolean;
  readonly tailMs?: number;
  readonly settleMs?: number;
  readonly clock?: EvalClock;
  readonly logger?: Logger;
  /** Called after each file (progress). */
  readonly onFile?: (label: string, outcome: FileOutcome) => void;
  /** Builds the recogniser for a configuration (tests); default: the agent's STT factory. */
  readonly createStt?: (config: Config) => StreamingStt;
}

/** The call id a file is streamed under: the emulator keys its scripts by it. */
export const evalCallId = (key: string, name: string): string => `eval-${key}-${name}`;

/** What a configuration sets that matters for recognition, on one line. */
export function describeEvalConfig(config: Config): string {
  const t = describeSttTarget(config);
  const hints = config.sttPhraseHints
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return [
    `${t.provider} ${t.apiVersion}`,
    `model ${t.model}`,
    t.language,
    t.encoding,
    `batch ${config.sttBatchMs} ms`,
    hints.length > 0 ? `${hints.length} phrase hints (boost ${config.sttPhraseBoost})` : 'no phrase hints',
    t.endpoint,
  ].join(' · ');
}

export async function runEvaluation(options: EvalOptions): Promise<ConfigRun[]> {
  const audio = new Map<string, Buffer>();
  for (const r of options.recordings) audio.set(r.name, await loadRecordingAudio(r));
  const runs: ConfigRun[] = [];
  for (const c of options.configs) {
    const stt = (options.createStt ?? ((config) => createSttProvider(config, { logger: options.logger })))(
      c.config,
    );
    const files: FileOutcome[] = [];
    try {
      await stt.ready?.();
      for (const r of options.recordings) {
        const result = await streamFile({
          stt,
          config: c.config,
          callId: evalCallId(c.key, r.name),
          mulaw: audio.get(r.name)!,
          logger: options.logger ?? silentLogger,
          ...(options.clock ? { clock: options.clock } : {}),
          ...(options.fast !== undefined ? { fast: options.fast } : {}),
          ...(options.tailMs !== undefined ? { tailMs: options.tailMs } : {}),
          ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
        });
        const outcome = scoreFile(r.name, r.reference, result, options.normalization);
        files.push(outcome);
        options.onFile?.(c.label, outcome);
      }
    } finally {
      await stt.close?.();
    }
    runs.push({ label: c.label, description: describeEvalConfig(c.config), files });
  }
  return runs;
}
