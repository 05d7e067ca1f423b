import { describe, expect, it } from 'vitest';
import twilio from 'twilio';
import {
  mediaStreamConnectUrl,
  mediaStreamSignatureUrl,
  twilioSignature,
} from '../../../src/sim/caller/signature.ts';

describe('twilioSignature', () => {
  it("matches Twilio's published test vector", () => {
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675310',
      Digits: '1234',
      From: '+14158675310',
      To: '+18005551212',
    };
    expect(twilioSignature('12345', 'https://example.com/myapp.php?foo=1&bar=2', params)).toBe(
      'L/OH5YylLD5NRKLltdqwSvS0BnU=',
    );
  });

  it('signs the wss upgrade URL so that twilio.validateRequest accepts it (and nothing else)', () => {
    const url = mediaStreamSignatureUrl('agent.example.com');
    expect(url).toBe('wss://agent.example.com/ws/twilio-media');
    const sig = twilioSignature('secret-token', url);
    expect(twilio.validateRequest('secret-token', sig, url, {})).toBe(true);
    expect(twilio.validateRequest('other-token', sig, url, {})).toBe(false);
    expect(twilio.validateRequest('secret-token', sig, 'wss://evil.example.com/ws/twilio-media', {})).toBe(
      false,
    );
  });
});

describe('URLs', () => {
  it('adds the media-stream path to a bare agent URL', () => {
    expect(mediaStreamConnectUrl('ws://localhost:8080')).toBe('ws://localhost:8080/ws/twilio-media');
    expect(mediaStreamConnectUrl('http://localhost:8080/')).toBe('ws://localhost:8080/ws/twilio-media');
    expect(mediaStreamConnectUrl('localhost:9')).toBe('ws://localhost:9/ws/twilio-media');
    expect(mediaStreamConnectUrl('wss://a.example/custom')).toBe('wss://a.example/custom');
    expect(() => mediaStreamConnectUrl('ftp://x')).toThrow(/scheme/);
  });

  it('turns a public URL into the wss URL Twilio signs', () => {
    expect(mediaStreamSignatureUrl('https://a.example')).toBe('wss://a.example/ws/twilio-media');
    expect(mediaStreamSignatureUrl('wss://a.example:8443/ws/twilio-media')).toBe(
      'wss://a.example:8443/ws/twilio-media',
    );
    expect(mediaStreamSignatureUrl('a.example:8080/')).toBe('wss://a.example:8080/ws/twilio-media');
  });
});
