import { describe, expect, it } from 'vitest';
import { toSpeakable } from '../../../src/text/speakable.ts';

const plain = (text: string): string => toSpeakable(text).text;
const ssml = (text: string): string | undefined => toSpeakable(text, { ssml: true }).ssml;

describe('toSpeakable: markdown, emoji and symbols', () => {
  const table: ReadonlyArray<readonly [string, string, string]> = [
    ['bold and italics', '**חשוב:** יש _להביא_ את *הקבלה*.', 'חשוב: יש להביא את הקבלה.'],
    ['heading', '### שעות הפתיחה שלנו', 'שעות הפתיחה שלנו'],
    ['bullet with a task box', '- [x] ההזמנה אושרה', 'ההזמנה אושרה'],
    ['numbered item keeps its number', '2. **משלוח מהיר**', '2. משלוח מהיר'],
    ['link keeps its text', 'ראו [דף העזרה](https://example.co.il/help) שלנו.', 'ראו דף העזרה שלנו.'],
    ['code span keeps its text', 'הקלידו `1234` ואז סולמית.', 'הקלידו 1234 ואז סולמית.'],
    ['code fence markers go', '```json', ''],
    ['table row', '| יום | שעות |', 'יום, שעות'],
    ['struck text and block quote', '> ~~ישן~~ חדש', 'ישן חדש'],
    [
      'snake_case and e-mail survive emphasis rules',
      'כתבו ל-my_name@example.com',
      'כתבו ל-my_name@example.com',
    ],
    ['HTML tags', 'שלום<br/>ו<b>תודה</b>', 'שלוםותודה'],
    ['emoji with skin tone, ZWJ sequence and flag', 'מעולה 👍🏽 👨‍👩‍👧 🇮🇱!', 'מעולה!'],
    ['keycap emoji keeps its digit', 'הקישו 1️⃣ לשירות.', 'הקישו 1 לשירות.'],
    ['arrows, stars and check marks', 'שלב א → שלב ב ★ ✅', 'שלב א שלב ב'],
    ['only an emoji leaves nothing to say', '🙏', ''],
    ['niqqud is kept', 'שָׁלוֹם וּבְרָכָה', 'שָׁלוֹם וּבְרָכָה'],
    ['direction marks go', '\u200Fשלום\u200E, \u2067עולם\u2069', 'שלום, עולם'],
    [
      'days of the week with geresh',
      "פתוח א׳-ה׳, ביום ו' עד 13:00",
      'פתוח ראשון עד חמישי, ביום שישי עד שלוש עשרה',
    ],
    [
      'dotted abbreviations',
      'ברח. הרצל, טל. 03-1234567, ת.ז. שלך',
      'ברחוב הרצל, טלפון אפס שלוש, אחת שתיים שלוש, ארבע חמש שש שבע, תעודת זהות שלך',
    ],
    ['a dotted label without a number stays', 'דיברתי עם טל.', 'דיברתי עם טל.'],
    [
      'gershayim abbreviations said in full',
      'ד״ר כהן, עו"ד לוי, 3 ק"ג וכו׳.',
      'דוקטור כהן, עורך דין לוי, 3 קילוגרם וכולי.',
    ],
  ];
  for (const [name, input, expected] of table) it(name, () => expect(plain(input)).toBe(expected));
});

describe('toSpeakable: numbers as a Hebrew listener expects', () => {
  const table: ReadonlyArray<readonly [string, string, string]> = [
    ['mobile number in groups', 'חייגו 050-1234567.', 'חייגו אפס חמש אפס, אחת שתיים שלוש, ארבע חמש שש שבע.'],
    ['landline with spaces', 'טלפון 03 123 4567', 'טלפון אפס שלוש, אחת שתיים שלוש, ארבע חמש שש שבע'],
    ['international form', '+972-3-1234567', 'פלוס תשע שבע שתיים, שלוש, אחת שתיים שלוש, ארבע חמש שש שבע'],
    ['toll-free number', '1-800-123-456', 'אחת שמונה אפס אפס, אחת שתיים שלוש, ארבע חמש שש'],
    ['star number', 'חייגו *2700', 'חייגו כוכבית אלפיים ושבע מאות'],
    ['1-700 number', '1-700-700-700', 'אחת שבע אפס אפס, שבע אפס אפס, שבע אפס אפס'],
    [
      'long reference number in groups of three',
      'מספר ההזמנה 1234567',
      'מספר ההזמנה אחת שתיים שלוש, ארבע חמש שש שבע',
    ],
    ['nine-digit ID number', 'ת"ז 012345678', 'ת"ז אפס אחת שתיים, שלוש ארבע חמש, שש שבע שמונה'],
    ['a six-digit amount stays a number', 'יש 250000 משתמשים', 'יש 250000 משתמשים'],
    ['time with a prefix', 'ניפגש ב-14:30', 'ניפגש בארבע עשרה ושלושים'],
    ['time on the hour and with few minutes', 'בין 9:00 ל-9:05', 'בין תשע לתשע וחמש דקות'],
    ['full date', 'עד 1.12.2026', 'עד אחד בדצמבר אלפיים עשרים ושש'],
    ['day and month', 'ביום 3/4', 'ביום שלושה באפריל'],
    ['invalid date stays a decimal', 'מקדם 31.13', 'מקדם שלושים ואחת נקודה אחת שלוש'],
    ['shekels with agorot', 'המחיר ₪49.90', 'המחיר ארבעים ותשעה שקלים ותשעים אגורות'],
    ['shekels after the number', '1,250 ש"ח', 'אלף מאתיים וחמישים שקלים'],
    ['one and two shekels', '1 ₪ או 2 שקלים', 'שקל אחד או שני שקלים'],
    ['dollars and cents', '$12.5', 'שנים עשר דולר וחמישים סנט'],
    ['agorot only', '₪0.50', 'חמישים אגורות'],
    ['percent', 'הנחה של 20% או 7.5%', 'הנחה של עשרים אחוז או שבע נקודה חמש אחוז'],
    ['decimal', '3.5 קילו', 'שלוש נקודה חמש קילו'],
    ['range', 'בין 10-12 בחודש', 'בין עשר עד שתים עשרה בחודש'],
    ['time range', 'פתוח 9:00-18:30', 'פתוח תשע עד שמונה עשרה ושלושים'],
    ['thousands separator', 'יש 12,000 לקוחות', 'יש 12000 לקוחות'],
    ['numbers in a URL are left alone', 'https://a.co.il/p/3.5', 'a.co.il/p/3.5'],
  ];
  for (const [name, input, expected] of table) it(name, () => expect(plain(input)).toBe(expected));
});

describe('toSpeakable: SSML for voices that take it', () => {
  it('plain-text voices get no SSML', () => {
    expect(toSpeakable('בשעה 14:30').ssml).toBeUndefined();
  });

  it('phone numbers, times and dates use <say-as>; the plain text says the same in words', () => {
    const r = toSpeakable('התקשרו 050-1234567 בשעה 14:30 עד 1.12.2026.', { ssml: true });
    expect(r.ssml).toBe(
      '<speak>התקשרו <say-as interpret-as="characters">050</say-as>, ' +
        '<say-as interpret-as="characters">123</say-as>, <say-as interpret-as="characters">4567</say-as> ' +
        'בשעה <say-as interpret-as="time" format="hms24">14:30</say-as> ' +
        'עד <say-as interpret-as="date" format="dmy">1/12/2026</say-as>.</speak>',
    );
    expect(r.text).toBe(
      'התקשרו אפס חמש אפס, אחת שתיים שלוש, ארבע חמש שש שבע בשעה ארבע עשרה ושלושים עד אחד בדצמבר אלפיים עשרים ושש.',
    );
  });

  it('a prefixed number is said as words (say-as cannot take a prefix)', () => {
    expect(ssml('ב-14:30')).toBe('<speak>בארבע עשרה ושלושים</speak>');
  });

  it('escapes XML in the text', () => {
    expect(ssml('א < ב & "ג"')).toBe('<speak>א &lt; ב ו&quot;ג&quot;</speak>');
  });

  it('nothing to say gives no SSML either', () => {
    expect(toSpeakable('👍', { ssml: true })).toEqual({ text: '' });
  });
});
