import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from '../../../src/server/rate-limited-log.ts';
import type { Logger } from '../../../src/telemetry/logger.ts';

function recorder() {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  const logger = { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) };
  return { lines, logger: logger as unknown as Logger };
}

describe('RateLimitedLog', () => {
  it('logs a burst per key and window, then says how many lines it dropped', () => {
    const { lines, logger } = recorder();
    let now = 0;
    const log = new RateLimitedLog({ logger, burst: 3, windowMs: 10_000, now: () => now });
    for (let i = 0; i < 1000; i++) log.warn('signature', { i }, 'rejected');
    expect(lines).toHaveLength(3);
    // Another kind has its own budget.
    expect(log.warn('drain', {}, 'refused')).toBe(true);
    now = 10_000;
    log.warn('signature', { i: 1000 }, 'rejected');
    expect(lines.at(-1)?.fields).toEqual({ i: 1000, suppressedSinceLastLine: 997 });
  });

  it('a flood of distinct keys does not grow without bound', () => {
    const { lines, logger } = recorder();
    const log = new RateLimitedLog({ logger, burst: 1, now: () => 0 });
    for (let i = 0; i < 10_000; i++) log.warn(`k${i}`, {}, 'x');
    expect(lines).toHaveLength(10_000);
    expect((log as unknown as { windows: Map<string, unknown> }).windows.size).toBeLessThanOrEqual(256);
  });
});
