// The booking and transfer conversations of issue 11, scripted end to end: what the caller says
// (the Speech emulator's transcripts, over fixture audio), the tools the agent is given, and a
// deterministic model for the OpenAI emulator that calls them the way a real model would.
import type { ChatMessageIn, ScriptInput, ScriptedReply } from '../openai/server.ts';

export const BOOKING_LINES = [
  'שלום, אני רוצה לקבוע תור לתספורת למחר.',
  'בעשר בבוקר, בבקשה.',
  'תודה רבה, להתראות.',
] as const;

export const TRANSFER_LINES = ['אני רוצה לדבר עם נציג, בבקשה.'] as const;

/** The model's words (also what the tests expect to hear). */
export const SAY = {
  slots: 'מחר יש תור פנוי בעשר או באחת עשרה וחצי. איזו שעה מתאימה לך?',
  booked: 'קבעתי לך תור מחר בעשר. מספר האישור הוא 417. אפשר לעזור במשהו נוסף?',
  goodbye: 'תודה שהתקשרת, להתראות!',
  transfer: 'בשמחה, אני מעבירה אותך לנציג.',
  failed: 'אפשר לנסות שוב בעוד כמה דקות.',
  other: 'אני יכולה לקבוע לך תור או להעביר אותך לנציג.',
} as const;

/** TOOLS_JSON for the scenario's backend; the secret travels in the env var `secretEnv`. */
export function bookingTools(backendUrl: string, secretEnv: string, timeoutMs = 3000): unknown[] {
  return [
    {
      name: 'check_availability',
      description: 'Free appointment slots on a day.',
      parameters: {
        type: 'object',
        properties: { day: { type: 'string', enum: ['today', 'tomorrow'] } },
        required: ['day'],
        additionalProperties: false,
      },
      url: `${backendUrl}/availability`,
      timeoutMs,
      secretEnv,
    },
    {
      name: 'book_appointment',
      description: 'Books a slot returned by check_availability.',
      parameters: {
        type: 'object',
        properties: {
          day: { type: 'string', enum: ['today', 'tomorrow'] },
          time: { type: 'string', pattern: '^[0-2][0-9]:[0-5][0-9]$' },
        },
        required: ['day', 'time'],
        additionalProperties: false,
      },
      url: `${backendUrl}/book`,
      timeoutMs,
      secretEnv,
    },
  ];
}

export const TRANSFER_TARGETS = [{ name: 'reception', description: 'נציג בקבלה', number: '+97231234567' }];

/** Which tool a tool message answers (the name from the assistant message that called it). */
function toolNameOf(messages: readonly ChatMessageIn[], message: ChatMessageIn): string | undefined {
  for (const m of messages)
    for (const c of m.tool_calls ?? []) if (c.id === message.tool_call_id) return c.function.name;
  return undefined;
}

/** A deterministic model: rules on the conversation, like a prompt-following LLM would act. */
export function bookingModel({ messages }: ScriptInput): ScriptedReply {
  const last = messages.at(-1);
  if (last?.role === 'tool') {
    const content = last.content ?? '';
    if (content.startsWith('error:')) return { text: SAY.failed };
    const name = toolNameOf(messages, last);
    if (name === 'check_availability') return { text: SAY.slots };
    if (name === 'book_appointment') return { text: SAY.booked };
    return { text: SAY.other };
  }
  const said = last?.content ?? '';
  if (/להתראות|ביי|זהו/.test(said))
    return { text: SAY.goodbye, toolCalls: [{ name: 'end_call', arguments: {} }] };
  if (/נציג|בן אדם|אדם אמיתי/.test(said))
    return { text: SAY.transfer, toolCalls: [{ name: 'transfer_call', arguments: { target: 'reception' } }] };
  if (/תור/.test(said))
    return { toolCalls: [{ name: 'check_availability', arguments: { day: 'tomorrow' } }] };
  if (/בעשר/.test(said))
    return { toolCalls: [{ name: 'book_appointment', arguments: { day: 'tomorrow', time: '10:00' } }] };
  return { text: SAY.other };
}
