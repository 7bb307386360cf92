import { describe, expect, it } from 'vitest';
import {
  ROUTING_STATE_ID,
  foldContributions,
  funnelContribution,
  invitationFunnel,
  latestExamples,
  rollupDay,
  rollupId,
  rollupIncrement,
  rollupSegments,
  sanitizeKey,
  scoreContribution,
  summarizeRollups,
  touchedBy,
  unitOfSegment,
  unitSegment,
  type RollupDoc,
  type ScoreContribution,
} from '../../src/domain/rollup';
import type { ReplyScores } from '../../src/domain/scoring';
import { type Unit, segmentForUnit, unitPath } from '../../src/domain/units';

describe('sanitizeKey', () => {
  it.each([
    ['EU', 'EU'],
    ['  EU  ', 'EU'],
    ['v1.2.3', 'v1_2_3'],
    ['$where', '_where'],
    ['price$', 'price$'],
    ['a\0b', 'a_b'],
    ['   ', ''],
  ])('when the value is %j, then the key is %j', (value, key) => {
    expect(sanitizeKey(value)).toBe(key);
  });
});

describe('rollupSegments', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['no attributes', {}, ['all']],
    ['a region', { region: 'EU' }, ['all', 'region:EU']],
    [
      'every dimension, in any order',
      {
        journey: 'return',
        product: 'sofa',
        channel: 'web',
        platform: 'ios',
        vertical: 'retail',
        location: 'berlin-1',
        region: 'EU',
      },
      [
        'all',
        'region:EU',
        'location:berlin-1',
        'vertical:retail',
        'platform:ios',
        'channel:web',
        'product:sofa',
        'journey:return',
      ],
    ],
    ['a numeric location', { location: 42 }, ['all', 'location:42']],
    ['a decimal product', { product: 1.5 }, ['all', 'product:1_5']],
    ['a dotted and dollar value', { product: '$ne.x' }, ['all', 'product:_ne_x']],
    ['an empty region', { region: '' }, ['all']],
    ['a blank region', { region: '  ' }, ['all']],
    ['a boolean, null, object and NaN', { region: true, location: null, vertical: {}, product: Number.NaN }, ['all']],
    ['an array', { channel: ['web', 'app'] }, ['all']],
    ['attributes that are not dimensions', { email: 'a@b.c', tier: 'gold' }, ['all']],
    ['only an inherited region', Object.create({ region: 'EU' }) as Record<string, unknown>, ['all']],
  ])('when the customer has %s, then the segments are %j', (_, attributes, segments) => {
    expect(rollupSegments(attributes)).toEqual(segments);
  });
});

describe('the unit dimension', () => {
  const units: Unit[] = [
    { id: 'company', name: 'Company', parentId: null, manager: null, match: {} },
    { id: 'eu', name: 'Europe', parentId: 'company', manager: null, match: { region: ['EU'] } },
    { id: 'us', name: 'US', parentId: 'company', manager: null, match: { region: ['US'] } },
    { id: 'berlin', name: 'Berlin', parentId: 'eu', manager: null, match: { location: ['berlin-1'] } },
  ];
  const scores: ReplyScores = {
    nps: 9,
    npsCategory: 'promoter',
    summary: 90,
    themes: [],
    sentiment: 'neutral',
    verbatim: '',
  };
  const reply = { id: 'r1', programId: 'p', customerId: 'c1', submittedAt: Date.UTC(2026, 0, 5) };

  // The root holds everyone: its figures are `all`'s, so no `unit:company` rollup is written
  // (readers map the root to `all`, segmentForUnit).
  it('when a reply is scored, then it counts in every unit below the root on its customer path', () => {
    const attributes = { region: 'EU', location: 'berlin-1' };
    const contribution = scoreContribution(reply, scores, attributes, unitPath(units, attributes));
    expect(contribution.segments).toEqual(['all', 'region:EU', 'location:berlin-1', 'unit:eu', 'unit:berlin']);
  });

  it('when a customer matches no unit below the root, then its reply counts in `all` (the root) only', () => {
    const attributes = { region: 'APAC' };
    expect(scoreContribution(reply, scores, attributes, unitPath(units, attributes)).segments).toEqual([
      'all',
      'region:APAC',
    ]);
  });

  it('when no path is given (before units existed), then the segments are the attribute ones alone', () => {
    expect(scoreContribution(reply, scores, { region: 'EU' }).segments).toEqual(['all', 'region:EU']);
  });

  it('when a funnel step is counted, then it counts in the units of the path as well', () => {
    const invitation = { _id: 'inv1', programId: 'p', customerId: 'c1', known: { region: 'US' } };
    const step = funnelContribution(invitation, 'invited', Date.UTC(2026, 0, 5), unitPath(units, invitation.known));
    expect(step.segments).toEqual(['all', 'region:US', 'unit:us']);
    expect(touchedBy([step]).rollups).toContain('p|2026-01-05|unit:us');
  });

  it("reads the root unit's figures from `all` and another unit's from its segment", () => {
    expect(segmentForUnit(units, 'company')).toBe('all');
    expect(segmentForUnit(units, 'eu')).toBe('unit:eu');
  });

  it('reads a unit segment back to its unit, and nothing from other segments', () => {
    expect(unitOfSegment(unitSegment('eu'))).toBe('eu');
    expect(unitOfSegment('region:EU')).toBeNull();
    expect(unitOfSegment('all')).toBeNull();
  });
});

describe('rollupDay and rollupId', () => {
  it.each([
    [Date.UTC(2024, 0, 1, 0, 0, 0), '2024-01-01'],
    [Date.UTC(2024, 0, 1, 23, 59, 59, 999), '2024-01-01'],
    [Date.UTC(2024, 1, 29, 12), '2024-02-29'],
    [Date.UTC(2024, 11, 31, 23, 59), '2024-12-31'],
    [0, '1970-01-01'],
  ])('when the instant is %i, then the UTC day is %s', (at, day) => {
    expect(rollupDay(at)).toBe(day);
  });

  it('when the instant is not a number, then the day cannot be computed', () => {
    expect(() => rollupDay(Number.NaN)).toThrow(RangeError);
  });

  it('when program, day and segment are given, then the id joins them with bars', () => {
    expect(rollupId('store-nps', '2024-03-31', 'region:EU')).toBe('store-nps|2024-03-31|region:EU');
  });
});

const base: ReplyScores = { verbatim: '', themes: [], sentiment: 'neutral', summary: null };

describe('rollupIncrement', () => {
  it.each<[string, ReplyScores, Record<string, number>]>([
    ['a reply without metrics', base, { responses: 1, 'sentiment.neutral': 1 }],
    [
      'a detractor',
      { ...base, nps: 6, npsCategory: 'detractor', summary: 60 },
      {
        responses: 1,
        'nps.count': 1,
        'nps.sum': 6,
        'nps.detractors': 1,
        'summary.count': 1,
        'summary.sum': 60,
        'sentiment.neutral': 1,
      },
    ],
    [
      'a passive',
      { ...base, nps: 8, npsCategory: 'passive', summary: 80 },
      {
        responses: 1,
        'nps.count': 1,
        'nps.sum': 8,
        'nps.passives': 1,
        'summary.count': 1,
        'summary.sum': 80,
        'sentiment.neutral': 1,
      },
    ],
    [
      'a promoter without a stored category',
      { ...base, nps: 9, summary: 90 },
      {
        responses: 1,
        'nps.count': 1,
        'nps.sum': 9,
        'nps.promoters': 1,
        'summary.count': 1,
        'summary.sum': 90,
        'sentiment.neutral': 1,
      },
    ],
    [
      'a satisfied CSAT 4',
      { ...base, csat: 4, csatSatisfied: true, summary: 75 },
      {
        responses: 1,
        'csat.count': 1,
        'csat.sum': 4,
        'csat.satisfied': 1,
        'summary.count': 1,
        'summary.sum': 75,
        'sentiment.neutral': 1,
      },
    ],
    [
      'an unsatisfied CSAT 3',
      { ...base, csat: 3, csatSatisfied: false, summary: 50 },
      {
        responses: 1,
        'csat.count': 1,
        'csat.sum': 3,
        'summary.count': 1,
        'summary.sum': 50,
        'sentiment.neutral': 1,
      },
    ],
    [
      'a CES with themes and negative sentiment',
      { ...base, ces: 2, summary: 16.7, themes: ['staff', 'v2.checkout', '$where', ''], sentiment: 'negative' },
      {
        responses: 1,
        'ces.count': 1,
        'ces.sum': 2,
        'summary.count': 1,
        'summary.sum': 16.7,
        'themes.staff': 1,
        'themes.v2_checkout': 1,
        'themes._where': 1,
        'sentiment.negative': 1,
      },
    ],
    [
      'a zero NPS with a zero summary',
      { ...base, nps: 0, npsCategory: 'detractor', summary: 0, sentiment: 'positive' },
      {
        responses: 1,
        'nps.count': 1,
        'nps.sum': 0,
        'nps.detractors': 1,
        'summary.count': 1,
        'summary.sum': 0,
        'sentiment.positive': 1,
      },
    ],
  ])('when the reply is %s, then the increment is exactly the keys that apply', (_, scores, inc) => {
    expect(rollupIncrement(scores)).toEqual(inc);
  });

  it('when two theme names sanitise to the same key, then the theme counts once', () => {
    expect(rollupIncrement({ ...base, themes: ['a.b', 'a_b'] })['themes.a_b']).toBe(1);
  });
});

describe('summarizeRollups', () => {
  it('when there are no documents, then there are no responses and no scores', () => {
    expect(summarizeRollups([])).toEqual({
      responses: 0,
      nps: null,
      npsCounts: { promoters: 0, passives: 0, detractors: 0 },
      csatPercent: null,
      cesAverage: null,
      summary: null,
      themes: [],
      sentiment: { positive: 0, negative: 0, neutral: 0 },
      funnel: { invited: 0, reminded: 0, answered: 0, expired: 0, unsubscribed: 0 },
    });
  });

  it('when days and segments are added up, then each figure comes from the summed counters', () => {
    const docs: RollupDoc[] = [
      {
        responses: 4,
        nps: { count: 3, sum: 25, promoters: 2, passives: 0, detractors: 1 },
        csat: { count: 2, sum: 9, satisfied: 2 },
        summary: { count: 3, sum: 210 },
        themes: { staff: 2, price: 1 },
        sentiment: { positive: 3, neutral: 1 },
      },
      {
        responses: 3,
        nps: { count: 1, sum: 7, passives: 1 },
        csat: { count: 1, sum: 2 },
        ces: { count: 3, sum: 16 },
        summary: { count: 1, sum: 15 },
        themes: { price: 1, waiting: 3 },
        sentiment: { negative: 2 },
        funnel: { invited: 9, reminded: 4, expired: 2 },
      },
      { funnel: { invited: 1, unsubscribed: 1 } },
    ];
    expect(summarizeRollups(docs)).toEqual({
      responses: 7,
      nps: 25,
      npsCounts: { promoters: 2, passives: 1, detractors: 1 },
      csatPercent: 66.7,
      cesAverage: 5.33,
      summary: 56.3,
      themes: [
        { theme: 'waiting', count: 3 },
        { theme: 'price', count: 2 },
        { theme: 'staff', count: 2 },
      ],
      sentiment: { positive: 3, negative: 2, neutral: 1 },
      funnel: { invited: 10, reminded: 4, answered: 7, expired: 2, unsubscribed: 1 },
    });
  });

  it('when increments of replies are applied and summed, then the summary matches the replies', () => {
    const replies: ReplyScores[] = [
      { ...base, nps: 10, npsCategory: 'promoter', summary: 100, themes: ['staff'], sentiment: 'positive' },
      { ...base, nps: 3, npsCategory: 'detractor', summary: 30, themes: ['staff', 'price'], sentiment: 'negative' },
      { ...base, csat: 5, csatSatisfied: true, summary: 100 },
    ];
    const doc: Record<string, number> = {};
    for (const reply of replies)
      for (const [key, value] of Object.entries(rollupIncrement(reply))) doc[key] = (doc[key] ?? 0) + value;
    const nested: Record<string, Record<string, number> | number> = {};
    for (const [key, value] of Object.entries(doc)) {
      const [group, field] = key.split('.') as [string, string | undefined];
      if (field === undefined) nested[group] = value;
      else nested[group] = { ...(nested[group] as Record<string, number> | undefined), [field]: value };
    }
    expect(summarizeRollups([nested as RollupDoc])).toMatchObject({
      responses: 3,
      nps: 0,
      npsCounts: { promoters: 1, passives: 0, detractors: 1 },
      csatPercent: 100,
      summary: 76.7,
      themes: [
        { theme: 'staff', count: 2 },
        { theme: 'price', count: 1 },
      ],
      sentiment: { positive: 1, negative: 1, neutral: 1 },
    });
  });
});

describe('foldContributions', () => {
  const scores = (nps: number, summary: number | null): ReplyScores => ({
    nps,
    npsCategory: nps <= 6 ? 'detractor' : nps >= 9 ? 'promoter' : 'passive',
    summary,
    themes: [],
    sentiment: 'neutral',
    verbatim: '',
  });
  const reply = (id: string, customerId: string) => ({
    id,
    programId: 'p',
    customerId,
    submittedAt: Date.UTC(2026, 0, 5),
  });
  const none = { rollups: new Map(), customerScores: new Map() };

  it('when replies share documents, then each document gets one change with the summed increments', () => {
    const batch = [
      scoreContribution(reply('r1', 'c1'), scores(10, 100), { region: 'EU' }),
      scoreContribution(reply('r2', 'c1'), scores(2, 20), {}),
    ];
    const { rollups, customerScores } = foldContributions(batch, none);
    const all = rollups.find((r) => r.id === 'p|2026-01-05|all')!;
    expect(all.keys).toEqual(['r1', 'r2']);
    expect(all.increment).toMatchObject({
      responses: 2,
      'nps.count': 2,
      'nps.sum': 12,
      'nps.promoters': 1,
      'nps.detractors': 1,
    });
    expect(all.fields).toEqual({ programId: 'p', day: '2026-01-05', segment: 'all' });
    expect(rollups.find((r) => r.id === 'p|2026-01-05|region:EU')!.keys).toEqual(['r1']);
    expect(customerScores).toEqual([
      {
        id: 'c1',
        keys: ['r1', 'r2'],
        increment: { count: 2, sum: 120, 'months.2026-01.count': 2, 'months.2026-01.sum': 120 },
        fields: {},
        examples: {},
      },
    ]);
    expect(touchedBy(batch)).toEqual({
      rollups: ['p|2026-01-05|all', 'p|2026-01-05|region:EU'],
      customerScores: ['c1'],
    });
  });

  it('when a reply is delivered twice or already counted, then it adds nothing', () => {
    const once = scoreContribution(reply('r1', 'c1'), scores(9, 90), {});
    const counted = {
      rollups: new Map([['p|2026-01-05|all', new Set(['r0'])]]),
      customerScores: new Map([['c1', new Set(['r1'])]]),
    };
    const { rollups, customerScores } = foldContributions([once, once], counted);
    expect(rollups).toEqual([
      expect.objectContaining({ keys: ['r1'], increment: expect.objectContaining({ responses: 1 }) }),
    ]);
    expect(customerScores).toEqual([]);
  });

  it('when a reply has no summary score, then the customer score is left alone', () => {
    const { customerScores } = foldContributions([scoreContribution(reply('r1', 'c1'), scores(9, null), {})], none);
    expect(customerScores).toEqual([]);
  });

  it('when case changes move the routing state, then its one document sums them, each key once', () => {
    const change = (key: string, routing: Record<string, number>, segments = ['all']): ScoreContribution => ({
      replyId: key,
      programId: 'p',
      customerId: 'c1',
      day: '2026-01-05',
      segments,
      increment: segments.length ? { 'cases.opened': 1 } : ({} as Record<string, number>),
      routing,
    });
    const opened = change('case:a:0', { 'open.ann': 1, 'opened.support': 1 });
    const reassigned = change('case:a:1', { 'open.ann': -1, 'open.bob': 1 }, []);
    const other = change('case:b:0', { 'open.ann': 1, 'opened.support': 1 });
    const { rollups, routing } = foldContributions([opened, reassigned, opened, other], none);
    expect(routing).toEqual([
      {
        id: ROUTING_STATE_ID,
        keys: ['case:a:0', 'case:a:1', 'case:b:0'],
        increment: { 'open.ann': 1, 'opened.support': 2, 'open.bob': 1 },
        fields: {},
        examples: {},
      },
    ]);
    // A change in no segment (a resolved case reassigned) touches no rollup.
    expect(rollups.map((r) => r.keys)).toEqual([['case:a:0', 'case:b:0']]);
    const counted = { ...none, routing: new Map([[ROUTING_STATE_ID, new Set(['case:a:0', 'case:a:1'])]]) };
    expect(foldContributions([opened, reassigned, other], counted).routing).toEqual([
      expect.objectContaining({ keys: ['case:b:0'], increment: { 'open.ann': 1, 'opened.support': 1 } }),
    ]);
    expect(foldContributions([scoreContribution(reply('r1', 'c1'), scores(9, 90), {})], none).routing).toEqual([]);
  });
});

describe('response funnel and theme examples', () => {
  const invitation = { _id: 'inv1', programId: 'p', customerId: 'c1', known: { region: 'EU' } };
  const at = (day: string) => Date.parse(`${day}T10:00:00Z`);
  const none = { rollups: new Map(), customerScores: new Map() };

  it('counts a funnel step in the invitation segments on its day, apart from the reply of the same invitation', () => {
    const step = funnelContribution(invitation, 'invited', at('2026-01-05'));
    expect(step).toEqual({
      replyId: 'funnel:invited:inv1',
      programId: 'p',
      customerId: 'c1',
      day: '2026-01-05',
      segments: ['all', 'region:EU'],
      increment: { 'funnel.invited': 1 },
    });
    const reply = scoreContribution(
      { id: 'inv1', programId: 'p', customerId: 'c1', submittedAt: at('2026-01-05') },
      { nps: 9, npsCategory: 'promoter', summary: 90, themes: [], sentiment: 'neutral', verbatim: '' },
      {},
    );
    const { rollups, customerScores } = foldContributions([step, reply, step], none);
    const all = rollups.find((r) => r.id === 'p|2026-01-05|all')!;
    expect(all.keys).toEqual(['funnel:invited:inv1', 'inv1']);
    expect(all.increment).toMatchObject({ 'funnel.invited': 1, responses: 1 });
    // A funnel step never touches the customer's summary score.
    expect(customerScores.map((c) => c.keys)).toEqual([['inv1']]);
  });

  it('takes the steps an invitation record shows: sent, first reminder, expiry on its due day', () => {
    const steps = invitationFunnel({
      ...invitation,
      status: 'expired',
      sentAt: new Date(at('2026-01-05')),
      remindedAt: [new Date(at('2026-01-08')), new Date(at('2026-01-11'))],
      expiresAt: new Date(at('2026-01-19')),
    });
    expect(steps.map((s) => [s.replyId, s.day])).toEqual([
      ['funnel:invited:inv1', '2026-01-05'],
      ['funnel:reminded:inv1', '2026-01-08'],
      ['funnel:expired:inv1', '2026-01-19'],
    ]);
    expect(invitationFunnel({ ...invitation, status: 'scheduled' })).toEqual([]);
    expect(invitationFunnel({ ...invitation, status: 'answered', sentAt: new Date(at('2026-01-05')) })).toHaveLength(1);
  });

  it('keeps, per rollup and theme, the latest replies that mention it', () => {
    const reply = (id: string, themes: string[]) =>
      scoreContribution(
        { id, programId: 'p', customerId: 'c1', submittedAt: at('2026-01-05') },
        { nps: 3, npsCategory: 'detractor', summary: 30, themes, sentiment: 'negative', verbatim: 'x' },
        {},
      );
    const { rollups } = foldContributions(
      [reply('r1', ['price']), reply('r2', ['price', 'staff']), reply('r3', [])],
      none,
    );
    expect(rollups[0]!.examples).toEqual({ price: ['r1', 'r2'], staff: ['r2'] });
    expect(latestExamples(['a', 'b'], ['c', 'd'])).toEqual(['b', 'c', 'd']);
    expect(latestExamples(undefined, ['a'])).toEqual(['a']);
  });
});
