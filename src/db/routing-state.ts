import type { Db } from 'mongodb';
import { routingIncrement } from '../domain/case-metrics';
import { ROUTING_STATE_ID } from '../domain/rollup';
import * as c from './collections';
import { MIGRATED_BATCH } from './counted-keys';
import type { MigrationProgress } from './migrations';

/**
 * Migration: the routing state (`routing_state`, read by case assignment) counted from the cases
 * recorded so far, each as if it opened as it is now: its owner's unclosed cases, its team's cases
 * opened. From here on the scores' owner counts every change (routingIncrement). Idempotent: the
 * document is replaced whole. Cases that old workers open or close during a rolling upgrade after
 * this ran are not counted (docs/deployment.md).
 */
export async function countRoutingState(db: Db, progress: MigrationProgress): Promise<void> {
  const total = await c.cases(db).countDocuments({});
  const counts: Record<string, number> = {};
  let done = 0;
  const cases = c.cases(db).find({}, { projection: { status: 1, ownerId: 1, teamId: 1 } });
  for await (const doc of cases) {
    if (++done % 500 === 0) progress(done, total);
    // A document with no owner or team (not written by a case workflow) has no one's load to count.
    if (typeof doc.ownerId !== 'string' || typeof doc.teamId !== 'string') continue;
    const after = { status: doc.status, ownerId: doc.ownerId, teamId: doc.teamId, breached: false };
    for (const [path, n] of Object.entries(routingIncrement({ before: null, after })))
      counts[path] = (counts[path] ?? 0) + n;
  }
  progress(done, total);
  const field = (prefix: string) =>
    Object.fromEntries(
      Object.entries(counts)
        .filter(([path]) => path.startsWith(`${prefix}.`))
        .map(([path, n]) => [path.slice(prefix.length + 1), n]),
    );
  await c
    .routingState(db)
    .replaceOne(
      { _id: ROUTING_STATE_ID },
      { open: field('open'), opened: field('opened'), appliedBatch: MIGRATED_BATCH },
      { upsert: true },
    );
}
