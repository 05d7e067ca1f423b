// `npm run eval:stt` end to end: the CLI streams recordings through the real Speech client into
// the embedded emulator, whose script makes known recognition errors, so the reported WER is
// checked exactly, for two configurations side by side.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMulaw } from '../../../src/audio/mulaw.ts';
import { parseWav } from '../../../src/audio/wav.ts';

const run = promisify(execFile);
const FIXTURES = new URL('../../fixtures/audio/', import.meta.url);
const CLI = new URL('../../../src/cli/eval-stt.ts', import.meta.url).pathname;

describe('eval:stt against the Speech emulator', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eval-stt-'));
    // Two WAVs with references in transcripts.tsv, one raw mu-law file with a sidecar .txt.
    await copyFile(new URL('hello.wav', FIXTURES), join(dir, 'hello.wav'));
    await copyFile(new URL('question.wav', FIXTURES), join(dir, 'question.wav'));
    const short = parseWav(await readFile(new URL('short.wav', FIXTURES)));
    await writeFile(join(dir, 'short.ulaw'), encodeMulaw(short.samples));
    await writeFile(join(dir, 'short.txt'), 'כן.\n');
    await writeFile(
      join(dir, 'transcripts.tsv'),
      'hello\tשלום, אני רוצה לבדוק את ההזמנה שלי.\nquestion\tמה שעות הפתיחה שלכם ביום שישי?\n',
    );
    // What the emulator "hears": A makes 1 substitution + 1 deletion (hello) and 1 insertion
    // (question, written with niqqud and a non-final mem, which are not errors); B is exact.
    await writeFile(
      join(dir, 'script.tsv'),
      [
        'hello\tשלום אני רוצה לבטל את ההזמנה\tשלום, אני רוצה לבדוק את ההזמנה שלי.',
        'question\tמָה שעות הפתיחה שלכמ ביום שישי בבוקר\tמה שעות הפתיחה שלכם ביום שישי?',
        'short\tכן\tכן.',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the WER the script implies, per file and overall, for A and B side by side', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        CLI,
        '--dir',
        dir,
        '--fast',
        '--tail-ms',
        '300',
        '--emulator-latency-scale',
        '0.2',
        '--emulator-script',
        join(dir, 'script.tsv'),
        '--b',
        'STT_BATCH_MS=200',
        '--label-a',
        'batch80',
        '--label-b',
        'batch200',
        '--json',
        join(dir, 'out.json'),
      ],
      { env: { ...process.env, STT_PROVIDER: 'emulator', STT_ENDPOINT: '', LOG_LEVEL: 'warn' } },
    );
    expect(stdout).toContain('| | batch80 | batch200 |');
    // 14 reference words: hello 7, question 6, short 1.
    expect(stdout).toContain('| WER | 21.4 %: 3/14 (S1 D1 I1) | 0.0 %: 0/14 (S0 D0 I0) |');
    expect(stdout).toMatch(/\| hello \| 7 \| 28\.6 % \| 0\.0 % \|/);
    expect(stdout).toMatch(/\| question \| 6 \| 16\.7 % \| 0\.0 % \|/);
    expect(stdout).toMatch(/\| short \| 1 \| 0\.0 % \| 0\.0 % \|/);
    expect(stdout).toContain('batch 200 ms');
    const json = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')) as {
      runs: Array<{
        label: string;
        summary: { words: Record<string, number>; finalMs: { p50?: number }; noFinal: number };
        files: Array<{ name: string; result: { finalMs?: number; hypothesis: string } }>;
      }>;
    };
    expect(json.runs.map((r) => r.label)).toEqual(['batch80', 'batch200']);
    expect(json.runs[0]!.summary.words).toEqual({
      reference: 14,
      substitutions: 1,
      deletions: 1,
      insertions: 1,
    });
    for (const r of json.runs) {
      expect(r.summary.noFinal).toBe(0);
      for (const f of r.files) expect(f.result.finalMs).toBeGreaterThanOrEqual(0);
    }
    expect(json.runs[0]!.files.find((f) => f.name === 'hello')!.result.hypothesis).toBe(
      'שלום אני רוצה לבטל את ההזמנה',
    );
  });

  it('fails clearly on a recording without a reference', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'eval-stt-bare-'));
    try {
      await copyFile(new URL('hello.wav', FIXTURES), join(bare, 'hello.wav'));
      const err = (await run(process.execPath, [CLI, '--dir', bare]).catch((e: unknown) => e)) as {
        code: number;
        stderr: string;
      };
      expect(err.code).toBe(64);
      expect(err.stderr).toContain('no reference transcript for hello.wav');
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
