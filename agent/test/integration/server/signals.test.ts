// Process-level drain tests: real agent processes, real signals, the preStop command exactly as
// the operator renders it. Nothing here sleeps to see whether something happened: every step
// waits for a log line, a message or a process event (with generous timeouts).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_NODE_BINARY, preStopDrainCommand } from '../../../../operator/src/render/index.ts';
import { TestTwilioClient, type AgentAddress } from './twilio-client.ts';

const runner = fileURLToPath(new URL('./signal-runner.ts', import.meta.url));
const children: ChildProcess[] = [];
const clients: TestTwilioClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Child {
  proc: ChildProcess;
  agent: AgentAddress & { adminUrl: string; adminPort: number };
  events: { log?: string; reason?: string; exit?: number }[];
  exited: Promise<number | null>;
  /** Resolves when an event matching `predicate` has been printed (already or later). */
  event(predicate: (e: Child['events'][number]) => boolean, timeoutMs?: number): Promise<void>;
}

async function startChild(): Promise<Child> {
  // The drain token lives in the pod's /tmp; the rendered preStop hook reads it from there.
  const proc = spawn(process.execPath, [runner], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TMPDIR: '/tmp' },
  });
  children.push(proc);
  const events: Child['events'] = [];
  const waiters = new Set<() => void>();
  let first: ((agent: Child['agent']) => void) | undefined;
  const started = new Promise<Child['agent']>((resolve) => (first = resolve));
  let buffer = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if ('url' in parsed) first?.(parsed as unknown as Child['agent']);
      else events.push(parsed);
    }
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const event: Child['event'] = (predicate, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!events.some(predicate)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching event; got ${JSON.stringify(events)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { proc, agent: await started, events, exited, event };
}

/** The kubelet's preStop: the exec command the operator renders, with this machine's node binary. */
function runPreStop(adminPort: number): Promise<number | null> {
  const [binary, ...args] = preStopDrainCommand(adminPort);
  expect(binary).toBe(AGENT_NODE_BINARY);
  const hook = spawn(process.execPath, args, { stdio: 'inherit' });
  return new Promise((resolve) => hook.once('exit', (code) => resolve(code)));
}

async function liveCall(agent: AgentAddress): Promise<TestTwilioClient> {
  const c = await TestTwilioClient.connect(agent);
  clients.push(c);
  c.connected();
  c.start();
  c.media(Buffer.alloc(160, 0x10));
  await c.waitFor((m) => m.some((x) => x.event === 'media'), 30_000);
  return c;
}

const duringDrain = (child: Child) =>
  child.events.filter((e) => e.log?.startsWith('signal received during a drain') === true).length;

const echoes = (c: TestTwilioClient) => c.messages.filter((m) => m.event === 'media').length;

/** Proves a call still carries audio both ways: one more frame, one more echo. */
async function stillTalking(c: TestTwilioClient): Promise<void> {
  const before = echoes(c);
  c.media(Buffer.alloc(160, 0x20));
  await c.waitFor(() => echoes(c) > before, 30_000);
}

async function readyz(agent: Child['agent']): Promise<number> {
  return (await fetch(`${agent.adminUrl}/readyz`)).status;
}

async function hangUp(c: TestTwilioClient): Promise<{ code: number; reason: string }> {
  c.stop();
  return c.closed;
}

describe('kubelet termination sequence (preStop exec, then SIGTERM)', () => {
  it('keeps every live call until it finishes normally, then exits 0', async () => {
    const child = await startChild();
    const calls = [await liveCall(child.agent), await liveCall(child.agent), await liveCall(child.agent)];
    expect(await runPreStop(child.agent.adminPort)).toBe(0);
    await child.event((e) => e.log === 'drain started: refusing new streams');
    expect(await readyz(child.agent)).toBe(503);
    // The kubelet sends SIGTERM once the hook returned: the same drain continues.
    child.proc.kill('SIGTERM');
    await child.event((e) => e.log?.startsWith('signal received during a drain') === true);
    for (const c of calls) await stillTalking(c);
    // A second SIGTERM (kubelet retries, an impatient operator) changes nothing either.
    child.proc.kill('SIGTERM');
    await child.event(() => duringDrain(child) === 2);
    for (const c of calls) await stillTalking(c);
    expect(child.proc.exitCode).toBeNull();
    // Each caller hangs up when done; nobody was cut (1000 is our close after their stop).
    for (const c of calls) expect((await hangUp(c)).code).toBe(1000);
    expect(await child.exited).toBe(0);
    expect(child.events).toContainEqual({ exit: 0 });
    expect(child.events.filter((e) => e.log === 'call ended').map((e) => e.reason)).toEqual([
      'stop',
      'stop',
      'stop',
    ]);
    expect(child.events.some((e) => e.log === 'drain: ending remaining calls')).toBe(false);
  });

  it('SIGTERM first, then SIGTERM again: still one drain, calls kept', async () => {
    const child = await startChild();
    const c = await liveCall(child.agent);
    child.proc.kill('SIGTERM');
    await child.event((e) => e.log === 'signal received: draining');
    child.proc.kill('SIGTERM');
    await child.event((e) => e.log?.startsWith('signal received during a drain') === true);
    await stillTalking(c);
    expect((await hangUp(c)).code).toBe(1000);
    expect(await child.exited).toBe(0);
  });

  it('a second Ctrl-C (SIGINT) in a terminal ends the calls at once with a close frame, exit 0', async () => {
    const child = await startChild();
    const c = await liveCall(child.agent);
    child.proc.kill('SIGINT');
    await child.event((e) => e.log === 'signal received: draining');
    await stillTalking(c);
    child.proc.kill('SIGINT');
    expect((await c.closed).code).toBe(1001);
    expect(await child.exited).toBe(0);
  });

  it('with no calls, exits 0 right away', async () => {
    const child = await startChild();
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });
});

describe('rolling update at process level (maxSurge 1, maxUnavailable 0)', () => {
  it('old pod keeps its calls, new calls go to the new pod, 0 calls cut', async () => {
    const old = await startChild();
    const oldCalls = [await liveCall(old.agent), await liveCall(old.agent)];
    // Surge: the new pod starts and becomes ready before the old one is terminated.
    const fresh = await startChild();
    expect(await readyz(fresh.agent)).toBe(200);
    expect(await runPreStop(old.agent.adminPort)).toBe(0);
    old.proc.kill('SIGTERM');
    await old.event((e) => e.log?.startsWith('signal received during a drain') === true);
    // The Service routes to ready endpoints only, as the endpoints controller does.
    const pods = [old, fresh];
    const route = async (): Promise<Child> => {
      for (const p of pods) if ((await readyz(p.agent)) === 200) return p;
      throw new Error('no ready endpoint');
    };
    const newCalls: TestTwilioClient[] = [];
    for (let i = 0; i < 3; i++) {
      const target = await route();
      expect(target).toBe(fresh);
      newCalls.push(await liveCall(target.agent));
    }
    // Old and new calls talk side by side; the old pod is still there for its callers.
    for (const c of [...oldCalls, ...newCalls]) await stillTalking(c);
    expect(old.proc.exitCode).toBeNull();
    for (const c of oldCalls) expect((await hangUp(c)).code).toBe(1000);
    expect(await old.exited).toBe(0);
    for (const c of newCalls) await stillTalking(c);
    for (const c of newCalls) expect((await hangUp(c)).code).toBe(1000);
    const cut = [...old.events, ...fresh.events].filter((e) => e.log === 'call ended' && e.reason !== 'stop');
    expect(cut).toEqual([]);
    fresh.proc.kill('SIGTERM');
    expect(await fresh.exited).toBe(0);
  });
});
