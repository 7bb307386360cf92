import { describe, expect, it } from 'vitest';
import { ZDuration } from '../../src/domain/duration-schema';
import { LIMITS } from '../../src/domain/limits';
import { ZProgram } from '../../src/domain/program';
import { MAX_ATTRIBUTES, ZCustomerInput, ZPage } from '../../src/app/schemas';

const base = {
  id: 'limits',
  name: 'Limits',
  kind: 'transactional',
  triggers: ['purchase'],
  survey: { questions: [{ id: 'nps', type: 'nps', label: 'Recommend us?' }] },
  email: { subject: 'How did we do?', intro: 'Thanks.' },
};

/** The paths of the issues zod reports, so each test can say which field was refused. */
function refused(input: unknown): string[] {
  const parsed = ZProgram.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'));
}

const questions = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `q${i}`, type: 'text', label: 'Q' }));

describe('program limits: at the limit passes, past it fails naming the field', () => {
  it.each([
    ['name', { name: 'x'.repeat(200) }, { name: 'x'.repeat(201) }, 'name'],
    [
      'questions',
      { survey: { questions: questions(50) } },
      { survey: { questions: questions(51) } },
      'survey.questions',
    ],
    [
      'label length',
      { email: { subject: 'x'.repeat(1000), intro: 'i' } },
      { email: { subject: 'x'.repeat(1001), intro: 'i' } },
      'email.subject',
    ],
    ['triggers', { triggers: Array(50).fill('purchase') }, { triggers: Array(51).fill('purchase') }, 'triggers'],
    ['reminders', { reminders: Array(5).fill('1d') }, { reminders: Array(6).fill('1d') }, 'reminders'],
    ['durations', { expiresAfter: '400d' }, { expiresAfter: '401d' }, 'expiresAfter'],
    [
      'themes',
      { themes: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, ['a']])) },
      { themes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, ['a']])) },
      'themes',
    ],
    [
      'keywords per theme',
      { themes: { t: Array(100).fill('late') } },
      { themes: { t: Array(101).fill('late') } },
      'themes.t',
    ],
    [
      'contact-rule counts',
      { contactRules: { maxPerWindow: { count: LIMITS.count, window: '1d' } } },
      { contactRules: { maxPerWindow: { count: LIMITS.count + 1, window: '1d' } } },
      'contactRules.maxPerWindow.count',
    ],
  ])('%s', (_name, atLimit, pastLimit, field) => {
    expect(refused({ ...base, ...atLimit })).toEqual([]);
    expect(refused({ ...base, ...pastLimit }).join(' ')).toContain(field);
  });

  it('bounds rating scales to 101 whole points within -100..100, min below max', () => {
    const rating = (scale: unknown) => ({
      ...base,
      survey: { questions: [{ id: 'r', type: 'rating', label: 'Rate', scale }] },
    });
    expect(refused(rating({ min: 0, max: 100 }))).toEqual([]);
    expect(refused(rating({ min: -2, max: 2 }))).toEqual([]);
    expect(refused(rating({ min: 0, max: 101 })).join()).toContain('survey.questions.0.scale');
    expect(refused(rating({ min: -100, max: 100 })).join()).toContain('survey.questions.0.scale');
    expect(refused(rating({ min: 3, max: 3 })).join()).toContain('survey.questions.0.scale');
    expect(refused(rating({ min: 0.5, max: 3 })).join()).toContain('survey.questions.0.scale');
  });

  it('refuses locales that are not locale tags, and sender names over more than one line', () => {
    expect(refused({ ...base, defaultLocale: '../../etc' })).toContain('defaultLocale');
    expect(refused({ ...base, email: { subject: { 'en/../x': 'Hi' }, intro: 'i' } }).join()).toContain('email.subject');
    expect(refused({ ...base, sender: { name: 'A\r\nBcc: x@evil.test', email: 'a@b.co' } })).toContain('sender.name');
    expect(refused({ ...base, email: { subject: 's', intro: 'i', template: '../secret' } })).toContain(
      'email.template',
    );
  });

  it('refuses operator-like audience keys', () => {
    expect(refused({ ...base, audience: { $where: ['1'] } }).join()).toContain('audience');
    expect(refused({ ...base, audience: { 'a.b': ['1'] } }).join()).toContain('audience');
  });
});

describe('customer and event limits', () => {
  const customer = { id: 'c1', email: 'a@example.com' };
  it(`allows ${MAX_ATTRIBUTES} attributes and refuses more`, () => {
    const attributes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, i]));
    expect(ZCustomerInput.safeParse({ ...customer, attributes: attributes(MAX_ATTRIBUTES) }).success).toBe(true);
    const over = ZCustomerInput.safeParse({ ...customer, attributes: attributes(MAX_ATTRIBUTES + 1) });
    expect(over.success).toBe(false);
    expect(over.error!.issues[0]!.path).toEqual(['attributes']);
  });

  it('refuses overlong emails and non-finite numbers', () => {
    expect(ZCustomerInput.safeParse({ ...customer, email: `${'a'.repeat(250)}@example.com` }).success).toBe(false);
    expect(ZCustomerInput.safeParse({ ...customer, attributes: { revenue: Infinity } }).success).toBe(false);
  });
});

describe('paging and durations', () => {
  it.each([
    [{}, { limit: 50, offset: 0 }],
    [
      { limit: '200', offset: '100000' },
      { limit: 200, offset: 100000 },
    ],
  ])('accepts %o', (query, page) => {
    expect(ZPage.parse(query)).toEqual(page);
  });

  it.each([{ limit: '0' }, { limit: '201' }, { limit: '1.5' }, { limit: 'abc' }, { offset: '-1' }, { offset: '1e9' }])(
    'refuses %o',
    (query) => {
      expect(ZPage.safeParse(query).success).toBe(false);
    },
  );

  it('bounds durations', () => {
    expect(ZDuration.safeParse('57w').success).toBe(true);
    expect(ZDuration.safeParse('58w').success).toBe(false);
    expect(ZDuration.safeParse(`${'9'.repeat(30)}d`).success).toBe(false);
    // an unreadable duration is reported, not thrown
    expect(ZDuration.safeParse('three days').error?.issues[0]?.message).toMatch(/a duration such as/);
  });
});
