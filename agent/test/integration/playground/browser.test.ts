// The playground in real headless Chromium (Debian's package) with a fake microphone playing a
// WAV fixture, against a complete offline agent (Speech emulator, scripted responder, espeak-ng)
// booted exactly as main.ts boots it. Keyboard starts the call; the test then waits (on DOM
// mutations, in the page) for a partial, a final, the greeting and the answer played (their
// marks echoed by the page after playout), a barge-in with cleared audio, and the latency
// waterfall with its trace link. UPDATE_SCREENSHOT=1 writes the README's docs/img/playground.png.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWavFile, encodeWavPcm16 } from '../../../src/audio/wav.ts';
import { bootAgent, type BootedAgent } from '../../../src/runtime/boot.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { metricValue, scrape } from '../server/twilio-client.ts';
import { Browser, findChromium, type Page } from './cdp.ts';

const chromium = findChromium();
const FIXTURES = new URL('../../fixtures/audio/', import.meta.url);
const SCREENSHOT = new URL('../../../../docs/img/playground.png', import.meta.url);
/** Generous bounds for a loaded CI machine; each wait ends as soon as the page shows the thing. */
const STEP_MS = 30_000;

/** Silence for the greeting, the first question, a pause, then a second question that barges in on the answer. */
async function callerAudio(dir: string): Promise<string> {
  const hello = await readWavFile(new URL('hello.wav', FIXTURES).pathname);
  const question = await readWavFile(new URL('question.wav', FIXTURES).pathname);
  const rate = hello.sampleRate;
  expect(question.sampleRate).toBe(rate);
  const parts = [
    new Int16Array(rate * 7),
    hello.samples,
    new Int16Array(Math.round(rate * 2.5)),
    question.samples,
    new Int16Array(rate * 10),
  ];
  const all = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const path = join(dir, 'caller.wav');
  writeFileSync(path, encodeWavPcm16(all, rate));
  return path;
}

const count = (page: Page, selector: string) =>
  page.evaluate<number>(`document.querySelectorAll(${JSON.stringify(selector)}).length`);
const texts = (page: Page, selector: string) =>
  page.evaluate<string[]>(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent)`,
  );

if (chromium === undefined) {
  describe('playground in Chromium', () => {
    // On a developer machine without the browser the test is skipped and says why; under CI
    // (.ci/run installs chromium) a missing browser fails, so the browser test cannot vanish.
    const missing =
      'Debian package `chromium` is not installed (apt-get install chromium; .ci/run installs it)';
    if (process.env['CI']) it('chromium is installed', () => expect.fail(missing));
    else it.skip(`SKIPPED: ${missing}`, () => {});
  });
} else {
  describe('playground in Chromium', () => {
    let dir: string;
    let booted: BootedAgent;
    let browser: Browser;
    let page: Page;
    const spans = new InMemorySpanExporter();

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hva-playground-'));
      const config = defaultConfig({
        port: 0,
        host: '127.0.0.1',
        playgroundEnabled: true,
        otlpEndpoint: 'http://127.0.0.1:9',
      });
      booted = await bootAgent(config, silentLogger, {
        tracingOptions: { exporter: spans, scheduledDelayMs: 50 },
        onExit: () => undefined,
      });
      browser = await Browser.launch(chromium, {
        fakeAudio: await callerAudio(dir),
        width: 1280,
        height: 1180,
        // A name that is not loopback (for the insecure-origin case), resolved to this machine.
        extraArgs: ['--host-resolver-rules=MAP agent.test 127.0.0.1'],
      });
      page = await browser.newPage();
      // A fixed viewport, so the README's screenshot has the same frame on every machine.
      await page.send('Emulation.setDeviceMetricsOverride', {
        width: 1280,
        height: 920,
        deviceScaleFactor: 1,
        mobile: false,
      });
    });

    afterAll(async () => {
      await browser?.close();
      await booted?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('talks to the agent over the Media Streams protocol and shows transcript, answer, barge-in and latency', async () => {
      const malformedBefore = metricValue(await scrape(booted.agent), 'hva_malformed_frames_total');
      await page.goto(`${booted.agent.url}/playground`);
      // Keyboard only: the call button is the first thing Tab reaches, Enter starts the call.
      await page.press('Tab');
      expect(await page.evaluate<string>('document.activeElement.id')).toBe('call');
      await page.press('Enter');
      await page.waitFor(
        `document.getElementById('status').dataset.state === 'live'`,
        'the call to start',
        STEP_MS,
      );
      expect(await page.evaluate<boolean>(`document.getElementById('offline').hidden`)).toBe(false);
      expect(await count(page, '#script li')).toBeGreaterThan(1);

      await page.waitFor(
        `document.querySelector('.msg.agent.greeting .sentence[data-state="played"]')`,
        'the greeting played',
        STEP_MS,
      );
      await page.waitFor(`document.querySelector('.msg.caller.partial')`, 'a partial transcript', STEP_MS);
      await page.waitFor(`document.querySelector('.msg.caller.final')`, 'a final transcript', STEP_MS);
      await page.waitFor(
        `document.querySelector('.msg.agent.answer .sentence[data-state="played"]')`,
        "the agent's answer played",
        STEP_MS,
      );
      await page.waitFor(`document.querySelector('.msg.barge-in')`, 'a barge-in', STEP_MS);
      await page.waitFor(
        // A turn's record is final once all of its answer has played (or been cut).
        `document.querySelector('.turn[data-outcome="interrupted"]') && document.querySelector('.turn[data-outcome="answered"]')`,
        'an interrupted and an answered turn in the waterfall',
        STEP_MS,
      );
      await page.waitFor(
        `document.querySelectorAll('.msg.agent.answer').length >= 2 && [...document.querySelectorAll('.msg.agent.answer')].pop().querySelector('.sentence[data-state="played"]')`,
        'the second answer played',
        STEP_MS,
      );

      const finals = await texts(page, '.msg.caller.final .text');
      expect(finals[0]).toBe('שלום, אני רוצה לבדוק את ההזמנה שלי.');
      expect(
        await page.evaluate<string>(`getComputedStyle(document.getElementById('conversation')).direction`),
      ).toBe('rtl');
      // An answer was cut by the barge-in: what had not played yet was cleared.
      expect(await count(page, '.msg.agent.answer .sentence[data-state="cleared"]')).toBeGreaterThan(0);
      // ...because the page's player honoured `clear`: it dropped its queue and echoed the pending marks.
      expect(Number(await page.evaluate<string>('document.body.dataset.clears'))).toBeGreaterThan(0);
      expect(Number(await page.evaluate<string>('document.body.dataset.clearedMarks'))).toBeGreaterThan(0);
      expect(await count(page, '.turn[data-outcome="interrupted"]')).toBeGreaterThan(0);

      // The waterfall of an answered turn: every stage, from the turn record.
      const answered = `[...document.querySelectorAll('.turn[data-outcome="answered"]')].pop()`;

      const stages = await page.evaluate<string[]>(
        `[...${answered}.querySelectorAll('.row dt')].map((e) => e.textContent)`,
      );
      expect(stages).toEqual(['STT final', 'LLM first token', 'TTS first audio', 'Total']);
      expect(
        await page.evaluate<string>(`${answered}.querySelector('.row.total .value').textContent`),
      ).toMatch(/^\d+ ms$/);
      const width = await page.evaluate<string>(`${answered}.querySelector('.row.total .bar').style.width`);
      expect(parseFloat(width)).toBeGreaterThan(0);

      // The trace link names a trace the agent really exported.
      const href = await page.evaluate<string>(`${answered}.querySelector('.trace a').href`);
      const traceId = /\/trace\/([0-9a-f]{32})$/.exec(href)?.[1];
      expect(traceId).toBeDefined();
      await booted.tracing.flush();
      expect(spans.getFinishedSpans().some((s) => s.spanContext().traceId === traceId)).toBe(true);

      const png = await page.screenshot();
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      if (process.env['UPDATE_SCREENSHOT'] === '1') writeFileSync(SCREENSHOT, png);

      // Every frame the page sent was valid Media Streams; hanging up ends the call on the agent.
      expect(metricValue(await scrape(booted.agent), 'hva_malformed_frames_total')).toBe(malformedBefore);
      await page.click('#call');
      await page.waitFor(
        `document.getElementById('status').dataset.state === 'idle'`,
        'the call to end',
        STEP_MS,
      );
      await page.waitFor(
        `document.querySelector('.msg.system:not(.barge-in)')`,
        'the end of the call reported',
        STEP_MS,
      );
      expect(booted.agent.activeCalls()).toBe(0);
    });

    it('says why it cannot start on an insecure origin instead of failing obscurely', async () => {
      const other = await browser.newPage();
      await other.goto(`http://agent.test:${booted.agent.port}/playground`);
      await other.click('#call');
      await other.waitFor(
        `document.getElementById('status').dataset.state === 'error'`,
        'the insecure-origin message',
        STEP_MS,
      );
      expect(await other.evaluate<string>(`document.getElementById('status').textContent`)).toMatch(
        /secure origin.*HTTPS or on localhost/,
      );
    });
  });
}
