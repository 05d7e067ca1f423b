import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig, maskSecret } from '../../../src/config/load.ts';
import { schema, type Field } from '../../../src/config/schema.ts';

describe('config schema', () => {
  it('has the defaults the field asked for', () => {
    const c = loadConfig({});
    expect(c.sttStreaming).toBe(true);
    expect(c.sttBatchMs).toBe(80);
    expect(c.sttIdleBatchMs).toBe(320);
    expect(c.sttDebounceMs).toBe(120);
    expect(c.sttTimeoutMs).toBe(450);
    expect(c.vadHangoverMs).toBe(220);
    expect(c.endpointMinUtteranceMs).toBe(600);
    expect(c.endpointMinSilenceMs).toBe(500);
    expect(c.endpointMinBufferMs).toBe(500);
    expect(c.sttRetryAttempts).toBe(3);
    expect(c.sttLanguage).toBe('he-IL');
    expect(c.region).toBe('europe-west1');
    expect(c.twilioSignatureValidation).toBe(true);
    expect(c.drainSeconds).toBe(3600);
  });

  it('every field default satisfies its own bounds', () => {
    for (const field of Object.values(schema) as Field[]) {
      if (field.kind === 'int' || field.kind === 'number') {
        expect(field.default, field.env).toBeGreaterThanOrEqual(field.min);
        expect(field.default, field.env).toBeLessThanOrEqual(field.max);
        if (field.kind === 'int') expect(Number.isInteger(field.default), field.env).toBe(true);
      }
      if (field.kind === 'enum') expect(field.values, field.env).toContain(field.default);
      if (field.kind === 'string' && field.pattern && field.default !== '') {
        expect(new RegExp(field.pattern).test(field.default), field.env).toBe(true);
      }
    }
  });

  it('env names and CR paths are unique', () => {
    const fields = Object.values(schema) as Field[];
    const envs = fields.map((f) => f.env);
    expect(new Set(envs).size).toBe(envs.length);
    const crs = fields.flatMap((f) => (f.cr ? [f.cr] : []));
    expect(new Set(crs).size).toBe(crs.length);
  });

  it('parses typed values from env', () => {
    const c = loadConfig({
      STT_BATCH_MS: '100',
      STT_STREAMING_ENABLED: 'false',
      LLM_TEMPERATURE: '0.9',
      STT_API_VERSION: 'v2',
      PUBLIC_HOST: 'voice.example.com',
    });
    expect(c.sttBatchMs).toBe(100);
    expect(c.sttStreaming).toBe(false);
    expect(c.llmTemperature).toBe(0.9);
    expect(c.sttApiVersion).toBe('v2');
    expect(c.publicHost).toBe('voice.example.com');
  });

  it('rejects a batch under 20 ms, naming the variable and the allowed range', () => {
    expect(() => loadConfig({ STT_BATCH_MS: '10' })).toThrow(ConfigError);
    try {
      loadConfig({ STT_BATCH_MS: '10' });
    } catch (e) {
      expect((e as Error).message).toContain(
        'STT_BATCH_MS="10" is invalid: expected an integer from 20 to 1000 ms',
      );
    }
  });

  it('reports every invalid variable at once', () => {
    try {
      loadConfig({
        STT_BATCH_MS: 'fast',
        STT_API_VERSION: 'v3',
        TWILIO_SIGNATURE_VALIDATION: 'maybe',
        PUBLIC_HOST: 'https://x/y',
      });
      expect.unreachable();
    } catch (e) {
      const problems = (e as ConfigError).problems;
      expect(problems).toHaveLength(4);
      expect(problems.join('\n')).toMatch(/STT_API_VERSION="v3" is invalid: expected one of v1, v2/);
      expect(problems.join('\n')).toMatch(
        /TWILIO_SIGNATURE_VALIDATION="maybe" is invalid: expected true or false/,
      );
      expect(problems.join('\n')).toMatch(/PUBLIC_HOST=/);
    }
  });

  it('rejects non-integers for integer fields and out-of-range numbers', () => {
    expect(() => loadConfig({ STT_RETRY_ATTEMPTS: '2.5' })).toThrow(/STT_RETRY_ATTEMPTS/);
    expect(() => loadConfig({ LLM_TEMPERATURE: '3' })).toThrow(/LLM_TEMPERATURE.*from 0 to 2/);
  });

  it('masks secrets in the effective config', () => {
    const c = loadConfig({ OPENAI_API_KEY: 'sk-abcdefghijklmnop', TWILIO_AUTH_TOKEN: '' });
    const d = describeConfig(c);
    expect(d.OPENAI_API_KEY).toBe('****mnop');
    expect(d.TWILIO_AUTH_TOKEN).toBe('(unset)');
    expect(JSON.stringify(d)).not.toContain('sk-abcdefghijklmnop');
    expect(maskSecret('short')).toBe('****');
  });
});
