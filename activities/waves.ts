import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { insertOnce } from '../src/db/insert-once';
import { inAudience } from '../src/domain/audience';
import {
  type CycleSpan,
  cycleContaining,
  dayOf,
  daysToSurvey,
  isDueOn,
  relationshipEventId,
} from '../src/domain/cadence';
import type { LoopDefaults, LoopSettings } from '../src/temporal/loop-client';
import { handEventsToLoops } from './hand-over';
import { loopTaskQueue } from '../workflows/definitions';

/** Customers read per page. */
const PAGE = 500;

export interface WaveDayResult {
  due: number;
  signalled: number;
}

/** Where an interrupted wave day resumes: the heartbeat's details. */
interface WaveProgress extends WaveDayResult {
  after?: string;
}

type WaveCustomer = Pick<c.CustomerDoc, '_id' | 'attributes' | 'createdAt' | 'erasedAt'>;

export function createWaveActivities(db: Db, { loopIdleTimeout, customerKeySecret }: LoopDefaults) {
  return {
    /** The days a relationship program's wave covers now; none when the program is paused or gone. */
    async planWave({ programId }: { programId: string }): Promise<{ days: number[] }> {
      const program = await c.programs(db).findOne({ _id: programId });
      if (!program?.active || !program.cadence) return { days: [] };
      const last = await c.waveDays(db).find({ programId }).sort({ day: -1 }).limit(1).next();
      return { days: daysToSurvey(program.cadence, dayOf(new Date()), last?.day) };
    },

    /**
     * Hands each customer due on `day` to their loop: one relationship event per customer and
     * cycle (insert-only), then a signal, which the loop answers with the contact rules like any
     * trigger. Pages through all customers in `_id` order and heartbeats its place, so a retry
     * resumes there; a repeat finds the events already decided and signals nobody again.
     */
    async surveyWaveDay({ programId, day }: { programId: string; day: number }): Promise<WaveDayResult> {
      const context = Context.current();
      const program = await c.programs(db).findOne({ _id: programId });
      if (!program?.active || !program.cadence) return { due: 0, signalled: 0 };
      const { cadence } = program;
      const cycle = cycleContaining(cadence, day);
      const loop: LoopSettings = {
        temporal: context.client,
        taskQueue: loopTaskQueue(context.info.taskQueue),
        loopIdleTimeout,
        customerKeySecret,
        log: (msg) => context.log.warn(msg),
      };
      const progress: WaveProgress = (context.info.heartbeatDetails as WaveProgress | undefined) ?? {
        due: 0,
        signalled: 0,
      };
      const isDue = (customer: WaveCustomer) =>
        !customer.erasedAt &&
        inAudience(program.audience, customer.attributes ?? {}) &&
        isDueOn(cadence, programId, { id: customer._id, joinedAt: customer.createdAt ?? new Date(0) }, day);
      const handOver = async (page: WaveCustomer[]) => {
        const due = page.filter(isDue);
        progress.due += due.length;
        progress.signalled += await signalDueCustomers(db, loop, programId, cycle, due);
        progress.after = page.at(-1)!._id;
        context.heartbeat(progress);
      };

      const customers = c
        .customers(db)
        .find(progress.after ? { _id: { $gt: progress.after } } : {}, {
          projection: { _id: 1, attributes: 1, createdAt: 1, erasedAt: 1 },
          batchSize: PAGE,
        })
        .sort({ _id: 1 });
      let page: WaveCustomer[] = [];
      for await (const customer of customers) {
        page.push(customer);
        if (page.length < PAGE) continue;
        await handOver(page);
        page = [];
      }
      if (page.length) await handOver(page);

      const result = { due: progress.due, signalled: progress.signalled };
      await insertOnce(c.waveDays(db), {
        _id: `${programId}:${day}`,
        programId,
        day,
        ...result,
        completedAt: new Date(),
      });
      return result;
    },
  };
}

/** Each due customer's event for this cycle, handed to their loop; returns how many were signalled. */
function signalDueCustomers(
  db: Db,
  loop: LoopSettings,
  programId: string,
  cycle: CycleSpan,
  due: WaveCustomer[],
): Promise<number> {
  const now = new Date();
  const events: c.EventDoc[] = due.map((customer) => ({
    _id: relationshipEventId(programId, cycle, customer._id),
    type: 'relationship',
    programId,
    occurredAt: now,
    customerId: customer._id,
    data: {},
    receivedAt: now,
  }));
  return handEventsToLoops(db, loop, events);
}
