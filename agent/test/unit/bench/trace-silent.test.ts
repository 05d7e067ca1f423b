import { describe, expect, it } from 'vitest';
import { classifySilence } from '../../../bench/capacity/trace-silent.ts';

const line = (msg: string, o: Record<string, unknown> = {}) => ({ t: 0, msg, o });

describe('classifySilence', () => {
  it('names what the agent did with a turn that got no reply', () => {
    expect(
      classifySilence([line('caller turn during agent speech below barge-in threshold: not answered')]),
    ).toBe('agent: ignored as a backchannel');
    expect(classifySilence([line('[LATENCY]', { turn: { outcome: 'superseded' } })])).toBe(
      'agent: answer superseded',
    );
    expect(classifySilence([line('[LATENCY]', { turn: { outcome: 'apology' } })])).toBe(
      'agent: apology sent late',
    );
    expect(classifySilence([line('[LATENCY]', { turn: { outcome: 'answered' } })])).toBe('agent: answered');
    expect(classifySilence([])).toBe('agent: nothing logged (turn not seen)');
  });
});
