// The media fast path must return exactly what the general parser returns, or nothing (and leave
// the message, and its error, to the general parser).
import { describe, expect, it } from 'vitest';
import { parseMediaFast } from '../../../src/twilio/media-fast.ts';
import { parseFrame, parseMessageText } from '../../../src/twilio/protocol.ts';

const SID = 'MZ18ad3ab5a668481ce02b83e7395059f0';
const audio = Buffer.from(Array.from({ length: 160 }, (_, i) => (i * 37 + 11) & 0xff));
const payload = audio.toString('base64');

/** As Twilio sends it: counters as strings, this key order, no spaces. */
const canonical = `{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"${payload}"},"streamSid":"${SID}"}`;

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** The invariant: nothing, or the general parser's event. */
function agrees(text: string): 'fast' | 'general' {
  const fast = parseMediaFast(bytes(text));
  if (fast === undefined) return 'general';
  const general = parseMessageText(text);
  expect(general.ok, `general parser rejects what the fast path accepted: ${text}`).toBe(true);
  if (general.ok) expect(fast).toEqual(general.event);
  return 'fast';
}

describe('parseMediaFast', () => {
  it('parses a media message as Twilio sends it, identically to the general parser', () => {
    const fast = parseMediaFast(bytes(canonical));
    expect(fast).toEqual({
      event: 'media',
      sequenceNumber: 3,
      streamSid: SID,
      media: { track: 'inbound', chunk: 1, timestamp: 5, payload: audio },
    });
    expect(agrees(canonical)).toBe('fast');
  });

  it('takes plain variants: whitespace, any key order, unknown keys, missing track, padding', () => {
    const m = {
      event: 'media',
      sequenceNumber: '12',
      media: { track: 'inbound', chunk: '7', timestamp: '120', payload },
      streamSid: SID,
    };
    const variants = [
      JSON.stringify(m, null, 2),
      ` \r\n\t${canonical}\n `,
      JSON.stringify({
        streamSid: SID,
        media: { payload, timestamp: '0', chunk: '0' },
        sequenceNumber: '007',
        event: 'media',
      }),
      JSON.stringify({ ...m, extra: 'ignored', media: { ...m.media, other: 'x', track: 'outbound' } }),
      JSON.stringify({ ...m, media: { ...m.media, payload: audio.subarray(0, 1).toString('base64') } }), // "xx=="
      JSON.stringify({ ...m, media: { ...m.media, payload: audio.subarray(0, 2).toString('base64') } }), // "xxx="
      JSON.stringify({ ...m, event: 'mark', event2: 'x' }).replace(
        '"event":"mark"',
        '"event":"mark","event":"media"',
      ),
      JSON.stringify({ ...m, sequenceNumber: '999999999999999' }),
    ];
    for (const text of variants) expect(agrees(text), text).toBe('fast');
  });

  it('leaves everything else to the general parser, which still accepts or rejects it', () => {
    const general = [
      // accepted by the general parser, not plain
      canonical.replace('"chunk":"1"', '"chunk":1'),
      canonical.replace(`"streamSid":"${SID}"`, `"streamSid":"\\u004dZ${SID.slice(2)}"`),
      canonical.replace('"track":"inbound"', '"track":"inbound\u00e9"'),
      canonical.replace(payload, payload.replace(/\+/g, '-').replace(/\//g, '_')),
      canonical.replace('}', ',"extra":{"a":"b"}}'),
      // rejected by the general parser
      canonical.replace('"event":"media"', '"event":"mark"'),
      canonical.replace(payload, payload.slice(1)),
      canonical.replace(payload, `${payload.slice(0, 8)}=${payload.slice(9)}`),
      canonical.replace(payload, ''),
      canonical.replace('"chunk":"1"', '"chunk":"-1"'),
      canonical.replace('"chunk":"1"', '"chunk":"1234567890123456"'),
      canonical.replace('"timestamp":"5"', '"timestamp":""'),
      canonical.replace('"sequenceNumber":"3",', ''),
      canonical.replace(`,"streamSid":"${SID}"`, ''),
      canonical.replace(`"streamSid":"${SID}"`, '"streamSid":""'),
      canonical.replace('"track":"inbound"', '"track":""'),
      canonical.replace('"track":"inbound"', '"track":"in\tbound"'),
      `${canonical}x`,
      `${canonical}}`,
      canonical.slice(0, -1),
      `[${canonical}]`,
      canonical.replace('"media":{', '"media":"x","m":{'),
      canonical.replace('}', `,"media":{"payload":"${payload}"}}`),
      canonical.replace('"track":"inbound"', '"track":{"a":"b"}'),
      '{"media":{}}',
      '{}',
      '',
    ];
    for (const text of general) {
      expect(agrees(text), text).toBe('general');
      expect(parseFrame(text, false)).toEqual(parseMessageText(text));
    }
  });

  it('agrees with the general parser on thousands of mutated messages', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ' \t\n"\\{}:,=+/0Aa\u0001\u00e9';
    let fast = 0;
    const pretty = JSON.stringify(
      { streamSid: SID, media: { payload, chunk: '1', timestamp: '5' }, event: 'media', sequenceNumber: '3' },
      null,
      1,
    );
    for (let k = 0; k < 6000; k++) {
      let text = k % 2 === 0 ? canonical : pretty;
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(text.length + 1);
        const c = alphabet[random(alphabet.length)]!;
        const op = random(3);
        text =
          op === 0
            ? text.slice(0, at) + c + text.slice(at)
            : op === 1
              ? text.slice(0, at) + text.slice(at + 1)
              : text.slice(0, at) + c + text.slice(at + 1);
      }
      if (agrees(text) === 'fast') fast++;
    }
    // Mutations inside the payload and of insignificant whitespace keep many messages plain.
    expect(fast).toBeGreaterThan(100);
  });

  it('reuses the known stream sid string and otherwise reads the message own one', () => {
    expect(parseMediaFast(bytes(canonical), SID)!.streamSid).toBe(SID);
    const other = 'MZ00000000000000000000000000000000';
    expect(parseMediaFast(bytes(canonical), other)!.streamSid).toBe(SID);
  });
});
