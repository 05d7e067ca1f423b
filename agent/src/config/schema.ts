// The single source of truth for every agent setting: env name, type, default, bounds, unit,
// documentation and (where a platform team sets it) the VoiceAgent CR path that maps onto it.
// The README table, the CRD's defaults/bounds and the operator's env rendering derive from this.
// The settings live by pipeline stage in settings-*.ts; this file puts them together in their
// documented order (the README table follows it).
import type { BoolField, EnumField, Field, StringField } from './field.ts';
import { serverFields } from './settings-server.ts';
import { sttFields } from './settings-stt.ts';
import { llmFields } from './settings-llm.ts';
import { ttsFields } from './settings-tts.ts';
import { conversationFields } from './settings-conversation.ts';
import { policyFields } from './settings-policies.ts';
import { platformFields } from './settings-platform.ts';

export type { BoolField, EnumField, Field, FieldKind, IntField, NumberField, StringField } from './field.ts';
export { DEFAULT_SYSTEM_PROMPT } from './settings-llm.ts';

export const schema = {
  ...serverFields,
  ...sttFields,
  ...llmFields,
  ...ttsFields,
  ...conversationFields,
  ...policyFields,
  ...platformFields,
} as const satisfies Record<string, Field>;

export type Schema = typeof schema;
export type ConfigKey = keyof Schema;
type ValueOf<F> =
  F extends EnumField<infer V> ? V : F extends BoolField ? boolean : F extends StringField ? string : number;
export type Config = { readonly [K in ConfigKey]: ValueOf<Schema[K]> };
