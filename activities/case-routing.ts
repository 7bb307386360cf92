import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { loadRouting } from '../src/db/routing';
import { UNCLOSED_STATUSES } from '../src/domain/cases';
import { type Routing, ZRouting } from '../src/domain/routing';

/** Until an admin sets up routing, every enabled admin handles cases, the first one managing. */
export async function currentRouting(db: Db): Promise<Routing> {
  const stored = await loadRouting(db);
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

/** Open cases per member and the owner of the team's latest case: what assignment looks at. */
export async function routingState(db: Db, routing: Routing) {
  const members = [...new Set(routing.teams.flatMap((t) => t.members))];
  const counts = await c
    .cases(db)
    .aggregate<{ _id: string; n: number }>([
      { $match: { ownerId: { $in: members }, status: { $in: [...UNCLOSED_STATUSES] } } },
      { $group: { _id: '$ownerId', n: { $sum: 1 } } },
    ])
    .toArray();
  const lastOwner: Record<string, string> = {};
  for (const team of routing.teams) {
    const latest = await c
      .cases(db)
      .findOne({ teamId: team.id }, { sort: { openedAt: -1 }, projection: { ownerId: 1 } });
    if (latest) lastOwner[team.id] = latest.ownerId;
  }
  return { openCases: Object.fromEntries(counts.map((x) => [x._id, x.n])), lastOwner };
}
