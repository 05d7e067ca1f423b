// `npm run eval:stt -- --dir <folder>`: recognition quality a user can measure. Streams every
// recording of a folder through the configured STT exactly as a call does and reports WER, CER
// and latencies per file and overall, for one configuration or two side by side.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { resolveSttChoice } from '../runtime/providers.ts';
import { startSpeechEmulator, type SpeechEmulator } from '../sim/speech/emulator.ts';
import { createLogger, type Logger } from '../telemetry/logger.ts';
import { CorpusError, loadCorpus, parseTranscriptTsv, type Recording } from '../eval/corpus.ts';
import { renderReport, summarize } from '../eval/report.ts';
import { evalCallId, runEvaluation, type EvalConfig } from '../eval/run.ts';

const HELP = `Usage: npm run eval:stt -- --dir <folder> [options]

Streams each recording in <folder> (WAV of any rate/format, or raw mu-law 8 kHz as .ulaw/.raw)
through the agent's STT as a call does (20 ms frames, STT_BATCH_MS batches, local VAD marks,
then caller silence until the finals arrive) and reports WER and CER after Hebrew normalisation
plus first-partial and final latencies, per file and overall. References come from
<folder>/transcripts.tsv (name<TAB>text) or <name>.txt.

The configuration is the agent's: environment variables as for \`npm start\` (STT_API_VERSION,
STT_MODEL, STT_ENCODING, STT_PHRASE_HINTS, STT_BATCH_MS, GOOGLE_APPLICATION_CREDENTIALS, ...).
Without Google credentials or STT_ENDPOINT it uses the embedded Speech emulator (scripted
transcripts, NOT real recognition), as the agent does.

Options:
  --dir <folder>          Recordings and references. Required.
  --a KEY=VALUE           Setting for configuration A (over the environment). Repeatable.
  --b KEY=VALUE           Setting for configuration B; any --b runs B side by side. Repeatable.
  --label-a <name>        Column name of A (default "A"); --label-b likewise (default "B").
  --numerals keep|digits  digits: number words and digits compare equal (שלוש = 3). Default keep.
  --fast                  Send each recording as fast as the recogniser takes it (the emulator
                          does; Google expects about real time). Latencies then mean less.
  --tail-ms <ms>          Caller silence after each recording. Default 1000.
  --settle-ms <ms>        Longest wait for outstanding finals after the tail. Default 8000.
  --emulator-script <tsv> Embedded emulator only: name<TAB>what A hears[<TAB>what B hears],
                          utterances separated by " | ". Default: it hears the reference.
  --emulator-latency-scale <x>  Embedded emulator latency multiplier (default 1: reference profile).
  --out <file.md>         Also write the report there.  --json <file>  Write all results as JSON.
  --help
`;

function parseOverrides(list: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} expects KEY=VALUE, got "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

class UsageError extends Error {}

/**
 * The embedded Speech emulator, scripted per configuration and recording: by default it "hears"
 * the reference; a script TSV (name<TAB>A[<TAB>B], utterances " | ") makes known mistakes.
 */
async function startScriptedEmulator(
  configs: ReadonlyArray<{ readonly key: string }>,
  recordings: readonly Recording[],
  scriptPath: string | undefined,
  latencyScale: number,
  logger: Logger,
): Promise<SpeechEmulator> {
  const script = scriptPath ? parseTranscriptTsv(await readFile(scriptPath, 'utf8'), scriptPath) : undefined;
  const emulator = await startSpeechEmulator({ host: '127.0.0.1', port: 0, latencyScale, logger });
  for (const [k, c] of configs.entries()) {
    for (const r of recordings) {
      const columns = script?.get(r.name)?.split('\t');
      const heard = columns?.[k] ?? columns?.[0] ?? r.reference;
      emulator.setScript(
        evalCallId(c.key, r.name),
        heard.split(' | ').map((l) => l.trim()),
      );
    }
  }
  process.stderr.write(
    `eval:stt: embedded Speech emulator at ${emulator.address} (scripted transcripts, NOT real recognition)\n`,
  );
  return emulator;
}

const CLI_OPTIONS = {
  dir: { type: 'string' },
  a: { type: 'string', multiple: true },
  b: { type: 'string', multiple: true },
  'label-a': { type: 'string', default: 'A' },
  'label-b': { type: 'string', default: 'B' },
  numerals: { type: 'string', default: 'keep' },
  fast: { type: 'boolean', default: false },
  'tail-ms': { type: 'string', default: '1000' },
  'settle-ms': { type: 'string', default: '8000' },
  'emulator-script': { type: 'string' },
  'emulator-latency-scale': { type: 'string', default: '1' },
  out: { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

interface EvalCli {
  readonly values: ReturnType<typeof parseArgs<{ options: typeof CLI_OPTIONS }>>['values'];
  /** A path the user gave, relative to where they ran npm (npm runs the script in agent/). */
  readonly path: (p: string) => string;
  /** --dir as given (the report names it so) and resolved. */
  readonly corpus: string;
  readonly dir: string;
  readonly numerals: 'keep' | 'digits';
  readonly tailMs: number;
  readonly settleMs: number;
  readonly latencyScale: number;
}

/** The command line, checked: a UsageError names the first bad option. */
function parseCli(): EvalCli | undefined {
  const { values } = parseArgs({ options: CLI_OPTIONS });
  if (values.help) return undefined;
  if (!values.dir) throw new UsageError('--dir is required');
  const base = process.env.INIT_CWD ?? process.cwd();
  const path = (p: string): string => resolve(base, p);
  const numerals = values.numerals;
  if (numerals !== 'keep' && numerals !== 'digits') throw new UsageError('--numerals must be keep or digits');
  const number = (name: string, raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number`);
    return n;
  };
  return {
    values,
    path,
    corpus: values.dir,
    dir: path(values.dir),
    numerals,
    tailMs: number('tail-ms', values['tail-ms']),
    settleMs: number('settle-ms', values['settle-ms']),
    latencyScale: number('emulator-latency-scale', values['emulator-latency-scale']),
  };
}

async function main(): Promise<number> {
  const cli = parseCli();
  if (cli === undefined) {
    process.stdout.write(HELP);
    return 0;
  }
  const { values, path, corpus, dir, numerals, tailMs, settleMs, latencyScale } = cli;

  const recordings = await loadCorpus(dir);
  const wanted: Array<{ key: string; label: string; env: Record<string, string> }> = [
    { key: 'a', label: values['label-a'], env: parseOverrides(values.a, '--a') },
  ];
  if ((values.b ?? []).length > 0)
    wanted.push({ key: 'b', label: values['label-b'], env: parseOverrides(values.b, '--b') });
  const configs = wanted.map((w) => ({ ...w, config: loadConfig({ ...process.env, ...w.env }) }));
  const logger = createLogger(configs[0]!.config.logLevel, process.stderr);

  let emulator: SpeechEmulator | undefined;
  const evalConfigs: EvalConfig[] = [];
  try {
    if (configs.some((c) => resolveSttChoice(c.config) === 'emulator')) {
      const script = values['emulator-script'] ? path(values['emulator-script']) : undefined;
      emulator = await startScriptedEmulator(configs, recordings, script, latencyScale, logger);
    }
    for (const c of configs) {
      const config: Config =
        resolveSttChoice(c.config) === 'emulator' && emulator
          ? Object.freeze({ ...c.config, sttEndpoint: emulator.address })
          : c.config;
      evalConfigs.push({ key: c.key, label: c.label, config });
    }
    const runs = await runEvaluation({
      recordings,
      configs: evalConfigs,
      normalization: { numerals },
      fast: values.fast,
      tailMs,
      settleMs,
      logger,
      onFile: (label, o) =>
        process.stderr.write(
          `  ${label} ${o.name}: WER ${(o.score.wer * 100).toFixed(1)} % "${o.result.hypothesis}"\n`,
        ),
    });
    const emulated = evalConfigs.filter((c) => resolveSttChoice(c.config) === 'emulator').length;
    const report = renderReport(runs, {
      corpus,
      normalization: { numerals },
      pacing: values.fast ? 'fast' : 'real time',
      target:
        emulated === 0
          ? 'Google Cloud Speech-to-Text'
          : emulated === evalConfigs.length
            ? 'embedded Speech emulator (scripted, not real recognition)'
            : 'per configuration (the emulator is scripted, not real recognition)',
    });
    process.stdout.write(report);
    if (values.out) await writeFile(path(values.out), report);
    if (values.json)
      await writeFile(
        path(values.json),
        `${JSON.stringify({ runs: runs.map((r) => ({ ...r, summary: summarize(r) })) }, null, 2)}\n`,
      );
    return runs.some((r) => summarize(r).errors > 0) ? 2 : 0;
  } finally {
    await emulator?.close();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof UsageError || err instanceof CorpusError || err instanceof ConfigError) {
    process.stderr.write(`eval:stt: ${err.message}\n${err instanceof UsageError ? `\n${HELP}` : ''}`);
    process.exitCode = 64;
  } else throw err;
}
