import { describe, expect, it } from 'vitest';
import { createSentenceSplitter } from '../../../src/tts/splitter.ts';
import {
  charByChar,
  expectSameText,
  itSplitsEachWay,
  noClause,
  ragged,
  whole,
  type SplitCase,
} from './feed.ts';

const cases: readonly SplitCase[] = [
  {
    name: 'plain sentences with . ? !',
    text: 'שלום, מה שלומך? אני בסדר. תודה רבה!',
    expected: ['שלום, מה שלומך?', 'אני בסדר.', 'תודה רבה!'],
  },
  {
    name: 'decimal number',
    text: 'המחיר הוא 3.5 שקלים לקילו. משהו נוסף?',
    expected: ['המחיר הוא 3.5 שקלים לקילו.', 'משהו נוסף?'],
    options: noClause,
  },
  {
    name: 'time with colon and with dot',
    text: 'הפגישה נקבעה ל-10:30 בבוקר. או ב-14.30 אחר הצהריים.',
    expected: ['הפגישה נקבעה ל-10:30 בבוקר.', 'או ב-14.30 אחר הצהריים.'],
    options: noClause,
  },
  {
    name: 'phone numbers with dash and dot',
    text: 'אפשר להתקשר למספר 050-1234567 או 03.1234567. נשמח לעזור!',
    expected: ['אפשר להתקשר למספר 050-1234567 או 03.1234567.', 'נשמח לעזור!'],
    options: noClause,
  },
  {
    name: 'gershayim and geresh abbreviations',
    text: 'ד"ר כהן מת"א ועו"ד לוי יגיעו. הבאנו מסמכים, חוזים וכו\'. מס\' ההזמנה הוא 12.',
    expected: ['ד"ר כהן מת"א ועו"ד לוי יגיעו.', "הבאנו מסמכים, חוזים וכו'.", "מס' ההזמנה הוא 12."],
    options: noClause,
  },
  {
    name: 'sentence ending right after an abbreviation with gershayim',
    text: 'הוא גר בת"א. היא גרה בירושלים.',
    expected: ['הוא גר בת"א.', 'היא גרה בירושלים.'],
  },
  {
    name: 'ellipsis as three dots and as one character',
    text: 'רגע... אני בודק את ההזמנה… מצאתי אותה.',
    expected: ['רגע...', 'אני בודק את ההזמנה…', 'מצאתי אותה.'],
  },
  {
    name: 'leading ellipsis carries nothing to say',
    text: '...טוב, נתחיל.',
    expected: ['טוב, נתחיל.'],
  },
  {
    name: 'closing quote stays with its sentence',
    text: 'הוא אמר "אני מגיע." ואז הלך. "באמת?" שאלתי.',
    expected: ['הוא אמר "אני מגיע."', 'ואז הלך.', '"באמת?"', 'שאלתי.'],
  },
  {
    name: 'mixed terminators ?! form one end',
    text: 'באמת?! לא ידעתי.',
    expected: ['באמת?!', 'לא ידעתי.'],
  },
  {
    name: 'newline ends a chunk; blank lines vanish',
    text: 'שורה ראשונה\n\nשורה שנייה',
    expected: ['שורה ראשונה', 'שורה שנייה'],
  },
  {
    name: 'domain and Latin initials do not end a sentence',
    text: 'היכנסו לאתר ynet.co.il או פנו ל-Dr. J. Smith. תודה.',
    expected: ['היכנסו לאתר ynet.co.il או פנו ל-Dr. J. Smith.', 'תודה.'],
    options: noClause,
  },
  {
    name: 'first chunk may be a clause after the minimum length',
    text: 'בדקתי את ההזמנה שלך במערכת, והיא תגיע מחר בבוקר, בין שמונה לעשר.',
    expected: ['בדקתי את ההזמנה שלך במערכת,', 'והיא תגיע מחר בבוקר, בין שמונה לעשר.'],
  },
  {
    name: 'a short first clause is not cut',
    text: 'כן, בטח. אני כאן.',
    expected: ['כן, בטח.', 'אני כאן.'],
  },
  {
    name: 'first clause at a spaced dash, never at a hyphen inside a number',
    text: 'המספר הוא 050-1234567 לשירות הלקוחות - אפשר להתקשר כל יום.',
    expected: ['המספר הוא 050-1234567 לשירות הלקוחות -', 'אפשר להתקשר כל יום.'],
  },
  {
    name: 'thousands separator is not a clause comma',
    text: 'העלות הכוללת של ההזמנה 1,250 שקלים בדיוק.',
    expected: ['העלות הכוללת של ההזמנה 1,250 שקלים בדיוק.'],
  },
  {
    name: 'a first-clause comma after a word cuts whatever follows it',
    text: 'הבנתי,אמרת שלום.',
    expected: ['הבנתי,', 'אמרת שלום.'],
    options: { firstChunkMinChars: 5 },
  },
  {
    name: 'a comma inside a quotation is no first-clause cut',
    text: 'הוא אמר "שלום לכם," ואז הלך.',
    expected: ['הוא אמר "שלום לכם," ואז הלך.'],
    options: { firstChunkMinChars: 5 },
  },
  {
    name: 'gershayim inside a word open no quotation',
    text: 'שלום לד"ר כהן, מה נשמע?',
    expected: ['שלום לד"ר כהן,', 'מה נשמע?'],
    options: { firstChunkMinChars: 5 },
  },
  {
    name: 'clause cut disabled by option',
    text: 'בדקתי את ההזמנה שלך במערכת, והיא תגיע מחר.',
    expected: ['בדקתי את ההזמנה שלך במערכת, והיא תגיע מחר.'],
    options: noClause,
  },
  {
    name: 'maximum length cut at a word boundary',
    text: 'אני רוצה להזמין שולחן לארבעה אנשים ליום שישי בערב בשעה שמונה',
    expected: ['אני רוצה להזמין שולחן', 'לארבעה אנשים ליום שישי', 'בערב בשעה שמונה'],
    options: { maxChunkChars: 25, firstChunkClause: false },
  },
  {
    name: 'text without a terminator comes out on flush',
    text: 'תודה שהתקשרת',
    expected: ['תודה שהתקשרת'],
  },
  {
    name: 'number at the very end of the stream',
    text: 'המחיר הוא 3.',
    expected: ['המחיר הוא 3.'],
  },
];

describe('createSentenceSplitter', () => {
  itSplitsEachWay(cases);

  it('emits a sentence as soon as its end is certain, not at flush', () => {
    const s = createSentenceSplitter();
    expect(s.push('שלום')).toEqual([]);
    expect(s.push('.')).toEqual([]); // could still become "..." or be followed by a digit
    expect(s.push(' מה')).toEqual(['שלום.']);
    expect(s.push(' נשמע?')).toEqual([]);
    expect(s.flush()).toEqual(['מה נשמע?']);
  });

  it('sends a first clause the moment its comma arrives, without waiting for the next token', () => {
    const s = createSentenceSplitter({ firstChunkMinChars: 5 });
    expect(s.push('הבנתי')).toEqual([]);
    expect(s.push(',')).toEqual(['הבנתי,']);
    expect(s.push(' אמרת: שלום.')).toEqual([]);
    expect(s.flush()).toEqual(['אמרת: שלום.']);
  });

  it('still waits after a comma that follows a digit (1,250) or closes a quoted word', () => {
    const digits = createSentenceSplitter({ firstChunkMinChars: 5 });
    expect(digits.push('המחיר הוא 1,')).toEqual([]);
    expect(digits.push('250 שקלים, כולל הכול.')).toEqual(['המחיר הוא 1,250 שקלים,']);
    const quoted = createSentenceSplitter({ firstChunkMinChars: 5 });
    expect(quoted.push('הוא אמר "שלום,')).toEqual([]);
    // Decided by the next character, as before: a space cuts, a closing quote does not.
    expect(quoted.push(' לכם" ואז הלך.')).toEqual(['הוא אמר "שלום,']);
  });

  it('waits for the digit after a dot before deciding', () => {
    const s = createSentenceSplitter({ firstChunkClause: false });
    expect(s.push('המחיר 3.')).toEqual([]);
    expect(s.push('5 שקלים. ')).toEqual(['המחיר 3.5 שקלים.']);
  });

  it('clause cuts apply to the first chunk only', () => {
    const out = whole('זה המשפט הראשון שלי היום. זה משפט שני וארוך למדי, עם פסיק באמצע.');
    expect(out).toEqual(['זה המשפט הראשון שלי היום.', 'זה משפט שני וארוך למדי, עם פסיק באמצע.']);
  });

  it('a splitter is reusable after flush and flush on empty returns nothing', () => {
    const s = createSentenceSplitter();
    expect(s.flush()).toEqual([]);
    s.push('אחת.');
    expect(s.flush()).toEqual(['אחת.']);
    expect(s.push('שתיים. ')).toEqual(['שתיים.']);
  });

  it('rejects bad options and non-string deltas with clear errors', () => {
    expect(() => createSentenceSplitter({ maxChunkChars: 3 })).toThrow(/maxChunkChars/);
    expect(() => createSentenceSplitter({ firstChunkMinChars: 0 })).toThrow(/firstChunkMinChars/);
    const s = createSentenceSplitter();
    expect(() => s.push(undefined as unknown as string)).toThrow(TypeError);
    expect(s.push('עדיין עובד. ')).toEqual(['עדיין עובד.']);
  });

  it('never loses or adds text (joined chunks equal the input up to whitespace)', () => {
    const text =
      'שלום! ד"ר כהן יגיע ב-10:30, אחרי שיסיים בת"א. המחיר 3.5 ש"ח... לא, סליחה: 4.5 ש"ח. מס\' הטלפון 050-1234567.\nתודה!';
    for (const chunks of [whole(text), charByChar(text), ragged(text)]) {
      expectSameText(chunks, text);
    }
  });
});
