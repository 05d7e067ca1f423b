import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  EMBEDDED_REFERENCE_PROFILE,
  loadReferenceProfile,
  referenceProfilePath,
  resolveUserPath,
  sampleLogNormal,
  seededRandom,
} from '../../../src/sim/profile.ts';

describe('reference latency profile', () => {
  it('the embedded copy equals the shared reference file (used only where the file is absent)', () => {
    const path = referenceProfilePath();
    expect(existsSync(path), `${path} should exist in the development tree`).toBe(true);
    const shared = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const { description: _description, ...figures } = shared;
    expect(figures).toEqual(EMBEDDED_REFERENCE_PROFILE);
    expect(loadReferenceProfile()).toEqual(shared);
  });

  it('a missing explicit profile file is an error, not a silent fallback', () => {
    expect(() => loadReferenceProfile('/nonexistent/profile.json')).toThrow(/ENOENT/);
  });

  it('log-normal draws hit the configured p50 and p95', () => {
    const random = seededRandom(42);
    const draws = Array.from({ length: 20000 }, () => sampleLogNormal({ p50: 350, p95: 700 }, random)).sort(
      (a, b) => a - b,
    );
    expect(draws[10000]!).toBeGreaterThan(335);
    expect(draws[10000]!).toBeLessThan(365);
    expect(draws[19000]!).toBeGreaterThan(660);
    expect(draws[19000]!).toBeLessThan(740);
  });
});

describe('a profile path typed by the user', () => {
  it('resolves from where npm was started (INIT_CWD), not from the workspace npm runs the script in', () => {
    const env = { INIT_CWD: '/repo' };
    expect(resolveUserPath('../shared/bench/google-like-profile.json', env)).toBe(
      '/shared/bench/google-like-profile.json',
    );
    expect(resolveUserPath('/abs/p.json', env)).toBe('/abs/p.json');
    expect(resolveUserPath('p.json', {})).toBe(`${process.cwd()}/p.json`);
  });
});
