// bench:edge's probes: the agent child process (edge-agent.ts) it talks to over IPC, the agent's
// Prometheus counters, and the whole machine's CPU from /proc/stat.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildMessage, ParentMessage } from './edge-agent.ts';

/** Busy and total jiffies over all CPUs, from /proc/stat (Linux). */
export function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+([-\d.e+]+|NaN)$/i.exec(line);
    if (!m) continue;
    const name = m[1]!;
    out.set(name, (out.get(name) ?? 0) + Number(m[3]));
  }
  return out;
}

export class AgentChild {
  readonly proc: ChildProcess;
  private waiters: ((m: ChildMessage) => void)[] = [];
  constructor(env: Record<string, string>, cpuProfDir?: string) {
    this.proc = fork(join(import.meta.dirname, 'edge-agent.ts'), [], {
      env: { ...process.env, ...env },
      execArgv: [
        ...process.execArgv,
        ...(cpuProfDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
      ],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.proc.on('message', (m: ChildMessage) => this.waiters.shift()?.(m));
  }
  next(): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`agent child exited (${code})`));
      this.proc.once('exit', onExit);
      this.waiters.push((m) => {
        this.proc.off('exit', onExit);
        resolve(m);
      });
    });
  }
  send(m: ParentMessage): void {
    this.proc.send(m);
  }
  async request(m: ParentMessage): Promise<ChildMessage> {
    const reply = this.next();
    this.send(m);
    return reply;
  }
  async close(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
