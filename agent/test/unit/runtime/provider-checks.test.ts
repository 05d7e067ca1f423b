import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProviderChecks } from '../../../src/runtime/provider-checks.ts';
import type { Logger } from '../../../src/telemetry/logger.ts';

function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    lines.push({ level, fields, msg });
  return { lines, logger: { error: at('error'), info: at('info'), warn: at('warn') } as unknown as Logger };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ProviderChecks', () => {
  it('a hanging endpoint fails after the timeout with an error line naming it; a later retry recovers', async () => {
    vi.useFakeTimers();
    const { lines, logger } = recorder();
    let answer = false;
    const checks = new ProviderChecks(
      [
        {
          provider: 'llm',
          endpoint: 'https://llm.internal/v1',
          run: () => (answer ? Promise.resolve() : new Promise<void>(() => undefined)),
        },
      ],
      { logger, timeoutMs: 3000, retryMs: 1000 },
    );
    expect(checks.reasons()).toEqual(['llm not ready: checking https://llm.internal/v1']);
    await vi.advanceTimersByTimeAsync(3000);
    await checks.settled;
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        fields: { provider: 'llm', endpoint: 'https://llm.internal/v1', reason: 'no answer within 3000 ms' },
        msg: 'LLM provider not ready at https://llm.internal/v1: no answer within 3000 ms',
      },
    ]);
    expect(checks.reasons()).toEqual(['llm not ready: https://llm.internal/v1: no answer within 3000 ms']);
    // The same failure again is not logged again.
    await vi.advanceTimersByTimeAsync(1000 + 3000);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1);
    answer = true;
    await vi.advanceTimersByTimeAsync(2000);
    expect(checks.reasons()).toEqual([]);
    expect(lines.at(-1)?.msg).toBe('llm provider ready again');
    checks.stop();
  });
});
