import { describe, expect, it } from 'vitest';
import { parseScript, ScriptError, validateScript } from '../../../src/sim/caller/script.ts';

describe('parseScript', () => {
  it('parses every step form', () => {
    expect(
      parseScript(
        'play:a.wav; wait; silence:500\n# comment\ndtmf:1#; wait:start:3000; wait:end:9000:400; stop',
      ),
    ).toEqual([
      { kind: 'play', file: 'a.wav' },
      { kind: 'waitForAgent', until: 'end' },
      { kind: 'silence', ms: 500 },
      { kind: 'dtmf', digit: '1' },
      { kind: 'dtmf', digit: '#' },
      { kind: 'waitForAgent', until: 'start', timeoutMs: 3000 },
      { kind: 'waitForAgent', until: 'end', timeoutMs: 9000, quietMs: 400 },
      { kind: 'stop' },
    ]);
    expect(parseScript('drop')).toEqual([{ kind: 'drop' }]);
  });

  it('keeps colons inside file paths', () => {
    expect(parseScript('play:C:/audio/x.wav')).toEqual([{ kind: 'play', file: 'C:/audio/x.wav' }]);
  });

  it('rejects bad steps with a message naming them', () => {
    expect(() => parseScript('jump')).toThrow(/unknown step 'jump'/);
    expect(() => parseScript('silence:abc')).toThrow(ScriptError);
    expect(() => parseScript('dtmf:x')).toThrow(/not a DTMF digit/);
    expect(() => parseScript('wait:later')).toThrow(/start or end/);
    expect(() => parseScript('play')).toThrow(/needs a file/);
  });
});

describe('validateScript', () => {
  it('rejects invalid resolved steps', () => {
    expect(() => validateScript([{ kind: 'silence', ms: -1 }])).toThrow(/step 1 \(silence\)/);
    expect(() => validateScript([{ kind: 'dtmf', digit: '12' }])).toThrow(ScriptError);
    expect(() => validateScript([{ kind: 'waitForAgent', timeoutMs: Number.NaN }])).toThrow(ScriptError);
    expect(() => validateScript([{ kind: 'play', audio: Buffer.alloc(10) }, { kind: 'stop' }])).not.toThrow();
  });
});

describe('parseServerMessage', () => {
  const sid = 'MZ1';
  it('decodes media and rejects payloads that are not base64', async () => {
    const { parseServerMessage } = await import('../../../src/sim/caller/protocol.ts');
    const media = (payload: unknown) =>
      JSON.stringify({ event: 'media', streamSid: sid, media: { payload } });
    const ok = parseServerMessage(media(Buffer.from([1, 2, 3, 4, 5]).toString('base64')), sid);
    expect(ok.kind === 'media' && Array.from(ok.payload)).toEqual([1, 2, 3, 4, 5]);
    for (const bad of ['***', 'AAA*', 'AA=A', '', 12, 'AAAAA']) {
      const r = parseServerMessage(media(bad), sid);
      expect(r.kind === 'error' && r.error).toBe('badMessage');
    }
    expect(parseServerMessage(JSON.stringify({ event: 'clear', streamSid: sid }), sid)).toEqual({
      kind: 'clear',
    });
    const wrong = parseServerMessage(JSON.stringify({ event: 'clear', streamSid: 'MZ2' }), sid);
    expect(wrong.kind === 'error' && wrong.error).toBe('wrongStreamSid');
    const arr = parseServerMessage('[1]', sid);
    expect(arr.kind === 'error' && arr.error).toBe('invalidJson');
  });
});
