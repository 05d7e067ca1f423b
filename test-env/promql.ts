// Prometheus' own PromQL engine for tests: test-env/promql/queries_test.go compiled once into a
// cached test binary (keyed by the module and source it is built from), run on a cases file.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolsCacheDir } from './tools.ts';

const here = dirname(fileURLToPath(import.meta.url));
const moduleDir = join(here, 'promql');

export interface PromqlCases {
  /** A promqltest `load` block: "load 30s\n  metric{a=\"b\"} 0+1x40\n ...". */
  load: string;
  /** Evaluation end (unix seconds); queries run over the 10 minutes before it. */
  end: number;
  queries: { name: string; expr: string; wantSeries: boolean }[];
}

/** Path of the cached test binary, building it first when the module or source changed. */
export function ensurePromqlEvaluator(): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'queries_test.go']) hash.update(readFileSync(join(moduleDir, f)));
  const out = join(toolsCacheDir(), `promql-${hash.digest('hex').slice(0, 12)}`);
  const binary = join(out, 'promql.test');
  if (existsSync(binary)) return binary;
  console.error(`[test-env] building the PromQL evaluator into ${out} (minutes, once)`);
  execFileSync('bash', [join(here, 'build-promql.sh'), out], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 45 * 60_000,
  });
  return binary;
}

/** Runs the cases; resolves with the test binary's exit code and output (-test.v). */
export function evaluatePromql(cases: PromqlCases): Promise<{ code: number; output: string }> {
  const binary = ensurePromqlEvaluator();
  const dir = mkdtempSync(join(tmpdir(), 'hva-promql-'));
  const file = join(dir, 'cases.json');
  writeFileSync(file, JSON.stringify(cases));
  return new Promise((resolve) => {
    execFile(
      binary,
      ['-test.v', '-test.run', 'TestQueries'],
      { env: { ...process.env, HVA_PROMQL_CASES: file }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}
