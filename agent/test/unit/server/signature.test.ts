import { describe, expect, it } from 'vitest';
import {
  LOCAL_DEV_AUTH_TOKEN,
  effectiveAuthToken,
  isValidUpgradeSignature,
  isValidWebhookSignature,
  mediaStreamUrl,
  resolveTwilioAuth,
  signTwilioRequest,
} from '../../../src/server/signature.ts';

// Twilio's published test vector (webhook security docs).
const VECTOR = {
  token: '12345',
  url: 'https://example.com/myapp.php?foo=1&bar=2',
  params: {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675310',
    Digits: '1234',
    From: '+14158675310',
    To: '+18005551212',
  },
  signature: 'L/OH5YylLD5NRKLltdqwSvS0BnU=',
};

describe('webhook signatures', () => {
  it('accepts Twilio published test vector', () => {
    expect(isValidWebhookSignature(VECTOR.token, VECTOR.signature, VECTOR.url, VECTOR.params)).toBe(true);
    expect(signTwilioRequest(VECTOR.token, VECTOR.url, VECTOR.params)).toBe(VECTOR.signature);
  });

  it('rejects a missing, empty or wrong signature, another token, URL or parameter', () => {
    expect(isValidWebhookSignature(VECTOR.token, undefined, VECTOR.url, VECTOR.params)).toBe(false);
    expect(isValidWebhookSignature(VECTOR.token, '', VECTOR.url, VECTOR.params)).toBe(false);
    expect(
      isValidWebhookSignature(VECTOR.token, 'L/OH5YylLD5NRKLltdqwSvS0BnX=', VECTOR.url, VECTOR.params),
    ).toBe(false);
    expect(isValidWebhookSignature('54321', VECTOR.signature, VECTOR.url, VECTOR.params)).toBe(false);
    expect(
      isValidWebhookSignature(
        VECTOR.token,
        VECTOR.signature,
        'https://example.com/myapp.php?foo=1&bar=3',
        VECTOR.params,
      ),
    ).toBe(false);
    expect(
      isValidWebhookSignature(VECTOR.token, VECTOR.signature, VECTOR.url, {
        ...VECTOR.params,
        Digits: '1235',
      }),
    ).toBe(false);
  });
});

describe('media stream upgrade signatures', () => {
  const host = 'voice.example.com';

  it('validates against the wss URL with empty params, with or without a trailing slash', () => {
    const plain = signTwilioRequest('tok', 'wss://voice.example.com/ws/twilio-media');
    const slash = signTwilioRequest('tok', 'wss://voice.example.com/ws/twilio-media/');
    expect(mediaStreamUrl(host)).toBe('wss://voice.example.com/ws/twilio-media');
    expect(isValidUpgradeSignature('tok', plain, host)).toBe(true);
    expect(isValidUpgradeSignature('tok', slash, host)).toBe(true);
  });

  it('rejects signatures over another host, scheme or token, and missing ones', () => {
    expect(
      isValidUpgradeSignature(
        'tok',
        signTwilioRequest('tok', 'wss://evil.example.com/ws/twilio-media'),
        host,
      ),
    ).toBe(false);
    expect(
      isValidUpgradeSignature(
        'tok',
        signTwilioRequest('tok', 'https://voice.example.com/ws/twilio-media'),
        host,
      ),
    ).toBe(false);
    expect(
      isValidUpgradeSignature(
        'other',
        signTwilioRequest('tok', 'wss://voice.example.com/ws/twilio-media'),
        host,
      ),
    ).toBe(false);
    expect(isValidUpgradeSignature('tok', undefined, host)).toBe(false);
  });

  it('falls back to the local development token only when none is configured', () => {
    expect(effectiveAuthToken('')).toBe(LOCAL_DEV_AUTH_TOKEN);
    expect(effectiveAuthToken('real')).toBe('real');
  });
});

describe('resolveTwilioAuth (no open door)', () => {
  it('refuses to start with a public host, validation on and no auth token, naming the fix', () => {
    expect(() =>
      resolveTwilioAuth({
        publicHost: 'voice.example.com',
        twilioAuthToken: '',
        twilioSignatureValidation: true,
      }),
    ).toThrow(/refusing to start.*TWILIO_AUTH_TOKEN.*authTokenSecretRef.*TWILIO_SIGNATURE_VALIDATION=false/s);
  });

  it('uses the configured token; the development token only for loopback peers without a public host', () => {
    expect(
      resolveTwilioAuth({
        publicHost: 'voice.example.com',
        twilioAuthToken: 't0k',
        twilioSignatureValidation: true,
      }),
    ).toEqual({ authToken: 't0k', loopbackOnly: false });
    expect(
      resolveTwilioAuth({ publicHost: '', twilioAuthToken: '', twilioSignatureValidation: true }),
    ).toEqual({ authToken: LOCAL_DEV_AUTH_TOKEN, loopbackOnly: true });
    // Explicitly off: the operator chose it (a warning is logged at boot).
    expect(
      resolveTwilioAuth({
        publicHost: 'voice.example.com',
        twilioAuthToken: '',
        twilioSignatureValidation: false,
      }).loopbackOnly,
    ).toBe(true);
  });
});
