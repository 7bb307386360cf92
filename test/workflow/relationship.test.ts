import { type Client, ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { insertNewCustomers, recordUnsubscribe } from '../../src/db/customers';
import { cycleContaining, dayOf, isDueOn, relationshipEventId, ZRelationshipCadence } from '../../src/domain/cadence';
import { connectTemporalClient } from '../../src/temporal/connection';
import { waveScheduleId } from '../../src/temporal/wave-schedules';
import { fanOutTaskQueue } from '../../workflows/definitions';
import { type Harness, api, mailTo, startHarness, uid, waitUntil } from '../support/harness';

/** A relationship program for one cohort of test customers (the test database is shared). */
function relationshipProgram(
  cohort: string,
  cadence: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
) {
  return {
    name: `Relationship ${cohort}`,
    kind: 'relationship',
    cadence,
    audience: { cohort: [cohort] },
    reminders: [],
    expiresAfter: '1h',
    survey: { editGrace: '0s', questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
    email: { subject: 'How are we doing?', intro: 'Once a year we ask our customers.' },
    contactRules: {
      minIntervalAnyProgram: '0s',
      minIntervalSameProgram: '0s',
      maxPerWindow: { count: 100, window: '1d' },
    },
    ...overrides,
  };
}

const profiles = (cohort: string, count: number) =>
  Array.from({ length: count }, () => {
    const id = uid('rel');
    return { id, email: `${id}@example.com`, locale: 'en', attributes: { cohort } };
  });

describe('relationship programs', () => {
  let h: Harness;
  let temporal: Client;
  beforeAll(async () => {
    h = await startHarness();
    temporal = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await h?.stop();
  });
  const schedule = (programId: string) => temporal.schedule.getHandle(waveScheduleId(h.taskQueue, programId));
  const runWave = (programId: string) =>
    temporal.workflow.execute('relationshipWaveWorkflow', {
      taskQueue: fanOutTaskQueue(h.taskQueue),
      workflowId: uid('wave-test'),
      args: [{ programId }],
    }) as Promise<{ day: number; due: number }[]>;

  it('when operations save, pause and delete a program, then its Temporal Schedule follows, and the audit log has before and after', async () => {
    const id = uid('rel-prog');
    const created = await api(
      h,
      'PUT',
      `/api/programs/${id}`,
      relationshipProgram(id, { cycle: 'quarterly', runAt: '07:30', timezone: 'Europe/Berlin' }),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.json.waveSchedule).toBe('active');
    const described = await schedule(id).describe();
    expect(described.state.paused).toBe(false);
    expect(described.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 7, end: 7, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
    });
    expect(described.spec.timezone).toBe('Europe/Berlin');
    expect(described.action).toMatchObject({
      workflowType: 'relationshipWaveWorkflow',
      taskQueue: fanOutTaskQueue(h.taskQueue),
      args: [{ programId: id }],
    });

    const paused = await api(
      h,
      'PUT',
      `/api/programs/${id}`,
      relationshipProgram(id, { cycle: 'quarterly' }, { active: false }),
    );
    expect(paused.json.waveSchedule).toBe('paused');
    expect((await schedule(id).describe()).state.paused).toBe(true);
    const audit = await c
      .auditLog(h.db)
      .find({ subject: `program ${id}` })
      .sort({ at: 1 })
      .toArray();
    expect(audit.map((entry) => entry.action)).toEqual(['program.create', 'program.update']);
    expect(audit[1]).toMatchObject({ before: { active: true }, after: { active: false } });

    const deleted = await api(h, 'DELETE', `/api/programs/${id}`);
    expect(deleted.status, deleted.text).toBe(200);
    await expect(schedule(id).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(await c.programs(h.db).findOne({ _id: id })).toBeNull();
    expect((await api(h, 'DELETE', `/api/programs/${id}`)).status).toBe(404);
  });

  it('when the schedule fires, then every eligible customer of the audience is surveyed once, and a repeated wave surveys nobody again', async () => {
    const id = uid('rel-prog');
    const cohort = uid('cohort');
    // A one-day cycle: everyone is due today.
    expect((await api(h, 'PUT', `/api/programs/${id}`, relationshipProgram(cohort, { cycle: '1d' }))).status).toBe(201);
    const eligible = profiles(cohort, 12);
    const [unsubscribed, erased, outsider] = profiles(cohort, 3);
    outsider!.attributes.cohort = uid('other');
    await insertNewCustomers(h.db, [...eligible, unsubscribed!, erased!, outsider!]);
    await recordUnsubscribe(h.db, unsubscribed!.id);
    await c.customers(h.db).updateOne({ _id: erased!.id }, { $set: { erasedAt: new Date() } });

    await schedule(id).trigger();
    const invitations = await waitUntil('an invitation for each eligible customer', async () => {
      const found = await c.invitations(h.db).find({ programId: id }).toArray();
      return found.length >= eligible.length ? found : undefined;
    });
    expect(invitations.map((i) => i.customerId).sort()).toEqual(eligible.map((p) => p.id).sort());
    for (const customer of eligible)
      await waitUntil(
        `the survey email to ${customer.email}`,
        async () => (await mailTo(h, customer.email)).length === 1,
      );
    const skipped = await waitUntil('the unsubscribed customer to be decided', () =>
      c.contactDecisions(h.db).findOne({ programId: id, customerId: unsubscribed!.id }),
    );
    expect(skipped.action).toBe('skip');
    const firstRun = await waitUntil('the wave day to be recorded', () => c.waveDays(h.db).findOne({ programId: id }));
    expect(firstRun).toMatchObject({ due: eligible.length + 1, signalled: eligible.length + 1 });

    // A run repeated for the same day (as after a crash before the day was recorded) hands nobody over again.
    await c.waveDays(h.db).deleteMany({ programId: id });
    expect(await runWave(id)).toEqual([{ day: firstRun.day, due: eligible.length + 1 }]);
    expect(await c.waveDays(h.db).findOne({ programId: id })).toMatchObject({ due: eligible.length + 1, signalled: 0 });
    // And the day once recorded, a third run has nothing to do.
    expect(await runWave(id)).toEqual([]);
    expect(await c.invitations(h.db).countDocuments({ programId: id })).toBe(eligible.length);
    expect(await c.contactDecisions(h.db).countDocuments({ programId: id })).toBe(eligible.length + 1);
    for (const customer of eligible) expect(await mailTo(h, customer.email)).toHaveLength(1);
    expect(await c.contactDecisions(h.db).countDocuments({ customerId: { $in: [erased!.id, outsider!.id] } })).toBe(0);

    // Paused: a wave that starts anyway (the schedule raced the pause) surveys nobody.
    await api(h, 'PUT', `/api/programs/${id}`, relationshipProgram(cohort, { cycle: '1d' }, { active: false }));
    await c.waveDays(h.db).deleteMany({ programId: id });
    expect(await runWave(id)).toEqual([]);
  });

  it('when waves were missed, then the next one catches up the missed days of the cycle, surveying exactly the customers due on them', async () => {
    const id = uid('rel-prog');
    const cohort = uid('cohort');
    const cadence = ZRelationshipCadence.parse({ cycle: '30d', missedDays: 'catch-up' });
    expect((await api(h, 'PUT', `/api/programs/${id}`, relationshipProgram(cohort, cadence))).status).toBe(201);
    const joinedAt = new Date('2020-01-01');
    const customers = profiles(cohort, 200).map((p) => ({
      _id: p.id,
      email: p.email,
      locale: 'en',
      attributes: p.attributes,
      unsubscribed: false,
      createdAt: joinedAt,
      updatedAt: joinedAt,
    }));
    await c.customers(h.db).insertMany(customers);
    const today = dayOf(new Date());
    // The last wave ran four days ago.
    await c.waveDays(h.db).insertOne({
      _id: `${id}:${today - 4}`,
      programId: id,
      day: today - 4,
      due: 0,
      signalled: 0,
      completedAt: new Date(),
    });

    const covered = await runWave(id);
    const days = covered.map((d) => d.day);
    const cycleStart = cycleContaining(cadence, days.at(-1)!).start;
    expect(days).toEqual(
      Array.from(
        { length: days.at(-1)! - Math.max(today - 3, cycleStart) + 1 },
        (_, i) => Math.max(today - 3, cycleStart) + i,
      ),
    );
    const expected = customers
      .filter((customer) => days.some((day) => isDueOn(cadence, id, { id: customer._id, joinedAt }, day)))
      .map((customer) => relationshipEventId(id, cycleContaining(cadence, days.at(-1)!), customer._id))
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    const recorded = await c.events(h.db).find({ programId: id }).project({ _id: 1 }).toArray();
    expect(recorded.map((e) => e._id).sort()).toEqual(expected);
    expect(covered.reduce((sum, d) => sum + d.due, 0)).toBe(expected.length);
    await waitUntil(
      'every due customer to be decided',
      async () => (await c.contactDecisions(h.db).countDocuments({ programId: id })) === expected.length,
    );
  });
});
