// How the emulated Speech API shapes its results, read from a latency profile's optional
// `stt.behaviour` section (../shared/bench/google-like-profile.json). Without the section the
// emulator keeps its tidy shape (punctuated growing prefixes, one result per response, stability
// climbing to 0.9, no final before the caller's speech end). Every key is validated; a key this
// emulator does not implement is an error, never silently ignored.

export interface StabilityPair {
  readonly stableHead: number;
  readonly unstableTail: number;
}

export interface SpeechBehaviour {
  /** 'asScript': interims keep the script's punctuation; 'none': interims carry none. */
  readonly interimPunctuation: 'asScript' | 'none';
  /** 'asScript': finals as scripted; 'sentence': every final ends a sentence (mid-utterance ones get a '.'). */
  readonly finalPunctuation: 'asScript' | 'sentence';
  /** 'single': one result per interim response; 'stableHeadUnstableTail': a head and a 1-2 word tail. */
  readonly resultsPerInterimResponse: 'single' | 'stableHeadUnstableTail';
  readonly unstableTailWords: { readonly min: number; readonly max: number };
  readonly stabilityV1: StabilityPair;
  /** 'unset': v2 interims carry no stability (0), as chirp models do. */
  readonly stabilityV2: 'unset' | StabilityPair;
  /** Probability that an interim's tail is a guess the next interim revises (a word replaced or dropped). */
  readonly tailRevisionProbability: number;
  /** A final for the words so far once a mid-utterance pause reaches this long (ms); undefined: never. */
  readonly midUtteranceFinalAfterPauseMs: number | undefined;
  /** Probability that the final after a mid-utterance final repeats its last 1-2 words. */
  readonly repeatPreviousFinalWordsProbability: number;
}

/** Today's tidy emulator (the reference profile has no behaviour section). */
export const TIDY_BEHAVIOUR: SpeechBehaviour = {
  interimPunctuation: 'asScript',
  finalPunctuation: 'asScript',
  resultsPerInterimResponse: 'single',
  unstableTailWords: { min: 1, max: 2 },
  stabilityV1: { stableHead: 0.9, unstableTail: 0.01 },
  stabilityV2: { stableHead: 0.9, unstableTail: 0.01 },
  tailRevisionProbability: 0,
  midUtteranceFinalAfterPauseMs: undefined,
  repeatPreviousFinalWordsProbability: 0,
};

type Reader = (value: unknown, key: string) => unknown;

const oneOf =
  <T extends string>(...allowed: T[]): Reader =>
  (v, key) => {
    if (typeof v !== 'string' || !allowed.includes(v as T))
      throw new Error(
        `profile stt.behaviour.${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`,
      );
    return v;
  };

const probability: Reader = (v, key) => {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    throw new Error(`profile stt.behaviour.${key} must be a probability 0..1 (got ${JSON.stringify(v)})`);
  return v;
};

const stabilityPair: Reader = (v, key) => {
  const o = v as Partial<StabilityPair> | null;
  if (typeof o !== 'object' || o === null) throw new Error(`profile stt.behaviour.${key} must be an object`);
  for (const k of Object.keys(o))
    if (k !== 'stableHead' && k !== 'unstableTail')
      throw new Error(`profile stt.behaviour.${key}.${k} is unknown`);
  return {
    stableHead: probability(o.stableHead, `${key}.stableHead`),
    unstableTail: probability(o.unstableTail, `${key}.unstableTail`),
  };
};

const READERS: Record<string, Reader> = {
  interimPunctuation: oneOf('asScript', 'none'),
  finalPunctuation: oneOf('asScript', 'sentence'),
  resultsPerInterimResponse: oneOf('single', 'stableHeadUnstableTail'),
  unstableTailWords: (v, key) => {
    const o = v as { min?: unknown; max?: unknown } | null;
    const ok =
      typeof o === 'object' &&
      o !== null &&
      Object.keys(o).every((k) => k === 'min' || k === 'max') &&
      Number.isInteger(o.min) &&
      Number.isInteger(o.max) &&
      (o.min as number) >= 1 &&
      (o.max as number) >= (o.min as number);
    if (!ok) throw new Error(`profile stt.behaviour.${key} must be {min, max} integers, 1 <= min <= max`);
    return { min: o.min, max: o.max };
  },
  stabilityV1: stabilityPair,
  stabilityV2: (v, k) => (v === 'unset' ? 'unset' : stabilityPair(v, k)),
  tailRevisionProbability: probability,
  // Prose describing tailRevision for readers; the emulator implements exactly that description.
  tailRevision: (v, key) => {
    if (typeof v !== 'string') throw new Error(`profile stt.behaviour.${key} must be a description string`);
    return undefined;
  },
  midUtteranceFinalAfterPauseMs: (v, key) => {
    if (typeof v !== 'number' || !(v > 0))
      throw new Error(`profile stt.behaviour.${key} must be a positive number of ms`);
    return v;
  },
  repeatPreviousFinalWordsProbability: probability,
};

/** The behaviour of a profile's stt section: TIDY_BEHAVIOUR overridden by each key of `behaviour`. */
export function parseBehaviour(json: unknown): SpeechBehaviour {
  if (json === undefined) return TIDY_BEHAVIOUR;
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('profile stt.behaviour must be an object');
  const out: Record<string, unknown> = { ...TIDY_BEHAVIOUR };
  for (const [key, value] of Object.entries(json)) {
    const read = READERS[key];
    if (!read)
      throw new Error(
        `profile stt.behaviour.${key} is not implemented by the Speech emulator (known: ${Object.keys(READERS).join(', ')})`,
      );
    const parsed = read(value, key);
    if (parsed !== undefined) out[key] = parsed;
  }
  return out as unknown as SpeechBehaviour;
}
