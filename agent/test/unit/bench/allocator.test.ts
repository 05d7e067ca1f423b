import { describe, expect, it } from 'vitest';
import {
  allocatorEnv,
  describeAllocator,
  jemallocCandidates,
  mappedAllocator,
  resolveAllocator,
} from '../../../bench/capacity/allocator.ts';

const AMD64_LIB = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
const ARM64_LIB = '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2';
const installed =
  (...paths: string[]) =>
  (p: string): boolean =>
    paths.includes(p);

describe('the agent allocator option', () => {
  it('defaults to jemalloc when Debian libjemalloc2 is installed, on either architecture', () => {
    expect(resolveAllocator(undefined, installed(AMD64_LIB), 'x64')).toMatchObject({
      name: 'jemalloc',
      library: AMD64_LIB,
    });
    expect(resolveAllocator('', installed(ARM64_LIB), 'arm64')).toMatchObject({
      name: 'jemalloc',
      library: ARM64_LIB,
    });
    // The other architecture's library is never picked.
    expect(resolveAllocator(undefined, installed(ARM64_LIB), 'x64').name).toBe('glibc');
  });

  it('falls back to glibc by default when jemalloc is missing, and says why', () => {
    const a = resolveAllocator(undefined, installed(), 'x64');
    expect(a.name).toBe('glibc');
    expect(a.reason).toMatch(/libjemalloc\.so\.2 is not installed/);
  });

  it('fails when jemalloc is asked for and missing, instead of measuring glibc', () => {
    expect(() => resolveAllocator('jemalloc', installed(), 'x64')).toThrow(
      /--allocator jemalloc: libjemalloc\.so\.2 not found .*apt-get install libjemalloc2/,
    );
    expect(resolveAllocator('jemalloc', installed('/usr/local/lib/libjemalloc.so.2'), 'x64')).toMatchObject({
      name: 'jemalloc',
      library: '/usr/local/lib/libjemalloc.so.2',
    });
  });

  it('takes glibc even when jemalloc is installed, and rejects anything else', () => {
    expect(resolveAllocator('glibc', installed(AMD64_LIB), 'x64').name).toBe('glibc');
    expect(() => resolveAllocator('tcmalloc', installed(AMD64_LIB), 'x64')).toThrow(
      /expected jemalloc or glibc/,
    );
  });

  it('preloads jemalloc into the agent only through its environment', () => {
    const jemalloc = resolveAllocator('jemalloc', installed(AMD64_LIB), 'x64');
    expect(allocatorEnv(jemalloc)).toEqual({ LD_PRELOAD: AMD64_LIB });
    expect(allocatorEnv(resolveAllocator('glibc', installed(AMD64_LIB), 'x64'))).toEqual({});
    expect(describeAllocator(jemalloc)).toMatch(/^jemalloc \(`LD_PRELOAD=\/usr\/lib\/x86_64-linux-gnu/);
  });

  it('looks in the multiarch directory first, and only plain lib dirs on unknown architectures', () => {
    expect(jemallocCandidates('x64')[0]).toBe(AMD64_LIB);
    expect(jemallocCandidates('arm64')[0]).toBe(ARM64_LIB);
    expect(jemallocCandidates('riscv64').every((p) => !p.includes('-linux-gnu'))).toBe(true);
  });

  it('reads from /proc/<pid>/maps whether jemalloc is really loaded', () => {
    const glibcMaps = [
      '55d0c0a00000-55d0c0b00000 rw-p 00000000 00:00 0                          [heap]',
      '7f1c2a000000-7f1c2a028000 r--p 00000000 08:01 1234                       /usr/lib/x86_64-linux-gnu/libc.so.6',
    ].join('\n');
    expect(mappedAllocator(glibcMaps)).toBe('glibc');
    expect(
      mappedAllocator(`${glibcMaps}\n7f1c2b000000-7f1c2b010000 r-xp 00000000 08:01 99 ${AMD64_LIB}\n`),
    ).toBe('jemalloc');
  });
});
