import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyScoreBatch } from '../../activities/replies';
import { type UnitAccess } from '../../src/app/insight';
import { loadJourney, loadJourneys } from '../../src/app/journeys';
import * as c from '../../src/db/collections';
import { startCommandTally } from '../../src/db/command-tally';
import { type Database, connectDatabase } from '../../src/db/connection';
import { rebuildProgramIndexes } from '../../src/db/program-index';
import { eraseJourneyStates, journeyStateId, journeyStates } from '../../src/db/journey-counters';
import { type JourneyReply, journeyReport } from '../../src/domain/journeys';
import { ALL_SEGMENT, type ScoreContribution, rollupDay, unitSegment } from '../../src/domain/rollup';
import { EVERY_UNIT, type Unit } from '../../src/domain/units';
import { uid } from '../support/harness';
import { demoJourneys } from '../../src/demo/history';
import { DEMO_PROGRAMS, DEMO_UNITS } from '../../src/demo/seed';
import { ZUnits } from '../../src/domain/units';

const DAY_MS = 86_400_000;
const TOUCH_POINTS = ['signup', 'kyc', 'first_order'];
const UNITS: Unit[] = [
  { id: 'company', name: 'Company', parentId: null, manager: null, match: {} },
  { id: 'eu', name: 'Europe', parentId: 'company', manager: null, match: { region: ['EU'] } },
  { id: 'us', name: 'United States', parentId: 'company', manager: null, match: { region: ['US'] } },
];
const ADMIN: UnitAccess = { units: UNITS, scope: EVERY_UNIT };
const EU_GM: UnitAccess = { units: UNITS, scope: { all: false, top: ['eu'], unitIds: ['eu'] } };

/** The database, except that writing a customer's journey state fails: an attempt cut off after the counters. */
function statesCutOff(db: Db): Db {
  return new Proxy(db, {
    get: (target, name) => {
      if (name !== 'collection') {
        const value: unknown = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (collectionName: string) => {
        const collection = target.collection(collectionName);
        if (collectionName !== 'journey_states') return collection;
        return new Proxy(collection, {
          get: (real, method) => {
            if (method === 'replaceOne') return () => Promise.reject(new Error('connection closed'));
            const value: unknown = Reflect.get(real, method);
            return typeof value === 'function' ? value.bind(real) : value;
          },
        });
      };
    },
  });
}

describe('journey counters', () => {
  let database: Database;
  const programId = uid('journey-counters');
  const now = Date.now();
  /** Every reply, as the journey report over the raw replies reads them; EU customers are e0, e1… */
  const replies: (JourneyReply & { id: string; region: string })[] = [];

  beforeAll(async () => {
    database = await connectDatabase(inject('stack').mongoUri, inject('stack').dbName);
    await c.programs(database.db).insertOne({
      _id: programId,
      name: 'Onboarding',
      journey: { name: 'Onboarding', touchPoints: TOUCH_POINTS },
    } as unknown as c.ProgramDoc);
    // Stored directly, as no admin would: the owner finds journey programs in their lookup index.
    await rebuildProgramIndexes(database.db);
    // Twelve customers over 80 days: most answer each step, some skip one, some answer a step again.
    let n = 0;
    for (let k = 0; k < 12; k++) {
      const region = k % 3 === 0 ? 'US' : 'EU';
      const customerId = `${programId}-${region === 'EU' ? 'e' : 'u'}${k}`;
      const start = now - (80 - k * 6) * DAY_MS;
      for (let step = 0; step < TOUCH_POINTS.length; step++) {
        if ((k + step) % 5 === 4) continue;
        const score = [90, 40, 80, 100, 66.7, 30][(k * 3 + step) % 6]!;
        replies.push({ id: `${programId}-r${n++}`, customerId, region, step, score, at: start + step * 3 * DAY_MS });
        if ((k + step) % 4 === 0)
          replies.push({
            id: `${programId}-r${n++}`,
            customerId,
            region,
            step,
            score: score >= 75 ? 20 : 95,
            at: start + step * 3 * DAY_MS + 9 * DAY_MS,
          });
      }
    }
    await c.journeyReplies(database.db).insertMany(
      replies.map((r) => ({
        _id: r.id,
        programId,
        customerId: r.customerId,
        step: r.step,
        touchPoint: TOUCH_POINTS[r.step]!,
        score: r.score,
        at: new Date(r.at),
      })),
    );
  });
  afterAll(() => database?.close());

  const contributionOf = (r: (typeof replies)[number]): ScoreContribution => ({
    replyId: r.id,
    programId,
    customerId: r.customerId,
    day: rollupDay(r.at),
    segments: [ALL_SEGMENT, `region:${r.region}`, unitSegment(r.region === 'EU' ? 'eu' : 'us')],
    increment: { responses: 1, 'summary.count': 1, 'summary.sum': r.score },
    summary: r.score,
  });

  /** The journey report over the raw replies from `since` on, of the customers `keep` keeps. */
  const expected = (since: Date, keep: (r: (typeof replies)[number]) => boolean = () => true) => ({
    ...journeyReport(
      { programId, name: 'Onboarding', touchPoints: TOUCH_POINTS },
      replies.filter((r) => r.at >= since.getTime() && keep(r)),
    ),
    program: 'Onboarding',
    touchPoints: TOUCH_POINTS,
  });

  const sinces = () => [90, 45, 20, 1].map((daysAgo) => new Date(`${rollupDay(now - daysAgo * DAY_MS)}T00:00:00Z`));

  it('when the owner counts the replies in batches, one retried after a cut-off and one delivered twice, then the page shows the figures of the raw replies, for the admin and a GM', async () => {
    // In the order they happened, as the owner gets them, in batches of 7 (a re-answer may come in the same batch).
    const ordered = [...replies].sort((a, b) => a.at - b.at).map(contributionOf);
    for (let i = 0, b = 0; i < ordered.length; i += 7, b++) {
      const batch = ordered.slice(i, i + 7);
      const id = `${programId}|batch-${b}`;
      if (b === 2) {
        // Counters written, states not: the retry starts over from the same states.
        await expect(applyScoreBatch(statesCutOff(database.db), { id, retried: false }, batch)).rejects.toThrow(
          'connection closed',
        );
        await applyScoreBatch(database.db, { id, retried: true }, batch);
      } else await applyScoreBatch(database.db, { id, retried: false }, batch);
      // A batch whose completion was lost: done again whole.
      if (b === 3) await applyScoreBatch(database.db, { id, retried: true }, batch);
    }
    // A finalized reply handed over again by a retried activity, in a later batch.
    await applyScoreBatch(database.db, { id: `${programId}|again`, retried: false }, ordered.slice(0, 10));

    for (const since of sinces()) {
      expect(await loadJourney(database.db, programId, since, ADMIN)).toEqual(expected(since));
      expect(await loadJourney(database.db, programId, since, EU_GM)).toEqual(
        expected(since, (r) => r.region === 'EU'),
      );
    }
    const wholeYear = expected(sinces()[0]!);
    expect(wholeYear.customers).toBe(12);
    expect(wholeYear.steps.map((s) => s.customers)).toEqual([10, 10, 10]);
    // Nobody: a person given no unit.
    const none = await loadJourney(database.db, programId, sinces()[0]!, {
      units: UNITS,
      scope: { all: false, top: [], unitIds: [] },
    });
    expect(none.customers).toBe(0);
  }, 120_000);

  it('when a customer is erased, their journey states go and the figures keep their anonymous counts', async () => {
    const customerId = replies[0]!.customerId;
    const stateId = journeyStateId(programId, customerId);
    expect(await journeyStates(database.db).findOne({ _id: stateId })).not.toBeNull();
    await eraseJourneyStates(database.db, customerId);
    expect(await journeyStates(database.db).findOne({ _id: stateId })).toBeNull();
    expect(await loadJourney(database.db, programId, sinces()[0]!, ADMIN)).toEqual(expected(sinces()[0]!));
  });

  it('reads the journeys page by `_id` only, beside the programs list', async () => {
    const tally = startCommandTally();
    const counted = await connectDatabase(inject('stack').mongoUri, inject('stack').dbName);
    try {
      for (const access of [ADMIN, EU_GM]) {
        tally.reset();
        const [report] = (await loadJourneys(counted.db, sinces()[0]!, access)).filter(
          (j) => j.programId === programId,
        );
        expect(report).toEqual(expected(sinces()[0]!, access === ADMIN ? () => true : (r) => r.region === 'EU'));
        expect([...tally.scans.keys()]).toEqual(['programs find']);
        expect(tally.counts.get('journey_replies find')).toBeUndefined();
        expect(tally.counts.get('customers find')).toBeUndefined();
      }
    } finally {
      tally.stop();
      await counted.close();
    }
  }, 60_000);

  it("when the demo's journeys are counted by the owner, then their pages show the figures of their replies", async () => {
    const now = Date.now();
    const { contributions, steps } = demoJourneys(DEMO_PROGRAMS, now, ZUnits.parse(DEMO_UNITS));
    // The demo's programs under IDs of their own (the database is shared with other tests).
    const prefix = uid('demo');
    const renamed = (id: string) => `${prefix}-${id}`;
    for (const program of DEMO_PROGRAMS.filter((p) => p.journey))
      await c.programs(database.db).insertOne({
        _id: renamed(program.id),
        name: program.name,
        journey: program.journey,
      } as unknown as c.ProgramDoc);
    await rebuildProgramIndexes(database.db);
    await c
      .journeyReplies(database.db)
      .insertMany(steps.map((s) => ({ ...s, _id: renamed(s._id), programId: renamed(s.programId) })));
    // With the segments the journeys count in (`all` and units): fewer rollups to write.
    const handed = contributions.map((item) => ({
      ...item,
      replyId: renamed(item.replyId),
      programId: renamed(item.programId),
      segments: item.segments.filter((segment) => segment === ALL_SEGMENT || segment.startsWith('unit:')),
    }));
    for (let i = 0; i < handed.length; i += 200)
      await applyScoreBatch(database.db, { id: `${prefix}|${i}`, retried: false }, handed.slice(i, i + 200));

    const inEurope = new Set(handed.filter((item) => item.segments.includes('unit:eu')).map((item) => item.customerId));
    const since = new Date(`${rollupDay(now - 365 * DAY_MS)}T00:00:00Z`);
    const gm: UnitAccess = { units: ZUnits.parse(DEMO_UNITS), scope: { all: false, top: ['eu'], unitIds: ['eu'] } };
    for (const program of DEMO_PROGRAMS.filter((p) => p.journey)) {
      const journey = {
        programId: renamed(program.id),
        name: program.journey!.name,
        touchPoints: program.journey!.touchPoints,
      };
      const replied = steps
        .filter((s) => s.programId === program.id && s.at >= since)
        .map((s) => ({ customerId: s.customerId, step: s.step, score: s.score, at: s.at.getTime() }));
      const shown = await loadJourney(database.db, journey.programId, since, { units: gm.units, scope: EVERY_UNIT });
      expect(shown).toMatchObject(journeyReport(journey, replied));
      expect(shown.customers).toBeGreaterThan(50);
      const scoped = await loadJourney(database.db, journey.programId, since, gm);
      expect(scoped).toMatchObject(
        journeyReport(
          journey,
          replied.filter((r) => inEurope.has(r.customerId)),
        ),
      );
      expect(scoped.customers).toBeGreaterThan(0);
      expect(scoped.customers).toBeLessThan(shown.customers);
    }
  }, 180_000);
});
