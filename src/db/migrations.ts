/**
 * The schema's versions: each step upgrades a database from the version before it, and `npm run
 * migrate` runs the steps a database has not had, in order (`src/db/migrate.ts`). A step must be
 * idempotent (a killed run's step runs again) and backward compatible (web and worker processes of
 * the previous release keep running on the migrated database during a rolling update): expand
 * first — add an index, a field, a collection — and contract only in a later release, once no
 * running version reads the old shape.
 *
 * To add a step: write `(db, progress) => Promise<unknown>`, append it below with the next version.
 */
import type { Db } from 'mongodb';
import * as c from './collections';
import { buildContactHistories } from './contact-history';
import { createIndexes } from './indexes';
import { unlessDoneAtStart } from './markers';
import { rebuildFrontlineIndex } from './frontline-index';
import { moveCountedKeys } from './move-counted-keys';
import { claimUnclosedCases } from './open-case-claims';
import { rebuildProgramIndexes } from './program-index';
import { countRoutingState } from './routing-state';
import { backfillRollupTotals } from './rollup-totals';
import { hashSurveyToken } from './survey-tokens';
import { rebuildWebhookIndex } from './webhook-index';

/** A step reports how far it is (`done` of `total` things), for the progress lines and its claim. */
export type MigrationProgress = (done: number, total: number) => void;

export interface Migration {
  version: number;
  name: string;
  run(db: Db, progress: MigrationProgress): Promise<unknown>;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'survey tokens hashed', run: (db, progress) => hashLegacyTokens(db, progress) },
  { version: 2, name: 'case owners renamed', run: (db) => renameCaseOwners(db) },
  { version: 3, name: 'indexes', run: (db, progress) => createIndexes(db, progress) },
  {
    version: 4,
    name: 'contact histories built',
    run: (db, progress) => unlessDoneAtStart(db, 'contact-histories-built', () => buildContactHistories(db, progress)),
  },
  {
    version: 5,
    name: 'rollup months backfilled',
    run: (db, progress) => unlessDoneAtStart(db, 'rollup-months-backfilled', () => backfillRollupTotals(db, progress)),
  },
  // A contraction: workers of earlier releases count by the lists this removes, so they must be
  // stopped before it runs (docs/deployment.md, "Upgrading to schema version 6").
  { version: 6, name: 'counted keys moved out of rollups', run: (db, progress) => moveCountedKeys(db, progress) },
  { version: 7, name: 'lookup indexes built', run: (db) => rebuildLookupIndexes(db) },
  // The open-case check reads claims by `_id` (src/db/open-case-claims.ts): cases from before hold one too.
  { version: 8, name: 'open-case claims for unclosed cases', run: (db, progress) => claimUnclosedCases(db, progress) },
  // Case assignment reads its counters by `_id` (src/db/routing-state.ts): counted once from the cases.
  { version: 9, name: 'routing state counted', run: (db, progress) => countRoutingState(db, progress) },
];

/** The version this release needs: the last step's. */
export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * Earlier versions stored survey tokens in plain text under a unique index: keep only their hash
 * (links already sent go on working) and drop that index, which would refuse a second token-less
 * invitation. Before the indexes: the unique `tokenHash` index needs every invitation hashed.
 */
async function hashLegacyTokens(db: Db, progress: MigrationProgress): Promise<void> {
  await unlessDoneAtStart(db, 'invitation-tokens-hashed', async () => {
    const filter = { token: { $exists: true } } as object;
    const total = await c.invitations(db).countDocuments(filter);
    let done = 0;
    const legacy = c.invitations(db).find(filter, { projection: { token: 1 } });
    for await (const doc of legacy as AsyncIterable<{ _id: string; token: string }>) {
      await c.invitations(db).updateOne({ _id: doc._id }, {
        $set: { tokenHash: hashSurveyToken(doc.token) },
        $unset: { token: '' },
      } as object);
      if (++done % 500 === 0) progress(done, total);
    }
    progress(done, total);
  });
  if (
    (await c
      .invitations(db)
      .indexExists('token_unique')
      .catch(() => false)) === true
  )
    await c.invitations(db).dropIndex('token_unique');
}

/** Earlier versions called case owners 'owner'. */
async function renameCaseOwners(db: Db): Promise<void> {
  await c.users(db).updateMany({ role: 'owner' as never }, { $set: { role: 'case_owner' } });
}

/**
 * What the hot path reads by `_id` instead of scanning admin collections (src/db/lookup-index.ts):
 * the processes of this release rebuild each on every change; this builds them for what exists, at
 * migration and at each worker's start (a process stopped between a change and its rebuild).
 */
export async function rebuildLookupIndexes(db: Db): Promise<void> {
  await rebuildWebhookIndex(db);
  await rebuildProgramIndexes(db);
  await rebuildFrontlineIndex(db);
}
