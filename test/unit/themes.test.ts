import { describe, expect, it } from 'vitest';
import { detectThemes, foldText, sentimentPolarity } from '../../src/domain/themes';

describe('foldText', () => {
  it.each([
    ['Café CRÈME', 'cafe creme'],
    ['Straße', 'straße'],
    ['don\u2019t', "don't"],
    ['Ångström', 'angstrom'],
  ])('when the text is %j, then it folds to %j', (text, folded) => {
    expect(foldText(text)).toBe(folded);
  });
});

describe('detectThemes', () => {
  const lexicon = {
    refunds: ['refund*'],
    staff: ['staff', 'cashier'],
    waiting: ['long wait', 'queue'],
    cafe: ['café'],
    price: ['$5 fee'],
  };

  it.each([
    ['The staff were lovely', ['staff']],
    ['STAFF', ['staff']],
    ['staffing is a problem', []],
    ['overstaff', []],
    ['I got a refund', ['refunds']],
    ['Refunded twice, refunds are slow', ['refunds']],
    ['non-refundable ticket', ['refunds']],
    ['prerefund', []],
    ['a long wait', ['waiting']],
    ['a long   wait', ['waiting']],
    ['a long\nwait', ['waiting']],
    ['a longwait', []],
    ['a long waiting time', []],
    ['Cafe was closed', ['cafe']],
    ['CAFÉ', ['cafe']],
    ['the cashier, then the queue; then a refund', ['refunds', 'staff', 'waiting']],
    ['a $5 fee!', ['price']],
    ['', []],
  ])('when the verbatim is %j, then the themes are %j', (text, themes) => {
    expect(detectThemes(text, lexicon)).toEqual(themes);
  });

  it('when several keywords of one theme match, then the theme is listed once', () => {
    expect(detectThemes('staff and cashier', { staff: ['staff', 'cashier'] })).toEqual(['staff']);
  });

  it('when themes match in any order, then they are sorted by name', () => {
    expect(detectThemes('zebra apple', { zoo: ['zebra'], fruit: ['apple'] })).toEqual(['fruit', 'zoo']);
  });

  it('when a keyword is only an asterisk or blank, then it matches nothing', () => {
    expect(detectThemes('anything at all', { broken: ['*', '   '] })).toEqual([]);
  });

  it('when a keyword has regular-expression characters, then they match literally', () => {
    expect(detectThemes('c++ and c#', { cpp: ['c++'], dotnet: ['c.'] })).toEqual(['cpp']);
  });

  it('when the text is in another script, then whole words are still told apart', () => {
    expect(detectThemes('Обслуживание было отличным', { service: ['обслуживание'], greet: ['было о'] })).toEqual([
      'service',
    ]);
  });
});

describe('sentimentPolarity', () => {
  it.each([
    ['', 'neutral', 0],
    ['We bought a sofa', 'neutral', 0],
    ['Great service', 'positive', 1],
    ['Rude and slow', 'negative', -1],
    ['Friendly staff but slow', 'neutral', 0],
    ['Friendly, fast and helpful, but broken', 'positive', 0.5],
    ['not friendly', 'negative', -1],
    ['never rude', 'positive', 1],
    ['no problems at all', 'positive', 1],
    ["didn't wait", 'positive', 1],
    ['didn\u2019t wait', 'positive', 1],
    ['not at all very friendly', 'positive', 1],
    ['not at all friendly', 'negative', -1],
    ['GREAT!!!', 'positive', 1],
    ['I waited for a refund', 'negative', -1],
    ['knot friendly', 'positive', 1],
  ] as const)('when the verbatim is %j, then it is %s with score %s', (text, polarity, score) => {
    expect(sentimentPolarity(text)).toEqual({ polarity, score });
  });

  it('when one of three sentiment words is positive, then the score is (1 − 2) / 3', () => {
    expect(sentimentPolarity('slow, rude, but friendly').score).toBeCloseTo(-1 / 3, 10);
  });
});
