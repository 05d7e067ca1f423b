import { describe, expect, it } from 'vitest';
import {
  endsWithAbbreviation,
  endsWithDanglingWord,
  joinTranscriptPieces,
  revisesLastWord,
  transcriptCompleteness,
} from '../../../src/turn/completeness.ts';

describe('transcript completeness (Hebrew)', () => {
  it('a finished sentence is complete; an unpunctuated one is open', () => {
    expect(transcriptCompleteness('שלום, אני רוצה לבדוק את ההזמנה שלי.')).toBe('complete');
    expect(transcriptCompleteness('מה שעות הפתיחה שלכם?')).toBe('complete');
    expect(transcriptCompleteness('שלום אני רוצה לבדוק את ההזמנה שלי')).toBe('open');
    expect(transcriptCompleteness('לא')).toBe('open');
  });

  it('a dangling last word is incomplete, with or without a dot after it', () => {
    expect(endsWithDanglingWord('אני רוצה לבדוק את')).toBe(true);
    expect(transcriptCompleteness('אני רוצה לבדוק את.')).toBe('incomplete');
    expect(transcriptCompleteness('הזמנתי מקרר של')).toBe('incomplete');
    expect(transcriptCompleteness('אני גר ברחוב הרצל ו')).toBe('incomplete');
    expect(transcriptCompleteness('שלום,')).toBe('incomplete');
  });

  it('prepositions that govern what follows ("regarding", "about", "for", "instead of") are dangling', () => {
    expect(transcriptCompleteness('אני מתקשר בקשר')).toBe('incomplete');
    expect(transcriptCompleteness('רציתי לשאול בנוגע')).toBe('incomplete');
    expect(transcriptCompleteness('הזמנתי את זה עבור')).toBe('incomplete');
    expect(transcriptCompleteness('אפשר לקבל זיכוי במקום')).toBe('incomplete');
    expect(transcriptCompleteness('אני מתקשר בקשר להזמנה')).toBe('open');
  });

  it('an abbreviation followed by a dot is not a sentence end', () => {
    expect(endsWithAbbreviation('הכתובת היא רח.')).toBe(true);
    expect(endsWithAbbreviation('זה נגמר.')).toBe(false);
    expect(transcriptCompleteness('הכתובת היא רח.')).toBe('incomplete');
    expect(transcriptCompleteness('קבעתי תור אצל ד"ר.')).toBe('incomplete');
    expect(transcriptCompleteness('המספר שלי הוא מס׳.')).toBe('incomplete');
    expect(transcriptCompleteness('צריך להביא ת.ז.')).toBe('incomplete');
    expect(transcriptCompleteness('I live on Main St.')).toBe('incomplete');
    expect(transcriptCompleteness('נגמר ב-2020.')).toBe('complete');
  });
});

describe('a revision of the last word (an unstable tail rewritten)', () => {
  it('the last word replaced, dropped, or one word added after it', () => {
    expect(revisesLastWord('אני צריך עזרה עם', 'אני צריך עזרה כן')).toBe(true);
    expect(revisesLastWord('אני צריך עזרה עם', 'אני צריך עזרה')).toBe(true);
    expect(revisesLastWord('אני צריך עזרה עם', 'אני צריך עזרה עם היא')).toBe(true);
    expect(revisesLastWord('עם', 'כן')).toBe(true);
  });

  it('not the same text, an earlier word changed, or more than one word more or less', () => {
    expect(revisesLastWord('אני צריך עזרה עם', 'אני צריך עזרה עם')).toBe(false);
    expect(revisesLastWord('אני צריך עזרה עם', 'אני רוצה עזרה עם')).toBe(false);
    expect(revisesLastWord('אני צריך עזרה עם', 'אני צריך עזרה עם החשבון שלי')).toBe(false);
    expect(revisesLastWord('אני צריך עזרה עם', 'אני צריך')).toBe(false);
    expect(revisesLastWord('אני צריך עזרה עם', 'אני צריך עזרה כן לא')).toBe(false);
    expect(revisesLastWord('', 'כן')).toBe(false);
  });
});

describe('joining pieces of one utterance', () => {
  it('words the next final repeats are said once', () => {
    expect(joinTranscriptPieces('אני רוצה לבדוק את', 'את ההזמנה שלי.')).toBe('אני רוצה לבדוק את ההזמנה שלי.');
    expect(joinTranscriptPieces('אני רוצה לבדוק את.', 'לבדוק את ההזמנה שלי.')).toBe(
      'אני רוצה לבדוק את ההזמנה שלי.',
    );
  });

  it("drops the recognizer's dot on an incomplete piece, keeps a real sentence end", () => {
    expect(joinTranscriptPieces('אני רוצה לבדוק את.', 'ההזמנה שלי.')).toBe('אני רוצה לבדוק את ההזמנה שלי.');
    expect(joinTranscriptPieces('שלום.', 'מה השעה?')).toBe('שלום. מה השעה?');
  });

  it('does not eat a word that is merely said twice on purpose when it would leave nothing', () => {
    expect(joinTranscriptPieces('כן', 'כן')).toBe('כן כן');
    expect(joinTranscriptPieces('', 'שלום')).toBe('שלום');
  });
});
