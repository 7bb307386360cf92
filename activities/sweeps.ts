import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { type SweepResult, sweepUnacknowledged } from '../src/web/sweeps';

export function createSweepActivities(db: Db, loopIdleTimeout: string) {
  return {
    /** The sweep, signalling through the worker's own client to workflows on its task queue. */
    async sweepUnacknowledged(): Promise<SweepResult> {
      const { client, info, log } = Context.current();
      return sweepUnacknowledged(db, {
        temporal: client,
        taskQueue: info.taskQueue,
        loopIdleTimeout,
        log: (msg) => log.warn(msg),
      });
    },
  };
}
