import { describe, expect, it } from 'vitest';
import {
  ALERT_ALPHA,
  NO_EPISODE,
  alertWindows,
  csatDropCheck,
  nextAlertState,
  npsDropCheck,
  scoreDropCheck,
  shareRiseCheck,
  themeRiseCheck,
  type AlertState,
  type ChangeCheck,
} from '../../src/domain/alerts';
import { mulberry32, sampleHits, sampleNps } from '../support/prng';

type NpsCounts = { promoters: number; passives: number; detractors: number };
const add = (a: NpsCounts, b: NpsCounts): NpsCounts => ({
  promoters: a.promoters + b.promoters,
  passives: a.passives + b.passives,
  detractors: a.detractors + b.detractors,
});
const times = (c: NpsCounts, k: number): NpsCounts => ({
  promoters: k * c.promoters,
  passives: k * c.passives,
  detractors: k * c.detractors,
});

/** True shares of NPS 30 and NPS 10 (passives 40 % in both). */
const NPS_30 = { promoters: 0.45, detractors: 0.15 };
const NPS_10 = { promoters: 0.35, detractors: 0.25 };

/** How many of seeds 1…`seeds` alert. */
function alertsOver(seeds: number, check: (random: () => number) => ChangeCheck): number {
  let alerts = 0;
  for (let seed = 1; seed <= seeds; seed++) if (check(mulberry32(seed)).significant) alerts++;
  return alerts;
}

/*
 * The bounds of the seeded tests. With a false-alarm rate of α = 1 % per check, the alerts among 100
 * seeds of pure noise are Binomial(100, 0.01): 1 expected, and P(X ≥ 4) = 1.8 %, so "at most 3" is what
 * a test at the stated rate passes (a test at 5 % would fail it with P(X ≥ 4) = 74 %). The larger run of
 * 5 000 checks pins the rate closer: at 1 %, P(X > 75) < 0.1 %; a doubled rate cannot pass it.
 * Each planted change is sized for a power of about 99 % (simulated over 20 000 seeds), so "at least
 * 90 of 100" fails only if the test lost much of its power (at 95 %, P(X < 90) = 1.1 %).
 */
const NOISE_SEEDS = 100;
const NOISE_MAX_ALERTS = 3;
const CALIBRATION_CHECKS = 5000;
const CALIBRATION_MAX_RATE = 0.015;
const PLANTED_SEEDS = 100;
const PLANTED_MIN_DETECTED = 90;

describe('npsDropCheck', () => {
  const baseline: NpsCounts = { promoters: 45, passives: 40, detractors: 15 }; // NPS 30
  const recent: NpsCounts = { promoters: 35, passives: 40, detractors: 25 }; // NPS 10

  it('when NPS falls from 30 to 10 with 100 replies each, then z = −20/√112 and p = 0.0294: no alert at 1 %', () => {
    // Pooled p = 0.4, d = 0.2: Var per reply = 100²·(0.6 − 0.04) = 5600; SE = √(5600·(1/100 + 1/100)) = √112.
    const result = npsDropCheck(recent, baseline, { minReplies: 100 });
    expect(result).toMatchObject({ testable: true, recent: 10, baseline: 30, significant: false, recovered: false });
    expect(result.change).toBeCloseTo(-20, 12);
    expect(result.pValue).toBeCloseTo(0.029390860677679, 12);
  });

  it('when the same fall rests on 400 replies each, then z = −20/√28 and p = 7.85e-5: an alert', () => {
    const result = npsDropCheck(times(recent, 4), times(baseline, 4));
    expect(result.pValue).toBeCloseTo(7.852614211539821e-5, 15);
    expect(result.significant).toBe(true);
  });

  it('when the NPS rises, then it is no fall, and the worsening has faded', () => {
    const result = npsDropCheck(times(baseline, 4), times(recent, 4));
    expect(result.pValue).toBeGreaterThan(0.99);
    expect(result).toMatchObject({ significant: false, recovered: true });
  });

  it('when either window has fewer than the minimum of replies, then it is not tested', () => {
    const few: NpsCounts = { promoters: 7, passives: 8, detractors: 5 }; // NPS 10 of 20 replies
    expect(npsDropCheck(few, times(baseline, 4))).toEqual({
      testable: false,
      recent: 10,
      baseline: 30,
      change: -20,
      pValue: null,
      significant: false,
      recovered: false,
    });
    expect(npsDropCheck(times(recent, 4), few).testable).toBe(false);
    expect(npsDropCheck(times(few, 5), times(baseline, 4)).testable).toBe(true);
    expect(npsDropCheck(times(recent, 4), few, { minReplies: 20 }).testable).toBe(true);
  });

  it('when every reply is the same kind in both windows, then there is no spread and no fall', () => {
    const promoters = { promoters: 200, passives: 0, detractors: 0 };
    expect(npsDropCheck(promoters, promoters)).toMatchObject({ pValue: 1, significant: false });
  });

  it('when a stricter rate is asked for, then the same data may no longer alert', () => {
    // p = 7.85e-5 alerts at 1 % but not at 1e-5.
    expect(npsDropCheck(times(recent, 4), times(baseline, 4), { alpha: 1e-5 }).significant).toBe(false);
  });

  it(`when 100 seeds are pure noise (NPS 30 in both windows, 400 replies each), then at most ${NOISE_MAX_ALERTS} alert`, () => {
    const alerts = alertsOver(NOISE_SEEDS, (random) =>
      npsDropCheck(sampleNps(random, 400, NPS_30), sampleNps(random, 400, NPS_30)),
    );
    expect(alerts).toBeLessThanOrEqual(NOISE_MAX_ALERTS);
  });

  it(`when ${CALIBRATION_CHECKS} checks are pure noise, then at most ${CALIBRATION_MAX_RATE * 100} % alert`, () => {
    const alerts = alertsOver(CALIBRATION_CHECKS, (random) =>
      npsDropCheck(sampleNps(random, 400, NPS_30), sampleNps(random, 400, NPS_30)),
    );
    expect(alerts / CALIBRATION_CHECKS).toBeLessThanOrEqual(CALIBRATION_MAX_RATE);
  });

  it(`when a drop from NPS 30 to 10 is planted (600 replies each), then at least ${PLANTED_MIN_DETECTED} of 100 seeds alert`, () => {
    const alerts = alertsOver(PLANTED_SEEDS, (random) =>
      npsDropCheck(sampleNps(random, 600, NPS_10), sampleNps(random, 600, NPS_30)),
    );
    expect(alerts).toBeGreaterThanOrEqual(PLANTED_MIN_DETECTED);
  });
});

describe('shareRiseCheck, themeRiseCheck and csatDropCheck', () => {
  it('when 4 of 4 recent replies and 0 of 4 before mention a theme, then p = 1/70 (Fisher’s tea tasting)', () => {
    const result = shareRiseCheck({ hits: 4, replies: 4 }, { hits: 0, replies: 4 }, { minReplies: 4 });
    expect(result).toMatchObject({ testable: true, recent: 100, baseline: 0, change: 100, significant: false });
    expect(result.pValue).toBeCloseTo(1 / 70, 14);
  });

  it('when a rare theme goes from 0 to 6 mentions in 400 replies, then p ≈ 1.5 %: no alert at 1 %', () => {
    // A pooled z-test of two proportions would give z = 2.46, p = 0.7 %, and alert.
    const result = shareRiseCheck({ hits: 6, replies: 400 }, { hits: 0, replies: 400 });
    expect(result.pValue).toBeGreaterThan(0.01);
    expect(result.pValue).toBeLessThan(0.02);
    expect(result.significant).toBe(false);
  });

  it('reads a theme’s mentions and the replies of each window', () => {
    expect(themeRiseCheck({ mentions: 120, replies: 600 }, { mentions: 60, replies: 600 })).toMatchObject({
      recent: 20,
      baseline: 10,
      change: 10,
      significant: true,
    });
  });

  it('tests CSAT falling as the share of unsatisfied answers rising, and reports it in % satisfied', () => {
    const result = csatDropCheck({ satisfied: 260, count: 400 }, { satisfied: 320, count: 400 });
    const rise = shareRiseCheck({ hits: 140, replies: 400 }, { hits: 80, replies: 400 });
    expect(result).toMatchObject({ recent: 65, baseline: 80, significant: true, pValue: rise.pValue });
    expect(result.change).toBeCloseTo(-15, 12);
    expect(csatDropCheck({ satisfied: 10, count: 20 }, { satisfied: 320, count: 400 }).testable).toBe(false);
  });

  it('checks a score from the windows’ rollup counters', () => {
    const nps = (promoters: number, passives: number, detractors: number) => ({
      nps: { promoters, passives, detractors },
    });
    expect(scoreDropCheck('nps', nps(140, 160, 100), nps(180, 160, 60)).pValue).toBeCloseTo(7.852614211539821e-5, 15);
    expect(
      scoreDropCheck('csat', { csat: { satisfied: 260, count: 400 } }, { csat: { satisfied: 320, count: 400 } }),
    ).toEqual(csatDropCheck({ satisfied: 260, count: 400 }, { satisfied: 320, count: 400 }));
    expect(scoreDropCheck('nps', {}, {}).testable).toBe(false);
  });

  it.each([
    ['a theme at 10 %', 0.1],
    ['a rare theme at 0.5 %', 0.005],
  ])(`when 100 seeds are pure noise of %s (400 replies each), then at most ${NOISE_MAX_ALERTS} alert`, (_, share) => {
    const alerts = alertsOver(NOISE_SEEDS, (random) =>
      shareRiseCheck(
        { hits: sampleHits(random, 400, share), replies: 400 },
        { hits: sampleHits(random, 400, share), replies: 400 },
      ),
    );
    expect(alerts).toBeLessThanOrEqual(NOISE_MAX_ALERTS);
  });

  it(`when ${CALIBRATION_CHECKS} checks of a theme at 10 % are pure noise, then at most ${ALERT_ALPHA * 100} % alert`, () => {
    // Fisher's test is exact (conservative): its rate stays at or below α.
    const alerts = alertsOver(CALIBRATION_CHECKS, (random) =>
      shareRiseCheck(
        { hits: sampleHits(random, 400, 0.1), replies: 400 },
        { hits: sampleHits(random, 400, 0.1), replies: 400 },
      ),
    );
    expect(alerts / CALIBRATION_CHECKS).toBeLessThanOrEqual(ALERT_ALPHA);
  });

  it(`when a theme’s share rising from 10 % to 20 % is planted (600 replies each), then at least ${PLANTED_MIN_DETECTED} of 100 seeds alert`, () => {
    const alerts = alertsOver(PLANTED_SEEDS, (random) =>
      themeRiseCheck(
        { mentions: sampleHits(random, 600, 0.2), replies: 600 },
        { mentions: sampleHits(random, 600, 0.1), replies: 600 },
      ),
    );
    expect(alerts).toBeGreaterThanOrEqual(PLANTED_MIN_DETECTED);
  });

  it(`when 100 seeds of CSAT are pure noise (80 %, 400 replies each), then at most ${NOISE_MAX_ALERTS} alert`, () => {
    const alerts = alertsOver(NOISE_SEEDS, (random) =>
      csatDropCheck(
        { satisfied: sampleHits(random, 400, 0.8), count: 400 },
        { satisfied: sampleHits(random, 400, 0.8), count: 400 },
      ),
    );
    expect(alerts).toBeLessThanOrEqual(NOISE_MAX_ALERTS);
  });

  it(`when a CSAT drop from 80 % to 65 % is planted (400 replies each), then at least ${PLANTED_MIN_DETECTED} of 100 seeds alert`, () => {
    const alerts = alertsOver(PLANTED_SEEDS, (random) =>
      csatDropCheck(
        { satisfied: sampleHits(random, 400, 0.65), count: 400 },
        { satisfied: sampleHits(random, 400, 0.8), count: 400 },
      ),
    );
    expect(alerts).toBeGreaterThanOrEqual(PLANTED_MIN_DETECTED);
  });
});

describe('nextAlertState', () => {
  const significant: ChangeCheck = {
    testable: true,
    recent: 10,
    baseline: 30,
    change: -20,
    pValue: 0.001,
    significant: true,
    recovered: false,
  };
  const lingering: ChangeCheck = { ...significant, pValue: 0.05, significant: false };
  const recovered: ChangeCheck = { ...significant, pValue: 0.4, significant: false, recovered: true };
  const untestable: ChangeCheck = { ...significant, testable: false, pValue: null, significant: false };

  function run(checks: ChangeCheck[]): (string | null)[] {
    let state: AlertState = NO_EPISODE;
    return checks.map((latest, i) => {
      const step = nextAlertState(state, latest, `week ${i}`);
      state = step.state;
      return step.event;
    });
  }

  it('alerts once per episode: a drop that lasts, wavers near the threshold, or misses a check alerts once', () => {
    expect(run([recovered, significant, significant, lingering, significant, untestable, significant])).toEqual([
      null,
      'alert',
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it('ends the episode on recovery, so that a new drop alerts again', () => {
    expect(run([significant, recovered, lingering, significant])).toEqual(['alert', 'recovered', null, 'alert']);
  });

  it('remembers which check opened the episode, and keeps it through a check with too few replies', () => {
    const opened = nextAlertState(NO_EPISODE, significant, '2027-03-14');
    expect(opened.state).toEqual({ since: '2027-03-14' });
    expect(nextAlertState(opened.state, untestable, '2027-03-21')).toEqual({ state: opened.state, event: null });
    expect(nextAlertState(NO_EPISODE, untestable, '2027-03-21')).toEqual({ state: NO_EPISODE, event: null });
  });

  it('when a planted drop lasts six weekly checks, then it alerts once (and checking each week alone would alert again)', () => {
    // 20 weeks of 600 replies: NPS 30, but 10 in weeks 10–15. Each week is checked against the 4 weeks before it.
    const truth = (week: number) => (week >= 10 && week <= 15 ? NPS_10 : NPS_30);
    let onceInEpisode = 0;
    let repeatedWithoutEpisodes = 0;
    for (let seed = 1; seed <= PLANTED_SEEDS; seed++) {
      const random = mulberry32(seed);
      const weeks = Array.from({ length: 20 }, (_, week) => sampleNps(random, 600, truth(week)));
      let state: AlertState = NO_EPISODE;
      let alerts = 0;
      let significantWeeks = 0;
      for (let week = 4; week < 20; week++) {
        const baseline = weeks.slice(week - 4, week).reduce(add);
        const latest = npsDropCheck(weeks[week]!, baseline);
        const step = nextAlertState(state, latest, `week ${week}`);
        state = step.state;
        if (week >= 10 && step.event === 'alert') alerts++;
        if (week >= 10 && latest.significant) significantWeeks++;
      }
      expect(alerts, `seed ${seed}`).toBeLessThanOrEqual(1);
      if (alerts === 1) onceInEpisode++;
      if (significantWeeks > 1) repeatedWithoutEpisodes++;
    }
    expect(onceInEpisode).toBeGreaterThanOrEqual(PLANTED_MIN_DETECTED);
    expect(repeatedWithoutEpisodes).toBeGreaterThanOrEqual(PLANTED_MIN_DETECTED);
  });
});

describe('alertWindows', () => {
  it('places the baseline just before the recent window, without overlap', () => {
    expect(alertWindows('2027-03-14', { recentDays: 7, baselineDays: 28 })).toEqual({
      recent: { from: '2027-03-08', to: '2027-03-14' },
      baseline: { from: '2027-02-08', to: '2027-03-07' },
    });
    expect(alertWindows('2028-03-01', { recentDays: 1, baselineDays: 1 })).toEqual({
      recent: { from: '2028-03-01', to: '2028-03-01' },
      baseline: { from: '2028-02-29', to: '2028-02-29' },
    });
  });
});
