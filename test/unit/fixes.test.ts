import { describe, expect, it } from 'vitest';
import { ZFixInput, fixEffect, fixProgram } from '../../src/domain/fixes';
import { ZProgram } from '../../src/domain/program';
import { ZSegment, matchesSegment } from '../../src/domain/segment';

const fixedAt = Date.parse('2026-06-01T12:00:00Z');
const at = (day: string) => Date.parse(`${day}T10:00:00Z`);

describe('fixEffect', () => {
  it("compares each customer's latest score before the fix with their first after it", () => {
    const effect = fixEffect(
      [
        { customerId: 'a', at: at('2026-05-01'), score: 60 },
        { customerId: 'a', at: at('2026-05-20'), score: 20 }, // latest before
        { customerId: 'a', at: at('2026-06-05'), score: 90 }, // first after
        { customerId: 'a', at: at('2026-06-20'), score: 10 },
        { customerId: 'b', at: at('2026-05-25'), score: 80 },
        { customerId: 'b', at: at('2026-06-03'), score: 70 },
        // c answered only before; d is not one of the fix's customers
        { customerId: 'c', at: at('2026-05-25'), score: 0 },
        { customerId: 'd', at: at('2026-05-25'), score: 0 },
        { customerId: 'd', at: at('2026-06-25'), score: 100 },
      ],
      fixedAt,
      new Set(['a', 'b', 'c']),
    );
    expect(effect).toEqual({ customers: 2, before: 50, after: 80, improved: 1 });
  });

  it('has no means without customers answering on both sides', () => {
    expect(fixEffect([{ customerId: 'a', at: at('2026-05-01'), score: 60 }], fixedAt, new Set(['a']))).toEqual({
      customers: 0,
      before: null,
      after: null,
      improved: 0,
    });
  });
});

describe('a fix', () => {
  const input = { id: 'billing-1', note: 'We fixed billing.', from: '2026-01-01', to: '2026-03-31' };

  it('is a pulsed program: the note as the email, the question only with a re-survey', () => {
    const withQuestion = ZProgram.parse(fixProgram('Billing error', ZFixInput.parse(input)));
    expect(withQuestion).toMatchObject({
      id: 'fix-billing-1',
      kind: 'pulsed',
      reminders: [],
      email: { template: 'invitation', intro: 'We fixed billing.' },
    });
    expect(withQuestion.contactRules.whenThrottled).toBe('defer');
    const notice = ZProgram.parse(fixProgram('Billing error', ZFixInput.parse({ ...input, resurvey: false })));
    expect(notice.email.template).toBe('fix-notice');
  });

  it('refuses a period that ends before it starts, a bad ID, an empty note', () => {
    const issues = (value: object) => ZFixInput.safeParse({ ...input, ...value }).error?.issues.map((i) => i.path[0]);
    expect(issues({ from: '2026-04-01' })).toEqual(['from']);
    expect(issues({ id: 'Not An ID' })).toEqual(['id']);
    expect(issues({ note: '' })).toEqual(['note']);
    expect(issues({ to: '2026-02-30' })).toEqual(['to']);
  });

  it('matches, as a segment, only the customers whose case had the root cause', () => {
    const segment = ZSegment.parse({
      rootCause: { name: 'Billing error', from: '2026-01-01T00:00:00Z', to: '2026-03-31T23:59:59Z' },
    });
    expect(matchesSegment(segment, { attributes: {}, hadRootCause: true })).toBe(true);
    expect(matchesSegment(segment, { attributes: {} })).toBe(false);
    expect(
      ZSegment.safeParse({ rootCause: { name: 'x', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } })
        .success,
    ).toBe(false);
  });
});
