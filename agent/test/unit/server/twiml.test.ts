import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { buildVoiceTwiml } from '../../../src/server/twiml.ts';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => name === 'Parameter',
});

interface StreamNode {
  url: string;
  statusCallback?: string;
  statusCallbackMethod?: string;
  statusCallbackEvent?: string;
  track?: string;
  Parameter?: { name: string; value: string }[];
}

function parseStream(xml: string): { root: Record<string, unknown>; stream: StreamNode } {
  const doc = parser.parse(xml) as { Response: { Connect: { Stream: StreamNode } } };
  return { root: doc as unknown as Record<string, unknown>, stream: doc.Response.Connect.Stream };
}

describe('voice TwiML', () => {
  const xml = buildVoiceTwiml({
    publicHost: 'voice.example.com',
    parameters: {
      callSid: 'CA123',
      from: '+972501234567',
      to: '+97231234567',
      empty: '',
      missing: undefined,
    },
  });

  it('is <Response><Connect><Stream> (bidirectional), nothing else', () => {
    const { root } = parseStream(xml);
    expect(Object.keys(root).filter((k) => k !== '?xml')).toEqual(['Response']);
    const response = root['Response'] as Record<string, unknown>;
    expect(Object.keys(response)).toEqual(['Connect']);
    expect(xml).not.toContain('<Start>');
  });

  it('points at wss://PUBLIC_HOST/ws/twilio-media without a query string', () => {
    const { stream } = parseStream(xml);
    expect(stream.url).toBe('wss://voice.example.com/ws/twilio-media');
    expect(stream.url).not.toContain('?');
  });

  it('has the POST status callback and no statusCallbackEvent or non-inbound track', () => {
    const { stream } = parseStream(xml);
    expect(stream.statusCallback).toBe('https://voice.example.com/webhook/stream_status');
    expect(stream.statusCallbackMethod).toBe('POST');
    expect(stream.statusCallbackEvent).toBeUndefined();
    expect(stream.track === undefined || stream.track === 'inbound_track').toBe(true);
  });

  it('carries the call parameters as <Parameter>s, skipping empty ones', () => {
    const { stream } = parseStream(xml);
    expect(stream.Parameter).toEqual([
      { name: 'callSid', value: 'CA123' },
      { name: 'from', value: '+972501234567' },
      { name: 'to', value: '+97231234567' },
    ]);
  });

  it('escapes values and keeps name+value under 500 characters', () => {
    const { stream } = parseStream(
      buildVoiceTwiml({ publicHost: 'h.example', parameters: { note: `<&"'>${'x'.repeat(600)}` } }),
    );
    const p = stream.Parameter![0]!;
    expect(p.value.startsWith(`<&"'>`)).toBe(true);
    expect(p.name.length + p.value.length).toBeLessThan(500);
  });
});

describe('fallback after <Connect> (what a refused caller hears)', () => {
  const none = { playUrl: '', sayText: '', dialNumber: '', redirectUrl: '' };
  const verbsAfterConnect = (xml: string) => {
    const body = xml.replace(/^[\s\S]*<\/Connect>/, '').replace(/<\/Response>$/, '');
    return [...body.matchAll(/<([A-Z][a-zA-Z]*)/g)].map((m) => m[1]);
  };

  it('speaks the Hebrew apology with <Say language="he-IL"> by default, after the stream', () => {
    const xml = buildVoiceTwiml({
      publicHost: 'voice.example.com',
      parameters: {},
      fallback: { ...none, sayText: 'מצטערים, נסו שוב מאוחר יותר' },
    });
    expect(verbsAfterConnect(xml)).toEqual(['Say']);
    expect(xml).toContain('<Say language="he-IL">מצטערים, נסו שוב מאוחר יותר</Say>');
    expect(xml.indexOf('<Say')).toBeGreaterThan(xml.indexOf('</Connect>'));
  });

  it('plays a recording instead of speaking, then dials a number', () => {
    const xml = buildVoiceTwiml({
      publicHost: 'voice.example.com',
      parameters: {},
      fallback: {
        ...none,
        sayText: 'x',
        playUrl: 'https://cdn.example.com/sorry.wav',
        dialNumber: '+97231234567',
      },
    });
    expect(verbsAfterConnect(xml)).toEqual(['Play', 'Dial']);
    expect(xml).toContain('<Play>https://cdn.example.com/sorry.wav</Play><Dial>+97231234567</Dial>');
  });

  it('redirects to another TwiML URL', () => {
    const xml = buildVoiceTwiml({
      publicHost: 'voice.example.com',
      parameters: {},
      fallback: { ...none, redirectUrl: 'https://ivr.example.com/busy?x=1&y=2' },
    });
    expect(verbsAfterConnect(xml)).toEqual(['Redirect']);
    expect(xml).toContain('<Redirect method="POST">https://ivr.example.com/busy?x=1&amp;y=2</Redirect>');
  });

  it('adds nothing when every field is empty', () => {
    const xml = buildVoiceTwiml({ publicHost: 'voice.example.com', parameters: {}, fallback: none });
    expect(verbsAfterConnect(xml)).toEqual([]);
  });
});
