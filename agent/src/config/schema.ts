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
  /** What the pattern allows, in words, for error messages (agent boot and CRD admission alike). */
  allowed?: string;
  /** Limit in characters (Unicode code points, as Kubernetes counts maxLength), not bytes. */
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
  adminPort: int({
    env: 'ADMIN_PORT',
    default: 9090,
    min: 1,
    max: 65535,
    doc: 'Admin listen port (same address as HOST): /healthz, /readyz, /metrics and POST /drain. Not for Twilio: keep it out of the Service and the ingress.',
  }),
  publicHost: str({
    env: 'PUBLIC_HOST',
    default: '',
    pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
    allowed: 'a host name with an optional :port, without scheme or path (e.g. voice.example.com)',
    maxLength: 260,
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
    doc: 'Validate X-Twilio-Signature on webhooks and the media WebSocket upgrade, and the per-call stream token in start. Turning it off logs a warning at boot.',
  }),
  twilioApiBaseUrl: str({
    env: 'TWILIO_API_BASE_URL',
    default: 'https://api.twilio.com',
    pattern: '^https?://[^\\s]+$',
    allowed: 'an http:// or https:// URL without spaces (e.g. https://api.twilio.com)',
    maxLength: 2048,
    doc: 'Twilio REST API base URL (an emulator in tests). The agent completes calls it ends there (so Twilio does not go on to the fallback TwiML after <Connect>) and redirects calls it transfers.',
  }),
  twilioAccountSid: str({
    env: 'TWILIO_ACCOUNT_SID',
    default: '',
    pattern: '^AC[0-9a-f]{32}$',
    allowed: 'a Twilio account SID: AC and 32 lowercase hex digits',
    maxLength: 34,
    cr: 'twilio.accountSid',
    doc: "Twilio account the REST API calls (end, transfer) are made for. Empty: the account in each stream's start message.",
  }),
  twilioApiKeySid: str({
    env: 'TWILIO_API_KEY_SID',
    default: '',
    pattern: '^SK[0-9a-f]{32}$',
    allowed: 'a Twilio API key SID: SK and 32 lowercase hex digits',
    maxLength: 34,
    cr: 'twilio.apiKeySid',
    doc: 'Twilio API key for REST calls (with TWILIO_API_KEY_SECRET), preferred over the auth token. Empty: REST calls authenticate with TWILIO_AUTH_TOKEN.',
  }),
  twilioApiKeySecret: str({
    env: 'TWILIO_API_KEY_SECRET',
    default: '',
    secret: true,
    maxLength: 256,
    doc: 'Secret of TWILIO_API_KEY_SID (set it from a Secret: VoiceAgent spec.twilio.apiKeySecretRef).',
  }),
  streamTokenTtlSeconds: int({
    env: 'STREAM_TOKEN_TTL_SECONDS',
    default: 30,
    min: 5,
    max: 600,
    unit: 's',
    doc: 'Lifetime of the per-call stream token the voice webhook hands to its media stream (HMAC of the auth token, bound to the CallSid, single use per replica).',
  }),
  fallbackPlayUrl: str({
    env: 'FALLBACK_PLAY_URL',
    default: '',
    pattern: '^https://[^\\s]+$',
    allowed: 'an https:// URL of an audio file, without spaces',
    maxLength: 2000,
    cr: 'twilio.fallback.playUrl',
    doc: 'Recorded apology (https URL of an audio file) a caller hears when the stream is refused (capacity, draining, start-up failure). Takes the place of FALLBACK_SAY_TEXT.',
  }),
  fallbackSayText: str({
    env: 'FALLBACK_SAY_TEXT',
    default: 'מצטערים, איננו יכולים לענות לשיחה כרגע. אנא נסו שוב בעוד מספר דקות.',
    maxLength: 1000,
    cr: 'twilio.fallback.sayText',
    doc: 'Hebrew apology Twilio speaks when the stream is refused and no FALLBACK_PLAY_URL is set (empty: none).',
  }),
  fallbackDialNumber: str({
    env: 'FALLBACK_DIAL_NUMBER',
    default: '',
    pattern: '^\\+[1-9][0-9]{6,14}$',
    allowed: 'an E.164 phone number: + and 7 to 15 digits, the first not 0 (e.g. +97235551234)',
    maxLength: 16,
    cr: 'twilio.fallback.dialNumber',
    doc: 'After the apology, transfer a caller whose stream was refused to this E.164 number.',
  }),
  fallbackRedirectUrl: str({
    env: 'FALLBACK_REDIRECT_URL',
    default: '',
    pattern: '^https://[^\\s]+$',
    allowed: 'an https:// TwiML URL, without spaces',
    maxLength: 2000,
    cr: 'twilio.fallback.redirectUrl',
    doc: 'After the apology, hand a caller whose stream was refused to this TwiML URL (exclusive with FALLBACK_DIAL_NUMBER).',
  }),
  playgroundEnabled: bool({
    env: 'PLAYGROUND_ENABLED',
    default: false,
    cr: 'playground.enabled',
    doc: 'Serve the browser playground at /playground (talks to the agent over the Media Streams WebSocket). Off: every /playground route is 404.',
  }),
  playgroundToken: str({
    env: 'PLAYGROUND_TOKEN',
    default: '',
    secret: true,
    maxLength: 512,
    doc: 'Bearer token the playground requires from any client that is not on loopback (set it from a Secret through VoiceAgent spec.env). Empty: only loopback clients (e.g. kubectl port-forward) may use the playground.',
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
  pendingStreamsMax: int({
    env: 'PENDING_STREAMS_MAX',
    default: 32,
    min: 1,
    max: 1000,
    unit: 'sockets',
    doc: 'Media sockets that have not sent start yet, kept apart from MAX_CALLS; when full the oldest is closed to make room.',
  }),
  startTimeoutMs: int({
    env: 'START_TIMEOUT_MS',
    default: 3000,
    min: 100,
    max: 60000,
    unit: 'ms',
    doc: 'A media socket without a valid start by then is closed (1008).',
  }),
  mediaTimeoutMs: int({
    env: 'MEDIA_TIMEOUT_MS',
    default: 10000,
    min: 500,
    max: 600000,
    unit: 'ms',
    doc: 'A started call that receives no media for this long is ended and its STT stream closed (Twilio sends media every 20 ms, even in silence).',
  }),
  outboundBufferSeconds: int({
    env: 'OUTBOUND_BUFFER_SECONDS',
    default: 20,
    min: 1,
    max: 600,
    unit: 's',
    doc: 'Outbound audio a peer may leave unread (socket send buffer, in seconds of audio); past it the call is ended and counted.',
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
    allowed: 'a Google Cloud region name (e.g. europe-west1)',
    maxLength: 63,
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
    allowed: 'a model name of lowercase letters, digits and _ (e.g. default, chirp_3)',
    maxLength: 63,
    cr: 'stt.model',
    doc: 'Recognition model. For Hebrew on v1 only default / command_and_search exist; chirp_3 needs v2.',
  }),
  sttLanguage: str({
    env: 'STT_LANGUAGE',
    default: 'he-IL',
    pattern: '^[a-z]{2,3}-[A-Z]{2}$',
    allowed: 'a BCP-47 language-REGION code (e.g. he-IL)',
    maxLength: 16,
    cr: 'stt.language',
    doc: 'Caller language (BCP-47). he-IL is sent to Google as iw-IL, the code the Speech API documents.',
  }),
  sttLocation: str({
    env: 'STT_LOCATION',
    default: '',
    pattern: '^[a-z0-9-]+$',
    allowed:
      'a Speech location of lowercase letters, digits and - (global, eu, us or a v2 region such as europe-west4)',
    maxLength: 63,
    cr: 'stt.location',
    doc: 'Explicit Speech location (global, eu, us, or a v2 region). Empty: derived from REGION.',
  }),
  sttEndpoint: str({
    env: 'STT_ENDPOINT',
    default: '',
    pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
    allowed: 'a host name with an optional :port, without scheme or path (e.g. voice.example.com)',
    maxLength: 260,
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
    allowed: 'a Google Cloud project ID: 6 to 30 lowercase letters, digits and -, starting with a letter',
    maxLength: 30,
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
  sttIdleBatchMs: int({
    env: 'STT_IDLE_BATCH_MS',
    // 320: -5.4 % agent CPU, turn latency unchanged on both profiles (docs/bench/cost.md).
    default: 320,
    min: 0,
    max: 1000,
    unit: 'ms',
    cr: 'stt.idleBatchMs',
    doc: 'Batch size while nothing is being recognized (no partial waiting for its final, and no caller voice for 2 s or a final already given for all of it): fewer Speech messages while the caller listens. The first voiced frame sends the batch at once and returns to STT_BATCH_MS. 0 (or <= STT_BATCH_MS) turns it off.',
  }),
  sttSpeechBatchMs: int({
    env: 'STT_SPEECH_BATCH_MS',
    // Off: at 160, -34 % Speech messages but the first partial came ~100 ms and the turn total
    // 31 ms (p50) later in bench:turn at 10 calls (docs/bench/cost.md, session 4).
    default: 0,
    min: 0,
    max: 1000,
    unit: 'ms',
    cr: 'stt.speechBatchMs',
    doc: 'Batch size while the caller keeps talking (the last frame was voiced): fewer Speech messages mid-phrase. The first unvoiced frame (a pause begins) sends the batch at once and returns to STT_BATCH_MS, so a pause reaches Speech no later; mid-phrase audio, and so the partials, up to this much later. 0 (or <= STT_BATCH_MS) turns it off.',
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
  endpointLevelPitchSilenceMs: int({
    env: 'ENDPOINT_LEVEL_PITCH_SILENCE_MS',
    default: 1000,
    min: 0,
    max: 10000,
    unit: 'ms',
    cr: 'endpointing.levelPitchSilenceMs',
    doc: "Silence that ends an unpunctuated utterance (Google's interims) whose pitch stayed level at its end, the way a caller pausing mid-sentence sounds (turn/prosody.ts); a falling end, a question, or a recognizer that punctuates keeps the usual rules. 0 disables.",
  }),
  endpointTakeBackMs: int({
    env: 'ENDPOINT_TAKE_BACK_MS',
    default: 4000,
    min: 0,
    max: 30000,
    unit: 'ms',
    cr: 'endpointing.takeBackMs',
    doc: 'A turn ended in a pause is taken back silently when the caller resumes within this long after it and before any answer audio was sent: the answer is dropped, nothing enters the history, and one answer follows the whole sentence. 0 disables.',
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
    allowed: 'an http:// or https:// URL (e.g. https://api.openai.com/v1)',
    maxLength: 2048,
    cr: 'llm.baseUrl',
    doc: 'OpenAI-compatible API base URL. Empty: api.openai.com.',
  }),
  llmModel: str({
    env: 'LLM_MODEL',
    default: 'gpt-4o-mini',
    pattern: '^[A-Za-z0-9._:/-]+$',
    allowed: 'a model name of letters, digits and . _ : / -',
    maxLength: 256,
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
  llmToolMaxRounds: int({
    env: 'LLM_TOOL_MAX_ROUNDS',
    default: 3,
    min: 1,
    max: 10,
    unit: 'rounds',
    cr: 'llm.toolMaxRounds',
    doc: 'Tool-call rounds per answer; the round after the last must answer in words (tool_choice none).',
  }),
  toolsJson: str({
    env: 'TOOLS_JSON',
    default: '',
    maxLength: 200000,
    doc: 'HTTP tools the model may call, as a JSON array of {name, description, parameters (JSON Schema), url, timeoutMs, secretEnv} (docs/tools.md). The operator renders it from VoiceAgent spec.tools.',
  }),
  toolsFile: str({
    env: 'TOOLS_FILE',
    default: '',
    maxLength: 4096,
    doc: 'Path of a JSON file with more tools in the TOOLS_JSON format (for a single agent).',
  }),
  toolFillerAfterMs: int({
    env: 'TOOL_FILLER_AFTER_MS',
    default: 700,
    min: 0,
    max: 10000,
    unit: 'ms',
    cr: 'llm.toolFillerAfterMs',
    doc: 'A tool still running after this long gets the spoken filler (TOOL_FILLER_TEXT), once per answer.',
  }),
  toolFillerText: str({
    env: 'TOOL_FILLER_TEXT',
    default: 'רגע, אני בודקת.',
    maxLength: 500,
    cr: 'llm.toolFillerText',
    doc: 'Said while a slow tool runs.',
  }),
  toolErrorText: str({
    env: 'TOOL_ERROR_TEXT',
    default: 'סליחה, לא הצלחתי לבדוק את זה כרגע.',
    maxLength: 500,
    cr: 'llm.toolErrorText',
    doc: 'Said when a tool fails or times out (the model is told, and continues).',
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
  llmPreemptiveAgreedSilenceMs: int({
    env: 'LLM_PREEMPTIVE_AGREED_SILENCE_MS',
    default: 100,
    min: 0,
    max: 5000,
    unit: 'ms',
    cr: 'llm.preemptiveAgreedSilenceMs',
    doc: 'Silence after which the LLM is started early when the last two recognizer responses agree on the transcript (its tail was not revised); the later LLM_PREEMPTIVE_SILENCE_MS applies otherwise. Equal to it: no early start.',
  }),
  llmWarmIntervalMs: int({
    env: 'LLM_WARM_INTERVAL_MS',
    default: 0,
    min: 0,
    max: 60000,
    unit: 'ms',
    cr: 'llm.warmIntervalMs',
    doc: "While a caller speaks, keep a connection to the LLM open for the coming request: a warm-up (GET of the model's description, no tokens) when speech starts and again every this many ms while it goes on (keep it below the server's idle timeout). 0 (default until measured to help): no warm-up; a request may then pay TCP + TLS set-up first. At 50 calls warm-ups did not reduce new connections (the undici pool can hand a request a client whose socket closed), and they add a request every interval per speaking caller.",
  }),
  ttsPreemptiveSentences: int({
    env: 'TTS_PREEMPTIVE_SENTENCES',
    default: 2,
    min: 0,
    max: 5,
    unit: 'sentences',
    cr: 'llm.preemptiveSpeechSentences',
    doc: 'Sentences of a preemptive answer synthesised before the turn is decided; their audio is played only if the confirmed transcript matches the guess, else cancelled unheard (its characters are still billed). 0: synthesis waits for the decided turn.',
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
    allowed: 'a Google voice name (e.g. he-IL-Wavenet-A)',
    maxLength: 128,
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
  ttsRetryAttempts: int({
    env: 'TTS_RETRY_ATTEMPTS',
    default: 2,
    min: 0,
    max: 5,
    cr: 'tts.retryAttempts',
    doc: 'Retries of a sentence whose synthesis fails transiently (UNAVAILABLE, RESOURCE_EXHAUSTED, deadline) before any of its audio; after them the caller hears the cached apology.',
  }),
  ttsRetryBackoffMs: int({
    env: 'TTS_RETRY_BACKOFF_MS',
    default: 250,
    min: 0,
    max: 5000,
    unit: 'ms',
    cr: 'tts.retryBackoffMs',
    doc: 'Wait before the first synthesis retry; doubles per retry (with the defaults a sentence gives up after 0.75 s of an outage).',
  }),
  ttsEndpoint: str({
    env: 'TTS_ENDPOINT',
    default: '',
    pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
    allowed: 'a host name with an optional :port, without scheme or path (e.g. voice.example.com)',
    maxLength: 260,
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
  goodbyeText: str({
    env: 'GOODBYE_TEXT',
    default: 'תודה שהתקשרתם, להתראות!',
    maxLength: 1000,
    cr: 'goodbye',
    doc: 'Said before the agent ends the call when the model ended it without a goodbye of its own.',
  }),
  transferText: str({
    env: 'TRANSFER_TEXT',
    default: 'אני מעבירה אתכם לנציג, רק רגע.',
    maxLength: 1000,
    cr: 'transfer.text',
    doc: 'Said before a transfer when the model said nothing itself.',
  }),
  transferFailedText: str({
    env: 'TRANSFER_FAILED_TEXT',
    default: 'סליחה, לא הצלחתי להעביר את השיחה כרגע. אפשר להמשיך איתי.',
    maxLength: 1000,
    cr: 'transfer.failedText',
    doc: 'Said when Twilio refuses a transfer (or REST credentials are missing); the call goes on with the agent.',
  }),
  transferTargetsJson: str({
    env: 'TRANSFER_TARGETS_JSON',
    default: '',
    maxLength: 100000,
    doc: 'Where the model may transfer a caller: a JSON array of {name, description, number (E.164) | sip (sip:user@host), sendDigits}. The operator renders it from VoiceAgent spec.transfer.targets.',
  }),
  dtmfActionEnabled: bool({
    env: 'DTMF_ACTION_ENABLED',
    default: false,
    cr: 'actions.sendDtmf',
    doc: 'Offer the model the send_dtmf action (key presses for an automated menu on the line, played as in-band tones).',
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

  // --- call policies ---
  callMaxDurationSeconds: int({
    env: 'CALL_MAX_DURATION_SECONDS',
    default: 3600,
    min: 0,
    max: 86400,
    unit: 's',
    cr: 'callPolicies.maxDurationSeconds',
    doc: 'Longest call: at this age the agent stops, says CALL_CLOSING_TEXT and ends the call (0: no limit).',
  }),
  callClosingText: str({
    env: 'CALL_CLOSING_TEXT',
    default: 'הגענו לזמן המרבי של השיחה. תודה שהתקשרתם, להתראות.',
    maxLength: 1000,
    cr: 'callPolicies.closingText',
    doc: 'Spoken when the call reaches CALL_MAX_DURATION_SECONDS, before it ends.',
  }),
  silenceRepromptSeconds: int({
    env: 'SILENCE_REPROMPT_SECONDS',
    default: 10,
    min: 0,
    max: 600,
    unit: 's',
    cr: 'callPolicies.silence.repromptAfterSeconds',
    doc: 'Caller silence this long after the agent finished speaking gets SILENCE_REPROMPT_TEXT (0: never re-prompt or hang up on silence).',
  }),
  silenceRepromptText: str({
    env: 'SILENCE_REPROMPT_TEXT',
    default: 'אתם עדיין על הקו?',
    maxLength: 1000,
    cr: 'callPolicies.silence.repromptText',
    doc: 'The re-prompt spoken after SILENCE_REPROMPT_SECONDS of caller silence.',
  }),
  silenceMaxReprompts: int({
    env: 'SILENCE_MAX_REPROMPTS',
    default: 2,
    min: 0,
    max: 20,
    cr: 'callPolicies.silence.maxReprompts',
    doc: 'Re-prompts in a row without an answer; the next silence gets SILENCE_CLOSING_TEXT and the call ends. The caller speaking or pressing a key starts the count over.',
  }),
  silenceClosingText: str({
    env: 'SILENCE_CLOSING_TEXT',
    default: 'לא שמעתי תשובה, אז אני מסיים את השיחה. אפשר להתקשר שוב בכל עת. להתראות.',
    maxLength: 1000,
    cr: 'callPolicies.silence.closingText',
    doc: 'Spoken before the call ends for silence (after SILENCE_MAX_REPROMPTS re-prompts).',
  }),
  dtmfInterDigitTimeoutMs: int({
    env: 'DTMF_INTER_DIGIT_TIMEOUT_MS',
    default: 3000,
    min: 0,
    max: 60000,
    unit: 'ms',
    cr: 'callPolicies.dtmf.interDigitTimeoutMs',
    doc: 'Keys pressed on the phone go to the model as one caller message once no key follows for this long, or on DTMF_FINISH_KEY (0: keys only go along with the next spoken turn).',
  }),
  dtmfFinishKey: str({
    env: 'DTMF_FINISH_KEY',
    default: '#',
    pattern: '^[0-9*#]?$',
    allowed: 'one of 0-9, * or #, or empty',
    maxLength: 1,
    cr: 'callPolicies.dtmf.finishKey',
    doc: 'The key that sends the keys pressed so far to the model at once (empty: only the inter-digit timeout does).',
  }),

  // --- telemetry and platform ---
  otlpEndpoint: str({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: '',
    pattern: '^https?://.+$',
    allowed: 'an http:// or https:// URL (e.g. http://jaeger:4318)',
    maxLength: 2048,
    cr: 'otlpEndpoint',
    doc: 'OTLP/HTTP endpoint for traces (e.g. http://jaeger:4318). Empty: tracing off.',
  }),
  traceUiUrl: str({
    env: 'TRACE_UI_URL',
    default: 'http://localhost:16686/trace/{traceId}',
    pattern: '^(https?://.*\\{traceId\\}.*)?$',
    allowed: 'an http:// or https:// URL containing {traceId}, or empty',
    maxLength: 2048,
    cr: 'traceUiUrl',
    doc: 'Link to one trace in the tracing UI ({traceId} is replaced); the playground links each turn to it when tracing is on. Default: Jaeger on localhost (kubectl port-forward). Empty: no link.',
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
