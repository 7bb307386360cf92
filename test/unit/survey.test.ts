import { describe, expect, it } from 'vitest';
import {
  isScoreQuestion,
  isShown,
  parseAnswers,
  prefilledAnswers,
  progress,
  scaleOf,
  visibleQuestions,
  type Known,
} from '../../src/domain/survey';
import { ZQuestion, ZSurvey, type Answers, type TQuestion, type TSurvey } from '../../src/domain/survey-schema';

const survey: TSurvey = ZSurvey.parse({
  questions: [
    { id: 'recommend', type: 'nps', label: 'How likely are you to recommend us?', required: true },
    {
      id: 'why_low',
      type: 'text',
      label: 'What went wrong?',
      required: true,
      showIf: { question: 'recommend', npsCategory: ['detractor'] },
    },
    {
      id: 'what_loved',
      type: 'multiple',
      label: 'What did you love?',
      options: [
        { value: 'staff', label: 'Staff' },
        { value: 'price', label: 'Price' },
        { value: 'speed', label: 'Speed' },
      ],
      showIf: { question: 'recommend', npsCategory: ['promoter'] },
    },
    { id: 'staff_name', type: 'text', label: 'Who served you?', showIf: { question: 'what_loved', anyOf: ['staff'] } },
    {
      id: 'improve',
      type: 'single',
      label: 'Would a faster checkout help?',
      required: true,
      options: [
        { value: 'yes', label: { en: 'Yes', de: 'Ja' } },
        { value: 'no', label: { en: 'No', de: 'Nein' } },
      ],
      showIf: { question: 'recommend', min: 7, max: 8 },
    },
    { id: 'satisfaction', type: 'csat', label: 'How satisfied are you?', required: true },
    { id: 'effort', type: 'ces', label: 'It was easy to get what I needed' },
    { id: 'mood', type: 'rating', label: 'Mood', scale: { min: -2, max: 2 } },
    { id: 'stars', type: 'rating', label: 'Stars' },
    {
      id: 'store',
      type: 'single',
      label: 'Which store?',
      required: true,
      knownAs: 'store',
      options: [
        { value: 'berlin', label: 'Berlin' },
        { value: 'paris', label: 'Paris' },
      ],
    },
    { id: 'visits', type: 'rating', label: 'Visits per month', knownAs: 'visits', scale: { min: 1, max: 10 } },
    { id: 'comment', type: 'text', label: 'Anything else?' },
  ],
});

function question(id: string): TQuestion {
  const found = survey.questions.find((q) => q.id === id);
  if (!found) throw new Error(`no question ${id}`);
  return found;
}

const ids = (questions: TQuestion[]) => questions.map((q) => q.id);
const known: Known = { store: 'berlin', visits: 4 };
/** A complete, valid submission apart from the adaptive follow-ups. */
const base = { satisfaction: '4' };

describe('scaleOf', () => {
  it.each([
    ['recommend', { min: 0, max: 10 }],
    ['satisfaction', { min: 1, max: 5 }],
    ['effort', { min: 1, max: 7 }],
    ['stars', { min: 1, max: 5 }],
    ['mood', { min: -2, max: 2 }],
  ])('when the question is %s, then the scale is %o', (id, scale) => {
    expect(scaleOf(question(id))).toEqual(scale);
  });

  it.each(['what_loved', 'improve', 'comment'])('when %s is not a score question, then it has no scale', (id) => {
    expect(isScoreQuestion(question(id))).toBe(false);
    expect(() => scaleOf(question(id))).toThrow(RangeError);
  });

  it.each(['recommend', 'satisfaction', 'effort', 'stars'])('when %s is a score question, then it says so', (id) => {
    expect(isScoreQuestion(question(id))).toBe(true);
  });
});

describe('prefilledAnswers', () => {
  it.each<[string, Known, Answers]>([
    ['nothing is known', {}, {}],
    ['the store and visits are known', known, { store: 'berlin', visits: 4 }],
    ['visits are known as text', { visits: '7' }, { visits: 7 }],
    ['visits are off the scale', { visits: 11 }, {}],
    ['visits are not a whole number', { visits: 2.5 }, {}],
    ['the store is not one of the options', { store: 'rome' }, {}],
    ['the store is null', { store: null }, {}],
    ['the known value is an object', { store: { city: 'berlin' } }, {}],
    ['an attribute no question asks for is known', { region: 'EU' }, {}],
    ['only an inherited property has the name', Object.create({ store: 'berlin' }) as Known, {}],
  ])('when %s, then the prefilled answers are %o', (_, knownValues, answers) => {
    expect(prefilledAnswers(survey, knownValues)).toEqual(answers);
  });

  it('when a known value feeds a text or multiple-choice question, then it becomes text or a list of options', () => {
    const profile = ZSurvey.parse({
      questions: [
        { id: 'age', type: 'text', label: 'Age', knownAs: 'age' },
        { id: 'member', type: 'single', label: 'Member', knownAs: 'member', options: [{ value: 'true', label: 'Y' }] },
        {
          id: 'channels',
          type: 'multiple',
          label: 'Channels',
          knownAs: 'channels',
          options: [
            { value: 'web', label: 'Web' },
            { value: 'app', label: 'App' },
          ],
        },
      ],
    });
    expect(prefilledAnswers(profile, { age: 42, member: true, channels: ['app', 'web'] })).toEqual({
      age: '42',
      member: 'true',
      channels: ['web', 'app'],
    });
  });
});

describe('isShown', () => {
  const follow = (showIf: object): TQuestion =>
    ZQuestion.parse({ id: 'follow_up', type: 'text', label: 'Tell us more', showIf });

  it.each<[string, object, Answers, boolean]>([
    ['there is no condition', {}, {}, true],
    ['the earlier question is unanswered', { npsCategory: ['detractor'] }, {}, false],
    ['the score 6 is a detractor', { npsCategory: ['detractor'] }, { recommend: 6 }, true],
    ['the score 7 is not a detractor', { npsCategory: ['detractor'] }, { recommend: 7 }, false],
    ['the score 8 is passive', { npsCategory: ['passive'] }, { recommend: 8 }, true],
    ['the score 9 is not passive', { npsCategory: ['passive'] }, { recommend: 9 }, false],
    ['the score 9 is a promoter', { npsCategory: ['promoter'] }, { recommend: 9 }, true],
    ['the score 8 is not a promoter', { npsCategory: ['promoter'] }, { recommend: 8 }, false],
    ['either category will do', { npsCategory: ['detractor', 'passive'] }, { recommend: 8 }, true],
    ['an NPS category is asked of text', { npsCategory: ['detractor'] }, { recommend: '3' }, false],
    ['an NPS category is asked of an off-scale number', { npsCategory: ['promoter'] }, { recommend: 12 }, false],
    ['the score is below the minimum', { min: 7, max: 8 }, { recommend: 6 }, false],
    ['the score is the minimum', { min: 7, max: 8 }, { recommend: 7 }, true],
    ['the score is the maximum', { min: 7, max: 8 }, { recommend: 8 }, true],
    ['the score is above the maximum', { min: 7, max: 8 }, { recommend: 9 }, false],
    ['only a maximum is given', { max: 2 }, { recommend: 0 }, true],
    ['a range is asked of a choice', { min: 1 }, { recommend: 'yes' }, false],
    ['the single choice is listed', { anyOf: ['staff', 'price'] }, { recommend: 'price' }, true],
    ['the single choice is not listed', { anyOf: ['staff'] }, { recommend: 'price' }, false],
    ['one of several choices is listed', { anyOf: ['staff'] }, { recommend: ['price', 'staff'] }, true],
    ['none of several choices is listed', { anyOf: ['staff'] }, { recommend: ['price', 'speed'] }, false],
    ['a choice is asked of a number', { anyOf: ['9'] }, { recommend: 9 }, false],
    ['all conditions hold', { npsCategory: ['promoter'], max: 9 }, { recommend: 9 }, true],
    ['one of the conditions fails', { npsCategory: ['promoter'], max: 9 }, { recommend: 10 }, false],
  ])('when %s, then shown is %s', (_, condition, answers, shown) => {
    const showIf = Object.keys(condition).length === 0 ? undefined : { question: 'recommend', ...condition };
    const q = showIf ? follow(showIf) : ZQuestion.parse({ id: 'plain', type: 'text', label: 'Plain' });
    expect(isShown(q, answers)).toBe(shown);
  });

  it('when the earlier question is called constructor and unanswered, then the object prototype does not answer it', () => {
    expect(
      isShown(ZQuestion.parse({ id: 'x', type: 'text', label: 'X', showIf: { question: 'constructor' } }), {}),
    ).toBe(false);
  });
});

describe('visibleQuestions', () => {
  const always = ['satisfaction', 'effort', 'mood', 'stars'];
  it.each<[string, Answers, Known, string[]]>([
    ['nothing is answered or known', {}, {}, ['recommend', ...always, 'store', 'visits', 'comment']],
    ['store and visits are known', {}, known, ['recommend', ...always, 'comment']],
    ['a detractor answered 6', { recommend: 6 }, known, ['recommend', 'why_low', ...always, 'comment']],
    ['a passive answered 7', { recommend: 7 }, known, ['recommend', 'improve', ...always, 'comment']],
    ['a passive answered 8', { recommend: 8 }, known, ['recommend', 'improve', ...always, 'comment']],
    ['a promoter answered 9', { recommend: 9 }, known, ['recommend', 'what_loved', ...always, 'comment']],
    [
      'a promoter loved the staff',
      { recommend: 10, what_loved: ['staff'] },
      known,
      ['recommend', 'what_loved', 'staff_name', ...always, 'comment'],
    ],
    [
      'a detractor still has a stale answer loving the staff',
      { recommend: 2, what_loved: ['staff'] },
      known,
      ['recommend', 'why_low', ...always, 'comment'],
    ],
  ])(
    'when %s, then the visible questions are in survey order without the known ones',
    (_, answers, knownValues, expected) => {
      expect(ids(visibleQuestions(survey, answers, knownValues))).toEqual(expected);
    },
  );
});

describe('parseAnswers', () => {
  const parse = (form: Record<string, unknown>, knownValues: Known = known, locale?: string) =>
    parseAnswers(survey, { ...base, ...form }, knownValues, locale);

  it.each<[string, unknown, number | undefined, string | undefined]>([
    ['0', '0', 0, undefined],
    ['10', '10', 10, undefined],
    ['padded with spaces', ' 7 ', 7, undefined],
    ['11', '11', undefined, 'Please choose a score from 0 to 10'],
    ['-1', '-1', undefined, 'Please choose a score from 0 to 10'],
    ['7.5', '7.5', undefined, 'Please choose a score from 0 to 10'],
    ['1e1', '1e1', undefined, 'Please choose a score from 0 to 10'],
    ['not a number', 'ten', undefined, 'Please choose a score from 0 to 10'],
    ['posted twice', ['7', '8'], undefined, 'Please choose a score from 0 to 10'],
    ['blank', '', undefined, 'This question needs an answer'],
    ['missing', undefined, undefined, 'This question needs an answer'],
    ['a number instead of form text', 7, undefined, 'Sorry, we could not read this answer; please answer again'],
    ['an object', { $gt: '' }, undefined, 'Sorry, we could not read this answer; please answer again'],
    ['a list holding a number', [7], undefined, 'Sorry, we could not read this answer; please answer again'],
  ])('when the NPS field is %s, then the answer is %s and the error %j', (_, raw, answer, error) => {
    const { answers, errors } = parse({ recommend: raw });
    expect(answers.recommend).toBe(answer);
    expect(errors.recommend).toBe(error);
  });

  it.each<[string, string, unknown, number | undefined, string | undefined]>([
    ['CSAT 1', 'satisfaction', '1', 1, undefined],
    ['CSAT 5', 'satisfaction', '5', 5, undefined],
    ['CSAT 0', 'satisfaction', '0', undefined, 'Please choose a score from 1 to 5'],
    ['CSAT 6', 'satisfaction', '6', undefined, 'Please choose a score from 1 to 5'],
    ['CES 7', 'effort', '7', 7, undefined],
    ['CES 8', 'effort', '8', undefined, 'Please choose a score from 1 to 7'],
    ['CES 0', 'effort', '0', undefined, 'Please choose a score from 1 to 7'],
    ['rating -2 on a -2..2 scale', 'mood', '-2', -2, undefined],
    ['rating -3 on a -2..2 scale', 'mood', '-3', undefined, 'Please choose a score from -2 to 2'],
    ['rating 6 on the default scale', 'stars', '6', undefined, 'Please choose a score from 1 to 5'],
    ['rating 0 on the default scale', 'stars', '0', undefined, 'Please choose a score from 1 to 5'],
    ['an optional rating left blank', 'stars', '', undefined, undefined],
  ])('when the form has %s, then the answer is %s and the error %j', (_, id, raw, answer, error) => {
    const { answers, errors } = parse({ recommend: '9', [id]: raw });
    expect(answers[id]).toBe(answer);
    expect(errors[id]).toBe(error);
  });

  it.each<[string, unknown, Answers[string] | undefined, string | undefined]>([
    ['one box ticked, posted as text', 'staff', ['staff'], undefined],
    ['boxes ticked out of option order', ['speed', 'staff'], ['staff', 'speed'], undefined],
    ['the same box twice', ['staff', 'staff'], ['staff'], undefined],
    ['a blank placeholder and a box', ['', 'price'], ['price'], undefined],
    ['nothing ticked', [], undefined, undefined],
    ['a tampered value', ['staff', 'free_beer'], undefined, 'Please choose only from the options: Staff, Price, Speed'],
  ])(
    'when a promoter sends %s for the multiple choice, then the answer is %o and the error %j',
    (_, raw, answer, error) => {
      const { answers, errors } = parse({ recommend: '10', what_loved: raw });
      expect(answers.what_loved).toEqual(answer);
      expect(errors.what_loved).toBe(error);
    },
  );

  it.each<[string, unknown, string | undefined, string | undefined, string | undefined]>([
    ['a listed option', 'yes', 'en', 'yes', undefined],
    ['a tampered option', 'maybe', 'en', undefined, 'Please choose one of the options: Yes, No'],
    ['a tampered option, in German', 'maybe', 'de', undefined, 'Please choose one of the options: Ja, Nein'],
    ['a tampered option, without locale', 'maybe', undefined, undefined, 'Please choose one of the options: Yes, No'],
    ['two options', ['yes', 'no'], 'en', undefined, 'Please choose one of the options: Yes, No'],
    ['one option posted as a list', ['yes'], 'en', undefined, 'Please choose one of the options: Yes, No'],
    ['nothing', '', 'en', undefined, 'This question needs an answer'],
  ])(
    'when a passive sends %s for the single choice, then the answer is %s and the error %j',
    (_, raw, locale, answer, error) => {
      const { answers, errors } = parse({ recommend: '7', improve: raw }, known, locale);
      expect(answers.improve).toBe(answer);
      expect(errors.improve).toBe(error);
    },
  );

  it.each<[string, unknown, string | undefined, string | undefined]>([
    ['text with spaces around it', '  Slow checkout \n', 'Slow checkout', undefined],
    ['only spaces', '   ', undefined, undefined],
    ['5000 characters', 'a'.repeat(5000), 'a'.repeat(5000), undefined],
    ['5000 emoji, 10000 UTF-16 units', '😀'.repeat(5000), '😀'.repeat(5000), undefined],
    ['5001 characters', 'a'.repeat(5001), undefined, 'Please shorten your answer to at most 5000 characters'],
    ['a list of texts', ['a', 'b'], undefined, 'Please type your answer as text'],
  ])('when the comment is %s, then the answer is %j and the error %j', (_, raw, answer, error) => {
    const { answers, errors } = parse({ recommend: '9', comment: raw });
    expect(answers.comment).toBe(answer);
    expect(errors.comment).toBe(error);
  });

  it('when a detractor leaves the required follow-up blank, then it needs an answer', () => {
    expect(parse({ recommend: '6' }).errors).toEqual({ why_low: 'This question needs an answer' });
  });

  it('when a detractor explains, then the follow-up is kept and there are no errors', () => {
    expect(parse({ recommend: '6', why_low: 'Long queue' })).toEqual({
      answers: { store: 'berlin', visits: 4, recommend: 6, why_low: 'Long queue', satisfaction: 4 },
      errors: {},
    });
  });

  it('when a promoter skips the required detractor follow-up, then hidden required questions are no error', () => {
    expect(parse({ recommend: '10' }).errors).toEqual({});
  });

  it('when a promoter also fills in the detractor follow-up, then the hidden answer is dropped', () => {
    const { answers } = parse({ recommend: '10', why_low: 'tampered', improve: 'yes', what_loved: 'staff' });
    expect(answers).toEqual({ store: 'berlin', visits: 4, recommend: 10, what_loved: ['staff'], satisfaction: 4 });
  });

  it('when a promoter names the staff, then the second-level follow-up is kept', () => {
    expect(parse({ recommend: '9', what_loved: ['staff'], staff_name: 'Ana' }).answers.staff_name).toBe('Ana');
  });

  it('when a promoter did not pick the staff, then the second-level follow-up is dropped', () => {
    expect(parse({ recommend: '9', what_loved: ['price'], staff_name: 'Ana' }).answers).not.toHaveProperty(
      'staff_name',
    );
  });

  it('when the NPS answer is invalid, then its follow-ups are hidden and only the NPS error is reported', () => {
    const { answers, errors } = parse({ recommend: '42', why_low: 'x' });
    expect(errors).toEqual({ recommend: 'Please choose a score from 0 to 10' });
    expect(answers).not.toHaveProperty('why_low');
  });

  it('when the form tries to override a known store, then the known value wins without an error', () => {
    expect(parse({ recommend: '9', store: 'paris', visits: '99' })).toEqual({
      answers: { store: 'berlin', visits: 4, recommend: 9, satisfaction: 4 },
      errors: {},
    });
  });

  it('when the store is not known, then the customer must answer it', () => {
    const { answers, errors } = parse({ recommend: '9' }, {});
    expect(errors).toEqual({ store: 'This question needs an answer' });
    expect(answers).not.toHaveProperty('store');
  });

  it('when the store is not known and the customer picks it, then the answer is taken from the form', () => {
    expect(parse({ recommend: '9', store: 'paris', visits: '2' }, {}).answers).toMatchObject({
      store: 'paris',
      visits: 2,
    });
  });

  it('when the form has fields for questions that do not exist, then they are ignored', () => {
    expect(parse({ recommend: '9', admin: 'true' }).answers).not.toHaveProperty('admin');
  });

  it('when everything is missing, then each shown required question has its own error', () => {
    expect(parseAnswers(survey, {}, {}).errors).toEqual({
      recommend: 'This question needs an answer',
      satisfaction: 'This question needs an answer',
      store: 'This question needs an answer',
    });
  });
});

describe('progress', () => {
  it.each<[string, Answers, Known, { answered: number; total: number }]>([
    ['nothing is answered', {}, known, { answered: 0, total: 6 }],
    ['nothing is answered or known', {}, {}, { answered: 0, total: 8 }],
    ['a detractor answered NPS and CSAT', { recommend: 3, satisfaction: 2 }, known, { answered: 2, total: 7 }],
    [
      'a detractor still has a stale promoter answer',
      { recommend: 3, what_loved: ['staff'], why_low: 'slow' },
      known,
      { answered: 2, total: 7 },
    ],
    ['a promoter loved the staff', { recommend: 10, what_loved: ['staff'] }, known, { answered: 2, total: 8 }],
    ['a known question is in the answers too', { recommend: 8, store: 'berlin' }, known, { answered: 1, total: 7 }],
  ])('when %s, then progress is %o', (_, answers, knownValues, expected) => {
    expect(progress(survey, answers, knownValues)).toEqual(expected);
  });
});
