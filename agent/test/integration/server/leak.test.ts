import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runner = fileURLToPath(new URL('./leak-runner.ts', import.meta.url));

interface LeakReport {
  calls: number;
  baselineHeap: number;
  afterHeap: number;
  baselineResources: Record<string, number>;
  afterResources: Record<string, number>;
}

describe('call lifecycle leaks', () => {
  it('300 calls opened and closed over real WebSockets leave heap and active handles at baseline', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--expose-gc', runner, '300'], { timeout: 100_000 }, (err, out, errOut) => {
        if (err) reject(new Error(`${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as LeakReport;
    expect(report.calls).toBe(300);
    // Every socket, timer and server handle is released again.
    expect(report.afterResources).toEqual(report.baselineResources);
    // A leak of even 3 KB per call would show as ~1 MB here.
    const growth = report.afterHeap - report.baselineHeap;
    expect(growth).toBeLessThan(1024 * 1024);
  });
});
