// A minimal Chrome DevTools Protocol client over `ws` for the playground's browser test: launch
// Debian's headless chromium with a fake microphone fed from a WAV file, open a page, click,
// wait for DOM conditions (in the page, on mutations), take screenshots. No puppeteer needed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

/** Path of Debian's chromium, or undefined when it is not installed. */
export function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    const path = r.stdout.trim();
    if (r.status === 0 && path !== '') return path;
  }
  return undefined;
}

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string };

export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(method: string, params: unknown, sessionId?: string) => void>();

  private readonly proc: ChildProcess;
  private readonly ws: WebSocket;
  private readonly profileDir: string;

  private constructor(proc: ChildProcess, ws: WebSocket, profileDir: string) {
    this.proc = proc;
    this.ws = ws;
    this.profileDir = profileDir;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
        method?: string;
        params?: unknown;
        sessionId?: string;
      };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result ?? {});
      } else if (msg.method) {
        for (const l of this.listeners) l(msg.method, msg.params, msg.sessionId);
      }
    });
  }

  /** Starts chromium; `fakeAudio` is the WAV the fake microphone plays (once). */
  static async launch(
    executable: string,
    options: { fakeAudio: string; width?: number; height?: number; extraArgs?: readonly string[] },
  ) {
    const profileDir = mkdtempSync(join(tmpdir(), 'hva-chromium-'));
    const proc = spawn(
      executable,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--no-default-browser-check',
        '--hide-scrollbars',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${options.fakeAudio}%noloop`,
        '--autoplay-policy=no-user-gesture-required',
        `--window-size=${options.width ?? 1280},${options.height ?? 900}`,
        `--user-data-dir=${profileDir}`,
        '--remote-debugging-port=0',
        ...(options.extraArgs ?? []),
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const wsUrl = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      const onData = (chunk: Buffer): void => {
        stderr += chunk.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (m) {
          proc.stderr?.off('data', onData);
          resolve(m[1]!);
        }
      };
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) =>
        reject(new Error(`chromium exited (${code}) before DevTools was up:\n${stderr}`)),
      );
    });
    proc.stderr?.resume();
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Browser(proc, ws, profileDir);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string) {
    const id = this.nextId++;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  onEvent(listener: (method: string, params: unknown, sessionId?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async newPage(): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as {
      targetId: string;
    };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as {
      sessionId: string;
    };
    const page = new Page(this, sessionId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    return page;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // Closing anyway.
    }
    this.ws.close();
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGKILL');
      await exited;
    }
    rmSync(this.profileDir, { recursive: true, force: true });
  }
}

export class Page {
  /** Console messages and uncaught exceptions, for failure messages. */
  readonly console: string[] = [];

  private readonly browser: Browser;
  readonly sessionId: string;

  constructor(browser: Browser, sessionId: string) {
    this.browser = browser;
    this.sessionId = sessionId;
    browser.onEvent((method, params, sid) => {
      if (sid !== sessionId) return;
      if (method === 'Runtime.consoleAPICalled') {
        const p = params as { type: string; args: { value?: unknown; description?: string }[] };
        this.console.push(`${p.type}: ${p.args.map((a) => a.value ?? a.description).join(' ')}`);
      } else if (method === 'Runtime.exceptionThrown') {
        const p = params as { exceptionDetails: { text: string; exception?: { description?: string } } };
        this.console.push(
          `exception: ${p.exceptionDetails.exception?.description ?? p.exceptionDetails.text}`,
        );
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}) {
    return this.browser.send(method, params, this.sessionId);
  }

  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      const off = this.browser.onEvent((method, _p, sid) => {
        if (sid === this.sessionId && method === 'Page.loadEventFired') {
          off();
          resolve();
        }
      });
    });
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** Evaluates an expression in the page (promises awaited); returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
    })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails)
      throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value as T;
  }

  /**
   * Resolves once `predicate` (a JS expression) is truthy in the page: checked on every DOM
   * mutation, not on a timer. Rejects after `timeoutMs` with `what` and the page's console.
   */
  async waitFor(predicate: string, what: string, timeoutMs: number): Promise<void> {
    const ok = await this.evaluate<boolean>(`new Promise((resolve) => {
      const check = () => { try { return Boolean(${predicate}); } catch { return false; } };
      if (check()) return resolve(true);
      const obs = new MutationObserver(() => { if (check()) { obs.disconnect(); clearTimeout(t); resolve(true); } });
      obs.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      const t = setTimeout(() => { obs.disconnect(); resolve(check()); }, ${timeoutMs});
    })`);
    if (!ok) throw new Error(`timed out waiting for ${what}\npage console:\n${this.console.join('\n')}`);
  }

  /** A real mouse click (pressed and released) at the centre of the element. */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number }>(`(() => {
      const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    for (const type of ['mousePressed', 'mouseReleased'])
      await this.send('Input.dispatchMouseEvent', {
        type,
        x: box.x,
        y: box.y,
        button: 'left',
        clickCount: 1,
      });
  }

  /** Presses one key (e.g. 'Tab', 'Enter') with real key events. */
  async press(key: 'Tab' | 'Enter'): Promise<void> {
    const code = key === 'Tab' ? 9 : 13;
    const text = key === 'Enter' ? '\r' : undefined;
    await this.send('Input.dispatchKeyEvent', {
      type: 'keyDown',
      key,
      code: key,
      windowsVirtualKeyCode: code,
      ...(text ? { text } : {}),
    });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', key, code: key, windowsVirtualKeyCode: code });
  }

  async screenshot(): Promise<Buffer> {
    const { data } = (await this.send('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: false,
    })) as {
      data: string;
    };
    return Buffer.from(data, 'base64');
  }
}
