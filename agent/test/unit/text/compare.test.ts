import { describe, expect, it } from 'vitest';
import { normalizeHebrew, preemptiveMatches, transcriptWords } from '../../../src/text/compare.ts';

const RLM = '\u200F';
const LRM = '\u200E';

describe('preemptiveMatches: same meaning, same key', () => {
  const same: ReadonlyArray<readonly [string, string, string]> = [
    ['direction marks', `שלום${RLM}, אני רוצה להזמין${LRM}`, 'שלום אני רוצה להזמין'],
    ['isolates and zero-width space', '\u2067מה השעה?\u2069\u200B', 'מה השעה'],
    ['BOM and soft hyphen', '\uFEFFתו\u00ADדה', 'תודה'],
    ['niqqud and cantillation', 'שָׁלוֹם֑ עֲלֵיכֶם', 'שלום עליכם'],
    ['final letters', 'שלומ עליכמ', 'שלום עליכם'],
    ['gershayim in ASCII and Hebrew forms', 'ד"ר כהן מת״א', 'ד״ר כהן מת"א'],
    ['geresh forms and a typographic apostrophe', "מס' 5 וכו׳", "מס’ 5 וכו'"],
    ['maqaf and hyphen', 'בית־ספר ב-10', 'בית-ספר ב 10'],
    ['punctuation and spacing', 'כן, בבקשה!', 'כן בבקשה.'],
    ['thousands separator', 'זה עולה 1,000 שקל', 'זה עולה 1000 שקל'],
    ['Latin case', 'אני ב-WhatsApp', 'אני ב-whatsapp'],
    ['NFC vs decomposed', 'שָׁלוֹם'.normalize('NFD'), 'שלום'],
  ];
  for (const [name, a, b] of same) it(`match: ${name}`, () => expect(preemptiveMatches(a, b)).toBe(true));

  const different: ReadonlyArray<readonly [string, string, string]> = [
    ['decimal point is not dropped', 'אני צריך 3.5 קילו', 'אני צריך 35 קילו'],
    ['time colon is not dropped', 'בשעה 10:30', 'בשעה 1030'],
    ['date slash is not dropped', 'ב-1/12', 'ב-112'],
    ['a different word', 'אני רוצה להזמין', 'אני רוצה לבטל'],
    ['a different number', 'שלושה כרטיסים', 'ארבעה כרטיסים'],
  ];
  for (const [name, a, b] of different)
    it(`no match: ${name}`, () => expect(preemptiveMatches(a, b)).toBe(false));

  it('nothing to say never matches', () => {
    expect(preemptiveMatches(RLM, '')).toBe(false);
    expect(preemptiveMatches('...', '?')).toBe(false);
  });

  it('normalizeHebrew keeps the marks between digits only', () => {
    expect(normalizeHebrew('המחיר: 3.5 ש"ח. בשעה 10:30.')).toBe('המחיר3.5שח בשעה10:30'.replace(' ', ''));
  });
});

describe('transcriptWords', () => {
  const cases: ReadonlyArray<readonly [string, string, 'keep' | 'digits', readonly string[]]> = [
    ['punctuation splits, abbreviations stay one word', 'ד"ר כהן, מצה״ל!', 'keep', ['דר', 'כהנ', 'מצהל']],
    ['prefix hyphen joins', 'נפגש ב-10:30 וה-3.5', 'keep', ['נפגש', 'ב10:30', 'וה3.5']],
    ['format characters and niqqud', `${RLM}שָׁלוֹם${LRM} לָךְ`, 'keep', ['שלומ', 'לכ']],
    ['number words to digits', 'מאה עשרים וחמש שקלים', 'digits', ['1', '2', '5', 'שקלימ']],
    ['digits are spelled one by one', 'מספר 125', 'digits', ['מספר', '1', '2', '5']],
    ['a prefix glued to a number word', 'בעשר בבוקר', 'digits', ['ב', '1', '0', 'בבוקר']],
    ['a prefix glued to digits', 'ב-10 בבוקר', 'digits', ['ב', '1', '0', 'בבוקר']],
    ['a phone number read digit by digit', 'אפס חמש שתיים', 'digits', ['0', '5', '2']],
    ['keep mode leaves words', 'שלושה אנשים', 'keep', ['שלושה', 'אנשימ']],
    ['masculine forms', 'שלושה אנשים', 'digits', ['3', 'אנשימ']],
  ];
  for (const [name, text, numerals, expected] of cases)
    it(name, () => expect(transcriptWords(text, { numerals })).toEqual(expected));

  it('the same number written three ways gives the same words in digits mode', () => {
    const a = transcriptWords('המספר הוא אחת שתיים חמש', { numerals: 'digits' });
    const b = transcriptWords('המספר הוא 125', { numerals: 'digits' });
    const c = transcriptWords('המספר הוא מאה עשרים וחמש', { numerals: 'digits' });
    expect(a).toEqual(b);
    expect(c).toEqual(b);
  });
});
