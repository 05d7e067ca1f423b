// Settings of what the agent says (greeting, goodbye, transfer, apology), transfer targets, DTMF
// actions and barge-in. Part of the one schema (schema.ts).
import { bool, int, str, type Field } from './field.ts';

export const conversationFields = {
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
} as const satisfies Record<string, Field>;
