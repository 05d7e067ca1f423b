import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import {
  apiLanguageCode,
  locationForRegion,
  parseEndpointOverride,
  resolveSttTarget,
  SttConfigError,
} from '../../../src/stt/capabilities.ts';

const cfg = (o: Partial<Config>): Config => defaultConfig(o);

describe('resolveSttTarget: working combinations', () => {
  const cases: Array<
    [
      string,
      Partial<Config>,
      {
        apiVersion: string;
        model: string;
        languageCode: string;
        location: string;
        host: string;
        port: number;
        recognizer?: string;
      },
    ]
  > = [
    [
      'defaults: v1 default model, europe-west1 -> eu',
      {},
      {
        apiVersion: 'v1',
        model: 'default',
        languageCode: 'iw-IL',
        location: 'eu',
        host: 'eu-speech.googleapis.com',
        port: 443,
      },
    ],
    [
      'v1 command_and_search',
      { sttModel: 'command_and_search' },
      {
        apiVersion: 'v1',
        model: 'command_and_search',
        languageCode: 'iw-IL',
        location: 'eu',
        host: 'eu-speech.googleapis.com',
        port: 443,
      },
    ],
    [
      'v1 us region',
      { region: 'us-central1' },
      {
        apiVersion: 'v1',
        model: 'default',
        languageCode: 'iw-IL',
        location: 'us',
        host: 'us-speech.googleapis.com',
        port: 443,
      },
    ],
    [
      'v1 asia region -> global',
      { region: 'asia-east1' },
      {
        apiVersion: 'v1',
        model: 'default',
        languageCode: 'iw-IL',
        location: 'global',
        host: 'speech.googleapis.com',
        port: 443,
      },
    ],
    [
      'v1 explicit global',
      { sttLocation: 'global' },
      {
        apiVersion: 'v1',
        model: 'default',
        languageCode: 'iw-IL',
        location: 'global',
        host: 'speech.googleapis.com',
        port: 443,
      },
    ],
    [
      'v1 iw-IL configured directly',
      { sttLanguage: 'iw-IL' },
      {
        apiVersion: 'v1',
        model: 'default',
        languageCode: 'iw-IL',
        location: 'eu',
        host: 'eu-speech.googleapis.com',
        port: 443,
      },
    ],
    [
      'v1 English phone_call is fine',
      { sttLanguage: 'en-US', sttModel: 'phone_call' },
      {
        apiVersion: 'v1',
        model: 'phone_call',
        languageCode: 'en-US',
        location: 'eu',
        host: 'eu-speech.googleapis.com',
        port: 443,
      },
    ],
    [
      'v2 chirp_3 europe-west1 -> eu',
      { sttApiVersion: 'v2', sttModel: 'chirp_3', googleProject: 'my-proj' },
      {
        apiVersion: 'v2',
        model: 'chirp_3',
        languageCode: 'iw-IL',
        location: 'eu',
        host: 'eu-speech.googleapis.com',
        port: 443,
        recognizer: 'projects/my-proj/locations/eu/recognizers/_',
      },
    ],
    [
      'v2 chirp_3 explicit us',
      {
        sttApiVersion: 'v2',
        sttModel: 'chirp_3',
        googleProject: 'my-proj',
        sttLocation: 'us',
        region: 'us-central1',
      },
      {
        apiVersion: 'v2',
        model: 'chirp_3',
        languageCode: 'iw-IL',
        location: 'us',
        host: 'us-speech.googleapis.com',
        port: 443,
        recognizer: 'projects/my-proj/locations/us/recognizers/_',
      },
    ],
    [
      'v2 telephony in europe-west4',
      { sttApiVersion: 'v2', sttModel: 'telephony', googleProject: 'my-proj', sttLocation: 'europe-west4' },
      {
        apiVersion: 'v2',
        model: 'telephony',
        languageCode: 'iw-IL',
        location: 'europe-west4',
        host: 'europe-west4-speech.googleapis.com',
        port: 443,
        recognizer: 'projects/my-proj/locations/europe-west4/recognizers/_',
      },
    ],
    [
      'v2 chirp_2 one-shot only is allowed',
      { sttApiVersion: 'v2', sttModel: 'chirp_2', googleProject: 'my-proj', sttStreaming: false },
      {
        apiVersion: 'v2',
        model: 'chirp_2',
        languageCode: 'iw-IL',
        location: 'eu',
        host: 'eu-speech.googleapis.com',
        port: 443,
        recognizer: 'projects/my-proj/locations/eu/recognizers/_',
      },
    ],
    [
      'emulator override',
      { sttEndpoint: '127.0.0.1:50051' },
      {
        apiVersion: 'v1',
        model: 'default',
        languageCode: 'iw-IL',
        location: 'eu',
        host: '127.0.0.1',
        port: 50051,
      },
    ],
  ];
  it.each(cases)('%s', (_name, overrides, want) => {
    const t = resolveSttTarget(cfg(overrides));
    expect({
      apiVersion: t.apiVersion,
      model: t.model,
      languageCode: t.languageCode,
      location: t.location,
      host: t.endpoint.host,
      port: t.endpoint.port,
      ...(t.recognizer ? { recognizer: t.recognizer } : {}),
    }).toEqual(want);
    expect(t.endpoint.host).not.toMatch(/europe-west1-speech/);
  });

  it('marks the emulator override plaintext and a bare host TLS', () => {
    expect(resolveSttTarget(cfg({ sttEndpoint: '127.0.0.1:50051' })).endpoint).toMatchObject({
      plaintext: true,
      overridden: true,
    });
    expect(resolveSttTarget(cfg({ sttEndpoint: 'speech.internal.example' })).endpoint).toMatchObject({
      plaintext: false,
      port: 443,
    });
  });

  it('warns that chirp_3 for Hebrew is unconfirmed', () => {
    const t = resolveSttTarget(cfg({ sttApiVersion: 'v2', sttModel: 'chirp_3', googleProject: 'my-proj' }));
    expect(t.warnings.join(' ')).toMatch(/not confirmed/);
  });
});

describe('resolveSttTarget: rejected combinations name a working alternative', () => {
  const cases: Array<[string, Partial<Config>, RegExp]> = [
    [
      'phone_call for Hebrew on v1',
      { sttModel: 'phone_call' },
      /phone_call is not supported for iw-IL.*STT_MODEL=default/,
    ],
    [
      'latest_short for Hebrew on v1',
      { sttModel: 'latest_short' },
      /latest_short is not supported for iw-IL.*chirp_3/,
    ],
    ['latest_long for Hebrew on v1', { sttModel: 'latest_long' }, /latest_long is not supported for iw-IL/],
    [
      'chirp_3 on v1',
      { sttModel: 'chirp_3' },
      /exists only on Speech v2: set STT_API_VERSION=v2 with STT_LOCATION=eu or us/,
    ],
    [
      'v1 with a regional location',
      { sttLocation: 'europe-west1' },
      /does not exist for Speech v1.*Use STT_LOCATION=eu/,
    ],
    ['v2 without project', { sttApiVersion: 'v2', sttModel: 'chirp_3' }, /needs GOOGLE_CLOUD_PROJECT/],
    [
      'v2 europe-west1 explicitly',
      { sttApiVersion: 'v2', sttModel: 'chirp_3', googleProject: 'my-proj', sttLocation: 'europe-west1' },
      /europe-west1 has no Speech v2 endpoint.*STT_LOCATION=eu/,
    ],
    [
      'chirp_2 streaming for Hebrew',
      { sttApiVersion: 'v2', sttModel: 'chirp_2', googleProject: 'my-proj' },
      /chirp_2 does not support streaming for iw-IL: use STT_MODEL=chirp_3/,
    ],
    [
      'chirp_3 outside eu/us',
      { sttApiVersion: 'v2', sttModel: 'chirp_3', googleProject: 'my-proj', sttLocation: 'europe-west4' },
      /set STT_LOCATION=eu/,
    ],
    [
      'v2 with the v1 default model',
      { sttApiVersion: 'v2', googleProject: 'my-proj' },
      /v2 needs a v2 model such as chirp_3/,
    ],
    ['unknown v1 model', { sttModel: 'banana' }, /not a Speech v1 model/],
    [
      'EU pods sending audio to the US',
      { sttApiVersion: 'v2', sttModel: 'chirp_3', googleProject: 'p', sttLocation: 'us' },
      /STT_LOCATION=us is in the US but the pods run in europe-west1 \(EU\).*Use STT_LOCATION=eu/,
    ],
    [
      'US pods sending audio to an EU region',
      { sttLocation: 'eu', region: 'us-east1' },
      /audio would leave the US/,
    ],
  ];
  it.each(cases)('%s', (_name, overrides, message) => {
    expect(() => resolveSttTarget(cfg(overrides))).toThrow(SttConfigError);
    expect(() => resolveSttTarget(cfg(overrides))).toThrow(message);
  });
});

describe('helpers', () => {
  it('maps he-IL to the API code iw-IL and leaves others', () => {
    expect(apiLanguageCode('he-IL')).toBe('iw-IL');
    expect(apiLanguageCode('iw-IL')).toBe('iw-IL');
    expect(apiLanguageCode('en-US')).toBe('en-US');
  });
  it('maps regions to locations per API version', () => {
    expect(locationForRegion('europe-west1', 'v1')).toBe('eu');
    expect(locationForRegion('northamerica-northeast1', 'v1')).toBe('us');
    expect(locationForRegion('asia-south1', 'v2')).toBe('asia-south1');
    expect(locationForRegion('me-west1', 'v2')).toBe('global');
  });
  it('rejects a malformed endpoint override', () => {
    expect(() => parseEndpointOverride('http://x')).toThrow(/not host\[:port\]/);
  });
});
