// Which malloc the benchmarked agent process runs with. The image preloads jemalloc
// (agent/Dockerfile: LD_PRELOAD): with glibc's malloc the main arena keeps the pages of freed
// Buffers resident and RSS ratchets up under churn (docs/bench/soak.md, memory notes), so a
// benchmark on glibc measures memory the product does not use. Only the agent gets the
// preload; the emulators and the callers keep the bench's own allocator.
// Pure: the file checks and the /proc read are passed in or done by the caller.

export type AllocatorName = 'jemalloc' | 'glibc';

export interface Allocator {
  readonly name: AllocatorName;
  /** The shared object preloaded (jemalloc only). */
  readonly library?: string;
  /** How it was chosen, for the report: the flag, or the default and why. */
  readonly reason: string;
}

export const JEMALLOC_SONAME = 'libjemalloc.so.2';

/** Debian's multiarch directory for a Node `process.arch` (libjemalloc2 installs there). */
export function multiarchDir(arch: string): string | undefined {
  if (arch === 'x64') return 'x86_64-linux-gnu';
  if (arch === 'arm64') return 'aarch64-linux-gnu';
  return undefined;
}

/** Where libjemalloc.so.2 may be, most likely first: Debian's multiarch path, then plain lib dirs. */
export function jemallocCandidates(arch: string): string[] {
  const dir = multiarchDir(arch);
  return [
    ...(dir ? [`/usr/lib/${dir}/${JEMALLOC_SONAME}`] : []),
    `/usr/local/lib/${JEMALLOC_SONAME}`,
    `/usr/lib/${JEMALLOC_SONAME}`,
  ];
}

/**
 * `--allocator jemalloc|glibc` (undefined: the default, what the image runs: jemalloc when the
 * library is installed, else glibc, said so in the reason). Asking for jemalloc when it is
 * missing is an error, never a silent glibc run.
 */
export function resolveAllocator(
  flag: string | undefined,
  exists: (path: string) => boolean,
  arch: string = process.arch,
): Allocator {
  const found = jemallocCandidates(arch).find(exists);
  const choice = flag?.trim() ?? '';
  if (choice === '') {
    return found
      ? { name: 'jemalloc', library: found, reason: 'the default, as the image runs the agent' }
      : {
          name: 'glibc',
          reason: `the default would be jemalloc (as the image), but ${JEMALLOC_SONAME} is not installed (Debian: apt-get install libjemalloc2)`,
        };
  }
  if (choice === 'glibc') return { name: 'glibc', reason: '--allocator glibc (the image runs jemalloc)' };
  if (choice === 'jemalloc') {
    if (!found)
      throw new Error(
        `--allocator jemalloc: ${JEMALLOC_SONAME} not found (looked in ${jemallocCandidates(arch).join(', ')}); Debian: apt-get install libjemalloc2`,
      );
    return { name: 'jemalloc', library: found, reason: '--allocator jemalloc' };
  }
  throw new Error(`--allocator ${choice}: expected jemalloc or glibc`);
}

/**
 * What the agent's environment adds for an allocator: jemalloc is preloaded; glibc adds nothing
 * (the harness passes the agent only a few named variables of its own environment, so a
 * preload in the bench's environment does not reach it).
 */
export function allocatorEnv(a: Allocator): Record<string, string> {
  return a.name === 'jemalloc' && a.library ? { LD_PRELOAD: a.library } : {};
}

/** Which allocator a process runs with, from its /proc/<pid>/maps: jemalloc when the library is mapped. */
export function mappedAllocator(maps: string): AllocatorName {
  return maps.split('\n').some((l) => l.trimEnd().endsWith(`/${JEMALLOC_SONAME}`)) ? 'jemalloc' : 'glibc';
}

/** One line for the reports. */
export function describeAllocator(a: Allocator): string {
  return a.name === 'jemalloc'
    ? `jemalloc (\`LD_PRELOAD=${a.library}\`, checked mapped in the agent process; ${a.reason})`
    : `glibc malloc (${a.reason})`;
}
