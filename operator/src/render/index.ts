// Pure rendering: VoiceAgent -> desired objects, observed children -> status.
export * from './render.ts';
export * from './meta.ts';
export * from './autoscaling.ts';
export * from './status.ts';
export { renderEnv, configEnv, AGENT_PORT, AGENT_ADMIN_PORT, GOOGLE_KEY_DIR } from './env.ts';
export { CR_FIELDS, AGENT_ENV } from './fields.generated.ts';
