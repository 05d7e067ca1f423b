import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TestTwilioClient, until } from './twilio-client.ts';

const runner = fileURLToPath(new URL('./signal-runner.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Child {
  proc: ChildProcess;
  agent: { url: string; publicHost: string };
  lines: string[];
  exited: Promise<number | null>;
}

async function startChild(): Promise<Child> {
  const proc = spawn(process.execPath, [runner], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const lines: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await until(() => lines.length > 0, 30_000);
  return { proc, agent: JSON.parse(lines[0]!) as Child['agent'], lines, exited };
}

describe('SIGTERM', () => {
  it('first drains (not ready, call continues), a second ends the call with a close frame, exit 0', async () => {
    const child = await startChild();
    const c = await TestTwilioClient.connect(child.agent);
    c.connected();
    c.start();
    c.media(Buffer.alloc(160, 0x10));
    await c.waitFor((m) => m.some((x) => x.event === 'media'));
    child.proc.kill('SIGTERM');
    await until(async () => (await fetch(`${child.agent.url}/readyz`)).status === 503);
    c.media(Buffer.alloc(160, 0x11));
    await c.waitFor((m) => m.filter((x) => x.event === 'media').length === 2);
    expect(child.proc.exitCode).toBeNull();
    child.proc.kill('SIGTERM');
    expect((await c.closed).code).toBe(1001);
    expect(await child.exited).toBe(0);
    expect(child.lines).toContain('{"exit":0}');
  });

  it('with no calls, exits 0 right away', async () => {
    const child = await startChild();
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });
});
