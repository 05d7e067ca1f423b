// Pure: which Speech API version / model / language / location combinations work, and where to
// send them. Checked at boot so a known-bad combination fails fast with a message naming a
// working alternative, and nothing is ever sent to a host that does not exist.
// The tables below are the one source of these facts: scripts/crd-stt-rules.ts compiles them
// into the VoiceAgent CRD's admission rules, and an integration test holds the two to agreement.
import type { Config } from '../config/schema.ts';

export type SttApiVersion = 'v1' | 'v2';

export class SttConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SttConfigError';
  }
}

export interface SttEndpoint {
  readonly host: string;
  readonly port: number;
  /** Plaintext gRPC without Google auth (a local emulator). */
  readonly plaintext: boolean;
  /** True when STT_ENDPOINT overrode the derived host. */
  readonly overridden: boolean;
}

export interface SttTarget {
  readonly apiVersion: SttApiVersion;
  readonly model: string;
  /** The language code as the API expects it (he-IL -> iw-IL). */
  readonly languageCode: string;
  /** The language as configured (for logs). */
  readonly configuredLanguage: string;
  /** Speech location: global | eu | us (v1), or a v2 location. */
  readonly location: string;
  /** How the location was chosen, for the boot line. */
  readonly locationSource: 'STT_LOCATION' | 'REGION';
  readonly endpoint: SttEndpoint;
  /** v2 only: projects/{p}/locations/{loc}/recognizers/_ */
  readonly recognizer?: string;
  readonly streaming: boolean;
  /** Combinations that are allowed but not confirmed against the live API. */
  readonly warnings: readonly string[];
}

/** The subset of Config this module reads (tests pass plain objects). */
export type SttTargetConfig = Pick<
  Config,
  | 'sttApiVersion'
  | 'sttModel'
  | 'sttLanguage'
  | 'sttLocation'
  | 'sttEndpoint'
  | 'region'
  | 'googleProject'
  | 'sttStreaming'
>;

/** The Speech API's own code for a BCP-47 language (Hebrew is iw-IL in the API). */
export function apiLanguageCode(language: string): string {
  const [lang, ...rest] = language.split('-');
  if (lang?.toLowerCase() === 'he') return ['iw', ...rest].join('-');
  return language;
}

/** Speech v1 endpoints. */
export const V1_LOCATIONS: readonly string[] = ['global', 'eu', 'us'];
/** v2 locations with a `{location}-speech.googleapis.com` endpoint (global uses speech.googleapis.com). */
export const V2_LOCATIONS: readonly string[] = [
  'global',
  'eu',
  'us',
  'asia-northeast1',
  'asia-south1',
  'asia-southeast1',
  'australia-southeast1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'northamerica-northeast1',
  'us-central1',
  'us-east1',
  'us-west1',
];
/** Where chirp_3 streaming is GA. */
export const CHIRP3_LOCATIONS: readonly string[] = ['eu', 'us'];

export const V1_MODELS: readonly string[] = [
  'default',
  'command_and_search',
  'phone_call',
  'video',
  'latest_short',
  'latest_long',
  'medical_dictation',
  'medical_conversation',
];
export const V2_MODELS: readonly string[] = [
  'chirp_3',
  'chirp_2',
  'chirp',
  'telephony',
  'long',
  'short',
  'latest_long',
  'latest_short',
];
/** v1 models that serve iw-IL (phone_call and latest_* are rejected by the API for iw-IL). */
export const V1_HEBREW_MODELS: readonly string[] = ['default', 'command_and_search'];

const HEBREW_ALTERNATIVE =
  'use STT_MODEL=default (or command_and_search) on STT_API_VERSION=v1, or STT_MODEL=chirp_3 on STT_API_VERSION=v2 with STT_LOCATION=eu';

/** Compute-region prefixes served by a Speech multi-region (checked in order). */
export const REGION_PREFIX_LOCATIONS: readonly { readonly prefix: string; readonly location: string }[] = [
  { prefix: 'europe-', location: 'eu' },
  { prefix: 'us-', location: 'us' },
  { prefix: 'northamerica-', location: 'us' },
];

/**
 * Data-residency jurisdictions: a location (multi-region or region) and a compute region belong
 * to one when they equal its multi-region or start with one of its prefixes. Audio from pods in
 * one jurisdiction is never sent to a location in another.
 */
export const JURISDICTIONS: readonly {
  readonly name: string;
  readonly location: string;
  readonly prefixes: readonly string[];
}[] = [
  { name: 'EU', location: 'eu', prefixes: ['europe-'] },
  { name: 'US', location: 'us', prefixes: ['us-'] },
];

export function jurisdictionOf(place: string): string | undefined {
  return JURISDICTIONS.find((j) => place === j.location || j.prefixes.some((p) => place.startsWith(p)))?.name;
}

/** Maps a compute region to the Speech location that serves it. */
export function locationForRegion(region: string, apiVersion: SttApiVersion): string {
  const match = REGION_PREFIX_LOCATIONS.find((r) => region.startsWith(r.prefix));
  if (match) return match.location;
  return apiVersion === 'v1' ? 'global' : V2_LOCATIONS.includes(region) ? region : 'global';
}

export function speechHost(location: string): string {
  return location === 'global' ? 'speech.googleapis.com' : `${location}-speech.googleapis.com`;
}

/** Parses STT_ENDPOINT host[:port]. A port other than 443 means a plaintext emulator. */
export function parseEndpointOverride(value: string): SttEndpoint {
  const m = /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) throw new SttConfigError(`STT_ENDPOINT=${JSON.stringify(value)} is not host[:port]`);
  const port = m[2] === undefined ? 443 : Number(m[2]);
  if (port < 1 || port > 65535)
    throw new SttConfigError(`STT_ENDPOINT port ${port} is out of range 1..65535`);
  return { host: m[1]!, port, plaintext: port !== 443, overridden: true };
}

function isHebrew(apiLanguage: string): boolean {
  return apiLanguage.toLowerCase().startsWith('iw-');
}

/** Throws SttConfigError when Speech v1 cannot serve this model, location or language. */
function checkV1(model: string, location: string, languageCode: string): void {
  const hebrew = isHebrew(languageCode);
  if (!V1_LOCATIONS.includes(location)) {
    throw new SttConfigError(
      `STT_LOCATION=${location} does not exist for Speech v1: v1 serves only global, eu and us ` +
        `(speech.googleapis.com, eu-speech.googleapis.com, us-speech.googleapis.com). ` +
        `Use STT_LOCATION=${location.startsWith('europe') ? 'eu' : location.startsWith('us') ? 'us' : 'global'}, ` +
        `or STT_API_VERSION=v2 for regional locations.`,
    );
  }
  if (V2_MODELS.includes(model) && !V1_MODELS.includes(model)) {
    throw new SttConfigError(
      `STT_MODEL=${model} exists only on Speech v2: set STT_API_VERSION=v2` +
        (model === 'chirp_3' ? ' with STT_LOCATION=eu or us' : '') +
        `, or use STT_MODEL=default on v1.`,
    );
  }
  if (!V1_MODELS.includes(model)) {
    throw new SttConfigError(`STT_MODEL=${model} is not a Speech v1 model (known: ${V1_MODELS.join(', ')}).`);
  }
  if (hebrew && !V1_HEBREW_MODELS.includes(model)) {
    throw new SttConfigError(
      `STT_MODEL=${model} is not supported for ${languageCode} on Speech v1 ` +
        `(the API answers INVALID_ARGUMENT "The requested model is currently not supported for language : ${languageCode}"): ${HEBREW_ALTERNATIVE}.`,
    );
  }
}

/** Throws SttConfigError when Speech v2 cannot serve this; returns the warnings of what is unconfirmed. */
function checkV2(config: SttTargetConfig, model: string, location: string, languageCode: string): string[] {
  const hebrew = isHebrew(languageCode);
  const warnings: string[] = [];
  if (config.googleProject === '') {
    throw new SttConfigError(
      'STT_API_VERSION=v2 needs GOOGLE_CLOUD_PROJECT (the recognizer path is projects/{project}/locations/{location}/recognizers/_). Set it, or use STT_API_VERSION=v1.',
    );
  }
  if (!V2_LOCATIONS.includes(location)) {
    const suggestion = location.startsWith('europe') ? 'eu' : location.startsWith('us') ? 'us' : 'global';
    throw new SttConfigError(
      `STT_LOCATION=${location} has no Speech v2 endpoint (${speechHost(location)} does not exist). ` +
        `Use STT_LOCATION=${suggestion}; known v2 locations: ${V2_LOCATIONS.join(', ')}.`,
    );
  }
  if (model === 'default' || (!V2_MODELS.includes(model) && V1_MODELS.includes(model))) {
    throw new SttConfigError(
      `STT_MODEL=${model} is a Speech v1 model; v2 needs a v2 model such as chirp_3 (STT_LOCATION=eu or us), or set STT_API_VERSION=v1.`,
    );
  }
  if (!V2_MODELS.includes(model)) {
    throw new SttConfigError(`STT_MODEL=${model} is not a Speech v2 model (known: ${V2_MODELS.join(', ')}).`);
  }
  if (model === 'chirp_3' && !CHIRP3_LOCATIONS.includes(location)) {
    throw new SttConfigError(
      `STT_MODEL=chirp_3 is served in the eu and us multi-regions, not ${location}: set STT_LOCATION=eu (or us).`,
    );
  }
  if (config.sttStreaming && model === 'chirp') {
    throw new SttConfigError(
      'STT_MODEL=chirp does not support streaming recognition: use STT_MODEL=chirp_3.',
    );
  }
  if (hebrew && config.sttStreaming && model === 'chirp_2') {
    throw new SttConfigError(
      `STT_MODEL=chirp_2 does not support streaming for ${languageCode}: use STT_MODEL=chirp_3 with STT_LOCATION=eu, or STT_MODEL=default on STT_API_VERSION=v1.`,
    );
  }
  if (hebrew && model !== 'chirp_2') {
    warnings.push(
      `${model} for ${languageCode} on v2 is not confirmed: check with the Locations API (filter language = ${languageCode} AND model = ${model}) or enable STT_PROBE_ON_BOOT.`,
    );
  }
  return warnings;
}

/** Resolves the configuration to a concrete API target, or throws SttConfigError saying what to use instead. */
export function resolveSttTarget(config: SttTargetConfig): SttTarget {
  const apiVersion = config.sttApiVersion;
  const model = config.sttModel;
  const languageCode = apiLanguageCode(config.sttLanguage);
  const warnings: string[] = [];

  const explicit = config.sttLocation !== '';
  const location = explicit ? config.sttLocation : locationForRegion(config.region, apiVersion);
  const podJurisdiction = jurisdictionOf(config.region);
  const audioJurisdiction = jurisdictionOf(location);
  if (podJurisdiction && audioJurisdiction && podJurisdiction !== audioJurisdiction) {
    throw new SttConfigError(
      `STT_LOCATION=${location} is in the ${audioJurisdiction} but the pods run in ${config.region} (${podJurisdiction}): ` +
        `audio would leave the ${podJurisdiction}. Use STT_LOCATION=${locationForRegion(config.region, apiVersion)} or leave it empty to derive it from REGION.`,
    );
  }

  if (apiVersion === 'v1') checkV1(model, location, languageCode);
  else warnings.push(...checkV2(config, model, location, languageCode));

  const endpoint: SttEndpoint =
    config.sttEndpoint !== ''
      ? parseEndpointOverride(config.sttEndpoint)
      : { host: speechHost(location), port: 443, plaintext: false, overridden: false };

  return {
    apiVersion,
    model,
    languageCode,
    configuredLanguage: config.sttLanguage,
    location,
    locationSource: explicit ? 'STT_LOCATION' : 'REGION',
    endpoint,
    ...(apiVersion === 'v2'
      ? { recognizer: `projects/${config.googleProject}/locations/${location}/recognizers/_` }
      : {}),
    streaming: config.sttStreaming,
    warnings,
  };
}
