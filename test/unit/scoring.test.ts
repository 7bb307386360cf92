import { describe, expect, it } from 'vitest';
import { ZSurvey, type TSurvey } from '../../src/domain/survey-schema';
import {
  cesAverage,
  csatPercent,
  isCsatSatisfied,
  npsCategory,
  npsScore,
  roundTo,
  scoreReply,
  summaryAverage,
  summaryScore,
} from '../../src/domain/scoring';

describe('npsCategory', () => {
  it.each([
    [0, 'detractor'],
    [6, 'detractor'],
    [7, 'passive'],
    [8, 'passive'],
    [9, 'promoter'],
    [10, 'promoter'],
  ] as const)('when the score is %i, then the customer is a %s', (score, category) => {
    expect(npsCategory(score)).toBe(category);
  });

  it.each([-1, 11, 6.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'when the score is %s, then it is rejected as out of range',
    (score) => {
      expect(() => npsCategory(score)).toThrow(RangeError);
    },
  );
});

describe('npsScore', () => {
  it.each([
    [{ promoters: 0, passives: 0, detractors: 0 }, null],
    [{ promoters: 5, passives: 0, detractors: 0 }, 100],
    [{ promoters: 0, passives: 0, detractors: 5 }, -100],
    [{ promoters: 0, passives: 4, detractors: 0 }, 0],
    [{ promoters: 1, passives: 1, detractors: 1 }, 0],
    [{ promoters: 2, passives: 1, detractors: 0 }, 66.7],
    [{ promoters: 0, passives: 1, detractors: 2 }, -66.7],
    [{ promoters: 3, passives: 2, detractors: 1 }, 33.3],
    [{ promoters: 1, passives: 6, detractors: 0 }, 14.3],
  ])('when the counts are %o, then the NPS is %s', (counts, expected) => {
    expect(npsScore(counts)).toBe(expected);
  });
});

describe('isCsatSatisfied', () => {
  it.each([
    [1, false],
    [3, false],
    [4, true],
    [5, true],
  ])('when the CSAT score is %i, then satisfied is %s', (score, satisfied) => {
    expect(isCsatSatisfied(score)).toBe(satisfied);
  });

  it.each([0, 6, 3.5, Number.NaN])('when the CSAT score is %s, then it is rejected as out of range', (score) => {
    expect(() => isCsatSatisfied(score)).toThrow(RangeError);
  });
});

describe('csatPercent, cesAverage and summaryAverage', () => {
  it.each([
    [{ satisfied: 0, count: 0 }, null],
    [{ satisfied: 0, count: 3 }, 0],
    [{ satisfied: 1, count: 3 }, 33.3],
    [{ satisfied: 2, count: 3 }, 66.7],
    [{ satisfied: 3, count: 3 }, 100],
  ])('when CSAT counts are %o, then the satisfied share is %s %', (counts, expected) => {
    expect(csatPercent(counts)).toBe(expected);
  });

  it.each([
    [{ sum: 0, count: 0 }, null],
    [{ sum: 7, count: 1 }, 7],
    [{ sum: 10, count: 3 }, 3.33],
    [{ sum: 20, count: 3 }, 6.67],
    [{ sum: 9, count: 2 }, 4.5],
  ])('when CES totals are %o, then the average is %s', (totals, expected) => {
    expect(cesAverage(totals)).toBe(expected);
  });

  it.each([
    [{ sum: 0, count: 0 }, null],
    [{ sum: 200, count: 3 }, 66.7],
    [{ sum: 150, count: 2 }, 75],
  ])('when summary totals are %o, then the average is %s', (totals, expected) => {
    expect(summaryAverage(totals)).toBe(expected);
  });
});

describe('roundTo', () => {
  it.each([
    [1.005, 2, 1.01],
    [0.05, 1, 0.1],
    [-0.05, 1, -0.1],
    [-0.04, 1, 0],
    [12.25, 1, 12.3],
    [-12.25, 1, -12.3],
  ])('when %s is rounded to %i decimals, then it is %s (half away from zero)', (value, decimals, expected) => {
    expect(roundTo(value, decimals)).toBe(expected);
  });

  it('when a small negative value rounds to zero, then it is 0 rather than -0', () => {
    expect(Object.is(roundTo(-0.01, 1), 0)).toBe(true);
  });
});

describe('summaryScore', () => {
  it.each([
    [{}, null],
    [{ nps: 0 }, 0],
    [{ nps: 10 }, 100],
    [{ nps: 7 }, 70],
    [{ csat: 1 }, 0],
    [{ csat: 4 }, 75],
    [{ csat: 5 }, 100],
    [{ ces: 1 }, 0],
    [{ ces: 5 }, 66.7],
    [{ ces: 7 }, 100],
    [{ nps: 10, csat: 1 }, 50],
    [{ nps: 9, csat: 4, ces: 6 }, 82.8],
  ])('when the scores are %o, then the summary is %s', (scores, expected) => {
    expect(summaryScore(scores)).toBe(expected);
  });
});

const survey: TSurvey = ZSurvey.parse({
  questions: [
    { id: 'recommend', type: 'nps', label: 'How likely…?' },
    { id: 'recommend_again', type: 'nps', label: 'And now?' },
    { id: 'satisfaction', type: 'csat', label: 'How satisfied…?' },
    { id: 'effort', type: 'ces', label: 'It was easy…' },
    { id: 'stars', type: 'rating', label: 'Stars', scale: { min: 1, max: 10 } },
    { id: 'why', type: 'text', label: 'Why?' },
    { id: 'topic', type: 'single', label: 'Topic', options: [{ value: 'rude', label: 'Rude staff' }] },
    { id: 'anything_else', type: 'text', label: 'Anything else?' },
  ],
});
const lexicon = { staff: ['staff', 'cashier*'], waiting: ['queue', 'waited'] };

describe('scoreReply', () => {
  it('when every metric is answered, then each is scored with its category and the summary averages them', () => {
    const scores = scoreReply(
      survey,
      { recommend: 9, satisfaction: 3, effort: 7, why: 'The cashier was friendly', anything_else: 'Never waited' },
      lexicon,
    );
    expect(scores).toEqual({
      nps: 9,
      npsCategory: 'promoter',
      csat: 3,
      csatSatisfied: false,
      ces: 7,
      verbatim: 'The cashier was friendly\nNever waited',
      themes: ['staff', 'waiting'],
      sentiment: 'positive',
      summary: 80,
    });
  });

  it('when two NPS questions are answered, then the first one is the metric', () => {
    expect(scoreReply(survey, { recommend: 3, recommend_again: 10 }, {}).nps).toBe(3);
  });

  it('when the first NPS question is unanswered, then the next answered one is the metric', () => {
    expect(scoreReply(survey, { recommend_again: 10 }, {})).toMatchObject({ nps: 10, npsCategory: 'promoter' });
  });

  it('when only a choice and a rating are answered, then there is no metric, no verbatim and no summary', () => {
    const scores = scoreReply(survey, { topic: 'rude', stars: 2 }, lexicon);
    expect(scores).toEqual({ verbatim: '', themes: [], sentiment: 'neutral', summary: null });
  });

  it('when only the second text question is answered, then the verbatim is that text alone', () => {
    expect(scoreReply(survey, { anything_else: 'rude staff' }, lexicon)).toMatchObject({
      verbatim: 'rude staff',
      themes: ['staff'],
      sentiment: 'negative',
    });
  });

  it.each([[{ recommend: 11 }], [{ satisfaction: 0 }], [{ effort: 8 }]])(
    'when a stored answer %o is off its scale, then scoring refuses it',
    (answers) => {
      expect(() => scoreReply(survey, answers, {})).toThrow(RangeError);
    },
  );

  it('when a detractor answers CSAT 4, then csatSatisfied is true and the summary mixes both', () => {
    expect(scoreReply(survey, { recommend: 6, satisfaction: 4 }, {})).toMatchObject({
      npsCategory: 'detractor',
      csatSatisfied: true,
      summary: 67.5,
    });
  });
});
