// Real binaries for integration tests, built from the Go module proxy by
// test-env/build-<script>.sh and cached outside the repo, keyed by version:
//   ${HVA_TOOLS_CACHE:-~/.cache/hva-tools}/<dir>/<binary>
// Each binary is checked on its own (an older cache holding only kube-apiserver still builds
// kube-controller-manager). Each build script is idempotent: it exits when the binary exists.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Pinned versions: one place to bump them. */
export const TOOL_VERSIONS = {
  kubernetes: 'v1.34.4',
  etcd: 'v3.6.16',
  helm: 'v3.22.0',
  jaeger: 'v1.76.0', // module version of the Jaeger v2.13.0 release commit (see build-jaeger.sh)
  kwok: 'v0.7.0',
  customMetricsApiserver: 'v1.34.0', // sigs.k8s.io/custom-metrics-apiserver, for metrics-adapter/
} as const;

interface ToolSpec {
  readonly version: string;
  /** Cache sub-directory (unique per build input). */
  readonly dir: string;
  readonly binary: string;
  /** build-<script>.sh <version> <dir> [...args] */
  readonly script: string;
  readonly args?: readonly string[];
}

/** The adapter is our own source: its cache key includes a hash of it, so edits rebuild it. */
function adapterSourceHash(): string {
  return createHash('sha256')
    .update(readFileSync(join(here, 'metrics-adapter', 'main.go')))
    .digest('hex')
    .slice(0, 8);
}

const k8s = TOOL_VERSIONS.kubernetes;
const SPECS = {
  // 'kubernetes' is kube-apiserver (the name predates the other components).
  kubernetes: { version: k8s, dir: `kubernetes-${k8s}`, binary: 'kube-apiserver', script: 'kubernetes' },
  'kube-controller-manager': {
    version: k8s,
    dir: `kubernetes-${k8s}`,
    binary: 'kube-controller-manager',
    script: 'kubernetes',
    args: ['kube-controller-manager'],
  },
  'kube-scheduler': {
    version: k8s,
    dir: `kubernetes-${k8s}`,
    binary: 'kube-scheduler',
    script: 'kubernetes',
    args: ['kube-scheduler'],
  },
  etcd: { version: TOOL_VERSIONS.etcd, dir: `etcd-${TOOL_VERSIONS.etcd}`, binary: 'etcd', script: 'etcd' },
  helm: { version: TOOL_VERSIONS.helm, dir: `helm-${TOOL_VERSIONS.helm}`, binary: 'helm', script: 'helm' },
  jaeger: {
    version: TOOL_VERSIONS.jaeger,
    dir: `jaeger-${TOOL_VERSIONS.jaeger}`,
    binary: 'jaeger',
    script: 'jaeger',
  },
  kwok: { version: TOOL_VERSIONS.kwok, dir: `kwok-${TOOL_VERSIONS.kwok}`, binary: 'kwok', script: 'kwok' },
  'metrics-adapter': {
    version: TOOL_VERSIONS.customMetricsApiserver,
    get dir() {
      return `metrics-adapter-${TOOL_VERSIONS.customMetricsApiserver}-${adapterSourceHash()}`;
    },
    binary: 'hva-metrics-adapter',
    script: 'metrics-adapter',
  },
} satisfies Record<string, ToolSpec>;

export type Tool = keyof typeof SPECS;
export const TOOLS = Object.keys(SPECS) as Tool[];

export function toolVersion(tool: Tool): string {
  return SPECS[tool].version;
}

export function toolsCacheDir(): string {
  return process.env.HVA_TOOLS_CACHE ?? join(homedir(), '.cache', 'hva-tools');
}

export function cachedToolPath(tool: Tool): string {
  const spec: ToolSpec = SPECS[tool];
  return join(toolsCacheDir(), spec.dir, spec.binary);
}

/** Returns the binary's path, building it first (minutes, once per version) if it is not cached. */
export function ensureTool(tool: Tool): string {
  const path = cachedToolPath(tool);
  if (existsSync(path)) return path;
  const spec: ToolSpec = SPECS[tool];
  console.error(`[test-env] building ${tool} ${spec.version} from the Go module proxy (cached at ${path})`);
  execFileSync(
    'bash',
    [join(here, `build-${spec.script}.sh`), spec.version, dirname(path), ...(spec.args ?? [])],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 45 * 60_000 },
  );
  if (!existsSync(path)) throw new Error(`build-${spec.script}.sh finished but ${path} does not exist`);
  return path;
}
