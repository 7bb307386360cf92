import { describe, expect, it } from 'vitest';
import { type DigestInput, ZDigestPeriod, buildDigest, defaultDigestPreference } from '../../src/domain/digest';
import { digestPeriodBefore, digestPeriodRange, isoWeekOf } from '../../src/domain/digest-period';
import { redactUrl } from '../../src/log';
import { renderDigestEmail } from '../../src/mail/digest-email';
import { Templates } from '../../src/mail/templates';

const at = (iso: string) => new Date(iso);

/** One week of a general manager's units, with something in every section. */
const FIXTURE: DigestInput = {
  period: '2027-W09',
  scope: ['Europe'],
  replies: [
    {
      customer: 'Max Mustermann',
      at: at('2027-03-02T09:15:00Z'),
      verbatim: 'Delivery was two days late.',
      themes: ['delivery'],
      nps: 3,
      npsCategory: 'detractor',
    },
    {
      customer: 'Erika Muster',
      at: at('2027-03-01T17:40:00Z'),
      verbatim: '',
      themes: [],
      nps: 5,
      npsCategory: 'detractor',
    },
    {
      customer: 'Jean Dupont',
      at: at('2027-03-03T08:00:00Z'),
      verbatim: 'Late again, box damaged.',
      themes: ['delivery', 'packaging'],
      nps: 8,
      npsCategory: 'passive',
    },
    {
      customer: 'Ana Silva',
      at: at('2027-03-04T12:00:00Z'),
      verbatim: 'Slow delivery.',
      themes: ['delivery'],
      nps: 10,
      npsCategory: 'promoter',
    },
  ],
  previousReplies: [
    {
      customer: 'Old One',
      at: at('2027-02-24T10:00:00Z'),
      verbatim: 'Box damaged.',
      themes: ['packaging'],
      nps: 6,
      npsCategory: 'detractor',
    },
  ],
  followUps: [
    {
      customer: 'Max Mustermann',
      at: at('2027-03-05T10:00:00Z'),
      verbatim: 'Thanks for calling back.',
      themes: [],
      csat: 5,
      csatSatisfied: true,
    },
    {
      customer: 'Erika Muster',
      at: at('2027-03-06T10:00:00Z'),
      verbatim: '',
      themes: [],
      csat: 2,
      csatSatisfied: false,
    },
  ],
  openCases: [
    { id: 'case-b', priority: 'P2', sla: { state: 'due-soon', label: '2h 10m left' } },
    { id: 'case-a', priority: 'P1', sla: { state: 'overdue', label: 'overdue by 1d 2h' } },
    { id: 'case-c', priority: 'P3', sla: { state: 'ok', label: '3d left' } },
  ],
  resolved: 4,
  goals: [{ unit: 'Europe', goal: 'NPS ≥ 40 in 2027-Q1', status: 'not-met-within-margin', value: 31.5, replies: 120 }],
  fixes: [
    {
      rootCause: 'Late delivery',
      at: at('2027-03-03T10:00:00Z'),
      effect: { customers: 3, before: 40, after: 73.3, improved: 2 },
    },
    {
      rootCause: 'Damaged box',
      at: at('2027-01-10T10:00:00Z'),
      effect: { customers: 0, before: null, after: null, improved: 0 },
    },
  ],
};

const EXPECTED_TEXT = `Hello Greta,

Your digest for the week 2027-W09 (2027-03-01 to 2027-03-07), for Europe.

NEW DETRACTORS: 2
- Erika Muster (5/10, 2027-03-01 17:40 UTC): no comment
- Max Mustermann (3/10, 2027-03-02 09:15 UTC): "Delivery was two days late."

CASES NEAR OR OVER THEIR SLA: 1 overdue, 1 due soon
- case-a (P1): overdue by 1d 2h
- case-b (P2): 2h 10m left

CASES RESOLVED: 4

FOLLOW-UP ANSWERS: 2, 1 satisfied
- "Thanks for calling back."

THEMES THAT ROSE
- delivery: 3 (before: 0)

GOALS
- Europe: NPS ≥ 40 in 2027-Q1: 31.5 from 120 replies, not met, within the margin of error

FIXES AND THEIR EFFECT
- Late delivery, fixed 2027-03-03 (new): 3 customers answered again, mean score 40 before, 73.3 after, 2 improved
- Damaged box, fixed 2027-01-10: no customer has answered again yet

Open cxloop: https://cx.example/admin

You get this digest weekly. Change how often, or stop it: https://cx.example/u/digest/TOKEN
`;

describe('digest periods', () => {
  it('names ISO weeks as the calendar does, across year ends', () => {
    expect(isoWeekOf(Date.parse('2021-01-03T12:00:00Z'))).toBe('2020-W53');
    expect(isoWeekOf(Date.parse('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeekOf(Date.parse('2027-03-07T23:59:59Z'))).toBe('2027-W09');
    expect(isoWeekOf(Date.parse('2027-03-08T00:00:00Z'))).toBe('2027-W10');
  });

  it('gives a period its UTC bounds and the period a schedule run covers', () => {
    expect(digestPeriodRange('2027-W09')).toMatchObject({ frequency: 'weekly', from: '2027-03-01', to: '2027-03-07' });
    expect(digestPeriodRange('2027-03-04')).toMatchObject({ frequency: 'daily', from: '2027-03-04', to: '2027-03-04' });
    // The Monday 06:00 UTC run covers the week before; the daily run the day before.
    expect(digestPeriodBefore('weekly', Date.parse('2027-03-08T06:00:00Z'))).toBe('2027-W09');
    expect(digestPeriodBefore('daily', Date.parse('2027-03-08T06:00:00Z'))).toBe('2027-03-07');
    expect(ZDigestPeriod.safeParse('2027-W54').success).toBe(false);
    expect(ZDigestPeriod.safeParse('2027-02-30').success).toBe(false);
    expect(ZDigestPeriod.safeParse('2027-W09').success).toBe(true);
  });

  it('defaults case owners to daily and everyone else to weekly', () => {
    expect(defaultDigestPreference('case_owner')).toEqual({ frequency: 'daily', locale: 'en' });
    for (const role of ['admin', 'operations', 'viewer'])
      expect(defaultDigestPreference(role)).toEqual({ frequency: 'weekly', locale: 'en' });
  });
});

describe('a digest', () => {
  it('says what happened in the week, as the fixture expects', () => {
    const digest = buildDigest(FIXTURE);
    expect(digest).toMatchObject({
      period: '2027-W09',
      frequency: 'weekly',
      empty: false,
      detractors: { count: 2, more: 0 },
      sla: { overdue: 1, dueSoon: 1, more: 0 },
      resolved: 4,
      followUps: { count: 2, satisfied: 1, verbatims: ['Thanks for calling back.'] },
      // Packaging rose by one only (1 → 2): below the minimum rise.
      themes: [{ theme: 'delivery', count: 3, previous: 0 }],
    });
    expect(digest.detractors.shown.map((d) => d.customer)).toEqual(['Erika Muster', 'Max Mustermann']);
    expect(digest.sla.shown.map((c) => c.id)).toEqual(['case-a', 'case-b']);
    expect(digest.fixes.map((f) => f.isNew)).toEqual([true, false]);

    const email = renderDigestEmail(new Templates(), digest, {
      locale: 'en',
      name: 'Greta',
      adminUrl: 'https://cx.example/admin',
      changeUrl: 'https://cx.example/u/digest/TOKEN',
    });
    expect(email.subject).toBe('Your weekly CX digest, 2027-03-01 to 2027-03-07');
    expect(email.text).toBe(EXPECTED_TEXT);
    expect(email.html).toContain('<q>Delivery was two days late.</q>');
    expect(email.html).toContain('href="https://cx.example/u/digest/TOKEN"');
  });

  it('is rendered in German for a person who chose it', () => {
    const email = renderDigestEmail(new Templates(), buildDigest(FIXTURE), {
      locale: 'de',
      name: 'Greta',
      adminUrl: 'https://cx.example/admin',
      changeUrl: 'https://cx.example/u/digest/TOKEN',
    });
    expect(email.subject).toBe('Ihre wöchentliche CX-Übersicht, 2027-03-01 bis 2027-03-07');
    expect(email.text).toContain('NEUE KRITIKER: 2');
    expect(email.text).toContain('nicht erreicht, innerhalb der Fehlermarge');
  });

  it('is empty, and so not sent, when only standing goals and old fixes are there to report', () => {
    const quiet = buildDigest({
      ...FIXTURE,
      replies: [FIXTURE.replies[3]!],
      previousReplies: [FIXTURE.replies[3]!],
      followUps: [],
      openCases: [FIXTURE.openCases[2]!],
      resolved: 0,
      fixes: [FIXTURE.fixes[1]!],
    });
    expect(quiet.empty).toBe(true);
  });

  it('lists at most ten verbatims and counts the rest', () => {
    const many = Array.from({ length: 13 }, (_, i) => ({
      ...FIXTURE.replies[0]!,
      at: new Date(Date.parse('2027-03-02T00:00:00Z') + i * 60_000),
    }));
    const digest = buildDigest({ ...FIXTURE, replies: many });
    expect(digest.detractors).toMatchObject({ count: 13, more: 3 });
    expect(digest.detractors.shown).toHaveLength(10);
  });
});

describe('the change-frequency link', () => {
  it('is cut to its first characters in logs, like survey links', () => {
    const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';
    expect(redactUrl(`/u/digest/${token}`)).toBe('/u/digest/AbCdEf…');
  });
});
