// The answer path between the splitter and TTS: what the synthesiser is asked to say is the
// speakable text, and that same text is what the history records as heard.
import { describe, expect, it } from 'vitest';
import type { SynthesizeRequest, Synthesizer } from '../../../src/tts/types.ts';
import { createHarness, flush, type Harness } from './fakes.ts';

/** A synthesiser that takes SSML, like a Google Wavenet voice. */
class SsmlSynthesizer implements Synthesizer {
  readonly name = 'fake-ssml-tts';
  readonly acceptsSsml = true;
  requests: Array<{ text: string; ssml: string | undefined }> = [];
  synthesize(request: SynthesizeRequest): AsyncIterable<Buffer> {
    this.requests.push({ text: request.text, ssml: request.ssml });
    return (async function* () {
      yield Buffer.alloc(160, 0xff);
    })();
  }
}

async function playAll(h: Harness): Promise<void> {
  await flush();
  h.sink.echoAll(h.handler, 'played');
  await flush();
}

async function historyAfter(h: Harness): Promise<unknown> {
  h.responder.answers.push({ deltas: ['טוב.'] });
  h.turnEnded(2, 'תודה');
  await flush();
  return h.responder.requests[1]?.messages;
}

describe('call session: speakable text before TTS', () => {
  it('markdown and emoji never reach the voice; numbers are said in Hebrew; history keeps what was said', async () => {
    const h = createHarness();
    h.responder.answers.push({ deltas: ['**ההזמנה** אושרה ✅! ', 'חייגו 050-1234567 בשעה 14:30!'] });
    h.audio('silence', 200);
    h.turnEnded(1, 'מה עם ההזמנה');
    await playAll(h);
    const spoken = [
      'ההזמנה אושרה!',
      'חייגו אפס חמש אפס, אחת שתיים שלוש, ארבע חמש שש שבע בשעה ארבע עשרה ושלושים!',
    ];
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(spoken);
    expect(await historyAfter(h)).toEqual([
      { role: 'user', content: 'מה עם ההזמנה' },
      { role: 'assistant', content: spoken.join(' ') },
      { role: 'user', content: 'תודה' },
    ]);
    await h.handler.dispose('test');
  });

  it('a sentence with nothing to say (an emoji) is neither synthesised nor played', async () => {
    const h = createHarness();
    h.responder.answers.push({ deltas: ['בשמחה! ', '🙏👍'] });
    h.audio('silence', 200);
    h.turnEnded(1, 'תודה רבה');
    await playAll(h);
    expect(h.synthesizer.requests.map((r) => r.text)).toEqual(['בשמחה!']);
    expect(h.sink.count('mark')).toBe(1);
    await h.handler.dispose('test');
  });

  it('an SSML voice gets <say-as> markup; the history records the plain words', async () => {
    const synthesizer = new SsmlSynthesizer();
    const h = createHarness({}, { synthesizer });
    h.responder.answers.push({ deltas: ['נתראה בשעה 14:30!'] });
    h.audio('silence', 200);
    h.turnEnded(1, 'מתי');
    await playAll(h);
    expect(synthesizer.requests).toEqual([
      {
        text: 'נתראה בשעה ארבע עשרה ושלושים!',
        ssml: '<speak>נתראה בשעה <say-as interpret-as="time" format="hms24">14:30</say-as>!</speak>',
      },
    ]);
    expect(await historyAfter(h)).toContainEqual({
      role: 'assistant',
      content: 'נתראה בשעה ארבע עשרה ושלושים!',
    });
    await h.handler.dispose('test');
  });
});
