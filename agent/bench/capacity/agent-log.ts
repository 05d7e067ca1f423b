// Reads the agent's own structured log (pino JSON on stdout) for what the benchmark needs: every
// finished turn (the [LATENCY] line, call/turn-record.ts turnLogFields) and the level of each
// line. Pure: one line in, what it says out.

/** One finished turn as the agent logged it. */
export interface AgentTurn {
  readonly callSid: string;
  /** Epoch ms the agent logged it. */
  readonly loggedAtMs: number;
  readonly outcome: string | undefined;
  readonly rule: string | undefined;
  /** Speech end -> first agent frame sent, ms (undefined: no answer sent). */
  readonly totalMs: number | undefined;
  /** The caller's speech end on the call clock (ms since the stream's start). */
  readonly speechEndMs: number | undefined;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface AgentLogLine {
  /** pino level label (info, warn, error, fatal, ...). */
  readonly level: string | undefined;
  readonly msg: string | undefined;
  readonly turn: AgentTurn | undefined;
}

function timeOf(t: unknown): number | undefined {
  if (typeof t === 'number') return t;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Parses one log line; undefined for a line that is not a JSON object. */
export function parseAgentLogLine(line: string): AgentLogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const level = typeof o['level'] === 'string' ? o['level'] : undefined;
  const msg = typeof o['msg'] === 'string' ? o['msg'] : undefined;
  const t = o['turn'];
  const callSid = o['callSid'];
  let turn: AgentTurn | undefined;
  if (t !== null && typeof t === 'object' && typeof callSid === 'string') {
    const f = t as Record<string, unknown>;
    const total = f['firstFrameSentMs'];
    const speechEnd = f['speechEndMs'];
    turn = {
      callSid,
      loggedAtMs: timeOf(o['time']) ?? 0,
      outcome: typeof f['outcome'] === 'string' ? f['outcome'] : undefined,
      rule: typeof f['rule'] === 'string' ? f['rule'] : undefined,
      totalMs: typeof total === 'number' ? total : undefined,
      speechEndMs: typeof speechEnd === 'number' ? speechEnd : undefined,
      fields: f,
    };
  }
  return { level, msg, turn };
}
