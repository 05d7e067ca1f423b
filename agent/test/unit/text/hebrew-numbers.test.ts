import { describe, expect, it } from 'vitest';
import { hebrewNumberWordsToDigits, numberToHebrew } from '../../../src/text/hebrew-numbers.ts';

describe('numberToHebrew', () => {
  const table: ReadonlyArray<readonly [number, 'f' | 'm', string]> = [
    [0, 'f', 'אפס'],
    [1, 'f', 'אחת'],
    [1, 'm', 'אחד'],
    [2, 'f', 'שתיים'],
    [3, 'm', 'שלושה'],
    [10, 'f', 'עשר'],
    [12, 'f', 'שתים עשרה'],
    [13, 'm', 'שלושה עשר'],
    [21, 'f', 'עשרים ואחת'],
    [30, 'f', 'שלושים'],
    [101, 'f', 'מאה ואחת'],
    [120, 'f', 'מאה ועשרים'],
    [125, 'f', 'מאה עשרים וחמש'],
    [300, 'f', 'שלוש מאות'],
    [1005, 'f', 'אלף וחמש'],
    [2026, 'f', 'אלפיים עשרים ושש'],
    [3000, 'f', 'שלושת אלפים'],
    [21_500, 'f', 'עשרים ואחד אלף וחמש מאות'],
  ];
  for (const [n, g, words] of table) it(`${n} (${g})`, () => expect(numberToHebrew(n, g)).toBe(words));

  it('rejects what it cannot say', () => {
    expect(() => numberToHebrew(-1)).toThrow(RangeError);
    expect(() => numberToHebrew(1.5)).toThrow(RangeError);
    expect(() => numberToHebrew(1_000_000)).toThrow(RangeError);
  });

  it('every number below 10,000 reads back to itself', () => {
    for (let n = 0; n < 10_000; n++) {
      for (const g of ['f', 'm'] as const) {
        expect(hebrewNumberWordsToDigits(numberToHebrew(n, g).split(' ')).join('')).toBe(String(n));
      }
    }
  });
});

describe('hebrewNumberWordsToDigits', () => {
  const table: ReadonlyArray<readonly [string, string]> = [
    ['אפס חמש אפס', '0 5 0'],
    ['עשרת אלפים שקל', '10000 שקל'],
    ['בשלוש ועשרים', 'ב 3 ו 20'],
    ['שלושה אנשים ועוד שניים', '3 אנשים ועוד 2'],
    ['שני כרטיסים', '2 כרטיסים'],
    ['שלום לך', 'שלום לך'],
  ];
  for (const [words, digits] of table)
    it(words, () => expect(hebrewNumberWordsToDigits(words.split(' ')).join(' ')).toBe(digits));
});
