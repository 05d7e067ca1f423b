// Settings of call length, silence re-prompts and closing, DTMF input. Part of the one schema
// (schema.ts).
import { int, str, type Field } from './field.ts';

export const policyFields = {
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
} as const satisfies Record<string, Field>;
