import { describe, expect, it } from 'vitest';
import { parseAgentLogLine } from '../../../bench/capacity/agent-log.ts';

describe('parseAgentLogLine', () => {
  it('reads a [LATENCY] turn line: call sid, time, outcome and total', () => {
    const line = JSON.stringify({
      level: 'info',
      time: '2026-12-01T12:00:00.500Z',
      callSid: 'CA1',
      turn: { turnId: 2, rule: 'silence', outcome: 'answered', firstFrameSentMs: 812 },
      msg: '[LATENCY] ...',
    });
    const p = parseAgentLogLine(line)!;
    expect(p.level).toBe('info');
    expect(p.turn).toMatchObject({
      callSid: 'CA1',
      loggedAtMs: Date.parse('2026-12-01T12:00:00.500Z'),
      outcome: 'answered',
      rule: 'silence',
      totalMs: 812,
    });
  });

  it('leaves the total undefined for a turn with no answer, and ignores other lines', () => {
    const noAnswer = parseAgentLogLine(
      JSON.stringify({ level: 'info', time: 5, callSid: 'CA2', turn: { outcome: 'no_transcript' } }),
    )!;
    expect(noAnswer.turn?.totalMs).toBeUndefined();
    expect(noAnswer.turn?.loggedAtMs).toBe(5);
    expect(parseAgentLogLine(JSON.stringify({ level: 'error', msg: 'boom' }))).toEqual({
      level: 'error',
      msg: 'boom',
      turn: undefined,
    });
    expect(parseAgentLogLine('not json')).toBeUndefined();
    expect(parseAgentLogLine('{broken')).toBeUndefined();
  });
});
