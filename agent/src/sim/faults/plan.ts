// A fault plan: which failures the emulators and the caller simulator inject, and when. Pure:
// parsing, validation and the canonical text form, no clock and no I/O (the injector in
// injector.ts applies a plan on an injected clock). One compact text form per fault, shared by
// `npm run bench -- --fault <spec>`, `npm run call -- --fault <spec>` and the emulator options:
//
//   stt-stream-fail:20%@mid            20 % of calls: their Speech stream fails mid-utterance
//   llm-429-burst:at=60s,for=10s       every chat request in [60 s, 70 s) gets HTTP 429
//   llm-stall:at=90s,for=5s            every chat request in [90 s, 95 s) stalls
//   tts-outage:at=120s,for=10s         every synthesis in [120 s, 130 s) fails UNAVAILABLE
//   ws-drop:every=60s                  one live call's WebSocket is cut every minute
//
// Times are from the start of the run (the injector's epoch). docs/bench/chaos.md lists every key.

export type FaultKind = 'stt-stream-fail' | 'llm-429-burst' | 'llm-stall' | 'tts-outage' | 'ws-drop';

export const FAULT_KINDS: readonly FaultKind[] = [
  'stt-stream-fail',
  'llm-429-burst',
  'llm-stall',
  'tts-outage',
  'ws-drop',
];

/** gRPC statuses Google's Speech API ends a live stream with on transient trouble (all retryable). */
export const STT_FAIL_CODES = ['UNAVAILABLE', 'ABORTED', 'RESOURCE_EXHAUSTED'] as const;
export type SttFailCode = (typeof STT_FAIL_CODES)[number];

/** When a chosen stream fails. */
export type StreamFailAt =
  /** During the caller's first utterance heard on the stream, 300-900 ms after its speech start. */
  | { readonly kind: 'mid' }
  /** As soon as the stream opens. */
  | { readonly kind: 'open' }
  /** A seeded time in [fromMs, toMs] after the stream opened (fromMs === toMs for a fixed time). */
  | { readonly kind: 'after'; readonly fromMs: number; readonly toMs: number };

export interface SttStreamFailFault {
  readonly kind: 'stt-stream-fail';
  /** Share of calls (0..1] whose streams fail; exactly round(share * calls) over a run. */
  readonly callShare: number;
  readonly at: StreamFailAt;
  /** A status, or 'mix': a seeded choice among STT_FAIL_CODES per failure. */
  readonly code: SttFailCode | 'mix';
  /** Consecutive streams of a chosen call that fail (the reconnects too when > 1). */
  readonly streams: number;
}

export interface WindowFault {
  /** Window start, ms from the start of the run. */
  readonly atMs: number;
  readonly forMs: number;
}

export interface Llm429BurstFault extends WindowFault {
  readonly kind: 'llm-429-burst';
  /** Retry-After header, seconds. */
  readonly retryAfterS: number;
  /** Share of requests in the window that get the 429 (0..1]. */
  readonly requestShare: number;
}

export interface LlmStallFault extends WindowFault {
  readonly kind: 'llm-stall';
  /** Tokens sent before the stream goes silent (0: headers only, the first token never comes). */
  readonly afterTokens: number;
  readonly requestShare: number;
}

export interface TtsOutageFault extends WindowFault {
  readonly kind: 'tts-outage';
  /** Only UNAVAILABLE: what Google's front end answers while a backend is down. */
  readonly code: 'UNAVAILABLE';
}

export interface WsDropFault {
  readonly kind: 'ws-drop';
  readonly everyMs: number;
  /** First drop, ms from the start of the run. Default: everyMs. */
  readonly startMs: number;
  /** At most this many drops (Infinity: no limit). */
  readonly count: number;
}

export type FaultSpec = SttStreamFailFault | Llm429BurstFault | LlmStallFault | TtsOutageFault | WsDropFault;

export interface FaultPlan {
  readonly faults: readonly FaultSpec[];
  /** Seeds every choice (which calls, which code, when mid-stream), so a run repeats. */
  readonly seed: number;
}

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

const KEYS: Record<FaultKind, readonly string[]> = {
  'stt-stream-fail': ['calls', 'at', 'code', 'streams'],
  'llm-429-burst': ['at', 'for', 'retry-after', 'requests'],
  'llm-stall': ['at', 'for', 'after-tokens', 'requests'],
  'tts-outage': ['at', 'for', 'code'],
  'ws-drop': ['every', 'start', 'count'],
};
const REQUIRED: Record<FaultKind, readonly string[]> = {
  'stt-stream-fail': ['calls'],
  'llm-429-burst': ['at', 'for'],
  'llm-stall': ['at', 'for'],
  'tts-outage': ['at', 'for'],
  'ws-drop': ['every'],
};

/** `500ms`, `10s`, `1.5s`, `2m` -> ms. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!m) throw new FaultSpecError(`${what}: '${text}' is not a duration (e.g. 500ms, 10s, 2m)`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
  return Math.round(ms);
}

/** `20%` -> 0.2, in (0, 1]. */
export function parsePercent(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  const share = m ? Number(m[1]) / 100 : NaN;
  if (!(share > 0 && share <= 1))
    throw new FaultSpecError(`${what}: '${text}' must be a percentage in (0%, 100%]`);
  return share;
}

function parseCount(text: string, what: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min)
    throw new FaultSpecError(`${what}: '${text}' must be a whole number >= ${min}`);
  return Number(text);
}

function parseStreamFailAt(text: string): StreamFailAt {
  const t = text.trim();
  if (t === 'mid') return { kind: 'mid' };
  if (t === 'open') return { kind: 'open' };
  const range = t.split('..');
  if (range.length === 2) {
    const fromMs = parseDuration(range[0]!, 'stt-stream-fail at');
    const toMs = parseDuration(range[1]!, 'stt-stream-fail at');
    if (toMs < fromMs) throw new FaultSpecError(`stt-stream-fail at: range '${t}' ends before it starts`);
    return { kind: 'after', fromMs, toMs };
  }
  if (range.length === 1) {
    const ms = parseDuration(t, 'stt-stream-fail at (mid, open, <duration> or <from>..<to>)');
    return { kind: 'after', fromMs: ms, toMs: ms };
  }
  throw new FaultSpecError(`stt-stream-fail at: '${t}' is not mid, open, <duration> or <from>..<to>`);
}

/** Splits `kind:item,item` into the kind and its key=value pairs (shorthand items expanded). */
function splitSpec(text: string): { kind: FaultKind; values: Map<string, string> } {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const kindText = (colon < 0 ? trimmed : trimmed.slice(0, colon)).trim();
  if (!(FAULT_KINDS as readonly string[]).includes(kindText)) {
    throw new FaultSpecError(`unknown fault '${kindText}' (known: ${FAULT_KINDS.join(', ')})`);
  }
  const kind = kindText as FaultKind;
  const values = new Map<string, string>();
  const set = (key: string, value: string): void => {
    if (!KEYS[kind].includes(key))
      throw new FaultSpecError(`${kind}: unknown key '${key}' (known: ${KEYS[kind].join(', ')})`);
    if (values.has(key)) throw new FaultSpecError(`${kind}: '${key}' given twice`);
    values.set(key, value);
  };
  const body = colon < 0 ? '' : trimmed.slice(colon + 1);
  for (const raw of body.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq > 0) {
      set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
      continue;
    }
    // Shorthand, stt-stream-fail only: `20%` or `20%@mid`.
    const short = /^(\d+(?:\.\d+)?%)(?:@(.+))?$/.exec(item);
    if (kind === 'stt-stream-fail' && short) {
      set('calls', short[1]!);
      if (short[2] !== undefined) set('at', short[2]);
      continue;
    }
    throw new FaultSpecError(`${kind}: '${item}' is not key=value`);
  }
  for (const key of REQUIRED[kind]) {
    if (!values.has(key)) throw new FaultSpecError(`${kind}: '${key}' is required`);
  }
  return { kind, values };
}

function windowOf(kind: FaultKind, values: Map<string, string>): WindowFault {
  const atMs = parseDuration(values.get('at')!, `${kind} at`);
  const forMs = parseDuration(values.get('for')!, `${kind} for`);
  if (forMs <= 0) throw new FaultSpecError(`${kind}: 'for' must be longer than 0`);
  return { atMs, forMs };
}

/** Parses one fault, e.g. `llm-429-burst:at=60s,for=10s,retry-after=2`. Throws FaultSpecError. */
export function parseFaultSpec(text: string): FaultSpec {
  const { kind, values } = splitSpec(text);
  const get = (key: string): string | undefined => values.get(key);
  switch (kind) {
    case 'stt-stream-fail': {
      const code = get('code') ?? 'mix';
      if (code !== 'mix' && !(STT_FAIL_CODES as readonly string[]).includes(code))
        throw new FaultSpecError(
          `stt-stream-fail code: '${code}' is not ${STT_FAIL_CODES.join(', ')} or mix`,
        );
      return {
        kind,
        callShare: parsePercent(get('calls')!, 'stt-stream-fail calls'),
        at: parseStreamFailAt(get('at') ?? 'mid'),
        code: code as SttFailCode | 'mix',
        streams: parseCount(get('streams') ?? '1', 'stt-stream-fail streams', 1),
      };
    }
    case 'llm-429-burst': {
      const retryAfter = get('retry-after') ?? '1';
      if (!/^\d+$/.test(retryAfter))
        throw new FaultSpecError(`llm-429-burst retry-after: '${retryAfter}' must be whole seconds`);
      return {
        kind,
        ...windowOf(kind, values),
        retryAfterS: Number(retryAfter),
        requestShare: parsePercent(get('requests') ?? '100%', 'llm-429-burst requests'),
      };
    }
    case 'llm-stall':
      return {
        kind,
        ...windowOf(kind, values),
        afterTokens: parseCount(get('after-tokens') ?? '0', 'llm-stall after-tokens', 0),
        requestShare: parsePercent(get('requests') ?? '100%', 'llm-stall requests'),
      };
    case 'tts-outage': {
      const code = get('code') ?? 'UNAVAILABLE';
      if (code !== 'UNAVAILABLE')
        throw new FaultSpecError(`tts-outage code: only UNAVAILABLE, got '${code}'`);
      return { kind, ...windowOf(kind, values), code };
    }
    case 'ws-drop': {
      const everyMs = parseDuration(get('every')!, 'ws-drop every');
      if (everyMs < 100) throw new FaultSpecError(`ws-drop every: at least 100ms, got '${get('every')!}'`);
      const count = get('count');
      return {
        kind,
        everyMs,
        startMs: get('start') === undefined ? everyMs : parseDuration(get('start')!, 'ws-drop start'),
        count: count === undefined ? Infinity : parseCount(count, 'ws-drop count', 1),
      };
    }
  }
}

/** Parses every `--fault` given; a fault kind may appear more than once (two bursts). */
export function parseFaultPlan(specs: readonly string[], seed = 1): FaultPlan {
  if (!Number.isInteger(seed) || seed < 0)
    throw new FaultSpecError(`fault seed must be a whole number, got ${seed}`);
  return { faults: specs.map(parseFaultSpec), seed };
}

function duration(ms: number): string {
  return ms % 60_000 === 0 && ms > 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
function percent(share: number): string {
  return `${Math.round(share * 10_000) / 100}%`;
}

/** The canonical text of a fault (every key spelled out): parseFaultSpec(formatFaultSpec(f)) equals f. */
export function formatFaultSpec(f: FaultSpec): string {
  switch (f.kind) {
    case 'stt-stream-fail': {
      const at =
        f.at.kind === 'after'
          ? f.at.fromMs === f.at.toMs
            ? duration(f.at.fromMs)
            : `${duration(f.at.fromMs)}..${duration(f.at.toMs)}`
          : f.at.kind;
      return `stt-stream-fail:calls=${percent(f.callShare)},at=${at},code=${f.code},streams=${f.streams}`;
    }
    case 'llm-429-burst':
      return `llm-429-burst:at=${duration(f.atMs)},for=${duration(f.forMs)},retry-after=${f.retryAfterS},requests=${percent(f.requestShare)}`;
    case 'llm-stall':
      return `llm-stall:at=${duration(f.atMs)},for=${duration(f.forMs)},after-tokens=${f.afterTokens},requests=${percent(f.requestShare)}`;
    case 'tts-outage':
      return `tts-outage:at=${duration(f.atMs)},for=${duration(f.forMs)},code=${f.code}`;
    case 'ws-drop':
      return `ws-drop:every=${duration(f.everyMs)},start=${duration(f.startMs)}${Number.isFinite(f.count) ? `,count=${f.count}` : ''}`;
  }
}

/** Is run time `elapsedMs` inside the fault's window? */
export function inWindow(f: WindowFault, elapsedMs: number): boolean {
  return elapsedMs >= f.atMs && elapsedMs < f.atMs + f.forMs;
}
