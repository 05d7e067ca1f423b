// Real binaries for integration tests (kube-apiserver, etcd, helm, jaeger), built from the Go
// module proxy by test-env/build-<tool>.sh and cached outside the repo, keyed by version:
//   ${HVA_TOOLS_CACHE:-~/.cache/hva-tools}/<tool>-<version>/<binary>
// Each build script is idempotent: it exits at once when the cached binary exists.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
} as const;
export type Tool = keyof typeof TOOL_VERSIONS;

const BINARIES: Record<Tool, string> = {
  kubernetes: 'kube-apiserver',
  etcd: 'etcd',
  helm: 'helm',
  jaeger: 'jaeger',
};

export function toolsCacheDir(): string {
  return process.env.HVA_TOOLS_CACHE ?? join(homedir(), '.cache', 'hva-tools');
}

export function cachedToolPath(tool: Tool): string {
  return join(toolsCacheDir(), `${tool}-${TOOL_VERSIONS[tool]}`, BINARIES[tool]);
}

/** Returns the binary's path, building it first (minutes, once per version) if it is not cached. */
export function ensureTool(tool: Tool): string {
  const path = cachedToolPath(tool);
  if (existsSync(path)) return path;
  console.error(
    `[test-env] building ${tool} ${TOOL_VERSIONS[tool]} from the Go module proxy (cached at ${path})`,
  );
  execFileSync('bash', [join(here, `build-${tool}.sh`), TOOL_VERSIONS[tool], dirname(path)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 45 * 60_000,
  });
  if (!existsSync(path)) throw new Error(`build-${tool}.sh finished but ${path} does not exist`);
  return path;
}
