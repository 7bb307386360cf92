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
import { moveCountedKeys } from './move-counted-keys';
import { backfillRollupTotals } from './rollup-totals';
import { hashSurveyToken } from './survey-tokens';

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
];

/** The version this release needs: the last step's. */
export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * Before migrations, web and worker ran these upgrades at start and left a marker in `settings`:
 * a database with the marker has had the step (rerunning it would be harmless, but is a full scan).
 */
async function unlessDoneAtStart(db: Db, marker: string, step: () => Promise<unknown>): Promise<unknown> {
  if (await c.settings(db).findOne({ _id: marker })) return undefined;
  return step();
}

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

/** One at a time: on a large collection each is a long build, and the progress counts them. */
async function createIndexes(db: Db, progress: MigrationProgress): Promise<void> {
  const indexes: (() => Promise<string>)[] = [
    () => c.invitations(db).createIndex({ tokenHash: 1 }, { unique: true, name: 'token_hash_unique' }),
    () => c.invitations(db).createIndex({ customerId: 1, createdAt: -1 }, { name: 'by_customer' }),
    () => c.events(db).createIndex({ customerId: 1, occurredAt: -1 }, { name: 'by_customer' }),
    () => c.events(db).createIndex({ processedAt: 1, receivedAt: 1 }, { name: 'unprocessed' }),
    () => c.waveDays(db).createIndex({ programId: 1, day: -1 }, { name: 'by_program_day' }),
    () => c.contactDecisions(db).createIndex({ customerId: 1, decidedAt: -1 }, { name: 'by_customer' }),
    () => c.responses(db).createIndex({ finalizedAt: 1, submittedAt: 1 }, { name: 'unfinalized' }),
    () => c.responses(db).createIndex({ customerId: 1, submittedAt: -1 }, { name: 'by_customer' }),
    () => c.rollups(db).createIndex({ programId: 1, day: 1, segment: 1 }, { name: 'by_program_day_segment' }),
    () => c.sinkMessages(db).createIndex({ receivedAt: -1 }, { name: 'newest_first' }),
    () => c.sessions(db).createIndex({ 'session.userId': 1 }, { name: 'by_user' }),
    // One counter per key, also when two web processes count its first hit at once.
    () => c.rateLimitCounters(db).createIndex({ key: 1 }, { unique: true, name: 'key_unique' }),
    () => c.cases(db).createIndex({ ownerId: 1, status: 1, openedAt: -1 }, { name: 'by_owner' }),
    () => c.cases(db).createIndex({ teamId: 1, status: 1, openedAt: -1 }, { name: 'by_team' }),
    () => c.cases(db).createIndex({ customerId: 1, openedAt: -1 }, { name: 'by_customer' }),
    () => c.caseTimeline(db).createIndex({ caseId: 1, seq: 1 }, { name: 'by_case' }),
    () => c.journeyReplies(db).createIndex({ programId: 1, at: -1 }, { name: 'by_program' }),
    () => c.auditLog(db).createIndex({ at: -1 }, { name: 'newest_first' }),
    () => c.webhookAttempts(db).createIndex({ webhookId: 1, at: -1 }, { name: 'by_webhook' }),
    () => c.webhookAttempts(db).createIndex({ deliveryId: 1, ok: 1 }, { name: 'by_delivery' }),
  ];
  for (const [i, create] of indexes.entries()) {
    await create();
    progress(i + 1, indexes.length);
  }
}
