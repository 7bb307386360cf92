import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { cachedRouting } from '../src/db/routing';
import { ROUTING_STATE_ID } from '../src/domain/rollup';
import { type Routing, type RoutingState, ZRouting, routingStateOf } from '../src/domain/routing';

/** Until an admin sets up routing, every enabled admin handles cases, the first one managing. */
export async function currentRouting(db: Db): Promise<Routing> {
  const stored = await cachedRouting(db);
  if (stored) return stored;
  const admins = await c
    .users(db)
    .find({ role: 'admin', disabled: { $ne: true } })
    .sort({ createdAt: 1 })
    .limit(200)
    .toArray();
  if (admins.length === 0)
    throw ApplicationFailure.retryable('no routing and no admin to own cases yet: create an admin or set up routing');
  return ZRouting.parse({
    teams: [{ id: 'everyone', name: 'Everyone', members: admins.map((a) => a._id), manager: admins[0]!._id }],
    fallbackTeam: 'everyone',
  });
}

/**
 * Open cases per owner and cases opened per team, as the scores' owner counts them from the cases'
 * changes (src/domain/case-metrics.ts `routingIncrement`): one read by `_id`, no scan of `cases`.
 */
export async function routingState(db: Db): Promise<RoutingState> {
  return routingStateOf(await c.routingState(db).findOne({ _id: ROUTING_STATE_ID }));
}
