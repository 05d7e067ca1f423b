// The single source of truth for every agent setting: env name, type, default, bounds, unit,
// documentation and (where a platform team sets it) the VoiceAgent CR path that maps onto it.
// The README table, the CRD's defaults/bounds and the operator's env rendering derive from this.

export type FieldKind = 'int' | 'number' | 'bool' | 'string' | 'enum';

interface FieldBase<T> {
  env: string;
  kind: FieldKind;
  default: T;
  doc: string;
  unit?: string;
  /** Masked in the boot log and rendered from a Secret by the operator. */
  secret?: boolean;
  /** Dotted path under VoiceAgent `.spec` that sets this field, if platform teams may set it. */
  cr?: string;
}
export interface IntField extends FieldBase<number> {
  kind: 'int';
  min: number;
  max: number;
}
export interface NumberField extends FieldBase<number> {
  kind: 'number';
  min: number;
  max: number;
}
export interface BoolField extends FieldBase<boolean> {
  kind: 'bool';
}
export interface StringField extends FieldBase<string> {
  kind: 'string';
  /** Anchored regular expression the value must match (empty string is allowed when default is ''). */
  pattern?: string;
  maxLength?: number;
}
export interface EnumField<V extends string = string> extends FieldBase<V> {
  kind: 'enum';
  values: readonly V[];
}
export type Field = IntField | NumberField | BoolField | StringField | EnumField;

const int = (f: Omit<IntField, 'kind'>): IntField => ({ kind: 'int', ...f });
const num = (f: Omit<NumberField, 'kind'>): NumberField => ({ kind: 'number', ...f });
const bool = (f: Omit<BoolField, 'kind'>): BoolField => ({ kind: 'bool', ...f });
const str = (f: Omit<StringField, 'kind'>): StringField => ({ kind: 'string', ...f });
const oneOf = <const V extends string>(f: Omit<EnumField<V>, 'kind'>): EnumField<V> => ({
  kind: 'enum',
  ...f,
});

export const DEFAULT_SYSTEM_PROMPT =
  'אתה נציג שירות טלפוני אדיב שמדבר עברית. ענה בקצרה, במשפט או שניים, בשפה מדוברת וברורה, בלי רשימות ובלי סימנים מיוחדים.';

export const schema = {
  // --- server ---
  port: int({ env: 'PORT', default: 8080, min: 1, max: 65535, doc: 'HTTP/WebSocket listen port.' }),
  host: str({ env: 'HOST', default: '0.0.0.0', doc: 'Listen address.' }),
  publicHost: str({
    env: 'PUBLIC_HOST',
    default: '',
    pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
    cr: 'twilio.publicHost',
    doc: 'Public host name Twilio reaches (no scheme, no path). Used for TwiML URLs and signature checks; never taken from the Host header. Empty: localhost:PORT (local use only).',
  }),
  twilioAuthToken: str({
    env: 'TWILIO_AUTH_TOKEN',
    default: '',
    secret: true,
    doc: 'Twilio auth token used to validate X-Twilio-Signature. Empty: a fixed local development token that only the caller simulator uses.',
  }),
  twilioSignatureValidation: bool({
    env: 'TWILIO_SIGNATURE_VALIDATION',
    default: true,
    cr: 'twilio.validateSignature',
    doc: 'Validate X-Twilio-Signature on webhooks and the media WebSocket upgrade. Turning it off logs a warning at boot.',
  }),
  maxCalls: int({
    env: 'MAX_CALLS',
    default: 200,
    min: 1,
    max: 5000,
    unit: 'calls',
    cr: 'maxCallsPerPod',
    doc: 'Concurrent calls this process accepts; further streams are refused (readiness is unaffected).',
  }),
  drainSeconds: int({
    env: 'DRAIN_SECONDS',
    default: 3600,
    min: 0,
    max: 86400,
    unit: 's',
    cr: 'drainSeconds',
    doc: 'After SIGTERM or POST /drain, how long existing calls may continue before they are ended.',
  }),
  logLevel: oneOf({
    env: 'LOG_LEVEL',
    default: 'info',
    values: ['trace', 'debug', 'info', 'warn', 'error'] as const,
    doc: 'Log level (JSON logs).',
  }),
  region: str({
    env: 'REGION',
    default: 'europe-west1',
    pattern: '^[a-z]+-[a-z]+[0-9]+$',
    cr: 'region',
    doc: 'Compute region the pods run in; the Speech location is derived from it unless STT_LOCATION is set.',
  }),

  // --- speech-to-text ---
  sttProvider: oneOf({
    env: 'STT_PROVIDER',
    default: 'auto',
    values: ['auto', 'google', 'emulator'] as const,
    doc: 'auto: google when Google credentials/project are configured, else the embedded emulator (not real recognition).',
  }),
  sttStreaming: bool({
    env: 'STT_STREAMING_ENABLED',
    default: true,
    cr: 'stt.streaming',
    doc: 'Streaming recognition (the normal path). false = one-shot Recognize per VAD utterance (slow; for diagnosis only).',
  }),
  sttApiVersion: oneOf({
    env: 'STT_API_VERSION',
    default: 'v1',
    values: ['v1', 'v2'] as const,
    cr: 'stt.apiVersion',
    doc: 'Google Speech API version. v2 is needed for chirp_3.',
  }),
  sttModel: str({
    env: 'STT_MODEL',
    default: 'default',
    pattern: '^[a-z0-9_]+$',
    cr: 'stt.model',
    doc: 'Recognition model. For Hebrew on v1 only default / command_and_search exist; chirp_3 needs v2.',
  }),
  sttLanguage: str({
    env: 'STT_LANGUAGE',
    default: 'he-IL',
    pattern: '^[a-z]{2,3}-[A-Z]{2}$',
    cr: 'stt.language',
    doc: 'Caller language (BCP-47). he-IL is sent to Google as iw-IL, the code the Speech API documents.',
  }),
  sttLocation: str({
    env: 'STT_LOCATION',
    default: '',
    pattern: '^[a-z0-9-]+$',
    cr: 'stt.location',
    doc: 'Explicit Speech location (global, eu, us, or a v2 region). Empty: derived from REGION.',
  }),
  sttEndpoint: str({
    env: 'STT_ENDPOINT',
    default: '',
    pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
    doc: 'Override the Speech host[:port] (emulators). Empty: derived from API version and location.',
  }),
  sttEncoding: oneOf({
    env: 'STT_ENCODING',
    default: 'MULAW',
    values: ['MULAW', 'LINEAR16'] as const,
    cr: 'stt.encoding',
    doc: 'Audio encoding sent to Speech at 8000 Hz. MULAW forwards the caller audio untouched at half the bytes.',
  }),
  googleProject: str({
    env: 'GOOGLE_CLOUD_PROJECT',
    default: '',
    pattern: '^[a-z][a-z0-9-]{4,29}$',
    cr: 'google.project',
    doc: 'Google Cloud project (needed for v2 recognizer paths).',
  }),
  googleCredentials: str({
    env: 'GOOGLE_APPLICATION_CREDENTIALS',
    default: '',
    doc: 'Path of a service-account key file. Empty with Workload Identity (preferred on GKE).',
  }),
  sttPhraseHints: str({
    env: 'STT_PHRASE_HINTS',
    default: '',
    maxLength: 10000,
    cr: 'stt.phraseHints',
    doc: 'Comma-separated phrases that bias recognition.',
  }),
  sttPhraseBoost: num({
    env: 'STT_PHRASE_BOOST',
    default: 10,
    min: 0,
    max: 20,
    cr: 'stt.phraseBoost',
    doc: 'Boost applied to the phrase hints.',
  }),
  sttBatchMs: int({
    env: 'STT_BATCH_MS',
    default: 80,
    min: 20,
    max: 1000,
    unit: 'ms',
    cr: 'stt.batchMs',
    doc: 'Audio is sent to Speech in batches of this duration.',
  }),
  sttDebounceMs: int({
    env: 'STT_DEBOUNCE_MS',
    default: 120,
    min: 0,
    max: 2000,
    unit: 'ms',
    cr: 'stt.debounceMs',
    doc: 'Interim results are debounced by this long before the session acts on them.',
  }),
  sttTimeoutMs: int({
    env: 'STT_TIMEOUT_MS',
    default: 450,
    min: 50,
    max: 10000,
    unit: 'ms',
    cr: 'stt.timeoutMs',
    doc: 'No-voice timeout: after speech, this much silence ends the utterance even without a final.',
  }),
  vadHangoverMs: int({
    env: 'VAD_HANGOVER_MS',
    default: 220,
    min: 0,
    max: 2000,
    unit: 'ms',
    cr: 'stt.hangoverMs',
    doc: 'The local VAD keeps "speech" this long after the last voiced frame.',
  }),
  sttRetryAttempts: int({
    env: 'STT_RETRY_ATTEMPTS',
    default: 3,
    min: 0,
    max: 10,
    cr: 'stt.retryAttempts',
    doc: 'Streaming reopen attempts after a retryable error before the call enters fallback.',
  }),
  sttRotationSeconds: int({
    env: 'STT_ROTATION_SECONDS',
    default: 290,
    min: 5,
    max: 300,
    unit: 's',
    cr: 'stt.rotationSeconds',
    doc: "Streams are rotated (with replay) before Google's ~305 s limit.",
  }),
  sttBufferSeconds: int({
    env: 'STT_BUFFER_SECONDS',
    default: 15,
    min: 5,
    max: 120,
    unit: 's',
    doc: 'Audio kept for replay across reconnects and rotations (bounded; never below 5 s).',
  }),
  sttEarlyFinalization: bool({
    env: 'STT_EARLY_FINALIZATION',
    default: true,
    cr: 'stt.earlyFinalization.enabled',
    doc: "End the turn on a strong interim (long, ends in . ? !, stable, short silence) before Google's final.",
  }),
  sttEarlyFinalMinChars: int({
    env: 'STT_EARLY_FINAL_MIN_CHARS',
    default: 15,
    min: 1,
    max: 500,
    unit: 'chars',
    cr: 'stt.earlyFinalization.minChars',
    doc: 'An interim must be longer than this to finalize early.',
  }),
  sttEarlyFinalMinStability: num({
    env: 'STT_EARLY_FINAL_MIN_STABILITY',
    default: 0.8,
    min: 0,
    max: 1,
    cr: 'stt.earlyFinalization.minStability',
    doc: 'Minimum reported interim stability for early finalization and preemptive starts; an unset stability (0: v2 models never report one) is accepted and the other evidence decides.',
  }),
  sttEarlyFinalSilenceMs: int({
    env: 'STT_EARLY_FINAL_SILENCE_MS',
    default: 200,
    min: 0,
    max: 2000,
    unit: 'ms',
    cr: 'stt.earlyFinalization.silenceMs',
    doc: 'Silence (local VAD) required before an early final is accepted.',
  }),
  sttSettledSilenceMs: int({
    env: 'STT_SETTLED_SILENCE_MS',
    default: 400,
    min: 0,
    max: 5000,
    unit: 'ms',
    cr: 'stt.earlyFinalization.settledSilenceMs',
    doc: 'An unpunctuated interim that two consecutive responses agree on, not ending on a word that needs a continuation, ends the turn after this much silence (local VAD).',
  }),
  sttProbeOnBoot: bool({
    env: 'STT_PROBE_ON_BOOT',
    default: false,
    cr: 'stt.probeOnBoot',
    doc: 'With credentials, open a one-second stream at boot to confirm the configuration before going ready.',
  }),
  endpointMinUtteranceMs: int({
    env: 'ENDPOINT_MIN_UTTERANCE_MS',
    default: 600,
    min: 0,
    max: 10000,
    unit: 'ms',
    cr: 'endpointing.minUtteranceMs',
    doc: 'Speech needed before silence may end an utterance.',
  }),
  endpointMinSilenceMs: int({
    env: 'ENDPOINT_MIN_SILENCE_MS',
    default: 500,
    min: 0,
    max: 10000,
    unit: 'ms',
    cr: 'endpointing.minSilenceMs',
    doc: 'Silence that ends an utterance (after enough speech).',
  }),
  endpointIncompleteSilenceMs: int({
    env: 'ENDPOINT_INCOMPLETE_SILENCE_MS',
    default: 1200,
    min: 0,
    max: 10000,
    unit: 'ms',
    cr: 'endpointing.incompleteSilenceMs',
    doc: 'Silence that ends an utterance whose transcript ends on a word that needs a continuation (preposition, conjunction, comma, abbreviation): mid-sentence pauses are not turn ends.',
  }),
  endpointMinBufferMs: int({
    env: 'ENDPOINT_MIN_BUFFER_MS',
    default: 500,
    min: 0,
    max: 10000,
    unit: 'ms',
    cr: 'endpointing.minBufferMs',
    doc: 'Audio buffered for the utterance before it may end.',
  }),

  // --- language model ---
  llmProvider: oneOf({
    env: 'LLM_PROVIDER',
    default: 'auto',
    values: ['auto', 'openai', 'scripted'] as const,
    doc: 'auto: openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else a scripted Hebrew responder.',
  }),
  openaiApiKey: str({
    env: 'OPENAI_API_KEY',
    default: '',
    secret: true,
    doc: 'OpenAI (or compatible) API key.',
  }),
  openaiBaseUrl: str({
    env: 'OPENAI_BASE_URL',
    default: '',
    pattern: '^https?://.+$',
    cr: 'llm.baseUrl',
    doc: 'OpenAI-compatible API base URL. Empty: api.openai.com.',
  }),
  llmModel: str({
    env: 'LLM_MODEL',
    default: 'gpt-4o-mini',
    pattern: '^[A-Za-z0-9._:/-]+$',
    cr: 'llm.model',
    doc: 'Chat model.',
  }),
  llmSystemPrompt: str({
    env: 'LLM_SYSTEM_PROMPT',
    default: DEFAULT_SYSTEM_PROMPT,
    maxLength: 20000,
    cr: 'llm.systemPrompt',
    doc: 'System prompt.',
  }),
  llmTemperature: num({
    env: 'LLM_TEMPERATURE',
    default: 0.4,
    min: 0,
    max: 2,
    cr: 'llm.temperature',
    doc: 'Sampling temperature.',
  }),
  llmMaxTokens: int({
    env: 'LLM_MAX_TOKENS',
    default: 200,
    min: 1,
    max: 4096,
    unit: 'tokens',
    cr: 'llm.maxTokens',
    doc: 'Maximum tokens per answer.',
  }),
  llmFirstTokenTimeoutMs: int({
    env: 'LLM_FIRST_TOKEN_TIMEOUT_MS',
    default: 2500,
    min: 100,
    max: 30000,
    unit: 'ms',
    cr: 'llm.firstTokenTimeoutMs',
    doc: 'Without a first token by then, the caller hears the apology.',
  }),
  llmRetryAttempts: int({
    env: 'LLM_RETRY_ATTEMPTS',
    default: 2,
    min: 0,
    max: 5,
    cr: 'llm.retryAttempts',
    doc: 'Retries on 429/5xx, only before the first token.',
  }),
  llmStallTimeoutMs: int({
    env: 'LLM_STALL_TIMEOUT_MS',
    default: 3000,
    min: 100,
    max: 30000,
    unit: 'ms',
    cr: 'llm.stallTimeoutMs',
    doc: 'After the first token, a gap this long without a delta ends the answer as an error (the session apologises).',
  }),
  llmMaxHistoryTurns: int({
    env: 'LLM_MAX_HISTORY_TURNS',
    default: 20,
    min: 1,
    max: 200,
    unit: 'turns',
    cr: 'llm.maxHistoryTurns',
    doc: 'Conversation length kept in the prompt (oldest turns dropped first).',
  }),
  llmPreemptive: bool({
    env: 'LLM_PREEMPTIVE',
    default: true,
    cr: 'llm.preemptive',
    doc: 'Start the LLM on a stable partial / early final; kept only if the confirmed transcript matches.',
  }),
  llmPreemptiveSilenceMs: int({
    env: 'LLM_PREEMPTIVE_SILENCE_MS',
    default: 220,
    min: 0,
    max: 5000,
    unit: 'ms',
    cr: 'llm.preemptiveSilenceMs',
    doc: 'Silence (no voiced frame) after which the LLM is started on the latest transcript, stable or not; kept only if the confirmed transcript matches.',
  }),

  // --- text-to-speech ---
  ttsProvider: oneOf({
    env: 'TTS_PROVIDER',
    default: 'auto',
    values: ['auto', 'google', 'local'] as const,
    doc: 'auto: google when Google credentials/project are configured or TTS_ENDPOINT is set (emulator), else the local espeak-ng synthesiser.',
  }),
  ttsVoice: str({
    env: 'TTS_VOICE',
    default: 'he-IL-Wavenet-A',
    pattern: '^[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9]+(-[A-Za-z0-9]+)*$',
    cr: 'tts.voice',
    doc: 'Google voice name. Chirp3-HD voices use StreamingSynthesize.',
  }),
  ttsSpeakingRate: num({
    env: 'TTS_SPEAKING_RATE',
    default: 1.0,
    min: 0.25,
    max: 4,
    cr: 'tts.speakingRate',
    doc: 'Speaking rate.',
  }),
  ttsPitch: num({
    env: 'TTS_PITCH',
    default: 0,
    min: -20,
    max: 20,
    cr: 'tts.pitch',
    doc: 'Pitch (semitones).',
  }),
  ttsEndpoint: str({
    env: 'TTS_ENDPOINT',
    default: '',
    pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
    doc: 'Override the Text-to-Speech host[:port] (emulators).',
  }),

  // --- conversation ---
  greetingText: str({
    env: 'GREETING_TEXT',
    default: 'שלום, הגעתם לעוזר הקולי. במה אפשר לעזור?',
    maxLength: 1000,
    cr: 'greeting',
    doc: 'Spoken when the call starts (empty: no greeting).',
  }),
  apologyText: str({
    env: 'APOLOGY_TEXT',
    default: 'סליחה, הייתה לי תקלה קטנה. אפשר לחזור על השאלה?',
    maxLength: 1000,
    doc: 'Spoken when the language model fails or is too slow.',
  }),
  bargeInMinMs: int({
    env: 'BARGE_IN_MIN_MS',
    default: 300,
    min: 0,
    max: 5000,
    unit: 'ms',
    cr: 'bargeInMinMs',
    doc: 'Caller speech this long while the agent speaks interrupts it; shorter noises do not.',
  }),

  // --- telemetry and platform ---
  otlpEndpoint: str({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: '',
    pattern: '^https?://.+$',
    cr: 'otlpEndpoint',
    doc: 'OTLP/HTTP endpoint for traces (e.g. http://jaeger:4318). Empty: tracing off.',
  }),
  serviceName: str({
    env: 'OTEL_SERVICE_NAME',
    default: 'hebrew-voice-agent',
    doc: 'Service name on spans.',
  }),
  podName: str({
    env: 'POD_NAME',
    default: '',
    doc: 'Own pod name (downward API), for the deletion-cost annotation.',
  }),
  podNamespace: str({ env: 'POD_NAMESPACE', default: '', doc: 'Own pod namespace (downward API).' }),
  podDeletionCost: bool({
    env: 'POD_DELETION_COST_ENABLED',
    default: true,
    doc: 'Keep controller.kubernetes.io/pod-deletion-cost at the active call count (in-cluster only, best effort).',
  }),
} as const satisfies Record<string, Field>;

export type Schema = typeof schema;
export type ConfigKey = keyof Schema;
type ValueOf<F> =
  F extends EnumField<infer V> ? V : F extends BoolField ? boolean : F extends StringField ? string : number;
export type Config = { readonly [K in ConfigKey]: ValueOf<Schema[K]> };
