import { describe, expect, it } from 'vitest';
import { createHarness } from './fakes.ts';

// A turn's request follows the caller's stop by 0.1-0.2 s; a connection opened then costs TCP +
// TLS set-up first. The session asks the responder to warm one while the caller speaks.
describe('call session: LLM connection warm-up', () => {
  it('warms when the caller starts speaking and again every LLM_WARM_INTERVAL_MS until they stop', async () => {
    const h = createHarness({ llmWarmIntervalMs: 1000 });
    h.audio('silence', 100);
    h.audio('speech', 20); // the VAD's speech start
    h.emit({ type: 'speechStarted', utteranceId: 1, atMs: 100 });
    expect(h.responder.warms).toEqual([120]);
    h.audio('speech', 2400);
    expect(h.responder.warms).toEqual([120, 1120, 2120]);
    // The caller stopped: the VAD ends the speech; no warm-up after that.
    h.audio('silence', 3000);
    expect(h.responder.warms).toEqual([120, 1120, 2120]);
    await h.handler.dispose('test');
  });

  it('LLM_WARM_INTERVAL_MS=0 warms nothing', async () => {
    const h = createHarness({ llmWarmIntervalMs: 0 });
    h.audio('speech', 20);
    h.emit({ type: 'speechStarted', utteranceId: 1, atMs: 0 });
    h.audio('speech', 3000);
    expect(h.responder.warms).toEqual([]);
    await h.handler.dispose('test');
  });
});
