// The classes of text a Hebrew answer is made of, each fed whole, character by character and in
// ragged pieces: the chunks must be the same however the model's tokens fall.
import { describe, it } from 'vitest';
import { charByChar, expectSameText, itSplitsEachWay, noClause, whole, type SplitCase } from './feed.ts';

const RLM = '\u200F';
const LRM = '\u200E';

const cases: readonly SplitCase[] = [
  // Numbered lists: the numeral stays with its item.
  {
    name: 'numbered list on lines',
    text: 'יש שלוש אפשרויות:\n1. משלוח רגיל.\n2. משלוח מהיר.\n3. איסוף עצמי.',
    expected: ['יש שלוש אפשרויות:', '1. משלוח רגיל.', '2. משלוח מהיר.', '3. איסוף עצמי.'],
    options: noClause,
  },
  {
    name: 'numbered list inline after a colon and after a full stop',
    text: 'האפשרויות הן: 1. משלוח רגיל. 2. משלוח מהיר. 10. איסוף.',
    expected: ['האפשרויות הן: 1. משלוח רגיל.', '2. משלוח מהיר.', '10. איסוף.'],
    options: noClause,
  },
  {
    name: 'list items without a full stop and a bullet before the number',
    text: 'השלבים:\n- 1. מזינים קוד\n- 2. מאשרים',
    expected: ['השלבים:', '- 1. מזינים קוד', '- 2. מאשרים'],
  },
  {
    name: 'a number ending a sentence is still an end',
    text: 'מספר ההזמנה שלך הוא 12. תודה שפנית.',
    expected: ['מספר ההזמנה שלך הוא 12.', 'תודה שפנית.'],
    options: noClause,
  },
  // Hebrew dotted abbreviations and initials.
  {
    name: 'Hebrew initials',
    text: 'הספר של א. ב. יהושע נמצא במלאי. רוצה להזמין?',
    expected: ['הספר של א. ב. יהושע נמצא במלאי.', 'רוצה להזמין?'],
    options: noClause,
  },
  {
    name: 'dotted letter abbreviations',
    text: 'נא להביא ת.ז. וח.פ. של החברה. תודה.',
    expected: ['נא להביא ת.ז. וח.פ. של החברה.', 'תודה.'],
    options: noClause,
  },
  {
    name: 'street and title abbreviations, with a prefix',
    text: 'הסניף נמצא ברח. הרצל 5, ליד שד. רוטשילד. גב. כהן תחכה לך.',
    expected: ['הסניף נמצא ברח. הרצל 5, ליד שד. רוטשילד.', 'גב. כהן תחכה לך.'],
    options: noClause,
  },
  {
    name: 'label abbreviations before a number',
    text: 'טל. 03-1234567 או מס. 5 בתור. ראו עמ. 12.',
    expected: ['טל. 03-1234567 או מס. 5 בתור.', 'ראו עמ. 12.'],
    options: noClause,
  },
  {
    name: 'a label word ending a sentence before a word',
    text: 'דיברתי עם טל. הוא יחזור אליך.',
    expected: ['דיברתי עם טל.', 'הוא יחזור אליך.'],
    options: noClause,
  },
  // Geresh and gershayim, ASCII and Hebrew punctuation forms.
  {
    name: 'Hebrew gershayim and geresh forms',
    text: 'ד״ר כהן מת״א ועו״ד לוי. המחיר 50 ש״ח, מס׳ 7 וכו׳. בסדר?',
    expected: ['ד״ר כהן מת״א ועו״ד לוי.', 'המחיר 50 ש״ח, מס׳ 7 וכו׳.', 'בסדר?'],
    options: noClause,
  },
  {
    name: 'abbreviation with gershayim ending a question and a company name',
    text: 'הגעת לצה"ל? החברה היא כהן בע"מ. תודה.',
    expected: ['הגעת לצה"ל?', 'החברה היא כהן בע"מ.', 'תודה.'],
    options: noClause,
  },
  // Times, dates, decimals, prices, phone numbers.
  {
    name: 'times and dates',
    text: 'נתראה ב-1.12.2026 בשעה 14:30. או ב-2/12 ב-9.15. ביום ה׳ 3.12 סגור.',
    expected: ['נתראה ב-1.12.2026 בשעה 14:30.', 'או ב-2/12 ב-9.15.', 'ביום ה׳ 3.12 סגור.'],
    options: noClause,
  },
  {
    name: 'prices and percentages',
    text: 'המחיר ₪49.90 או $12.5 לחודש. הנחה של 7.5% בלבד!',
    expected: ['המחיר ₪49.90 או $12.5 לחודש.', 'הנחה של 7.5% בלבד!'],
    options: noClause,
  },
  {
    name: 'phone numbers in several shapes',
    text: 'חייגו 03.123.4567 או +972-3-1234567 או 050 123 4567. נשמח.',
    expected: ['חייגו 03.123.4567 או +972-3-1234567 או 050 123 4567.', 'נשמח.'],
    options: noClause,
  },
  // URLs and e-mail addresses.
  {
    name: 'URL with a query is not cut at ? or &',
    text: 'היכנסו ל-https://shop.example.co.il/orders?id=12&lang=he. שם תמצאו הכול.',
    expected: ['היכנסו ל-https://shop.example.co.il/orders?id=12&lang=he.', 'שם תמצאו הכול.'],
    options: noClause,
  },
  {
    name: 'e-mail address',
    text: 'כתבו ל-info@example.co.il. נענה תוך יום.',
    expected: ['כתבו ל-info@example.co.il.', 'נענה תוך יום.'],
    options: noClause,
  },
  // Quotes and parentheses.
  {
    name: 'terminator inside a parenthesis mid-sentence does not cut',
    text: 'המחיר (כולל מע"מ!) הוא 100 ₪. זה בסדר (נכון?) מבחינתך? כן.',
    expected: ['המחיר (כולל מע"מ!) הוא 100 ₪.', 'זה בסדר (נכון?) מבחינתך?', 'כן.'],
    options: noClause,
  },
  {
    name: 'a parenthetical sentence ends at its closing bracket',
    text: 'ההזמנה נשלחה. (המשלוח לוקח יומיים.) משהו נוסף?',
    expected: ['ההזמנה נשלחה.', '(המשלוח לוקח יומיים.)', 'משהו נוסף?'],
    options: noClause,
  },
  {
    name: 'Hebrew quotation marks close their sentence',
    text: 'הוא אמר ״תודה.״ ואז ניתק.',
    expected: ['הוא אמר ״תודה.״', 'ואז ניתק.'],
    options: noClause,
  },
  // Invisible direction marks.
  {
    name: 'full stop followed by RLM or LRM ends the sentence',
    text: `ההזמנה אושרה.${RLM} המשלוח יגיע מחר.${LRM} תודה!${RLM}`,
    expected: [`ההזמנה אושרה.${RLM}`, `המשלוח יגיע מחר.${LRM}`, `תודה!${RLM}`],
    options: noClause,
  },
  {
    name: 'direction isolate after a question mark and a quote',
    text: 'מה שמך?\u2069" ומה הטלפון?',
    expected: ['מה שמך?\u2069"', 'ומה הטלפון?'],
    options: noClause,
  },
  // Very long sentences.
  {
    name: 'a long sentence is cut at its last clause boundary',
    text: 'אני רוצה להזמין שולחן לארבעה אנשים; ליום שישי בערב בשעה שמונה בדיוק',
    expected: ['אני רוצה להזמין שולחן לארבעה אנשים;', 'ליום שישי בערב בשעה שמונה בדיוק'],
    options: { maxChunkChars: 50, firstChunkClause: false },
  },
  {
    name: 'a long sentence is never cut inside a spaced phone number',
    text: 'נא להתקשר אלינו בכל שעה למספר 050 123 4567 תודה',
    expected: ['נא להתקשר אלינו בכל שעה למספר', '050 123 4567 תודה'],
    options: { maxChunkChars: 40, firstChunkClause: false },
  },
  {
    name: 'a long sentence prefers a spaced dash to a plain space',
    text: 'התשלום מתבצע בכרטיס אשראי – אפשר גם בהעברה בנקאית או במזומן בסניף',
    expected: ['התשלום מתבצע בכרטיס אשראי –', 'אפשר גם בהעברה בנקאית או במזומן בסניף'],
    options: { maxChunkChars: 40, firstChunkClause: false },
  },
];

describe('sentence splitter: Hebrew text classes', () => {
  itSplitsEachWay(cases);

  it('never loses or adds text across all classes', () => {
    for (const c of cases) {
      for (const chunks of [whole(c.text, c.options), charByChar(c.text, c.options)]) {
        expectSameText(chunks, c.text);
      }
    }
  });
});
